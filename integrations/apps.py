from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrasjoner"

    def ready(self):
        from integrations import checks, crypto  # noqa: F401  (registers checks, key-change signal)
