from django.apps import AppConfig


class VismaPayrollConfig(AppConfig):
    """An app for its own tables (TLU codes, payslip results), its admin and `export_tlu`."""

    name = "integrations.providers.visma_payroll"
    label = "visma_payroll"
    verbose_name = "Visma payroll"
    default_auto_field = "django.db.models.BigAutoField"
