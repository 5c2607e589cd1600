"""The one switch that opens the append-only triggers: used by `flush` only (see migration 0002)."""

import contextlib

from django.db import connection as default_connection

BYPASS_TABLE = "ledger_guard_bypass"


@contextlib.contextmanager
def guard_bypassed(connection=None, reason="maintenance"):
    connection = connection or default_connection
    with connection.cursor() as cursor:
        present = BYPASS_TABLE in connection.introspection.table_names(cursor)
        if present:
            cursor.execute(f"INSERT INTO {BYPASS_TABLE} (reason) VALUES (%s)", [reason[:100]])  # noqa: S608
    try:
        yield
    finally:
        if present:
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {BYPASS_TABLE}")  # noqa: S608
