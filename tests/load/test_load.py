"""Issue #9 load test, at a smaller scale than `tests/load/run_load.py`'s default: gunicorn with the
production settings and the page cache on serves the public pages and open data to a load generator
while another process imports a ledger file and runs the overdue sweep. Nothing fails, nothing is
lost."""

import datetime as dt

import pytest

from django.utils import timezone

from home.ledger import services
from home.ledger.models import ImportBatch, LedgerEntry
from tests.conftest import BASE_DIR, _cluster_env
from tests.home import factories
from tests.home import ledger_support as files
from tests.load import run_load
from tests.workflows.factories import IssueCategoryFactory, issue_in_stage
from workflows.models import Escalation

pytestmark = [pytest.mark.load, pytest.mark.django_db(transaction=True)]

DAY = dt.date(2020, 2, 3)
IMPORT_ROWS = 2000
OVERDUE_ITEMS = 12


@pytest.fixture
def public_site(transactional_db):
    factories.build_site([factories.DonationChannelFactory(), factories.HotlineChannelFactory()])
    services.ensure_disclosure_index()
    for index in range(60):
        files.add_cash(f"XJ{index:04d}", DAY, "100.00", name=f"王{index}")
    services.draft_disclosure(DAY, submit=False, publish=True)


@pytest.fixture
def overdue_items(transactional_db):
    category = IssueCategoryFactory()
    deadline = timezone.localdate() - dt.timedelta(days=30)
    return [
        issue_in_stage("in_progress", category=category, deadline=deadline) for _i in range(OVERDUE_ITEMS)
    ]


def test_public_pages_and_open_data_serve_without_errors_while_an_import_and_the_sweep_run(
    public_site, overdue_items
):
    result = run_load.run(
        database_url=_cluster_env()["DATABASE_URL"],
        duration=8.0,
        rows=IMPORT_ROWS,
        workers=2,
        processes=2,
        threads=6,
        workdir=BASE_DIR / "var" / "load",
    )
    summary = run_load.report(result)
    load = result["load"]
    assert load["errors"] == 0, summary
    assert load["requests"] > 0 and set(load["per_path"]) == set(result["paths"]), summary

    imported = result["background"]["import"]
    assert imported.get("status") == "done", summary
    batch = ImportBatch.objects.get(pk=imported["batch"])
    assert batch.status == "done" and batch.cash_count == IMPORT_ROWS
    assert LedgerEntry.objects.filter(number__startswith=imported["prefix"]).count() == IMPORT_ROWS

    swept = result["background"]["sweep"]
    assert "escalations" in swept, summary
    escalated = set(Escalation.objects.filter(run_id=swept["run"]).values_list("issue_id", flat=True))
    assert escalated == {item.pk for item in overdue_items}, summary
    assert result["ok"], summary
