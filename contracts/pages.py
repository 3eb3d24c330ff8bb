"""The dealer's staff pages (contracts, cars) and the customer profile, shared by both kinds of
organization: a customer's contracts, quotes, invoices and projects on one page."""

from django.utils.translation import gettext_lazy as _

from accounting.models import Customer
from accounting.recordpages import Column, RecordPage, RelatedTable
from contracts.models import Car, Contract

NS = "contracts"


def address(customer):
    return ", ".join(p for p in (customer.street, f"{customer.postal_code} {customer.city}".strip(),
                                 customer.country) if p)


def contract_columns():
    return (
        Column(_("Number"), "number", link="self"),
        Column(_("Customer"), "customer", link=True),
        Column(_("Car"), "car", link=True),
        Column(_("Status"), "get_status_display", kind="badge"),
        Column(_("Accounting"), "get_accounting_state_display", kind="badge"),
        Column(_("Signed"), "signed_on", kind="date"),
        Column(_("Total excl. VAT"), "total_excl_vat", kind="money"),
    )


def document_columns():
    return (
        Column(_("Number"), "number", link="self"),
        Column(_("Date"), "issue_date", kind="date"),
        Column(_("Status"), "get_status_display", kind="badge"),
        Column(_("Total excl. VAT"), "total_excl_vat", kind="money"),
    )


CUSTOMER = RecordPage(
    model=Customer,
    name="customer",
    namespace=NS,
    url_prefix="customers/",
    title=_("Customers"),
    title_singular=_("Customer"),
    columns=(
        Column(_("Name"), "name", link="self"),
        Column(_("Type"), "get_kind_display"),
        Column(_("Organization number"), "org_number"),
        Column(_("E-mail"), "email"),
        Column(_("Phone"), "phone"),
        Column(_("City"), "city"),
    ),
    fields=(
        Column(_("Name"), "name"),
        Column(_("Type"), "get_kind_display"),
        Column(_("Organization number"), "org_number"),
        Column(_("E-mail"), "email"),
        Column(_("Phone"), "phone"),
        Column(_("Address"), address),
    ),
    related=(
        RelatedTable(_("Contracts"), "contracts", contract_columns(), hide_when_empty=True),
        RelatedTable(_("Projects"), "project_set", hide_when_empty=True, columns=(
            Column(_("Number"), "number", link="self"),
            Column(_("Name"), "name"),
            Column(_("Active"), "is_active", kind="bool"),
        )),
        RelatedTable(_("Quotes"), "quote_set", document_columns(), hide_when_empty=True),
        RelatedTable(_("Invoices"), "invoice_set", document_columns(), hide_when_empty=True),
    ),
    search_fields=("name", "org_number", "email", "phone", "city"),
    # the accounting system's part (the dealer's flow), then the providers' own panels
    detail_template="contracts/customer_detail.html",
)

CAR = RecordPage(
    model=Car,
    name="car",
    namespace=NS,
    url_prefix="cars/",
    title=_("Cars"),
    title_singular=_("Car"),
    columns=(
        Column(_("Registration number"), "registration_number", link="self"),
        Column(_("Make"), "make", link="self"),
        Column(_("Model"), "model"),
        Column(_("Year"), "year"),
        Column(_("VIN"), "vin"),
    ),
    fields=(
        Column(_("Registration number"), "registration_number"),
        Column(_("VIN"), "vin"),
        Column(_("Make"), "make"),
        Column(_("Model"), "model"),
        Column(_("Year"), "year"),
    ),
    related=(RelatedTable(title=_("Contracts"), rows="contracts", columns=contract_columns()),),
    search_fields=("registration_number", "vin", "make", "model"),
)

CONTRACT = RecordPage(
    model=Contract,
    name="contract",
    namespace=NS,
    url_prefix="contracts/",
    title=_("Contracts"),
    title_singular=_("Contract"),
    columns=contract_columns(),
    fields=(
        Column(_("Number"), "number"),
        Column(_("Status"), "get_status_display", kind="badge"),
        Column(_("Signed"), "signed_on", kind="date"),
        Column(_("Customer"), "customer", link=True),
        Column(_("Car"), "car", link=True),
        Column(_("Currency"), "currency"),
    ),
    related=(
        RelatedTable(
            title=_("Lines"),
            rows="lines",
            columns=(
                Column(_("Category"), "get_category_display"),
                Column(_("Description"), "description"),
                Column(_("Quantity"), "quantity", kind="quantity"),
                Column(_("Unit price"), "unit_price", kind="money"),
                Column(_("VAT"), "vat_label"),
                Column(_("Amount"), "amount", kind="money"),
            ),
            total=lambda contract: contract.total_excl_vat,
            total_label=_("Total excl. VAT"),
            empty_text=_("The contract has no lines yet."),
        ),
    ),
    search_fields=("number", "customer__name", "car__registration_number", "car__vin"),
    select_related=("customer", "car"),
    prefetch_related=("lines",),
    create_url_name="contract_create",
    edit_url_name="contract_edit",
    heading=lambda contract: _("Contract %(number)s") % {"number": contract.number},
    # the accounting system's buttons, badge and numbers (the dealer's flow)
    detail_template="contracts/contract_detail.html",
)

PAGES = (CONTRACT, CUSTOMER, CAR)
