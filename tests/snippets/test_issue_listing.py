import datetime
import io

import pytest
from openpyxl import load_workbook

from django.urls import reverse
from django.utils import timezone

from tests.snippets.factories import InstitutionFactory, IssueFactory
from workflows import roles

pytestmark = pytest.mark.django_db


@pytest.fixture
def issues():
    today = timezone.localdate()
    urban = InstitutionFactory(name="城区敬老院", township="城关镇", area="urban")
    rural = InstitutionFactory(name="农村敬老院", township="河西乡", area="rural")
    return {
        "overdue": IssueFactory(
            title="甲逾期问题",
            institution=rural,
            deadline=today - datetime.timedelta(days=2),
            severity="high",
        ),
        "due": IssueFactory(
            title="乙未到期问题", institution=urban, deadline=today + datetime.timedelta(days=5)
        ),
        "closed": IssueFactory(
            title="丙已销号问题",
            institution=urban,
            deadline=today - datetime.timedelta(days=9),
            stage="closed",
        ),
    }


def listed(client, **params):
    response = client.get(reverse("wagtailsnippets_snippets_issue:list"), params)
    assert response.status_code == 200
    content = response.content.decode()
    return {title for title in ("甲逾期问题", "乙未到期问题", "丙已销号问题") if title in content}


def test_the_issue_listing_filters_by_overdue_township_area_stage_and_severity(client, users, issues):
    client.force_login(users[roles.LEADERSHIP])
    assert listed(client) == {"甲逾期问题", "乙未到期问题", "丙已销号问题"}
    assert listed(client, overdue="true") == {"甲逾期问题"}
    assert listed(client, township="河西乡") == {"甲逾期问题"}
    assert listed(client, area="urban") == {"乙未到期问题", "丙已销号问题"}
    assert listed(client, stage="closed") == {"丙已销号问题"}
    assert listed(client, severity="high") == {"甲逾期问题"}
    assert listed(client, q="未到期") == {"乙未到期问题"}


def test_the_issue_export_is_a_spreadsheet_with_township_and_area(client, users, issues):
    client.force_login(users[roles.INSPECTOR])
    response = client.get(reverse("wagtailsnippets_snippets_issue:list"), {"export": "xlsx", "area": "rural"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = load_workbook(io.BytesIO(body)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert "乡镇（街道）" in rows[0] and "城乡" in rows[0]
    assert len(rows) == 2
    assert issues["overdue"].number in rows[1]
    assert "河西乡" in rows[1]
