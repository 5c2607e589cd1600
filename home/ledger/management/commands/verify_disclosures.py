from django.core.management.base import BaseCommand, CommandError

from home.ledger import services
from home.ledger.models import DisclosureRecord


class Command(BaseCommand):
    help = "Recompute the digest chain of every published disclosure from the ledger."

    def handle(self, *args, **options):
        problems = services.verify_chain()
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"Verification failed: {problems[0]}")
        count = DisclosureRecord.objects.count()
        self.stdout.write(self.style.SUCCESS(f"{count} published disclosures verified."))
