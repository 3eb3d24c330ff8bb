"""The demo construction firm's Fortnox setup (`manage.py load_demo`)."""

from integrations.providers.base import ProviderDemo

# category -> (sales account, VAT code, description)
DEMO = ProviderDemo(organization_slug="frost", mappings={
    "labor": ("3001", "MP1", "Försäljning tjänster, 25 % moms"),
    "material": ("3001", "MP1", "Försäljning material, 25 % moms"),
    "fee": ("3004", "MF", "Vidarefakturerade avgifter, momsfri"),
})
