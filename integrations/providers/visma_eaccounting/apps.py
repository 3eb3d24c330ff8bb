from django.apps import AppConfig


class VismaEaccountingConfig(AppConfig):
    """Only for `VismaGrant` (models.py): the provider itself needs no app."""

    name = "integrations.providers.visma_eaccounting"
    label = "visma_eaccounting"
    verbose_name = "Visma eAccounting"
    default_auto_field = "django.db.models.BigAutoField"
