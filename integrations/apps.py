from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrasjoner"

    def ready(self):
        from integrations import crypto  # noqa: F401  (connects the key-change signal)
