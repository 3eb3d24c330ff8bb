"""The demo data PowerOffice Go's developer portal would hand out: one integration (application
key + subscription key, the values in config/dev.env) and two demo client companies with their
client keys, one allowed to send invoices and one not.

Every company gets the same reference data a new Go client starts with, cut to what a car
dealer's invoices need: SAF-T VAT codes, sales accounts locked to a VAT code, payment terms of
14 (the default) and 30 days, one project and one department.

`seed()` is idempotent (`manage.py sandbox_seed`); it also restores a demo company's published
client key if someone removed the integration from it. Tests call `seed_company()` for a fresh
company of their own, so no test depends on another's state.
"""

import random
import uuid
from dataclasses import dataclass

from django.db import transaction

from sandbox.models import SandboxClient, SandboxTenant
from sandbox.poweroffice_go import store
from sandbox.poweroffice_go.store import SLUG

APPLICATION_KEY = "0d1e2f30-4a5b-4c6d-8e7f-90a1b2c3d4e5"
SUBSCRIPTION_KEY = "5b0ffe1cdeadbeef0123456789abcdef"
APP_NAME = "Nordic accounting hub (demo)"

# UNCONFIRMED: Go does not publish the name of the invoice-sending privilege; this one follows
# the `goAllowSendInvoice` token claim and the `AllowSendInvoice` flag.
SEND_INVOICE_PRIVILEGE = "SendInvoice"
PRIVILEGES = (
    "ClientAdmin", "CommonServices_Full", "Customer_Full", "CustomerLedger_Full",
    "Department_Full", "GeneralLedgerAccount_Full", "OutgoingInvoice_Full", "Product_Full",
    "Project_Full", "SalesOrders_Full", SEND_INVOICE_PRIVILEGE,
)
SUBSCRIPTIONS = ("Accounting", "TimeTracking")
CUSTOMER_NUMBERS = (10000, 19999)


@dataclass(frozen=True)
class DemoCompany:
    name: str
    organization_number: str
    client_key: str
    client_id: str
    allow_send_invoice: bool


NORDBIL = DemoCompany("Nordbil Demo AS", "912345678", "c0ffee00-1111-4222-8333-444455556666",
                      "5e1d7c2a-9b3f-4a61-8d20-1f0e2d3c4b5a", True)
NO_INVOICE_SENDING = DemoCompany(
    "Uten Fakturatilgang AS", "987654321", "c0ffee00-2222-4333-8444-555566667777",
    "7a2b3c4d-5e6f-4a70-8b91-c2d3e4f5a6b7", False)
DEMO_COMPANIES = (NORDBIL, NO_INVOICE_SENDING)

# (code, name, rate): Norwegian SAF-T codes, as Go names them.
VAT_CODES = (
    ("0", "Ingen mva-behandling", "0"),
    ("1", "Inngående mva høy sats", "0.25"),
    ("3", "Utgående mva høy sats", "0.25"),
    ("31", "Utgående mva middels sats", "0.15"),
    ("33", "Utgående mva lav sats", "0.12"),
    ("5", "Innenlands omsetning fritatt for mva", "0"),
    ("6", "Omsetning utenfor merverdiavgiftsloven", "0"),
)
# (account no, name, VAT code or None, type)
ACCOUNTS = (
    (1500, "Kundefordringer", None, "Asset"),
    (1920, "Bankinnskudd", None, "Asset"),
    (2700, "Utgående merverdiavgift, høy sats", None, "Liability"),
    (3000, "Salgsinntekt, avgiftspliktig", "3", "Income"),
    (3010, "Salg av kjøretøy, avgiftspliktig", "3", "Income"),
    (3020, "Salg av tilbehør, avgiftspliktig", "3", "Income"),
    (3100, "Salg av verkstedtjenester, avgiftspliktig", "3", "Income"),
    (3200, "Salgsinntekt, avgiftsfri", "5", "Income"),
    (3600, "Omsetning utenfor merverdiavgiftsloven", "6", "Income"),
    (4000, "Innkjøp av varer", "1", "Expense"),
)
DEFAULT_STANDARD_SALES_ACCOUNT, DEFAULT_OPTIONAL_SALES_ACCOUNT = 3000, 3200


def ensure_developer_app(application_key=APPLICATION_KEY, subscription_key=SUBSCRIPTION_KEY,
                         *, name=APP_NAME, redirect_uris=""):
    """The registered integration: `client_id` is its application key and `client_secret`
    its subscription key (both per integration and environment). Redirect URIs on localhost
    are always accepted (Go allows localhost while testing); others must be listed here."""
    app, created = SandboxClient.objects.get_or_create(
        provider=SLUG, client_id=application_key,
        defaults={"client_secret": subscription_key, "name": name,
                  "redirect_uris": redirect_uris})
    if not created and app.client_secret != subscription_key:
        app.client_secret = subscription_key
        app.save(update_fields=["client_secret"])
    return app


def _organization_number():
    return str(random.SystemRandom().randint(900_000_000, 999_999_999))


def seed_company(name="Testbil AS", *, organization_number=None, client_key=None,
                 client_id=None, allow_send_invoice=True, application_key=APPLICATION_KEY,
                 user_email=None):
    """A new client company with the integration activated and Go's starting reference data.
    Keys and ids are fresh GUIDs unless given. Returns the `SandboxTenant`; its client key is
    `tenant.secret`, its ClientId `tenant.external_id`."""
    invalid = [] if allow_send_invoice else [SEND_INVOICE_PRIVILEGE]
    with transaction.atomic():
        tenant = SandboxTenant.objects.create(
            provider=SLUG, name=name, external_id=client_id or str(uuid.uuid4()),
            secret=client_key or str(uuid.uuid4()),
            data={"OrganizationNumber": organization_number or _organization_number(),
                  "ApplicationKey": application_key, "IntegrationActive": True,
                  "InvalidPrivileges": invalid, "Subscriptions": list(SUBSCRIPTIONS),
                  "UserEmail": user_email or "regnskap@example.no",
                  "CustomerNumberSeries": list(CUSTOMER_NUMBERS),
                  "DefaultStandardSalesAccount": DEFAULT_STANDARD_SALES_ACCOUNT,
                  "DefaultOptionalSalesAccount": DEFAULT_OPTIONAL_SALES_ACCOUNT})
        ensure_reference_data(tenant)
    return tenant


def ensure_reference_data(tenant):
    """Create each kind of reference data the company has none of."""
    now = store.stamp()
    if not store.records(tenant, store.VAT_CODE).exists():
        for code, name, rate in VAT_CODES:
            vat_id = store.next_id(tenant, store.VAT_CODE)
            store.create(tenant, store.VAT_CODE, vat_id, {
                "Id": vat_id, "Code": code, "Name": name, "Description": name,
                "Rate": float(rate), "ValidFrom": "2017-01-01", "ValidTo": None,
                "IsActive": True, "IsCustom": False, "BaseVatCodeId": None,
                "VatBasisRatio": None, "VatBasisRatioValidFrom": None, "VatBasisRatios": None})
    if not store.records(tenant, store.ACCOUNT).exists():
        vat_ids = {row["Code"]: row["Id"] for row in store.all_data(tenant, store.VAT_CODE)}
        for number, name, vat_code, kind in ACCOUNTS:
            account_id = store.next_id(tenant, store.ACCOUNT)
            store.create(tenant, store.ACCOUNT, account_id, {
                "Id": account_id, "AccountNo": number, "Name": name,
                "VatCode": vat_code, "VatCodeId": vat_ids.get(vat_code),
                "IsVatCodeLocked": vat_code is not None, "IsActive": True,
                "IsProjectRequired": False, "IsDepartmentRequired": False,
                "GeneralLedgerAccountType": kind, "AgricultureDepartment": "None",
                "CurrencyCode": None, "DepartmentId": None, "DepartmentCode": None,
                "Unit1": None, "Unit2": None, "VatReturnSpecification": "None",
                "LastChangedDateTimeOffset": now})
    if not store.records(tenant, store.PAYMENT_TERM).exists():
        for days, is_default in ((14, True), (30, False)):
            term_id = store.next_id(tenant, store.PAYMENT_TERM)
            store.create(tenant, store.PAYMENT_TERM, term_id, {
                "Id": term_id, "Name": f"{days} dager", "CreditDays": days,
                "IsDefault": is_default, "IsActive": True, "CreatedDateTimeOffset": now,
                "LastChangedDateTimeOffset": now})
    if not store.records(tenant, store.DEPARTMENT).exists():
        department_id = store.next_id(tenant, store.DEPARTMENT)
        store.create(tenant, store.DEPARTMENT, department_id, {
            "Id": department_id, "Code": "100", "Name": "Bilsalg", "IsActive": True,
            "ManagerEmployeeId": None, "ManagerEmployeeNo": None,
            "CreatedFromImportJournalId": None, "CreatedDateTimeOffset": now,
            "LastChangedDateTimeOffset": now})
    if not store.records(tenant, store.PROJECT).exists():
        project_id = store.next_id(tenant, store.PROJECT)
        store.create(tenant, store.PROJECT, project_id, {
            "Id": project_id, "Code": "P100", "Name": "Bruktbilsalg", "IsActive": True,
            "ProjectStatus": "Active", "IsBillable": True, "IsInternal": False,
            "CustomerId": None, "CustomerNo": None, "DepartmentId": None,
            "DepartmentCode": None, "PaymentTermId": None, "PaymentTerms": None,
            "ParentProjectId": None, "ParentProjectCode": None, "ProjectManagerEmployeeId": None,
            "ProjectManagerEmployeeNo": None, "StartDate": None, "EndDate": None,
            "ContractNo": None, "PurchaseOrderNo": None, "ExternalNumber": None,
            "LocationId": None, "LocationCode": None, "ProjectBillingMethod": "TimeAndExpenses",
            "CreatedFromImportJournalId": None, "CreatedDateTimeOffset": now,
            "LastChangedDateTimeOffset": now})


def seed():
    """The published demo app and companies (idempotent)."""
    ensure_developer_app()
    for company in DEMO_COMPANIES:
        tenant = SandboxTenant.objects.filter(provider=SLUG, external_id=company.client_id).first()
        if tenant is None:
            seed_company(company.name, organization_number=company.organization_number,
                         client_key=company.client_key, client_id=company.client_id,
                         allow_send_invoice=company.allow_send_invoice,
                         user_email="demo@nordbil.example")
            continue
        tenant.secret = company.client_key
        tenant.data.update({"IntegrationActive": True, "ApplicationKey": APPLICATION_KEY})
        tenant.save(update_fields=["secret", "data"])
        ensure_reference_data(tenant)
