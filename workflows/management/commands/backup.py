"""`manage.py backup`: database dump, MEDIA_ROOT, PRIVATE_MEDIA_ROOT and a manifest with hashes.

It lives in the workflows app beside the other operational commands (qcluster, ensure_schedules):
a backup covers every app, cms/ is wiring only and has no management package, and a new app for two
commands is not wanted. The work itself is in workflows/backup.py.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from workflows.backup import BackupError, create_backup


class Command(BaseCommand):
    help = (
        "Back up the database (SQLite online backup or pg_dump), MEDIA_ROOT and PRIVATE_MEDIA_ROOT into "
        "one directory with a manifest.json of row counts and SHA-256 hashes. Safe while the site runs."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            default=str(Path(settings.BASE_DIR) / "var" / "backups"),
            help="directory in which the backup-<timestamp> directory is created (default: var/backups)",
        )

    def handle(self, *args, output, **options):
        try:
            path = create_backup(output, write=self.stdout.write)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(str(path)))
