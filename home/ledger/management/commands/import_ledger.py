from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from home.ledger import services
from home.ledger.models import ImportStatus
from home.spreadsheets import ErrorReport, RowError


class Command(BaseCommand):
    help = "Import a ledger workbook: every row or none. Exits non-zero with the list of errors."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--dry-run", action="store_true", help="Validate only; write nothing.")

    def handle(self, *args, **options):
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        with open(path, "rb") as fileobj:
            # Synchronous here: the command waits for its own result.
            batch = services.import_ledger_file(
                fileobj, path.name, dry_run=options["dry_run"], run_async=False
            )
        if batch.status != ImportStatus.DONE:
            report = ErrorReport(errors=[RowError(**error) for error in batch.errors])
            if report:
                self.stderr.write(report.as_text())
            raise CommandError(batch.message)
        self.stdout.write(self.style.SUCCESS(f"{batch.message} (batch #{batch.pk})"))
