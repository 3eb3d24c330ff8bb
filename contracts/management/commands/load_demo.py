from django.core.management.base import BaseCommand

from accounting import rls
from contracts.demo import demo_load
from contracts.demo_data import DEMO_PASSWORD, USERS


class Command(BaseCommand):
    help = (
        "Load the demo: Nordbil AS (car dealer) and Frost Bygg AB (construction), the "
        "accounting systems' demo mappings (each provider's demo), their logins and "
        "records. Safe to run again: it only adds what is missing. "
        f"Demo only: every demo login has the password {DEMO_PASSWORD!r}."
    )

    @rls.rls_bypass("load_demo: demo data of every organization")
    def handle(self, *args, **options):
        created = demo_load()
        if not created:
            self.stdout.write("Demo data already loaded; nothing changed.")
            return
        summary = ", ".join(f"{count} {name}" for name, count in sorted(created.items()))
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded: {summary}."))
        self.stdout.write(f"Logins ({', '.join(USERS)}) use the demo password {DEMO_PASSWORD!r}.")
