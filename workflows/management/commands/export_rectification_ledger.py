from django.core.management.base import BaseCommand, CommandError

from snippets.models import Issue
from workflows.filters import IssueFilter
from workflows.ledger import write_ledger


class Command(BaseCommand):
    help = "Write the 整改台账 rectification ledger as .xlsx, with the same filters as the admin listing."

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", required=True, help="the .xlsx file to write")
        for name in IssueFilter.base_filters:
            parser.add_argument(
                f"--{name.replace('_', '-')}", dest=f"filter_{name}", help=f"listing filter {name}"
            )

    def handle(self, *args, output, **options):
        params = {
            key.removeprefix("filter_"): value
            for key, value in options.items()
            if key.startswith("filter_") and value is not None
        }
        filterset = IssueFilter(params or None, queryset=Issue.objects.all())
        if filterset.is_bound and not filterset.is_valid():
            raise CommandError(f"Invalid filters: {filterset.errors.as_json()}")
        with open(output, "wb") as fileobj:
            count = write_ledger(filterset.qs, fileobj)
        self.stdout.write(f"{count} rows written to {output}")
