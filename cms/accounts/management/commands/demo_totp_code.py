from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cms.accounts import demo


class Command(BaseCommand):
    help = "Print the current TOTP code of the demo leader and administrator (dev only)."

    def handle(self, *args, **options):
        if not getattr(settings, "ALLOW_DEMO_DATA", False):
            raise CommandError("demo_totp_code is refused in production settings (ALLOW_DEMO_DATA is off).")
        self.stdout.write(demo.current_code())
