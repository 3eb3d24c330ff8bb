"""Line categories as people call them. Invoice and quote line categories are free text
(`DocumentLine.category`, default "service"); the usual ones have names in every language, and
an unknown one reads as itself. The dealer's contract line categories are choices of their own
(`contracts.models.LineCategory`)."""

from django.utils.translation import gettext_lazy as _

DOCUMENT_CATEGORY_LABELS = {
    "service": _("Service"),
    "material": _("Material"),
    "labor": _("Labour"),
    "fee": _("Fee"),
    "travel": _("Travel"),
    "equipment": _("Equipment rental"),
}


def document_category_label(key) -> str:
    if key in DOCUMENT_CATEGORY_LABELS:
        return str(DOCUMENT_CATEGORY_LABELS[key])
    return (key or "").replace("_", " ").capitalize()


# Payslip pay types (`PayslipLine.pay_type`, free text mapped to salary codes per provider).
PAY_TYPE_LABELS = {
    "monthly_salary": _("Monthly salary"),
    "hourly_wage": _("Hourly wage"),
    "overtime": _("Overtime"),
    "vacation_pay": _("Holiday pay"),
    "sick_pay": _("Sick pay"),
    "bonus": _("Bonus"),
    "travel_allowance": _("Travel allowance"),
    "mileage": _("Mileage allowance"),
}


def pay_type_label(key) -> str:
    if key in PAY_TYPE_LABELS:
        return str(PAY_TYPE_LABELS[key])
    return (key or "").replace("_", " ").capitalize()
