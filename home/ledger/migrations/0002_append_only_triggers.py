"""Append-only ledger, enforced by the database (RELIABILITY item 20/21).

A frozen (published) LedgerEntry and every DisclosureRecord reject UPDATE and DELETE, whatever the
client: the ORM's save()/update()/delete(), raw SQL, a DB shell. The only way round is a row in
`ledger_guard_bypass`, a table no model maps, used by this app's `flush` command (test teardown and
`manage.py flush`) and nothing else.
"""

from django.db import migrations

SQLITE_FORWARD = [
    "CREATE TABLE IF NOT EXISTS ledger_guard_bypass (reason varchar(100) NOT NULL)",
    """CREATE TRIGGER ledger_entry_frozen_no_update BEFORE UPDATE ON ledger_ledgerentry
       WHEN OLD.frozen = 1 AND NOT EXISTS (SELECT 1 FROM ledger_guard_bypass)
       BEGIN SELECT RAISE(ABORT, 'ledger entry is published and append-only'); END""",
    """CREATE TRIGGER ledger_entry_frozen_no_delete BEFORE DELETE ON ledger_ledgerentry
       WHEN OLD.frozen = 1 AND NOT EXISTS (SELECT 1 FROM ledger_guard_bypass)
       BEGIN SELECT RAISE(ABORT, 'ledger entry is published and append-only'); END""",
    """CREATE TRIGGER ledger_record_no_update BEFORE UPDATE ON ledger_disclosurerecord
       WHEN NOT EXISTS (SELECT 1 FROM ledger_guard_bypass)
       BEGIN SELECT RAISE(ABORT, 'disclosure records are append-only'); END""",
    """CREATE TRIGGER ledger_record_no_delete BEFORE DELETE ON ledger_disclosurerecord
       WHEN NOT EXISTS (SELECT 1 FROM ledger_guard_bypass)
       BEGIN SELECT RAISE(ABORT, 'disclosure records are append-only'); END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS ledger_entry_frozen_no_update",
    "DROP TRIGGER IF EXISTS ledger_entry_frozen_no_delete",
    "DROP TRIGGER IF EXISTS ledger_record_no_update",
    "DROP TRIGGER IF EXISTS ledger_record_no_delete",
    "DROP TABLE IF EXISTS ledger_guard_bypass",
]

POSTGRES_FORWARD = [
    "CREATE TABLE IF NOT EXISTS ledger_guard_bypass (reason varchar(100) NOT NULL)",
    """CREATE OR REPLACE FUNCTION ledger_append_only() RETURNS trigger AS $$
       BEGIN
         IF EXISTS (SELECT 1 FROM ledger_guard_bypass) THEN
           RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
         END IF;
         IF TG_TABLE_NAME = 'ledger_disclosurerecord' OR OLD.frozen THEN
           RAISE EXCEPTION 'ledger rows are append-only (%)', TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
         END IF;
         RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
       END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER ledger_entry_append_only BEFORE UPDATE OR DELETE ON ledger_ledgerentry
       FOR EACH ROW EXECUTE FUNCTION ledger_append_only()""",
    """CREATE TRIGGER ledger_record_append_only BEFORE UPDATE OR DELETE ON ledger_disclosurerecord
       FOR EACH ROW EXECUTE FUNCTION ledger_append_only()""",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS ledger_entry_append_only ON ledger_ledgerentry",
    "DROP TRIGGER IF EXISTS ledger_record_append_only ON ledger_disclosurerecord",
    "DROP FUNCTION IF EXISTS ledger_append_only()",
    "DROP TABLE IF EXISTS ledger_guard_bypass",
]


def run(statements_by_vendor):
    def apply(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor)
        if statements is None:
            raise RuntimeError(f"No append-only triggers for {schema_editor.connection.vendor}")
        for statement in statements:
            # params=None: no placeholder interpolation, so PL/pgSQL's RAISE '%' passes through.
            schema_editor.execute(statement, params=None)

    return apply


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [
        migrations.RunPython(
            run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
