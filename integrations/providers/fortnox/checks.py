"""What must be true before a record goes to Fortnox, each problem with where it is fixed: one
validator per record type (the `validators` of the Fortnox provider class), and the mappings
the documents, salary rows and time entries need (line category -> VAT code and four-digit
sales account, pay type -> salary code, worked time or absence kind -> cause code)."""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrations.errors import ValidationProblem
from integrations.mappings import blocked_error, category_mappings, mapping_problems
from integrations.models import PayTypeMapping

KEY = "fortnox"
DEFAULT_TIME_CAUSE_CODE = "ARB"  # Fortnox attendance cause code for worked time
TIME_ENTRY_PAY_TYPE = "time_entry"  # a PayTypeMapping with this pay type overrides it
# Absences go as absence transactions, each kind under its own cause code (Fortnox Lön's
# orsakskoder: sjukdom, vård av barn, föräldraledighet, semester, tjänstledighet). A
# PayTypeMapping with the pay type `time_entry.<kind>` (e.g. `time_entry.sick_leave`)
# overrides one: the same mechanism as for worked time, prefixed so that it never meets a
# payslip's pay type.
DEFAULT_ABSENCE_CAUSE_CODES = {
    "sick_leave": "SJK",
    "care_of_sick_child": "VAB",
    "parental_leave": "FPE",
    "holiday": "SEM",
    "other_absence": "TJL",
}
# The codes Fortnox takes (its spec's enums), so that a mapping to a code of the other kind
# is caught before anything is sent.
ATTENDANCE_CAUSE_CODES = frozenset(
    "ARB BE2 BER FLX HLG JO2 JOR MER OB1 OB2 OB3 OB4 OB5 OK0 OK1 OK2 OK3 OK4 OK5 OT1 OT2 OT3 "
    "OT4 OT5 RES TID".split())
ABSENCE_CAUSE_CODES = frozenset(
    "ASK FPE FRA HAV KOM MIL NAR OS1 OS2 OS3 OS4 OS5 PAP PEM PER SEM SJK SMB SVE TJL UTB "
    "VAB".split())

MAPPING_MESSAGES = {
    "vat": gettext_lazy("Fortnox needs a VAT code for the line category '%(category)s'."),
    "account": gettext_lazy(
        "Fortnox needs a four-digit sales account for the line category '%(category)s'."),
    "account_invalid": gettext_lazy(
        "Fortnox needs a four-digit sales account for the line category '%(category)s' "
        "(now '%(account)s')."),
}


def four_digit_account(account):
    return account.isdigit() and len(account) == 4


# -- mappings -----------------------------------------------------------------------------------
def line_mappings(organization, categories):
    """({category: (vat code, account)} for the usable ones, [problems])."""
    categories = sorted(set(categories))
    accounts, vats = category_mappings(organization, KEY, categories)
    problems = mapping_problems(organization, KEY, categories, messages=MAPPING_MESSAGES,
                                account_valid=four_digit_account, mappings=(accounts, vats))
    found = {c: (vats[c], accounts[c]) for c in categories
             if c in vats and four_digit_account(accounts.get(c, ""))}
    return found, problems


def pay_type_fix_url(pay_type):
    url = reverse("admin:integrations_paytypemapping_add")
    return f"{url}?provider={KEY}&pay_type={pay_type}"


def salary_codes(organization, pay_types):
    codes = dict(PayTypeMapping.objects.for_org(organization).filter(provider=KEY)
                 .values_list("pay_type", "salary_code"))
    problems = [ValidationProblem(
        _("Fortnox needs a salary code for the pay type '%(pay_type)s'.") % {"pay_type": p},
        fix_url=pay_type_fix_url(p), field=f"mapping.pay_type.{p}")
        for p in sorted(set(pay_types)) if not codes.get(p)]
    return codes, problems


def time_pay_type(absence_kind=""):
    """The pay type whose mapping gives a time entry's cause code."""
    return f"{TIME_ENTRY_PAY_TYPE}.{absence_kind}" if absence_kind else TIME_ENTRY_PAY_TYPE


def _time_cause_mapping(organization, absence_kind):
    return (PayTypeMapping.objects.for_org(organization)
            .filter(provider=KEY, pay_type=time_pay_type(absence_kind))
            .values_list("pk", "salary_code").first())


def time_cause_code(organization, absence_kind=""):
    """The Fortnox cause code of a time entry: worked time (attendance) when `absence_kind` is
    empty, else the absence's."""
    mapped = _time_cause_mapping(organization, absence_kind)
    if mapped and mapped[1]:
        return mapped[1].strip().upper()
    if absence_kind:
        return DEFAULT_ABSENCE_CAUSE_CODES.get(absence_kind, DEFAULT_ABSENCE_CAUSE_CODES[
            "other_absence"])
    return DEFAULT_TIME_CAUSE_CODE


def time_cause_problems(entry):
    """A cause code mapped in admin that Fortnox would refuse for this kind of time."""
    mapped = _time_cause_mapping(entry.organization, entry.absence_kind)
    code = (mapped[1] if mapped else "").strip().upper()
    allowed = ABSENCE_CAUSE_CODES if entry.absence_kind else ATTENDANCE_CAUSE_CODES
    if not code or code in allowed:
        return []
    if entry.absence_kind:
        message = _("Fortnox has no absence cause code '%(code)s' (mapped for %(kind)s): use "
                    "one of %(codes)s.") % {
            "code": code, "kind": entry.get_absence_kind_display().lower(),
            "codes": ", ".join(sorted(ABSENCE_CAUSE_CODES))}
    else:
        message = _("Fortnox has no attendance cause code '%(code)s' (mapped for worked "
                    "time): use one of %(codes)s.") % {
            "code": code, "codes": ", ".join(sorted(ATTENDANCE_CAUSE_CODES))}
    return [ValidationProblem(
        message, fix_url=reverse("admin:integrations_paytypemapping_change", args=[mapped[0]]),
        field=f"mapping.pay_type.{time_pay_type(entry.absence_kind)}")]


# -- one validator per record type: (provider, record) -> [problems] -----------------------------
def customer_problems(provider, customer):
    if not customer.name:
        return [ValidationProblem(_("The customer needs a name."), field="name")]
    return []


def project_problems(provider, project):
    problems = []
    if not project.number or len(project.number) > 20:
        problems.append(ValidationProblem(
            _("Fortnox needs a project number of at most 20 characters."), field="number"))
    if not project.name:
        problems.append(ValidationProblem(_("The project needs a name."), field="name"))
    return problems


def employee_problems(provider, employee):
    problems = []
    if not employee.employee_number or len(employee.employee_number) > 15:
        problems.append(ValidationProblem(
            _("Fortnox needs an employee number of at most 15 characters."),
            field="employee_number"))
    if not (employee.first_name and employee.last_name and employee.email):
        problems.append(ValidationProblem(
            _("Fortnox needs the employee's first name, last name and e-mail."), field="email"))
    return problems


def _document_problems(provider, document, no_lines):
    lines = list(document.lines.all())
    problems = [] if lines else [ValidationProblem(no_lines, field="lines")]
    problems += customer_problems(provider, document.customer)
    problems += line_mappings(document.organization, [line.category for line in lines])[1]
    if document.project_id:
        problems += project_problems(provider, document.project)
    return problems


def invoice_problems(provider, invoice):
    return _document_problems(provider, invoice, _("The invoice has no lines."))


def quote_problems(provider, quote):
    return _document_problems(provider, quote, _("The quote has no lines."))


def time_entry_problems(provider, entry):
    """Worked hours go as an attendance transaction, an absence as an absence transaction
    (payroll.py); each needs a cause code Fortnox has for that kind of time."""
    problems = employee_problems(provider, entry.employee)
    problems += time_cause_problems(entry)
    if entry.project_id:
        problems += project_problems(provider, entry.project)
    if not entry.hours or entry.hours <= 0:
        problems.append(ValidationProblem(_("The time entry has no hours."), field="hours"))
    return problems


def payslip_problems(provider, payslip):
    lines = list(payslip.lines.all())
    problems = [] if lines else [ValidationProblem(_("The payslip has no lines."),
                                                   field="lines")]
    problems += employee_problems(provider, payslip.employee)
    problems += salary_codes(payslip.organization, [line.pay_type for line in lines])[1]
    return problems


VALIDATORS = {
    "customer": customer_problems,
    "invoice": invoice_problems,
    "quote": quote_problems,
    "project": project_problems,
    "employee": employee_problems,
    "time_entry": time_entry_problems,
    "payslip": payslip_problems,
}


def check(provider, record_type, record):
    """The job's own check before it sends anything (the page checked too, but things change
    while a job waits): every problem as one permanent failure."""
    problems = provider.validate_export(record_type, record)
    if problems:
        raise blocked_error(problems)
