"""Django's `flush`, able to empty the append-only ledger tables.

The ledger's triggers refuse deleting published rows (migration 0002). Emptying the whole database
(test teardown of transactional tests, `manage.py flush`) is the one legitimate exception: this
command opens the guard for the duration of the flush only. PostgreSQL's TRUNCATE fires no row
triggers, so there it changes nothing.
"""

from django.core.management.commands.flush import Command as FlushCommand
from django.db import DEFAULT_DB_ALIAS, connections

from home.ledger.guard import guard_bypassed


class Command(FlushCommand):
    def handle(self, **options):
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        with guard_bypassed(connection, "flush"):
            return super().handle(**options)
