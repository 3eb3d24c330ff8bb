"""The staff pages of the shared business records (the construction firm's record types).

Customers are listed by `contracts.pages` (the customer profile shows contracts, quotes and
invoices together).
"""

from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from accounting.categories import document_category_label, pay_type_label
from accounting.models import ZERO, Employee, Invoice, Payslip, Project, Quote, TimeEntry
from accounting.recordpages import Column, RecordPage, RelatedTable, format_value

NS = "accounting"


def payslip_total(payslip):
    return sum((line.amount for line in payslip.lines.all()), ZERO)


def document_lines():
    """Quote and invoice lines share their shape (`accounting.models.DocumentLine`)."""
    return RelatedTable(
        title=_("Lines"),
        rows="lines",
        columns=(
            Column(_("Category"), lambda line: document_category_label(line.category)),
            Column(_("Description"), "description"),
            Column(_("Quantity"), "quantity", kind="quantity"),
            Column(_("Unit price"), "unit_price", kind="money"),
            Column(_("Discount %"), "discount_percent", kind="quantity"),
            Column(_("Amount"), "amount", kind="money"),
        ),
        total=lambda document: document.total_excl_vat,
        total_label=_("Total excl. VAT"),
    )


def short_date(value):
    return date_format(value, "SHORT_DATE_FORMAT") if value else ""


def time_entry_heading(entry):
    values = {"employee": entry.employee, "date": short_date(entry.date),
              "hours": format_value(entry.hours, "quantity")}
    if entry.absence_kind:
        return _("%(employee)s, %(date)s: %(hours)s h (%(absence)s)") % {
            **values, "absence": entry.get_absence_kind_display()}
    return _("%(employee)s, %(date)s: %(hours)s h") % values


def absence_label(entry):
    """The absence kind, or empty for worked hours."""
    return entry.get_absence_kind_display() if entry.absence_kind else ""


def payslip_heading(payslip):
    return _("Payslip %(employee)s, %(start)s–%(end)s") % {
        "employee": payslip.employee, "start": short_date(payslip.period_start),
        "end": short_date(payslip.period_end)}


def time_entries(rows):
    return RelatedTable(
        title=_("Time entries"),
        rows=rows,
        columns=(
            Column(_("Date"), "date", kind="date", link="self"),
            Column(_("Employee"), "employee", link=True),
            Column(_("Project"), "project", link=True),
            Column(_("Hours"), "hours", kind="quantity"),
            Column(_("Absence"), absence_label),
            Column(_("Description"), "description"),
        ),
        limit=50,
    )


PROJECT = RecordPage(
    model=Project,
    name="project",
    namespace=NS,
    url_prefix="projects/",
    title=_("Projects"),
    title_singular=_("Project"),
    columns=(
        Column(_("Number"), "number", link="self"),
        Column(_("Name"), "name", link="self"),
        Column(_("Customer"), "customer", link=True),
        Column(_("Start"), "start_date", kind="date"),
        Column(_("End"), "end_date", kind="date"),
        Column(_("Active"), "is_active", kind="bool"),
    ),
    fields=(
        Column(_("Number"), "number"),
        Column(_("Name"), "name"),
        Column(_("Customer"), "customer", link=True),
        Column(_("Start"), "start_date", kind="date"),
        Column(_("End"), "end_date", kind="date"),
        Column(_("Active"), "is_active", kind="bool"),
    ),
    related=(time_entries("timeentry_set"),),
    search_fields=("number", "name", "customer__name"),
    select_related=("customer",),
)

EMPLOYEE = RecordPage(
    model=Employee,
    name="employee",
    namespace=NS,
    url_prefix="employees/",
    title=_("Employees"),
    title_singular=_("Employee"),
    columns=(
        Column(_("Employee number"), "employee_number", link="self"),
        Column(_("Name"), str, link="self"),
        Column(_("E-mail"), "email"),
        Column(_("Employed from"), "employed_from", kind="date"),
    ),
    fields=(
        Column(_("Employee number"), "employee_number"),
        Column(_("First name"), "first_name"),
        Column(_("Last name"), "last_name"),
        Column(_("E-mail"), "email"),
        Column(_("Employed from"), "employed_from", kind="date"),
        Column(_("Monthly salary"), "monthly_salary", kind="money"),
    ),
    related=(
        time_entries("time_entries"),
        RelatedTable(
            title=_("Payslips"),
            rows="payslips",
            columns=(
                Column(_("Pay date"), "pay_date", kind="date", link="self"),
                Column(_("Period from"), "period_start", kind="date"),
                Column(_("Period to"), "period_end", kind="date"),
            ),
        ),
    ),
    search_fields=("employee_number", "first_name", "last_name", "email"),
)

TIME_ENTRY = RecordPage(
    model=TimeEntry,
    name="timeentry",
    namespace=NS,
    url_prefix="time-entries/",
    title=_("Time entries"),
    title_singular=_("Time entry"),
    columns=(
        Column(_("Date"), "date", kind="date", link="self"),
        Column(_("Employee"), "employee", link=True),
        Column(_("Project"), "project", link=True),
        Column(_("Hours"), "hours", kind="quantity"),
        Column(_("Absence"), absence_label),
        Column(_("Description"), "description"),
    ),
    fields=(
        Column(_("Date"), "date", kind="date"),
        Column(_("Employee"), "employee", link=True),
        Column(_("Project"), "project", link=True),
        Column(_("Hours"), "hours", kind="quantity"),
        Column(_("Absence"), absence_label),
        Column(_("Description"), "description"),
    ),
    search_fields=("description", "employee__first_name", "employee__last_name", "project__name"),
    select_related=("employee", "project"),
    heading=time_entry_heading,
)

QUOTE = RecordPage(
    model=Quote,
    name="quote",
    namespace=NS,
    url_prefix="quotes/",
    title=_("Quotes"),
    title_singular=_("Quote"),
    columns=(
        Column(_("Number"), "number", link="self"),
        Column(_("Customer"), "customer", link=True),
        Column(_("Project"), "project", link=True),
        Column(_("Date"), "issue_date", kind="date"),
        Column(_("Valid until"), "valid_until", kind="date"),
        Column(_("Status"), "get_status_display", kind="badge"),
        Column(_("Total excl. VAT"), "total_excl_vat", kind="money"),
    ),
    fields=(
        Column(_("Number"), "number"),
        Column(_("Customer"), "customer", link=True),
        Column(_("Project"), "project", link=True),
        Column(_("Date"), "issue_date", kind="date"),
        Column(_("Valid until"), "valid_until", kind="date"),
        Column(_("Status"), "get_status_display", kind="badge"),
        Column(_("Currency"), "currency"),
        Column(_("Our reference"), "our_reference"),
        Column(_("Your reference"), "your_reference"),
    ),
    related=(document_lines(),),
    search_fields=("number", "customer__name", "project__name"),
    select_related=("customer", "project"),
    prefetch_related=("lines",),
    heading=lambda quote: _("Quote %(number)s") % {"number": quote.number or quote.pk},
)

INVOICE = RecordPage(
    model=Invoice,
    name="invoice",
    namespace=NS,
    url_prefix="invoices/",
    title=_("Invoices"),
    title_singular=_("Invoice"),
    columns=(
        Column(_("Number"), "number", link="self"),
        Column(_("Customer"), "customer", link=True),
        Column(_("Date"), "issue_date", kind="date"),
        Column(_("Due date"), "due_date", kind="date"),
        Column(_("Status"), "get_status_display", kind="badge"),
        Column(_("Total excl. VAT"), "total_excl_vat", kind="money"),
        Column(_("Remaining"), "remaining_amount", kind="money"),
    ),
    fields=(
        Column(_("Number"), "number"),
        Column(_("Customer"), "customer", link=True),
        Column(_("Project"), "project", link=True),
        Column(_("Date"), "issue_date", kind="date"),
        Column(_("Due date"), "due_date", kind="date"),
        Column(_("Status"), "get_status_display", kind="badge"),
        Column(_("Currency"), "currency"),
        Column(_("Paid"), "paid_amount", kind="money"),
        Column(_("Remaining"), "remaining_amount", kind="money"),
        Column(_("Our reference"), "our_reference"),
        Column(_("Your reference"), "your_reference"),
    ),
    related=(
        document_lines(),
        RelatedTable(
            title=_("Payments"),
            rows="payments",
            columns=(
                Column(_("Paid on"), "paid_on", kind="date"),
                Column(_("Amount"), "amount", kind="money"),
                Column(_("Reference"), "reference"),
            ),
        ),
    ),
    search_fields=("number", "customer__name", "project__name"),
    select_related=("customer", "project"),
    prefetch_related=("lines",),
    heading=lambda invoice: _("Invoice %(number)s") % {"number": invoice.number or invoice.pk},
)

PAYSLIP = RecordPage(
    model=Payslip,
    name="payslip",
    namespace=NS,
    url_prefix="payslips/",
    title=_("Payslips"),
    title_singular=_("Payslip"),
    columns=(
        Column(_("Pay date"), "pay_date", kind="date", link="self"),
        Column(_("Employee"), "employee", link=True),
        Column(_("Period from"), "period_start", kind="date"),
        Column(_("Period to"), "period_end", kind="date"),
        Column(_("Gross pay"), payslip_total, kind="money"),
    ),
    fields=(
        Column(_("Employee"), "employee", link=True),
        Column(_("Period from"), "period_start", kind="date"),
        Column(_("Period to"), "period_end", kind="date"),
        Column(_("Pay date"), "pay_date", kind="date"),
        Column(_("Currency"), "currency"),
    ),
    related=(
        RelatedTable(
            title=_("Lines"),
            rows="lines",
            columns=(
                Column(_("Pay type"), lambda line: pay_type_label(line.pay_type)),
                Column(_("Description"), "description"),
                Column(_("Quantity"), "quantity", kind="quantity"),
                Column(_("Unit amount"), "unit_amount", kind="money"),
                Column(_("Amount"), "amount", kind="money"),
            ),
            total=payslip_total,
            total_label=_("Gross pay"),
        ),
    ),
    search_fields=("employee__first_name", "employee__last_name", "employee__employee_number"),
    select_related=("employee",),
    prefetch_related=("lines",),
    heading=payslip_heading,
)

PAGES = (PROJECT, EMPLOYEE, TIME_ENTRY, QUOTE, INVOICE, PAYSLIP)
