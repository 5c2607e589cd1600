"""Issue #8, measurement 9: the issues listing's queries do not grow with the records or with the
institutions and visits its filters offer, and stay within 15 per page; its related-record filters
are choosers that still filter, and still keep to the user's scope."""

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from snippets.choices import RoundMode
from tests.snippets.factories import InspectionRoundFactory, InstitutionFactory, IssueFactory, VisitFactory
from workflows import roles

pytestmark = pytest.mark.django_db

URL = reverse("wagtailsnippets_snippets_issue:list")
MAX_QUERIES = 15


def _queries(client, **params):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL, params)
    assert response.status_code == 200
    return len(captured.captured_queries), response.content.decode()


def _add(count):
    for _ in range(count):
        visit = VisitFactory()
        IssueFactory(institution=visit.institution, visit=visit)


@pytest.mark.parametrize("role_key", [roles.LEADERSHIP, roles.INSPECTOR, roles.RESPONSIBLE_UNIT])
def test_the_issue_listing_costs_the_same_few_queries_at_two_sizes(client, users, role_key):
    user = users[role_key]
    client.force_login(user)
    _add(2)
    if role_key == roles.RESPONSIBLE_UNIT:
        for institution in InstitutionFactory._meta.model.objects.all():
            institution.responsible_users.add(user)
    client.get(URL)  # warm up (per-process caches: content types, site root)
    small, _ = _queries(client)
    _add(12)
    if role_key == roles.RESPONSIBLE_UNIT:
        for institution in InstitutionFactory._meta.model.objects.all():
            institution.responsible_users.add(user)
    large, _ = _queries(client)
    assert small == large
    assert large <= MAX_QUERIES, large


def test_the_role_menus_and_scopes_read_the_users_groups_once(client, users):
    client.force_login(users[roles.INSPECTOR])
    client.get(URL)
    with CaptureQueriesContext(connection) as captured:
        client.get(URL)
    group_reads = [q for q in captured.captured_queries if q["sql"].startswith('SELECT "auth_group"."name"')]
    # One for the memo (record scopes and the rectification menu); at most one more that this
    # module does not own (the dashboard menu item reads the groups itself).
    assert len(group_reads) <= 2, [q["sql"][:90] for q in group_reads]


def test_the_institution_and_visit_filters_are_choosers_that_still_filter(client, users):
    client.force_login(users[roles.LEADERSHIP])
    first, second = VisitFactory(), VisitFactory()
    IssueFactory(title="甲检查发现", institution=first.institution, visit=first)
    IssueFactory(title="乙检查发现", institution=second.institution, visit=second)
    _, page = _queries(client)
    # No option per institution or visit is rendered.
    assert f'<option value="{first.pk}"' not in page
    _, page = _queries(client, visit=first.pk)
    assert "甲检查发现" in page and "乙检查发现" not in page
    _, page = _queries(client, institution=second.institution.pk)
    assert "乙检查发现" in page and "甲检查发现" not in page


def test_a_visit_filter_outside_the_units_scope_names_nothing(client, users):
    unit = users[roles.RESPONSIBLE_UNIT]
    client.force_login(unit)
    mine = InstitutionFactory(name="本单位敬老院")
    mine.responsible_users.add(unit)
    hidden_round = InspectionRoundFactory(name="暗访轮次甲", mode=RoundMode.UNANNOUNCED)
    hidden = VisitFactory(institution=mine, inspection_round=hidden_round)
    other = VisitFactory(institution=InstitutionFactory(name="别家敬老院"))
    for visit in (hidden, other):
        _, page = _queries(client, visit=visit.pk)
        assert "暗访轮次甲" not in page
        assert "别家敬老院" not in page
