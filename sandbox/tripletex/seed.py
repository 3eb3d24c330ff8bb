"""The demo data Tripletex's test environment would hand out: our API consumer token (the value
the hub's settings carry in development) and a car dealer's test company with an employee token
made for our application, as the dealer would create it under "My profile -> API access".

Every company starts with the reference data a new Norwegian Tripletex company has, cut to what
a car dealer's invoices need: NOK, the standard VAT types (SAF-T codes, `id` = `number` here),
sales accounts with their default VAT type, receivables 1500, bank 1920, output VAT 2700, and
two payment types (bank, cash).

`seed()` is idempotent (`manage.py sandbox_seed`) and re-activates the demo employee token if
someone deactivated it. Tests call `seed_company()` for a fresh company (its employee token in
`tenant.secret`), so no test depends on another's state.
"""

import secrets

from django.db import transaction
from django.db.models import Max

from sandbox.models import SandboxClient, SandboxRecord, SandboxTenant
from sandbox.tripletex import store
from sandbox.tripletex.store import SLUG

CONSUMER_NAME = "hub-demo"
CONSUMER_TOKEN = "test-consumer-7c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f"
APP_NAME = "Nordic accounting hub (demo)"
NORDBIL_COMPANY_ID = "9100001"
NORDBIL_NAME = "Nordbil Tripletex AS"
NORDBIL_ORGANIZATION_NUMBER = "923456781"
NORDBIL_EMPLOYEE_TOKEN = "test-employee-0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e"

# (id = number, name, percentage, typeOfVat)
VAT_TYPES = (
    (0, "Ingen avgiftsbehandling", 0, "LEDGER"),
    (1, "Fradrag inngående avgift, høy sats", 25, "INCOMING"),
    (11, "Fradrag inngående avgift, middels sats", 15, "INCOMING"),
    (13, "Fradrag inngående avgift, lav sats", 12, "INCOMING"),
    (3, "Utgående avgift, høy sats", 25, "OUTGOING"),
    (31, "Utgående avgift, middels sats", 15, "OUTGOING"),
    (33, "Utgående avgift, lav sats", 12, "OUTGOING"),
    (5, "Ingen utgående avgift (innenfor mva-loven)", 0, "OUTGOING"),
    (6, "Ingen utgående avgift (utenfor mva-loven)", 0, "OUTGOING"),
    (52, "Utførsel av varer og tjenester", 0, "OUTGOING"),
)
# (number, name, default VAT type or None, type, extra)
ACCOUNTS = (
    (1500, "Kundefordringer", None, "ASSETS", {"isCloseable": True, "ledgerType": "CUSTOMER"}),
    (1900, "Kontanter", None, "ASSETS", {}),
    (1920, "Bankinnskudd", None, "ASSETS", {"isBankAccount": True,
                                           "bankAccountNumber": "15030012345"}),
    (2700, "Utgående merverdiavgift", None, "LIABILITIES", {}),
    (3000, "Salgsinntekt, avgiftspliktig", 3, "OPERATING_REVENUES", {}),
    (3010, "Salg av kjøretøy, avgiftspliktig", 3, "OPERATING_REVENUES", {}),
    (3020, "Salg av tilbehør og deler, avgiftspliktig", 3, "OPERATING_REVENUES", {}),
    (3100, "Salg av verkstedtjenester, avgiftspliktig", 3, "OPERATING_REVENUES", {}),
    (3200, "Salgsinntekt, avgiftsfri", 5, "OPERATING_REVENUES", {}),
    (3600, "Omsetning utenfor merverdiavgiftsloven", 6, "OPERATING_REVENUES", {}),
    (4000, "Innkjøp av varer", 1, "OPERATING_EXPENSES", {}),
)
ACCOUNT_IDS_START = 48_000_001
# (id, description, debit account)
PAYMENT_TYPES = ((28_000_001, "Betalt til bank", 1920), (28_000_002, "Kontant", 1900))


def ensure_consumer():
    client, _ = SandboxClient.objects.update_or_create(
        provider=SLUG, client_id=CONSUMER_NAME,
        defaults={"client_secret": CONSUMER_TOKEN, "name": APP_NAME})
    return client


def _next_company_id():
    highest = (SandboxTenant.objects.filter(provider=SLUG)
               .aggregate(Max("external_id"))["external_id__max"])
    return str(max(int(highest or 0) + 1, int(NORDBIL_COMPANY_ID) + 1))


def add_employee_token(tenant, *, token=None, consumer=CONSUMER_NAME):
    """A new employee token for `consumer`, as the customer makes one in the GUI."""
    token = token or f"test-{secrets.token_hex(16)}"
    return store.create(tenant, "EmployeeToken", {
        "token": token, "employee": {"id": 1}, "apiConsumer": None, "expirationDate": None,
        "_consumer": consumer, "_active": True})


def _reference_data(tenant, organization_number):
    store.create(tenant, "Currency", {"code": "NOK", "description": "Norske kroner",
                                      "factor": 1, "displayName": "NOK", "isDisabled": False},
                 object_id=1)
    store.create(tenant, "Employee", {"firstName": "Demo", "lastName": "Regnskap",
                                      "displayName": "Demo Regnskap",
                                      "email": "regnskap@example.no", "userType": "EXTENDED",
                                      "isContact": False}, object_id=1)
    store.create(tenant, "Company", {"name": tenant.name, "displayName": tenant.name,
                                     "organizationNumber": organization_number,
                                     "type": "AS", "currency": {"id": 1}},
                 object_id=int(tenant.external_id))
    for number, name, percentage, type_of_vat in VAT_TYPES:
        store.create(tenant, "VatType", {
            "name": name, "number": str(number), "displayName": f"{number} {name}",
            "percentage": float(percentage), "deductionPercentage": 100.0,
            "_typeOfVat": type_of_vat}, object_id=number)
    ids = {}
    for offset, (number, name, vat, kind, extra) in enumerate(ACCOUNTS):
        record = store.create(tenant, "Account", {
            "number": number, "numberPretty": str(number), "name": name,
            "displayName": f"{number} {name}", "description": "", "type": kind,
            "vatType": {"id": vat if vat is not None else 0}, "vatLocked": vat is not None,
            "ledgerType": "GENERAL", "isCloseable": False, "isBankAccount": False,
            "isInactive": False, "isInvoiceAccount": False, "saftCode": str(number),
            "isApplicableForSupplierInvoice": kind == "OPERATING_EXPENSES",
            "requireReconciliation": False, "requiresDepartment": False,
            "requiresProject": False, "currency": {"id": 1}, **extra},
            object_id=ACCOUNT_IDS_START + offset)
        ids[number] = record.remote_id
    for payment_id, description, debit in PAYMENT_TYPES:
        store.create(tenant, "PaymentType", {
            "description": description, "displayName": description,
            "debitAccount": store.ref(ids[debit]), "creditAccount": store.ref(ids[1500]),
            "sequence": payment_id % 10}, object_id=payment_id)


def seed_company(name, *, organization_number="", company_id=None, employee_token=None):
    """A new test company with its reference data and one employee token for our consumer
    (also in `tenant.secret`)."""
    ensure_consumer()
    with transaction.atomic():
        tenant = SandboxTenant.objects.create(
            provider=SLUG, external_id=company_id or _next_company_id(), name=name,
            data={"organizationNumber": organization_number, "country": "NO",
                  "currency": "NOK"})
        _reference_data(tenant, organization_number)
        token = add_employee_token(tenant, token=employee_token)
        tenant.secret = token.data["token"]
        tenant.save(update_fields=["secret"])
    return tenant


def seed():
    ensure_consumer()
    tenant = SandboxTenant.objects.filter(provider=SLUG, external_id=NORDBIL_COMPANY_ID).first()
    if tenant is None:
        seed_company(NORDBIL_NAME, organization_number=NORDBIL_ORGANIZATION_NUMBER,
                     company_id=NORDBIL_COMPANY_ID, employee_token=NORDBIL_EMPLOYEE_TOKEN)
        return
    token = SandboxRecord.objects.filter(tenant=tenant, kind="EmployeeToken",
                                         data__token=NORDBIL_EMPLOYEE_TOKEN).first()
    if token is None:
        add_employee_token(tenant, token=NORDBIL_EMPLOYEE_TOKEN)
    elif not token.data.get("_active", True):
        token.data["_active"] = True
        store.save(token)
