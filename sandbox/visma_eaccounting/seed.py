"""Published demo data of the Visma eAccounting simulator, as Visma's developer portal would hand
it out, and builders for tests that need a fresh, independent company or app.

- `seed_demo()` (the Simulator's `seed=`, run by `manage.py sandbox_seed`; idempotent): the
  developer app `hub-demo-visma` / `hub-demo-visma-secret` with the hub's redirect URI
  (`<APP_BASE_URL>/api/integrations/visma/callback`; APP_BASE_URL from Django's settings when
  set, as the hub builds its own), and Frost Bygg AB's company (customer_id
  `DEMO_CUSTOMER_ID`) with its company settings, terms of payment, units, article account
  codings, VAT codes, fiscal years, chart of accounts, a bank account and articles.
- `seed_company(name, ...)`: a new company with the same reference data (the consent page
  uses it for a company named there).
- `seed_app(...)`: a new developer app; `add_redirect_uri` registers one more redirect URI
  (a live test server's own callback).
- `access_headers(tenant, client_id, scope)`: an `Authorization: Bearer` header for tests
  that skip the consent flow.

Reference data gets ids derived from the company and the entry (uuid5), so the same company
always has the same ids and two companies never share one. ASSUMED (the docs give no list):
the VAT codes are the Swedish VAT return's boxes (10/11/12 output VAT 25/12/6 %, 41 reverse
charge on construction, 42 exempt), with `VatRate` as a fraction (0.25) like every other rate
of the API.
"""

import uuid

from django.conf import settings

from sandbox.models import SandboxClient
from sandbox.visma_eaccounting import identity, store

PROVIDER = identity.REALM
DEMO_CLIENT_ID = "hub-demo-visma"
DEMO_CLIENT_SECRET = "hub-demo-visma-secret"  # demo only, published in config/dev.env
CALLBACK_PATH = "/api/integrations/visma/callback"
DEMO_REDIRECT_URI = "http://127.0.0.1:8000" + CALLBACK_PATH
DEMO_CUSTOMER_ID = "5e0c3f1a-7b2d-4c59-9a61-0f3b8d2e7a41"
ALL_SCOPES = "ea:api ea:sales ea:accounting ea:purchase vls:api offline_access"

COMPANY = {
    "Name": "Frost Bygg AB", "CorporateIdentityNumber": "556677-8899", "CountryCode": "SE",
    "CurrencyCode": "SEK", "Address1": "Byggvägen 12", "PostalCode": "113 45",
    "City": "Stockholm", "Phone": "08-123 456 00", "Email": "ekonomi@frostbygg.se",
    "ProductVariant": 1, "CompanyStatus": 1, "TypeOfBusiness": 1, "VatPeriod": 3,
    "UsesProject": False, "UsesCostCenter": False, "KeepOriginalDraftDate": False,
    "IsPayslipActivated": True, "UsesReverseConstructionVat": True,
    "UsesRotReducedInvoicing": True, "UsesPaymentReferenceNumber": False,
    "ShowPricesExclVatPC": False, "AccountNumberDigits": 4, "DomesticCurrencyRounding": 1,
    "ActivatedModules": ["api_standard", "sales_standard", "quote_standard"],
}
TERMS = [("30 dagar netto", "30 days net", 30, 0), ("10 dagar netto", "10 days net", 10, 0),
         ("Kontant", "Cash", 0, 2)]
UNITS = [("st", "Styck", "pcs"), ("tim", "Timme", "h"), ("km", "Kilometer", "km"),
         ("v", "Vecka", "wk")]
# (name, English name, type, VAT rate, domestic sales account)
CODINGS = [
    ("Varor 25 %", "Goods 25%", "Goods", 0.25, 3001),
    ("Tjänster 25 %", "Services 25%", "Service", 0.25, 3041),
    ("Varor 12 %", "Goods 12%", "Goods", 0.12, 3002),
    ("Tjänster 6 %", "Services 6%", "Service", 0.06, 3003),
    ("Momsfri försäljning", "VAT exempt sales", "Service", 0.0, 3004),
]
REVERSED_CONSTRUCTION_ACCOUNT = 3231
# (code, description, rate, related accounts)
VAT_CODES = [
    ("10", "Utgående moms 25 %", 0.25, (2611,)),
    ("11", "Utgående moms 12 %", 0.12, (2621,)),
    ("12", "Utgående moms 6 %", 0.06, (2631,)),
    ("41", "Försäljning med omvänd betalningsskyldighet, byggtjänster", 0.0, (3231,)),
    ("42", "Momsfri försäljning", 0.0, (3004,)),
    ("48", "Ingående moms att dra av", 0.25, (2641,)),
]
# (number, name, VAT code)
ACCOUNTS = [
    (1510, "Kundfordringar", None), (1930, "Företagskonto", None),
    (2440, "Leverantörsskulder", None), (2611, "Utgående moms 25 %", "10"),
    (2621, "Utgående moms 12 %", "11"), (2631, "Utgående moms 6 %", "12"),
    (2641, "Debiterad ingående moms", "48"),
    (3001, "Försäljning inom Sverige, 25 % moms", "10"),
    (3002, "Försäljning inom Sverige, 12 % moms", "11"),
    (3003, "Försäljning inom Sverige, 6 % moms", "12"),
    (3004, "Försäljning inom Sverige, momsfri", "42"),
    (3041, "Försäljning tjänster, 25 % moms", "10"),
    (3231, "Försäljning inom byggsektorn, omvänd betalningsskyldighet", "41"),
    (3740, "Öres- och kronutjämning", None), (4010, "Inköp material och varor", None),
    (6570, "Bankkostnader", None),
]
# (number, name, coding index, unit, net price)
ARTICLES = [
    ("ARB", "Arbete snickare", 1, "tim", 650.0), ("ARB-EL", "Arbete elektriker", 1, "tim", 720.0),
    ("MTRL", "Byggmaterial", 0, "st", 100.0), ("STÄLL", "Ställningshyra per vecka", 1, "v", 1500.0),
    ("RESA", "Resekostnad", 1, "km", 35.0),
]


def ref_id(tenant, kind, key):
    """The id of a company's reference entry: the same for the same company and entry."""
    return str(uuid.uuid5(uuid.UUID(tenant.external_id) if _is_guid(tenant.external_id)
                          else uuid.NAMESPACE_URL, f"{tenant.external_id}/{kind}/{key}"))


def _is_guid(text):
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _ensure(tenant, kind, key, data):
    """Create the entry unless it exists (so seeding never undoes what a user changed)."""
    remote_id = ref_id(tenant, kind, key)
    found = store.find(tenant, kind, remote_id)
    if found is None:
        found = store.create(tenant, kind, data, remote_id, with_id=kind != "account")
    if kind == "article" and not store.number_taken(tenant, kind, found.data["Number"]):
        store.claim_number(tenant, kind, found.data["Number"], "Number")
    return found


def populate(tenant):
    """Company settings and reference data (idempotent)."""
    if "CompanySettings" not in tenant.data:
        tenant.data = {**tenant.data, "CompanySettings": {
            **COMPANY, "Name": tenant.name, "CompanyIdentifier": tenant.external_id[:8]}}
        tenant.save(update_fields=["data"])
    changed = store.stamp()
    for name, english, days, kind in TERMS:
        _ensure(tenant, "termsofpayment", name, {
            "Name": name, "NameEnglish": english, "NumberOfDays": days,
            "TermsOfPaymentTypeId": kind, "TermsOfPaymentTypeText": ["Normal", "", "Cash"][kind],
            "AvailableForSales": True, "AvailableForPurchase": True})
    for code, name, english in UNITS:
        _ensure(tenant, "unit", code, {"Code": code, "Name": name, "Abbreviation": code,
                                       "AbbreviationEnglish": english})
    for name, english, kind, rate, account in CODINGS:
        _ensure(tenant, "articleaccountcoding", name, {
            "Name": name, "NameEnglish": english, "Type": kind,
            "VatRate": f"{round(rate * 100)}%", "VatRatePercent": rate, "IsActive": True,
            "DomesticSalesSubjectToVatAccountNumber": account,
            "DomesticSalesSubjectToReversedConstructionVatAccountNumber":
                REVERSED_CONSTRUCTION_ACCOUNT,
            "DomesticSalesVatExemptAccountNumber": 3004, "ChangedUtc": changed})
    for code, description, rate, accounts in VAT_CODES:
        related = {f"AccountNumber{index}": number
                   for index, number in enumerate(accounts, start=1)}
        _ensure(tenant, "vatcode", code, {"Code": code, "Description": description,
                                          "VatRate": rate, "OssCodeType": 0,
                                          "RelatedAccounts": related})
    year = store.today().year
    for offset in (-1, 0):
        _ensure(tenant, "fiscalyear", year + offset, {
            "StartDate": f"{year + offset}-01-01T00:00:00",
            "EndDate": f"{year + offset}-12-31T00:00:00",
            "IsLockedForAccounting": False, "BookkeepingMethod": 0})
        fiscal_year = ref_id(tenant, "fiscalyear", year + offset)
        for number, name, vat_code in ACCOUNTS:
            _ensure(tenant, "account", f"{year + offset}/{number}", {
                "FiscalYearId": fiscal_year, "Number": str(number), "Name": name,
                "IsActive": True, "VatCodeId": vat_code and ref_id(tenant, "vatcode", vat_code),
                "VatCodeDescription": vat_code and dict(
                    (code, text) for code, text, *_ in VAT_CODES)[vat_code],
                "Type": 1 if number < 3000 else 2, "CreatedUtc": changed,
                "ModifiedUtc": changed})
    _ensure(tenant, "bankaccount", "1930", {
        "Name": "Företagskonto", "BankAccountType": 1, "LedgerAccountNumber": 1930,
        "Bban": "5566-1234567", "IsActive": True, "IsDefaultChequeAccount": True,
        "CurrencyCode": "SEK", "ModifiedUtc": changed})
    for number, name, coding, unit, price in ARTICLES:
        coding_name = CODINGS[coding][0]
        _ensure(tenant, "article", number, {
            "Number": number, "Name": name, "NameEnglish": name, "IsActive": True,
            "CodingId": ref_id(tenant, "articleaccountcoding", coding_name),
            "CodingName": coding_name, "UnitId": ref_id(tenant, "unit", unit),
            "UnitName": dict((u[0], u[1]) for u in UNITS)[unit], "UnitAbbreviation": unit,
            "NetPrice": price, "GrossPrice": round(price * (1 + CODINGS[coding][3]), 2),
            "IsServiceArticle": CODINGS[coding][2] == "Service", "IsStock": False,
            "CreatedUtc": changed, "ChangedUtc": changed})
    return tenant


def seed_company(name="Frost Bygg AB", *, customer_id=None):
    """A company (a new customer_id unless given), populated."""
    return populate(identity.ensure_company(name, customer_id))


def seed_app(client_id=None, client_secret=None, *, redirect_uris=(), name="The hub"):
    """A developer app; returns the SandboxClient (read `.client_id`, `.client_secret`)."""
    client, _ = SandboxClient.objects.get_or_create(
        provider=PROVIDER, client_id=client_id or f"app-{uuid.uuid4().hex[:12]}",
        defaults={"client_secret": client_secret or uuid.uuid4().hex, "name": name})
    for uri in redirect_uris:
        add_redirect_uri(client, uri)
    return client


def add_redirect_uri(client, uri):
    if not client.allows_redirect_uri(uri):
        client.redirect_uris = "\n".join([*client.redirect_uri_list, uri])
        client.save(update_fields=["redirect_uris"])
    return client


def demo_redirect_uris():
    """The demo app's callbacks: the published one, and the hub's own at APP_BASE_URL."""
    base = getattr(settings, "APP_BASE_URL", "").rstrip("/")
    return list(dict.fromkeys([DEMO_REDIRECT_URI] + ([base + CALLBACK_PATH] if base else [])))


def access_headers(tenant, client_id=DEMO_CLIENT_ID, scope=ALL_SCOPES, ttl=3600):
    value = identity.issue_access_token(tenant, client_id, scope, ttl=ttl)
    return {"Authorization": f"Bearer {value}"}


def seed_demo():
    """The published demo app and company (idempotent)."""
    app = seed_app(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, redirect_uris=demo_redirect_uris(),
                   name="Nordic accounting hub (demo)")
    company = seed_company("Frost Bygg AB", customer_id=DEMO_CUSTOMER_ID)
    return app, company


identity.on_company_created(populate)
