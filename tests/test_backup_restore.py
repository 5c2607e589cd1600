"""Backup and restore drill (RELIABILITY item 22), on SQLite and on PostgreSQL.

The backup runs in this process against the test database while a thread keeps inserting ledger rows
and issues; the restore runs in a subprocess with its own DATABASE_URL, MEDIA_ROOT and
PRIVATE_MEDIA_ROOT (an empty SQLite file, or a freshly created PostgreSQL database), so the test
database is never touched. The restore command itself runs `check`, `migrate --check` and
`verify_disclosures`, compares row counts with the manifest and resolves every file reference.
"""

import datetime as dt
import io
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection
from django.db import connections as db_connections

from wagtail.documents import get_document_model

from home.ledger.models import DisclosureRecord, LedgerEntry
from snippets.models import Attachment, Issue, Photo
from tests.home.factories import qr_image
from tests.snippets.factories import IssueFactory, make_jpeg

BASE_DIR = Path(settings.BASE_DIR)
pytestmark = pytest.mark.django_db(transaction=True)


def _add_files():
    """One file of every kind a row can refer to: QR image, inspection photo, attachment, document."""
    qr_image(text="https://pay.example.org/backup-drill")
    issue = IssueFactory(title="备份演练问题")
    Photo.objects.create(
        file=ContentFile(make_jpeg(), name="drill.jpg"),
        original_name="drill.jpg",
        content_type="image/jpeg",
        issue=issue,
    )
    Attachment.objects.create(
        issue=issue,
        file=ContentFile(b"rectification plan\n", name="plan.txt"),
        original_name="plan.txt",
        content_type="text/plain",
        size=19,
    )
    get_document_model().objects.create(
        title="整改台账", file=ContentFile(b"ledger document\n", name="drill-ledger.txt")
    )


class Writer(threading.Thread):
    """Inserts a ledger row and an issue per iteration, each committed, until stopped."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.written = 0
        self.error = None

    def run(self):
        try:
            while not self.stop.is_set():
                n = self.written
                LedgerEntry.objects.create(
                    number=f"BK{uuid.uuid4().hex[:12]}",
                    kind="cash",
                    entry_date=dt.date(2019, 6, 1),
                    amount=n + 1,
                )
                IssueFactory(title=f"并发写入{n}")
                self.written += 1
        except Exception as exc:  # noqa: BLE001 - reported by the test
            self.error = exc
        finally:
            db_connections.close_all()


def _restore_env(tmp_path, database_url):
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="cms.settings.test",
        DATABASE_URL=database_url,
        MEDIA_ROOT=str(tmp_path / "restored-media"),
        PRIVATE_MEDIA_ROOT=str(tmp_path / "restored-private"),
        QCLUSTER_CACHE_DIR=str(tmp_path / "qcache"),
    )
    return env


def _run_restore(backup, env, *extra):
    return subprocess.run(
        [sys.executable, "manage.py", "restore", str(backup), *extra],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _pg_admin_url():
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgresql://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}"


@pytest.fixture
def empty_target(tmp_path):
    """DATABASE_URL of an empty database of the configured vendor; a PostgreSQL one is dropped after."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    import psycopg

    name = f"restore_drill_{uuid.uuid4().hex[:10]}"
    admin = f"{_pg_admin_url()}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{_pg_admin_url()}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _backup(tmp_path):
    out = io.StringIO()
    call_command("backup", "--output", str(tmp_path / "backups"), stdout=out)
    (path,) = (tmp_path / "backups").glob("backup-*")
    return path, out.getvalue()


def test_backup_while_writing_then_restore_into_an_empty_database(tmp_path, empty_target):
    call_command("seed_demo", stdout=io.StringIO())
    _add_files()
    assert DisclosureRecord.objects.exists(), "the drill needs published disclosures to verify"

    writer = Writer()
    writer.start()
    try:
        deadline = time.monotonic() + 30
        while writer.written < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        entries_before = LedgerEntry.objects.count()
        written_before = writer.written
        backup, output = _backup(tmp_path)
        written_during = writer.written - written_before
        # The writer goes on after the backup: it was never blocked out of the database.
        after = writer.written
        while writer.written <= after + 2 and time.monotonic() < deadline + 30:
            time.sleep(0.05)
        entries_after = LedgerEntry.objects.count()
    finally:
        writer.stop.set()
        writer.join(timeout=30)
    assert writer.error is None, writer.error
    assert written_before >= 5 and writer.written > after + 2
    print(f"\n{written_during} writer iterations committed while the backup ran")

    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["created_at"] and manifest["git_commit"]
    # A snapshot taken while the writer ran: its rows at some instant between start and end.
    assert entries_before <= manifest["row_counts"]["ledger_ledgerentry"] <= entries_after
    assert manifest["row_counts"]["snippets_issue"] <= Issue.objects.count()
    names = set(manifest["files"])
    assert manifest["database"]["dump"] in names
    assert any(name.startswith("private_media/photos/") for name in names)
    assert any(name.startswith("private_media/attachments/") for name in names)
    assert any(name.startswith("media/original_images/") for name in names)
    assert any(name.startswith("media/documents/") for name in names)
    assert all(len(entry["sha256"]) == 64 and entry["size"] >= 0 for entry in manifest["files"].values())
    assert "Backup written to" in output

    env = _restore_env(tmp_path, empty_target)
    result = _run_restore(backup, env)
    print(result.stdout)
    assert result.returncode == 0, result.stderr + result.stdout
    for line in (
        "All files match their SHA-256",
        "check: ok",
        "migrate --check: ok",
        "verify_disclosures: ok",
        "row counts: ok",
        "file references: ok",
        "Time to restore:",
    ):
        assert line in result.stdout
    photo = Photo.objects.get(issue__title="备份演练问题")
    restored_photo = Path(env["PRIVATE_MEDIA_ROOT"]) / photo.file.name
    assert restored_photo.read_bytes() == photo.file.read()

    again = _run_restore(backup, env)
    assert again.returncode != 0
    assert "not empty" in again.stderr


def test_a_corrupted_backup_is_refused_naming_the_file_and_nothing_is_restored(tmp_path, empty_target):
    _add_files()
    backup, _output = _backup(tmp_path)
    manifest = json.loads((backup / "manifest.json").read_text())
    photo_name = next(name for name in manifest["files"] if name.startswith("private_media/photos/"))
    photo_path = backup / photo_name
    original = photo_path.read_bytes()
    data = bytearray(original)
    data[len(data) // 2] ^= 0xFF
    photo_path.write_bytes(bytes(data))

    env = _restore_env(tmp_path, empty_target)
    result = _run_restore(backup, env)
    assert result.returncode != 0
    assert f"SHA-256 mismatch for {photo_name}" in result.stderr
    assert "Database:" not in result.stdout, "nothing may be restored before every hash matches"
    assert not any(Path(env["PRIVATE_MEDIA_ROOT"]).rglob("*.jpg"))

    photo_path.write_bytes(original)
    (backup / manifest["database"]["dump"]).unlink()
    missing = _run_restore(backup, env)
    assert missing.returncode != 0
    assert f"Missing file in backup: {manifest['database']['dump']}" in missing.stderr
