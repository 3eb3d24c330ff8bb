from django.core.management.base import BaseCommand

from integrations.capabilities import capability_matrix_markdown


class Command(BaseCommand):
    help = "Print the README's capability matrix, generated from the providers' declarations."

    def handle(self, *args, **options):
        self.stdout.write(capability_matrix_markdown())
