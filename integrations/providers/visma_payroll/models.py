"""Visma payroll's own tables: the codes of the TLU file for Visma Lön 300/600, and what Spiris
Lön's wage runs say about our payslips."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounting.tenancy import TenantModel

# What `TluCode.source` names besides our pay types: the hours of our time entries.
WORKED_TIME = "worked_time"


class TluCode(TenantModel):
    """Our time entries and pay types -> the time codes (tidkoder) and outlay codes
    (utläggskoder) of the TLU file, as they are set up in the customer's Visma Lön 300/600."""

    class Kind(models.TextChoices):
        TIME = "time", _("Time code (hours)")
        OUTLAY = "outlay", _("Outlay code (amounts)")
        LEFT_OUT = "left_out", _("Not in the file (kept in Visma Lön itself)")

    class AbsenceType(models.IntegerChoices):
        # The XSD's values; their meaning is in Visma's format document (not retrieved):
        # 0 and 1 read as "not an absence" and "an absence".
        NONE = 0, _("Not an absence")
        ABSENCE = 1, _("Absence")

    source = models.CharField(
        _("what it is for"), max_length=40,
        help_text=_("'worked_time' for the hours of time entries, or one of our pay types "
                    "(as on payslip lines)"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.TIME)
    code = models.CharField(_("code in Visma Lön"), max_length=10, blank=True)
    name = models.CharField(_("name"), max_length=50)
    absence_type = models.PositiveSmallIntegerField(
        _("absence type"), choices=AbsenceType.choices, null=True, blank=True)
    unit = models.CharField(_("unit (outlays)"), max_length=50, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = _("TLU code (Visma Lön 300/600)")
        verbose_name_plural = _("TLU codes (Visma Lön 300/600)")
        constraints = [models.UniqueConstraint(fields=["organization", "source"],
                                               name="visma_payroll_tlu_code_unique")]

    def __str__(self):
        return f"{self.source} -> {self.code}"


class PayslipResult(TenantModel):
    """Spiris Lön's payslip for one of our payslips (same employee and salary period), as the
    scheduled read of wage runs and payslips last found it."""

    payslip = models.OneToOneField("accounting.Payslip", on_delete=models.CASCADE,
                                   related_name="visma_payroll_result",
                                   verbose_name=pgettext_lazy("model", "payslip"))
    connection = models.ForeignKey("integrations.Connection", on_delete=models.CASCADE,
                                   related_name="+", verbose_name=_("connection"))
    remote_payslip_id = models.CharField(_("payslip id in Spiris Lön"), max_length=64)
    wage_run_id = models.CharField(_("wage run id"), max_length=64, blank=True)
    gross_salary = models.DecimalField(_("gross salary"), max_digits=14, decimal_places=2)
    net_salary = models.DecimalField(_("net salary"), max_digits=14, decimal_places=2)
    preliminary_tax = models.DecimalField(_("preliminary tax"), max_digits=14, decimal_places=2)
    payment_date = models.DateField(_("payment date"), null=True, blank=True)
    payslip_locked = models.BooleanField(_("payslip locked"), default=False)
    wage_run_locked = models.BooleanField(_("wage run locked"), default=False)
    # Spiris Lön's change stamps of the payslip as last read with details (`CreatedUtc`,
    # `ModifiedUtc`, as the API writes them): a listed payslip whose stamp has not moved is not
    # read again.
    remote_created = models.CharField(max_length=40, blank=True)
    remote_modified = models.CharField(max_length=40, blank=True)
    fetched_at = models.DateTimeField(_("fetched"))

    class Meta:
        verbose_name = _("payslip result (Visma payroll)")
        verbose_name_plural = _("payslip results (Visma payroll)")

    def __str__(self):
        return f"{self.payslip_id}: {self.gross_salary} / {self.net_salary}"


class WageRunSeen(TenantModel):
    """A Spiris Lön wage run as the results read last listed its payslips: a locked run whose
    `ModifiedUtc` has not moved since is not listed again, unless one of our payslips still
    without a result falls in its period and was not looked for in it then."""

    connection = models.ForeignKey("integrations.Connection", on_delete=models.CASCADE,
                                   related_name="+")
    wage_run_id = models.CharField(max_length=64)
    modified = models.CharField(max_length=40, blank=True)
    locked = models.BooleanField(default=False)
    # pks of our payslips without a result, in the run's period, when it was listed
    looked_for = models.JSONField(default=list, blank=True)
    listed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("wage run read")
        verbose_name_plural = _("wage runs read")
        constraints = [models.UniqueConstraint(fields=["connection", "wage_run_id"],
                                               name="visma_payroll_wage_run_seen_unique")]

    def __str__(self):
        return f"{self.wage_run_id} ({self.modified})"
