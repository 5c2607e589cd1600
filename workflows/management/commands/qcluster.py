"""`qcluster`, refusing a second cluster on one SQLite database (RELIABILITY item 28).

django-q2's scheduler lock (select_for_update) does nothing on SQLite, so two clusters on one SQLite
file would both run every schedule. An exclusive lock file beside the database, held for the life of
the process, makes the second one exit with a clear message. PostgreSQL + Redis deployments run as
many clusters as they like.
"""

import fcntl
from pathlib import Path

from django_q.management.commands.qcluster import Command as DjangoQClusterCommand

from django.core.management.base import CommandError
from django.db import connection


class Command(DjangoQClusterCommand):
    def handle(self, *args, **options):
        if connection.vendor == "sqlite":
            self._lock = self._take_sqlite_lock(Path(connection.settings_dict["NAME"]))
        return super().handle(*args, **options)

    @staticmethod
    def _take_sqlite_lock(database_path):
        lock_path = database_path.with_name(database_path.name + ".qcluster.lock")
        lock_file = open(lock_path, "w")  # noqa: SIM115 - held open for the life of the process
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            lock_file.close()
            raise CommandError(
                f"另一个 qcluster 已在使用此 SQLite 数据库 / Another qcluster is already running on "
                f"{database_path}. On SQLite run exactly one qcluster (scheduler locking does not work "
                "there); use PostgreSQL and Redis for several."
            ) from exc
        return lock_file
