from django.conf import settings
from django.core.management.base import BaseCommand

from accounting import rls
from integrations.crypto import reencrypt_all


class Command(BaseCommand):
    help = ("Re-encrypt every stored secret under the first key of ENCRYPTION_KEYS. Put the new "
            "key first, keep the old ones, run this, then remove the old keys.")

    @rls.rls_bypass("rotate_encryption_keys: every organization's secrets")
    def handle(self, *args, **options):
        counts = reencrypt_all()
        for label, rows in counts.items():
            self.stdout.write(f"{label}: {rows} row(s) re-encrypted")
        self.stdout.write(self.style.SUCCESS(
            f"Done. Every secret is now under the first of {len(settings.ENCRYPTION_KEYS)} key(s); "
            "the others can be removed from ENCRYPTION_KEYS."))
