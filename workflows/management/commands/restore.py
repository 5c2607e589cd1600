"""`manage.py restore PATH`: verify a backup's hashes, restore it, then prove the result.

Restores into the database and media roots the settings point at (DATABASE_URL, MEDIA_ROOT,
PRIVATE_MEDIA_ROOT), which must be empty unless --force. After the copy it runs `check`,
`migrate --check` and `verify_disclosures`, compares every table's row count with the manifest and
checks that every file reference (inspection photos, attachments, QR codes and other Wagtail images,
renditions, documents) resolves in its storage. See docs/deploy.md, "Backup and restore".
"""

import io
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from workflows.backup import (
    BackupError,
    compare_row_counts,
    missing_file_references,
    restore_backup,
    unapplied_migrations,
)


class Command(BaseCommand):
    help = "Restore a backup made by `backup` into the configured (empty) database and media roots."

    def add_arguments(self, parser):
        parser.add_argument("path", help="a backup-<timestamp> directory written by `manage.py backup`")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace a non-empty database and clear MEDIA_ROOT and PRIVATE_MEDIA_ROOT first",
        )

    def handle(self, *args, path, force, **options):
        started = time.monotonic()
        try:
            manifest = restore_backup(path, force=force, write=self.stdout.write)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        restored = time.monotonic() - started
        self.stdout.write(f"Restored {path} (made {manifest['created_at']}) in {restored:.1f} s; checking")

        failures = []
        for label, command, kwargs in (
            ("check", "check", {}),
            ("migrate --check", "migrate", {"check_unapplied": True, "verbosity": 0}),
            ("verify_disclosures", "verify_disclosures", {}),
        ):
            name = label
            out, err = io.StringIO(), io.StringIO()
            try:
                call_command(command, stdout=out, stderr=err, **kwargs)
            except (CommandError, SystemExit) as exc:
                detail = err.getvalue().strip() or out.getvalue().strip() or exc
                if command == "migrate":
                    detail = f"unapplied migrations: {', '.join(unapplied_migrations())}"
                failures.append(f"{name} failed: {detail}")
                self.stdout.write(f"  {name}: FAILED")
            else:
                last_line = (out.getvalue().strip().splitlines() or [""])[-1]
                self.stdout.write(f"  {name}: ok {last_line}")

        mismatches = compare_row_counts(manifest["row_counts"])
        failures += [f"row count {line}" for line in mismatches]
        total_rows = sum(manifest["row_counts"].values())
        self.stdout.write(
            f"  row counts: {'ok' if not mismatches else 'MISMATCH'} "
            f"({len(manifest['row_counts'])} tables, {total_rows} rows)"
        )
        missing = missing_file_references()
        failures += [f"missing file {line}" for line in missing]
        self.stdout.write(f"  file references: {'ok' if not missing else f'{len(missing)} MISSING'}")

        elapsed = time.monotonic() - started
        if failures:
            for line in failures:
                self.stderr.write(line)
            raise CommandError(f"Restore finished but {len(failures)} check(s) failed: {failures[0]}")
        self.stdout.write(self.style.SUCCESS(f"Restore verified. Time to restore: {elapsed:.1f} s"))
