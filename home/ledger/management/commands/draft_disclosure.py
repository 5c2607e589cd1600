from django.core.management.base import BaseCommand, CommandError

from home.ledger import services
from home.ledger.management.commands.export_ledger import parse_day


class Command(BaseCommand):
    help = "Draft (or refresh) one day's disclosure and submit it; --publish publishes at once."

    def add_arguments(self, parser):
        parser.add_argument("--date", required=True)
        parser.add_argument(
            "--publish", action="store_true", help="Publish now, bypassing moderation (logged)."
        )
        parser.add_argument("--note", default="", help="Correction note when re-publishing a day.")

    def handle(self, *args, **options):
        day = parse_day(options["date"])
        try:
            page = services.draft_disclosure(day, publish=options["publish"], note=options["note"])
        except services.LedgerError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        state = "published" if page.live and options["publish"] else "drafted and submitted for approval"
        self.stdout.write(self.style.SUCCESS(f"{day}: {state} ({page.url_path})"))
