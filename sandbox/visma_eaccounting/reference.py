"""The read-only lists a client caches: company settings, terms of payment, units, article
account codings, VAT codes, fiscal years, the chart of accounts and bank accounts. Their data
comes from seed.py; their scopes from the spec."""

from sandbox.visma_eaccounting import errors, odata, store
from sandbox.visma_eaccounting.api import (
    ACCOUNTING_READ,
    PURCHASE_READ,
    SALES_READ,
    endpoint,
    listing,
)

FISCAL_READ = SALES_READ + ACCOUNTING_READ
COMPANY_COUNTERS = {"NextCustomerNumber": "customer", "NextArticleNumber": "article",
                    "NextCustomerInvoiceNumber": "customerinvoice"}


def company_settings(tenant):
    settings = dict(tenant.data.get("CompanySettings", {}))
    settings.setdefault("Name", tenant.name)
    for field, kind in COMPANY_COUNTERS.items():
        settings[field] = store.next_number_preview(tenant, kind)
    return settings


@endpoint()
def companysettings(request, tenant):
    return store.one(company_settings(tenant))


def _reference(kind, what, *, scopes, filterable=None, single_paginated=False):
    """The list and item views of a read-only kind."""

    @endpoint(read=scopes)
    def collection(request, tenant):
        return listing(request, tenant, kind, filterable=filterable)

    @endpoint(read=scopes)
    def item(request, tenant, item_id):
        record = store.get(tenant, kind, item_id, what)
        if single_paginated:
            return store.page(request, [record.data])
        return store.one(record.data)

    collection.__name__ = kind
    item.__name__ = f"{kind}_item"
    return collection, item


S, N, B, G = odata.STRING, odata.NUMBER, odata.BOOLEAN, odata.GUID
termsofpayments = _reference("termsofpayment", "TermsOfPayment", scopes=SALES_READ + PURCHASE_READ,
                             filterable={"Name": S, "NumberOfDays": N,
                                         "AvailableForSales": B})
units = _reference("unit", "Unit", scopes=SALES_READ, filterable={"Code": S, "Name": S})
articleaccountcodings = _reference("articleaccountcoding", "ArticleAccountCoding",
                                   scopes=SALES_READ,
                                   filterable={"Name": S, "Type": S, "IsActive": B})
# The spec answers GET /vatcodes/{id} with PaginatedResponse[VatCodeApi]; so does this.
vatcodes = _reference("vatcode", "VatCode", scopes=ACCOUNTING_READ,
                      filterable={"Code": S, "Description": S, "VatRate": N},
                      single_paginated=True)
fiscalyears = _reference("fiscalyear", "FiscalYear", scopes=FISCAL_READ)
bankaccounts = _reference("bankaccount", "BankAccount", scopes=PURCHASE_READ,
                          filterable={"Name": S, "LedgerAccountNumber": N, "IsActive": B})

ACCOUNT_FILTERS = {"Number": S, "Name": S, "IsActive": B, "VatCodeId": G, "FiscalYearId": G,
                   "ModifiedUtc": odata.DATETIME}


def current_fiscal_year(tenant):
    """The fiscal year holding today, else the latest one."""
    today = store.today().isoformat()
    years = sorted((record.data for record in store.records(tenant, "fiscalyear")),
                   key=lambda data: data["StartDate"])
    for year in years:
        if year["StartDate"][:10] <= today <= year["EndDate"][:10]:
            return year
    return years[-1] if years else None


def _accounts_of(request, tenant, fiscal_year_id):
    items = [record.data for record in store.records(tenant, "account").order_by("id")
             if record.data.get("FiscalYearId") == fiscal_year_id]
    items.sort(key=lambda data: data["Number"])
    return store.page(request, items, filterable=ACCOUNT_FILTERS,
                      sortable=("Number", "Name"))


@endpoint(read=ACCOUNTING_READ)
def accounts(request, tenant):
    """The accounts of the current fiscal year."""
    year = current_fiscal_year(tenant)
    return _accounts_of(request, tenant, year["Id"] if year else None)


@endpoint(read=ACCOUNTING_READ)
def accounts_of_year(request, tenant, fiscal_year_id):
    year = store.find(tenant, "fiscalyear", fiscal_year_id.lower())
    if year is None:
        errors.fail(404, errors.FISCAL_YEAR_NOT_FOUND,
                    "FiscalYearDoesNotExist - The fiscal year was not found.")
    return _accounts_of(request, tenant, year.remote_id)


@endpoint(read=ACCOUNTING_READ)
def account(request, tenant, fiscal_year_id, number):
    for record in store.records(tenant, "account"):
        if (record.data.get("FiscalYearId") == fiscal_year_id.lower()
                and record.data.get("Number") == number):
            return store.one(record.data)
    errors.fail(404, errors.ACCOUNT_NOT_FOUND, f"AccountNotFound - Account {number} was not "
                                               f"found in that fiscal year.")
