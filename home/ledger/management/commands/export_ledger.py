import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from home.ledger.exporters import write_staff_export


def parse_day(value):
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value}") from exc


class Command(BaseCommand):
    help = "Export the full ledger for staff (private fields included) as XLSX."

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", required=True)
        parser.add_argument("--from", dest="date_from")
        parser.add_argument("--to", dest="date_to")

    def handle(self, *args, **options):
        date_from = parse_day(options["date_from"]) if options["date_from"] else None
        date_to = parse_day(options["date_to"]) if options["date_to"] else None
        write_staff_export(options["output"], date_from, date_to)
        self.stdout.write(self.style.SUCCESS(f"Ledger written to {options['output']}"))
