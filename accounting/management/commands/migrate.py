"""`migrate`, run as the database's login role with row-level security bypassed (named:
"migrations"): DDL needs the tables' owner, and a data migration works across organizations.
Afterwards (`post_migrate`) `accounting.rls_schema.ensure` brings the role, the grants and
every tenant table's policy up to date; open connections then switch to the app role."""

from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import connections

from accounting import rls


class Command(DjangoMigrate):
    def handle(self, *args, **options):
        with rls.as_owner("migrations"):
            result = super().handle(*args, **options)
        rls.recheck_role(connections[options["database"]])
        return result
