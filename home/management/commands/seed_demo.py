from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

# Each app contributes its demo data; order matters (users before the records they own).
SEEDERS = (
    "workflows.demo.seed_users",
    "cms.accounts.demo.seed_second_factor",
    "home.demo.seed_channels",
    "home.demo.seed_pages",
    "snippets.demo.seed_inspections",
    "home.ledger.demo.seed_ledger",
    "workflows.demo_rectification.seed_rectification",
    # After the rectification demo, which moves the issues it finds along the stages.
    "snippets.demo_supplies.seed_supplies",
)


class Command(BaseCommand):
    help = "Create demo users and demo content. Idempotent; refused in production."

    def handle(self, *args, **options):
        if not getattr(settings, "ALLOW_DEMO_DATA", False):
            raise CommandError("seed_demo is refused in production settings (ALLOW_DEMO_DATA is off).")
        for dotted in SEEDERS:
            module_name, function_name = dotted.rsplit(".", 1)
            seeder = getattr(import_module(module_name), function_name)
            self.stdout.write(f"{dotted}:")
            with transaction.atomic():
                seeder(self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
