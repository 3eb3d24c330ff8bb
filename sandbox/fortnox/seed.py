"""Published demo data of the Fortnox simulator, as Fortnox's developer portal would hand it
out, and builders for tests that need a fresh, independent company or app.

- `seed_demo()` (the Simulator's `seed=`, run by `manage.py sandbox_seed`; idempotent): the
  developer app `hub-demo-client` / `hub-demo-secret` with the hub's redirect URI, and the
  company Frost Bygg AB (org no 556677-8899, TenantId 7350001) with its chart of accounts,
  VAT-coded sales accounts, predefined accounts, articles, salary codes and a service-account
  consent for the demo app (all scopes), so client credentials work at once.
- `seed_company(name, ...)`: a new company with the same chart, articles and salary codes.
- `seed_app(...)`: a new developer app (random id and secret unless given); `add_redirect_uri`
  registers one more redirect URI (a live test server's own callback).
- `access_headers(tenant, client_id, scope)`: an `Authorization: Bearer` header for tests
  that skip the consent flow.
"""

import secrets

from django.db import transaction

from sandbox.fortnox import fields, oauth, store
from sandbox.framework import tokens
from sandbox.models import SandboxClient, SandboxTenant

PROVIDER = "fortnox"
DEMO_CLIENT_ID = "hub-demo-client"
DEMO_CLIENT_SECRET = "hub-demo-secret"  # demo only, published in config/dev.env
DEMO_REDIRECT_URI = "http://127.0.0.1:8000/api/integrations/fortnox/callback"
DEMO_TENANT_ID = "7350001"
DEMO_COMPANY = {"CompanyName": "Frost Bygg AB", "OrganizationNumber": "556677-8899",
                "Address": "Byggvägen 12", "ZipCode": "113 45", "City": "Stockholm",
                "CountryCode": "SE", "VisitAddress": "Byggvägen 12", "VisitZipCode": "113 45",
                "VisitCity": "Stockholm", "VisitCountryCode": "SE"}
ALL_SCOPES = " ".join(sorted(oauth.SCOPES))

# (number, description, VAT code, SRU): a BAS chart cut down to what a construction firm
# invoicing, paying salaries and getting paid touches.
ACCOUNTS = [
    (1510, "Kundfordringar", "", 7251),
    (1910, "Kassa", "", 7281),
    (1920, "PlusGiro", "", 7281),
    (1930, "Företagskonto / checkkonto / affärskonto", "", 7281),
    (2440, "Leverantörsskulder", "", 7368),
    (2610, "Utgående moms, 25 %", "", 7369),
    (2611, "Utgående moms på försäljning inom Sverige, 25 %", "", 7369),
    (2621, "Utgående moms på försäljning inom Sverige, 12 %", "", 7369),
    (2631, "Utgående moms på försäljning inom Sverige, 6 %", "", 7369),
    (2641, "Debiterad ingående moms", "", 7369),
    (2710, "Personalskatt", "", 7369),
    (2731, "Avräkning lagstadgade sociala avgifter", "", 7369),
    (3001, "Försäljning inom Sverige, 25 % moms", "MP1", 7410),
    (3002, "Försäljning inom Sverige, 12 % moms", "MP2", 7410),
    (3003, "Försäljning inom Sverige, 6 % moms", "MP3", 7410),
    (3004, "Försäljning inom Sverige, momsfri", "MF", 7410),
    (3041, "Försäljning tjänster inom Sverige, 25 % moms", "MP1", 7410),
    (3051, "Försäljning varor inom Sverige, 25 % moms", "MP1", 7410),
    (3105, "Försäljning varor till land utanför EU", "", 7410),
    (3231, "Försäljning inom byggsektorn, omvänd skattskyldighet moms", "VRS", 7410),
    (3308, "Försäljning tjänster till land inom EU", "", 7410),
    (3740, "Öres- och kronutjämning", "", 7410),
    (4010, "Inköp material och varor", "", 7511),
    (5010, "Lokalhyra", "", 7513),
    (6570, "Bankkostnader", "", 7513),
    (7010, "Löner till kollektivanställda", "", 7514),
    (7210, "Löner till tjänstemän", "", 7514),
    (7510, "Arbetsgivaravgifter 31,42 %", "", 7515),
    (8310, "Ränteintäkter från omsättningstillgångar", "", 7417),
]
PREDEFINED_ACCOUNTS = {
    "SALES_25_SE": 3001, "SALES_12_SE": 3002, "SALES_6_SE": 3003, "SALES_0_SE": 3004,
    "SALES_SE_REVERSED_VAT": 3231, "SALES_EU_SERVICES": 3308, "SALES_EXPORT": 3105,
    "OUTVAT_MP1": 2611, "OUTVAT_MP2": 2621, "OUTVAT_MP3": 2631, "INVAT": 2641,
    "CUSTOMER_CLAIM": 1510, "SUPPLIER_DEBT": 2440, "CASH": 1910, "BANK": 1930,
    "ROUNDOFF": 3740, "SALARY": 7010,
}
ARTICLES = [
    {"ArticleNumber": "ARB", "Description": "Arbete snickare", "Unit": "tim",
     "SalesPrice": 650.0, "VAT": 25, "SalesAccount": 3041, "Type": "SERVICE"},
    {"ArticleNumber": "ARB-EL", "Description": "Arbete elektriker", "Unit": "tim",
     "SalesPrice": 720.0, "VAT": 25, "SalesAccount": 3041, "Type": "SERVICE"},
    {"ArticleNumber": "MTRL", "Description": "Byggmaterial", "Unit": "st",
     "SalesPrice": 100.0, "VAT": 25, "SalesAccount": 3051, "Type": "STOCK"},
    {"ArticleNumber": "STÄLL", "Description": "Ställningshyra per vecka", "Unit": "v",
     "SalesPrice": 1500.0, "VAT": 25, "SalesAccount": 3001, "Type": "SERVICE"},
    {"ArticleNumber": "RESA", "Description": "Resekostnad", "Unit": "km",
     "SalesPrice": 35.0, "VAT": 25, "SalesAccount": 3001, "Type": "SERVICE"},
]
# Salary codes (lönearter) the simulator accepts on salary transactions.
SALARY_CODES = {"11": "Månadslön", "13": "Timlön", "15": "Övertid", "22": "Sjuklön",
                "31": "Semesterlön", "41": "Traktamente inrikes heldag",
                "51": "Bilersättning skattefri"}


def _new_tenant_id():
    while True:
        candidate = str(secrets.randbelow(8_000_000) + 1_000_000)
        if not SandboxTenant.objects.filter(provider=PROVIDER, external_id=candidate).exists():
            return candidate


def _ensure(tenant, kind, remote_id, data):
    """Create the record unless it exists (so seeding never undoes a user's edits)."""
    if not store.exists(tenant, kind, remote_id):
        store.create(tenant, kind, remote_id, data)


def populate(tenant):
    """Chart of accounts, articles, salary codes and company settings (idempotent)."""
    year = store.today().year
    for number, description, vat_code, sru in ACCOUNTS:
        _ensure(tenant, "account", number, store.fill(fields.ACCOUNT, {
            "Number": number, "Description": description, "VATCode": vat_code, "SRU": sru,
            "Active": True, "Year": year, "CostCenterSettings": "ALLOWED",
            "ProjectSettings": "ALLOWED", "QuantitySettings": "ALLOWED",
            "TransactionInformationSettings": "ALLOWED"}))
    for article in ARTICLES:
        _ensure(tenant, "article", article["ArticleNumber"],
                store.fill(fields.ARTICLE, {**article, "Active": True}))
    data = dict(tenant.data)
    data.setdefault("PredefinedAccounts", dict(PREDEFINED_ACCOUNTS))
    data.setdefault("SalaryCodes", dict(SALARY_CODES))
    data.setdefault("LockedPeriodEnd", f"{year - 2}-12-31")
    if data != tenant.data:
        tenant.data = data
        tenant.save(update_fields=["data"])
    return tenant


def seed_company(name="Frost Bygg AB", *, organisation_number="556677-8899", tenant_id=None,
                 **company):
    """A company with its own TenantId (random 7 digits unless given), populated."""
    info = {**DEMO_COMPANY, "CompanyName": name, "OrganizationNumber": organisation_number,
            **company}
    with transaction.atomic():
        tenant, created = SandboxTenant.objects.get_or_create(
            provider=PROVIDER, external_id=tenant_id or _new_tenant_id(),
            defaults={"name": name, "data": {"CompanyInformation": info}})
    return populate(tenant)


def seed_app(client_id=None, client_secret=None, *, redirect_uris=(), name="The hub"):
    """A developer app; returns the SandboxClient (read `.client_id`, `.client_secret`)."""
    client, _ = SandboxClient.objects.get_or_create(
        provider=PROVIDER, client_id=client_id or f"app-{secrets.token_hex(6)}",
        defaults={"client_secret": client_secret or secrets.token_urlsafe(18), "name": name,
                  "redirect_uris": "\n".join(redirect_uris)})
    for uri in redirect_uris:
        add_redirect_uri(client, uri)
    return client


def add_redirect_uri(client, uri):
    if not client.allows_redirect_uri(uri):
        client.redirect_uris = "\n".join([*client.redirect_uri_list, uri])
        client.save(update_fields=["redirect_uris"])
    return client


def grant_service_account(tenant, client_id, scope=ALL_SCOPES):
    """The consent an administrator gives with account_type=service."""
    return oauth.grant_service_consent(tenant, client_id, scope)


def access_headers(tenant, client_id=DEMO_CLIENT_ID, scope=ALL_SCOPES, ttl=3600):
    token = tokens.issue_access_token(PROVIDER, tenant=tenant, client_id=client_id,
                                      scope=scope, ttl=ttl)
    return {"Authorization": f"Bearer {token.value}"}


def seed_demo():
    """The published demo app and company (idempotent)."""
    app = seed_app(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, redirect_uris=[DEMO_REDIRECT_URI],
                   name="Nordic accounting hub (demo)")
    company = seed_company("Frost Bygg AB", tenant_id=DEMO_TENANT_ID)
    if app.client_id not in oauth.service_consents(company):
        grant_service_account(company, app.client_id)
    return app, company
