from django.core.management.base import BaseCommand

from snippets.importers import write_template


class Command(BaseCommand):
    help = "Write the issue import template (.xlsx)."

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", default="issues_template.xlsx")

    def handle(self, *args, output, **options):
        write_template(output)
        self.stdout.write(self.style.SUCCESS(f"Wrote {output}"))
