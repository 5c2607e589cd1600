"""The dashboard's materialised figures (`workflows.dashboard.snapshots`): identical to the live
queries on generated data, read by a cold render instead of the aggregates, and never served once
the data has changed (a stage move, a completed visit, a renamed institution, a bulk insert, a new
day)."""

import datetime as dt
import random

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from snippets.models import Institution
from tests.bench import data
from workflows import roles
from workflows.dashboard import cache, queries, snapshots, tasks
from workflows.dashboard.queries import DashboardScope
from workflows.models import DashboardSnapshot

URL = reverse("workflows_dashboard:index")


@pytest.fixture(autouse=True)
def fresh_cache():
    cache._cache().clear()
    yield
    cache._cache().clear()


@pytest.fixture
def generated(db):
    """Bench-shaped data, small: 30 institutions, 3 rounds of visits with answers, 1,200 issues in
    every stage with their closing moves and escalations, 900 ledger rows over 60 days."""
    rng = random.Random(20261203)
    today = timezone.localdate()
    institution_list = data.institutions(30)
    visit_list = data.visits(rng, institution_list, today, rounds=3, answers_per_visit=5)
    data.issues(rng, 1200, institution_list=institution_list, today=today, visit_list=visit_list)
    data.workflow_history(today)
    data.ledger(rng, 900, today=today, institution_list=institution_list)
    return {"institutions": institution_list, "visits": visit_list, "today": today}


def _shared_scope():
    return tasks._shared_scope()


def _live(scope):
    return {name: compute(scope) for name, compute in tasks.FIGURES}


def test_materialised_figures_equal_the_live_queries_on_generated_data(generated):
    tasks.refresh_dashboard()
    for language in ("zh-hans", "en"):
        with translation.override(language):
            scope = _shared_scope()
            live = _live(scope)
            assert live["inspections"]["headline"]["total"] == 1200
            for name in live:
                stored = snapshots.read(scope, name, cache.version(scope))
                assert stored is not None, (language, name)
                assert stored == live[name], (language, name)
    # One snapshot per language: the English figures carry English labels.
    labels = {}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            stored = snapshots.read(scope, "inspections", cache.version(scope))
            labels[language] = [row["label"] for row in stored["by_stage"]]
    assert labels["en"][0] == "Registered"
    assert labels["zh-hans"][0] != labels["en"][0]


def test_a_page_reads_snapshots_but_never_writes_one(generated, client, users, make_user):
    """On the embedded SQLite a write would wait behind a running import's lock; a read does not."""
    client.force_login(users[roles.LEADERSHIP])
    assert client.get(URL).status_code == 200
    assert not DashboardSnapshot.objects.exists()
    # A unit's figures are cached (not materialised), and equal the live ones.
    unit = make_user(roles.RESPONSIBLE_UNIT, username="unit-gen")
    mine = generated["institutions"][:3]
    for institution in mine:
        institution.responsible_users.add(unit)
    scope = DashboardScope.for_user(unit)
    live = queries.inspection_figures(scope)
    assert cache.cached(scope, "inspections", queries.inspection_figures) == live
    assert {row["label"] for row in live["by_institution"]} <= {institution.name for institution in mine}
    client.force_login(unit)
    assert client.get(URL).status_code == 200
    assert not DashboardSnapshot.objects.exists()


def _render(client):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL)
    assert response.status_code == 200
    return response.content.decode(), [q["sql"] for q in ctx.captured_queries]


def test_a_cold_cache_reads_the_snapshot_not_the_aggregates(generated, client, users):
    client.force_login(users[roles.LEADERSHIP])
    scope = _shared_scope()
    with CaptureQueriesContext(connection) as ctx:
        _live(scope)
    figure_queries = {q["sql"] for q in ctx.captured_queries}
    assert len(figure_queries) > 10
    headline = queries.headline(scope)

    tasks.refresh_dashboard()
    cache._cache().clear()
    html, sql = _render(client)
    assert f'data-figure="open">{headline["open"]}<' in html
    assert figure_queries.isdisjoint(sql)

    DashboardSnapshot.objects.all().delete()
    cache._cache().clear()
    html_computed, sql_computed = _render(client)
    assert f'data-figure="open">{headline["open"]}<' in html_computed
    assert figure_queries <= set(sql_computed)


def _current_after(change, django_capture_on_commit_callbacks):
    tasks.refresh_dashboard()
    scope = _shared_scope()
    assert cache.is_current(scope, "inspections")
    with django_capture_on_commit_callbacks(execute=True):
        change()
    return cache.is_current(_shared_scope(), "inspections")


def test_a_stage_move_makes_the_snapshot_stale_and_the_page_shows_it(
    generated, client, users, django_capture_on_commit_callbacks
):
    from snippets.models import Issue
    from workflows import services

    client.force_login(users[roles.LEADERSHIP])
    tasks.refresh_dashboard()
    scope = _shared_scope()
    before = queries.headline(scope)
    submitted = Issue.objects.filter(stage="submitted").order_by("pk").first()

    def close():
        services.transition(submitted.pk, "close", users[roles.LEADERSHIP])

    assert _current_after(close, django_capture_on_commit_callbacks) is False
    cache._cache().clear()
    html, _sql = _render(client)
    assert f'data-figure="open">{before["open"] - 1}<' in html


def test_a_completed_visit_makes_the_snapshot_stale(generated, users, django_capture_on_commit_callbacks):
    from snippets import services
    from snippets.choices import Answer
    from tests.snippets.factories import InspectionRoundFactory, VisitFactory

    today = generated["today"]
    visit = VisitFactory(
        institution=generated["institutions"][0],
        inspection_round=InspectionRoundFactory(starts_on=today, ends_on=today + dt.timedelta(days=5)),
    )
    answers = services.ensure_answers(visit)
    for answer in answers:
        answer.answer = Answer.PASS
        answer.save()

    def complete():
        assert services.complete_visit(visit, users[roles.INSPECTOR]) == []

    assert _current_after(complete, django_capture_on_commit_callbacks) is False
    total = queries.urban_rural(_shared_scope())["total"]
    assert total["urban"]["visits"] + total["rural"]["visits"] == len(generated["visits"]) + 1


def test_a_renamed_institution_makes_the_snapshot_stale(generated, django_capture_on_commit_callbacks):
    institution = generated["institutions"][0]

    def rename():
        renamed = Institution.objects.get(pk=institution.pk)
        renamed.name = "更名后的敬老院"
        renamed.save()

    assert _current_after(rename, django_capture_on_commit_callbacks) is False


def test_bulk_inserted_rows_make_the_snapshot_stale_without_any_signal(generated):
    tasks.refresh_dashboard()
    assert cache.is_current(_shared_scope(), "donations")
    data.ledger(random.Random(1), 3, today=generated["today"], start=10_000)
    assert not cache.is_current(_shared_scope(), "donations")


def test_a_new_day_reads_no_snapshot_of_yesterday(generated):
    tasks.refresh_dashboard()
    tomorrow = DashboardScope.for_user(_shared_scope().user, today=generated["today"] + dt.timedelta(days=1))
    assert not cache.is_current(tomorrow, "inspections")


def test_the_refresh_prunes_snapshots_older_than_the_kept_days(generated):
    old_day = generated["today"] - dt.timedelta(days=snapshots.KEEP_DAYS + 1)
    kept_day = generated["today"] - dt.timedelta(days=snapshots.KEEP_DAYS)
    for day in (old_day, kept_day):
        DashboardSnapshot.objects.create(
            scope_key="all", day=day, language="zh-hans", name="inspections", version="x", figures={}
        )
    result = tasks.refresh_dashboard()
    assert result["pruned"] == 1
    assert set(DashboardSnapshot.objects.values_list("day", flat=True)) == {kept_day, generated["today"]}
