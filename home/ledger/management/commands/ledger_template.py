from django.core.management.base import BaseCommand

from home.ledger.exporters import write_template


class Command(BaseCommand):
    help = "Write the ledger import template (XLSX)."

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", required=True)

    def handle(self, *args, **options):
        write_template(options["output"])
        self.stdout.write(self.style.SUCCESS(f"Template written to {options['output']}"))
