"""The demo construction firm's Visma eAccounting setup (`manage.py load_demo`): the mappings
that pick the sandbox company's sales categories (article account codings). With them Frost
Bygg uses Visma beside Fortnox, so the Integrationer page offers to connect it."""

from integrations.providers.base import ProviderDemo

# category -> (sales account, VAT code, description); VAT codes as Visma's /v2/vatcodes has them
DEMO = ProviderDemo(organization_slug="frost", mappings={
    "labor": ("3041", "10", "Försäljning tjänster, 25 % moms"),
    "material": ("3001", "10", "Försäljning varor, 25 % moms"),
    "fee": ("3004", "42", "Momsfri försäljning"),
})
