"""What must be true before a record goes to Spiris Lön, each problem with where it is fixed:
one validator per record type (the provider's `validators`) and the pay-code mapping (our pay
types -> Spiris Lön pay codes, `PayTypeMapping` rows with provider `visma_payroll`, picked in
admin from the company's `/v2/paycodes/otheradditiondeduction`)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from integrations.errors import ValidationProblem
from integrations.mappings import blocked_error
from integrations.models import Link, PayTypeMapping
from integrations.providers.visma_payroll.mappers import ABSENCE_SHORTCUTS, digits

KEY = "visma_payroll"
MAX_MINUTES_A_DAY = 1440


def employee_fix_url(employee):
    return reverse("admin:accounting_employee_change", args=[employee.pk])


def pay_code_fix_url(organization, pay_type):
    pk = (PayTypeMapping.objects.for_org(organization).filter(provider=KEY, pay_type=pay_type)
          .values_list("pk", flat=True).first())
    if pk is not None:
        return reverse("admin:integrations_paytypemapping_change", args=[pk])
    return f"{reverse('admin:integrations_paytypemapping_add')}?provider={KEY}&pay_type={pay_type}"


def pay_codes(organization, pay_types):
    """({pay type: pay code} for the mapped ones, [problems for the others])."""
    codes = dict(PayTypeMapping.objects.for_org(organization).filter(provider=KEY)
                 .values_list("pay_type", "salary_code"))
    problems = [ValidationProblem(
        _("Spiris Lön needs a pay code for the pay type '%(pay_type)s': pick one in admin "
          "(Pay type mappings, Visma payroll).") % {"pay_type": p},
        fix_url=pay_code_fix_url(organization, p), field=f"mapping.pay_type.{p}")
        for p in sorted(set(pay_types)) if not codes.get(p)]
    return {p: c for p, c in codes.items() if c}, problems


def employee_problems(provider, employee):
    problems = []
    fix = employee_fix_url(employee)
    if not employee.employee_number:
        problems.append(ValidationProblem(_("Spiris Lön needs the employee's number."),
                                          fix_url=fix, field="employee_number"))
    if not (employee.first_name and employee.last_name):
        problems.append(ValidationProblem(
            _("Spiris Lön needs the employee's first and last name."), fix_url=fix,
            field="first_name"))
    if len(digits(employee.personal_identity_number)) not in (10, 12):
        problems.append(ValidationProblem(
            _("Spiris Lön needs the employee's personal identity number (10 or 12 digits) "
              "for %(name)s.") % {"name": employee}, fix_url=fix,
            field="personal_identity_number"))
    return problems


def _link_data(provider, record_type, record):
    link = (Link.objects.filter(connection=provider.connection, record_type=record_type,
                                local_id=str(record.pk)).first()
            if provider.connection is not None and provider.connection.pk else None)
    return (link.data or {}) if link else None


def shortcut_problems(provider, record_type, record, what):
    """Payroll has read this record's shortcut (Spiris Lön said so), so it can no longer be
    changed: refused before anything is queued. (Whether the employee can have shortcuts at all
    is asked afresh when the job runs: that can change in Spiris Lön.)"""
    from integrations.providers.visma_payroll.exports import read_message

    shortcut = _link_data(provider, record_type, record)
    if shortcut and shortcut.get("is_read"):
        return [ValidationProblem(read_message(what), field="read_by_payroll")]
    return []


def time_entry_problems(provider, entry):
    problems = employee_problems(provider, entry.employee)
    problems += shortcut_problems(provider, "time_entry", entry, _("time entry"))
    if entry.absence_kind and entry.absence_kind not in ABSENCE_SHORTCUTS:
        problems.append(ValidationProblem(
            _("Spiris Lön has no shortcut for the absence '%(kind)s'.") % {
                "kind": entry.absence_kind}, field="absence_kind"))
    if not entry.hours or entry.hours <= 0:
        problems.append(ValidationProblem(_("The time entry has no hours."), field="hours"))
    elif entry.hours * 60 > MAX_MINUTES_A_DAY:
        problems.append(ValidationProblem(_("A day has at most 24 hours."), field="hours"))
    return problems


def payslip_problems(provider, payslip):
    lines = list(payslip.lines.all())
    problems = [] if lines else [ValidationProblem(_("The payslip has no lines."),
                                                   field="lines")]
    problems += employee_problems(provider, payslip.employee)
    problems += shortcut_problems(provider, "payslip", payslip, _("payslip"))
    problems += pay_codes(payslip.organization, [line.pay_type for line in lines])[1]
    return problems


VALIDATORS = {
    "employee": employee_problems,
    "time_entry": time_entry_problems,
    "payslip": payslip_problems,
}


def check(provider, record_type, record):
    """The job's own check before it sends anything: every problem as one permanent failure."""
    problems = provider.validate_export(record_type, record)
    if problems:
        raise blocked_error(problems)
