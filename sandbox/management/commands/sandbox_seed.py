"""Create every registered simulator's published demo data (its developer app keys and demo
companies), as a provider's developer portal hands them out. Idempotent: run it any time."""

from django.core.management.base import BaseCommand

from sandbox.registry import SIMULATORS


class Command(BaseCommand):
    help = "Create the simulators' demo apps and companies (idempotent)."

    def handle(self, *args, **options):
        for simulator in SIMULATORS:
            if simulator.seed is None:
                continue
            simulator.seed()
            self.stdout.write(f"sandbox: seeded {simulator.name}")
