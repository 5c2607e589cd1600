from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from snippets.importers import import_issues


class Command(BaseCommand):
    help = "Import issues from an .xlsx file (all or nothing; --dry-run only checks)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument("--user", help="username recorded as the reporter")

    def handle(self, *args, file, dry_run, user=None, **options):
        actor = None
        if user:
            actor = get_user_model().objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"No user {user!r}")
        try:
            handle = open(file, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        with handle:
            result = import_issues(handle, actor, dry_run=dry_run)
        if not result.ok:
            self.stderr.write(result.report.as_text())
            raise CommandError(f"{len(result.report)} error(s); nothing imported.")
        if dry_run:
            self.stdout.write(f"{result.rows} row(s) valid; nothing imported (--dry-run).")
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported {len(result.created)} issue(s)."))
