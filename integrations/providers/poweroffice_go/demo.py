"""The demo dealer's PowerOffice Go setup (`manage.py load_demo`)."""

from integrations.providers.base import ProviderDemo

# category -> (sales account, VAT code, description). "fee" is left out on purpose: the demo
# shows how a missing mapping blocks sending, with the link to where it is fixed.
DEMO = ProviderDemo(organization_slug="nordbil", mappings={
    "car": ("3000", "3", "Salg av bil, 25 % MVA"),
    "addon": ("3010", "3", "Tilleggsutstyr, 25 % MVA"),
    "part": ("3020", "3", "Deler, 25 % MVA"),
    "labor": ("3100", "3", "Verkstedarbeid, 25 % MVA"),
})
