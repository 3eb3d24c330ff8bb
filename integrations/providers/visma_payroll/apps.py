from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VismaPayrollConfig(AppConfig):
    """An app for its own tables (TLU codes, payslip results), its admin and `export_tlu`."""

    name = "integrations.providers.visma_payroll"
    label = "visma_payroll"
    verbose_name = _("Visma payroll")
    default_auto_field = "django.db.models.BigAutoField"
