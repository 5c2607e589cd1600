"""Backup and restore of the whole desk: the database, MEDIA_ROOT, PRIVATE_MEDIA_ROOT and a manifest.

Used by the `backup` and `restore` management commands (workflows/management/commands/). A backup
is one directory:

    backup-20261128T160000Z/
        manifest.json        created_at, version, git commit, DB vendor, row counts, files + SHA-256
        database.sqlite3     SQLite: written by sqlite3's online backup API (consistent while writes run)
        database.pgdump      PostgreSQL: pg_dump --format=custom
        media/...            a copy of MEDIA_ROOT (public Wagtail images, documents, renditions)
        private_media/...    a copy of PRIVATE_MEDIA_ROOT (inspection photos, issue attachments)

The database is dumped first and the media copied after it, so every file a dumped row refers to
already exists when the copy starts (files are only ever added under a fresh unguessable name).
Row counts are taken from the same snapshot as the dump: from the dump file on SQLite, and inside
the exported snapshot that pg_dump also reads on PostgreSQL.
"""

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import django
from django.apps import apps
from django.conf import settings
from django.db import connection, models

import wagtail

MANIFEST = "manifest.json"
SQLITE_DUMP = "database.sqlite3"
PG_DUMP = "database.pgdump"
MEDIA_DIRS = (("media", "MEDIA_ROOT"), ("private_media", "PRIVATE_MEDIA_ROOT"))
FORMAT_VERSION = 1
_CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go on; the message names the file or step."""


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as fileobj:
        while chunk := fileobj.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def model_tables():
    """Every table Django manages (models and many-to-many tables), sorted."""
    tables = set()
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            tables.add(model._meta.db_table)
    return sorted(tables)


def count_rows(cursor, tables, existing, quote):
    """Row count of each of `tables` that is among the `existing` table names."""
    counts = {}
    for table in tables:
        if table in existing:
            cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 - our own table names
            counts[table] = cursor.fetchone()[0]
    return counts


def _quote(name):
    return '"' + name.replace('"', '""') + '"'


def _pg_env(db):
    env = dict(os.environ)
    env.update(
        {
            "PGHOST": db.get("HOST") or "127.0.0.1",
            "PGPORT": str(db.get("PORT") or 5432),
            "PGUSER": db.get("USER") or "",
            "PGDATABASE": db["NAME"],
        }
    )
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return env


def _pg_connect(db):
    import psycopg

    return psycopg.connect(
        host=db.get("HOST") or "127.0.0.1",
        port=db.get("PORT") or 5432,
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        dbname=db["NAME"],
    )


def _version():
    try:
        with open(Path(settings.BASE_DIR) / "pyproject.toml", "rb") as fileobj:
            return tomllib.load(fileobj)["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return ""


def _git_commit():
    git = shutil.which("git")
    if not git:
        return ""
    try:
        result = subprocess.run(  # noqa: S603 - fixed arguments
            [git, "rev-parse", "HEAD"], cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""


@dataclass
class Progress:
    """Prints a line per step and, on long copies, one every few seconds."""

    write: callable
    every: float = 2.0

    def __post_init__(self):
        self._last = time.monotonic()

    def step(self, message):
        self.write(message)
        self._last = time.monotonic()

    def tick(self, message):
        now = time.monotonic()
        if now - self._last >= self.every:
            self.write(message)
            self._last = now


# --- Backup ---------------------------------------------------------------------------------------


def _dump_sqlite(target, progress):
    source_path = connection.settings_dict["NAME"]
    progress.step(f"Database: SQLite online backup of {source_path}")
    source = sqlite3.connect(source_path, timeout=30)
    dest = sqlite3.connect(target)
    try:
        # pages=-1 copies everything in one step inside one read transaction: under WAL writers
        # carry on, and the copy is the database as of that transaction. (A stepwise backup restarts
        # whenever another connection writes, so under steady writes it might never finish.)
        source.backup(dest, pages=-1)
        cursor = dest.cursor()
        existing = {row[0] for row in cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        counts = count_rows(cursor, model_tables(), existing, _quote)
    finally:
        dest.close()
        source.close()
    return counts


def _dump_postgresql(target, progress):
    pg_dump = shutil.which("pg_dump")
    if not pg_dump:
        raise BackupError("pg_dump was not found on PATH (Debian: apt-get install postgresql-client).")
    db = connection.settings_dict
    progress.step(f"Database: pg_dump --format=custom of {db['NAME']}")
    with _pg_connect(db) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        # pg_dump reads the exported snapshot, so the counts below describe exactly what it dumps.
        result = subprocess.run(  # noqa: S603 - fixed arguments
            [pg_dump, "--format=custom", f"--snapshot={snapshot}", "--file", str(target)],
            env=_pg_env(db),
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
        cursor = conn.cursor()
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        existing = {row[0] for row in cursor.fetchall()}
        counts = count_rows(cursor, model_tables(), existing, _quote)
        conn.rollback()
    return counts


def _copy_tree(source_root, dest_root, progress, label):
    """Copy every regular file; returns the number of files and bytes. Symlinks are not followed."""
    source_root = Path(source_root)
    files = size = 0
    if not source_root.is_dir():
        progress.step(f"{label}: {source_root} does not exist, nothing to copy")
        return files, size
    progress.step(f"{label}: copying {source_root}")
    for directory, _dirnames, filenames in os.walk(source_root):
        for name in filenames:
            source = Path(directory) / name
            if source.is_symlink() or not source.is_file():
                continue
            dest = dest_root / source.relative_to(source_root)
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                shutil.copy2(source, dest)
            except FileNotFoundError:
                # Deleted between listing and copying (a rendition being replaced): not referenced.
                continue
            files += 1
            size += dest.stat().st_size
            progress.tick(f"{label}: {files} files, {size / 1e6:.1f} MB")
    progress.step(f"{label}: {files} files, {size / 1e6:.1f} MB")
    return files, size


def create_backup(output_dir, write=print):
    """Write a backup directory under `output_dir`; returns its path."""
    started = time.monotonic()
    progress = Progress(write)
    created_at = dt.datetime.now(dt.UTC)
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    final = output_dir / f"backup-{created_at:%Y%m%dT%H%M%S%fZ}"
    # Built under a temporary name and renamed at the end: a directory named backup-* is complete.
    work = Path(tempfile.mkdtemp(prefix=".partial-backup-", dir=output_dir))
    try:
        vendor = connection.vendor
        if vendor == "sqlite":
            dump_name = SQLITE_DUMP
            counts = _dump_sqlite(work / dump_name, progress)
        elif vendor == "postgresql":
            dump_name = PG_DUMP
            counts = _dump_postgresql(work / dump_name, progress)
        else:
            raise BackupError(f"Backups of {vendor} databases are not supported.")
        for dirname, setting in MEDIA_DIRS:
            _copy_tree(getattr(settings, setting), work / dirname, progress, setting)

        progress.step("Hashing files")
        files = {}
        for path in sorted(p for p in work.rglob("*") if p.is_file()):
            relative = path.relative_to(work).as_posix()
            files[relative] = {"sha256": sha256_of(path), "size": path.stat().st_size}
            progress.tick(f"Hashing: {len(files)} files")
        manifest = {
            "format": FORMAT_VERSION,
            "created_at": created_at.isoformat(),
            "app_version": _version(),
            "git_commit": _git_commit(),
            "django": django.get_version(),
            "wagtail": wagtail.__version__,
            "database": {"vendor": vendor, "dump": dump_name},
            "row_counts": counts,
            "files": files,
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    total = sum(entry["size"] for entry in files.values())
    progress.step(
        f"Backup written to {final}: {len(files)} files, {total / 1e6:.1f} MB, "
        f"{sum(counts.values())} rows in {len(counts)} tables, {time.monotonic() - started:.1f} s"
    )
    return final


# --- Restore --------------------------------------------------------------------------------------


def read_manifest(backup_dir):
    path = Path(backup_dir) / MANIFEST
    if not path.is_file():
        raise BackupError(f"{path} not found: not a backup directory.")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise BackupError(f"{path} is not valid JSON: {exc}") from exc
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError(f"{path}: unknown backup format {manifest.get('format')!r}.")
    return manifest


def verify_files(backup_dir, manifest, progress):
    """Every file of the manifest is present with its size and SHA-256; names the first that is not."""
    backup_dir = Path(backup_dir).resolve()
    files = manifest["files"]
    progress.step(f"Verifying {len(files)} files against the manifest")
    for index, (relative, expected) in enumerate(sorted(files.items()), start=1):
        path = (backup_dir / relative).resolve()
        if not path.is_relative_to(backup_dir):
            raise BackupError(f"Manifest entry {relative!r} points outside the backup.")
        if not path.is_file():
            raise BackupError(f"Missing file in backup: {relative}")
        if path.stat().st_size != expected["size"]:
            raise BackupError(
                f"Size mismatch for {relative}: expected {expected['size']}, found {path.stat().st_size}"
            )
        if sha256_of(path) != expected["sha256"]:
            raise BackupError(f"SHA-256 mismatch for {relative}: the file is corrupted or was changed")
        progress.tick(f"Verified {index}/{len(files)} files")
    progress.step("All files match their SHA-256")


def _database_is_empty():
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    return not tables


def _media_is_empty():
    for _dirname, setting in MEDIA_DIRS:
        root = Path(getattr(settings, setting))
        if root.is_dir() and any(p.is_file() for p in root.rglob("*")):
            return False
    return True


def check_target_is_empty():
    """Raises unless the configured database has no tables and both media roots hold no files."""
    if not _database_is_empty():
        raise BackupError(
            f"The database {connection.settings_dict['NAME']} is not empty; restore refuses to overwrite "
            "it (use --force to replace it)."
        )
    if not _media_is_empty():
        raise BackupError(
            f"MEDIA_ROOT ({settings.MEDIA_ROOT}) or PRIVATE_MEDIA_ROOT ({settings.PRIVATE_MEDIA_ROOT}) "
            "already holds files; restore refuses to mix them (use --force)."
        )


def _restore_sqlite(dump, progress):
    target = Path(connection.settings_dict["NAME"])
    connection.close()
    progress.step(f"Database: copying the SQLite dump to {target}")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.restoring")
    shutil.copyfile(dump, partial)
    # A stale WAL beside the target would be replayed over the restored file.
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    os.replace(partial, target)


def _restore_postgresql(dump, progress, force):
    pg_restore = shutil.which("pg_restore")
    if not pg_restore:
        raise BackupError("pg_restore was not found on PATH (Debian: apt-get install postgresql-client).")
    db = connection.settings_dict
    connection.close()
    progress.step(f"Database: pg_restore into {db['NAME']}")
    command = [pg_restore, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    if force:
        command += ["--clean", "--if-exists"]
    command += ["--dbname", db["NAME"], str(dump)]
    result = subprocess.run(command, env=_pg_env(db), capture_output=True, text=True)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()}")


def _restore_media(backup_dir, progress, force):
    for dirname, setting in MEDIA_DIRS:
        source = Path(backup_dir) / dirname
        root = Path(getattr(settings, setting))
        if force and root.is_dir():
            progress.step(f"{setting}: clearing {root}")
            shutil.rmtree(root)
        root.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            _copy_tree(source, root, progress, setting)


def restore_backup(backup_dir, *, force=False, write=print):
    """Verify, then restore the database and media into the configured places. Returns the manifest."""
    progress = Progress(write)
    backup_dir = Path(backup_dir)
    manifest = read_manifest(backup_dir)
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(
            f"The backup holds a {vendor} database but this site is configured for {connection.vendor}."
        )
    verify_files(backup_dir, manifest, progress)
    if not force:
        check_target_is_empty()
    dump = backup_dir / manifest["database"]["dump"]
    if vendor == "sqlite":
        _restore_sqlite(dump, progress)
    elif vendor == "postgresql":
        _restore_postgresql(dump, progress, force)
    else:
        raise BackupError(f"Restoring {vendor} databases is not supported.")
    _restore_media(backup_dir, progress, force)
    return manifest


def compare_row_counts(expected):
    """Returns "table: expected N, found M" lines for every table whose count differs."""
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        found = count_rows(cursor, sorted(expected), existing, connection.ops.quote_name)
    return [
        f"{table}: expected {count} rows, found {found.get(table, 'no table')}"
        for table, count in sorted(expected.items())
        if found.get(table) != count
    ]


def missing_file_references():
    """Every FileField value (photos, attachments, Wagtail images, renditions, documents) whose file
    is not in its storage, as "app.Model pk=…: field → name" lines."""
    problems = []
    for model in apps.get_models():
        if not model._meta.managed or model._meta.proxy:
            continue
        file_fields = [f for f in model._meta.concrete_fields if isinstance(f, models.FileField)]
        for field in file_fields:
            rows = model._base_manager.exclude(**{field.attname: ""}).exclude(
                **{f"{field.attname}__isnull": True}
            )
            for pk, name in rows.values_list("pk", field.attname).iterator():
                if not field.storage.exists(name):
                    problems.append(f"{model._meta.label} pk={pk}: {field.name} → {name}")
    return problems


def unapplied_migrations():
    """ "app.name" of every migration on disk that the configured database has not applied."""
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]
