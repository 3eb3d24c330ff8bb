from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountingConfig(AppConfig):
    name = "accounting"
    verbose_name = _("Accounting")

    def ready(self):
        # Row-level security on PostgreSQL (accounting/rls.py): the connection hook, and the
        # policies of every tenant table kept in step after each migrate.
        from accounting import rls, rls_schema  # noqa: F401

        post_migrate.connect(rls_schema.on_post_migrate, dispatch_uid="accounting.rls_schema")
