"""The second demo dealer, on Tripletex (`manage.py load_demo`): its mappings. The organization
itself is in `contracts/demo_data.py` (slug "nordbil-vest"); connect it in the sandbox with the
employee token the sandbox's demo company publishes (README, Tripletex)."""

from integrations.providers.base import ProviderDemo

# category -> (income account, outgoing VAT type number, description). "fee" is left out on
# purpose, as for the first dealer: a missing mapping blocks sending, with the fix link.
DEMO = ProviderDemo(organization_slug="nordbil-vest", mappings={
    "car": ("3010", "3", "Salg av bil, 25 % MVA"),
    "addon": ("3020", "3", "Tilleggsutstyr, 25 % MVA"),
    "part": ("3020", "3", "Deler, 25 % MVA"),
    "labor": ("3100", "3", "Verkstedarbeid, 25 % MVA"),
})
