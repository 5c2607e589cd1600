"""Wagtail's generic admin surfaces keep to the user's scope (issue #18): bulk actions and the site
history report name what the user may see, and nothing else; an out-of-scope id is a missing one."""

import pytest

from wagtail.log_actions import log

from snippets.choices import RoundMode
from tests.snippets.factories import InspectionRoundFactory, InstitutionFactory, IssueFactory, VisitFactory
from workflows import roles

pytestmark = pytest.mark.django_db

UNIT = roles.RESPONSIBLE_UNIT


@pytest.fixture
def world(users):
    own = InstitutionFactory(name="本单位敬老院")
    own.responsible_users.add(users[UNIT])
    other = InstitutionFactory(name="别家敬老院", township="河西乡")
    coming = InspectionRoundFactory(name="下周暗访轮次", mode=RoundMode.UNANNOUNCED)
    hidden_visit = VisitFactory(inspection_round=coming, institution=own)
    own_issue = IssueFactory(institution=own, title="本单位的问题")
    other_issue = IssueFactory(institution=other, title="别家的问题")
    for record in (own, other, coming, hidden_visit, own_issue, other_issue):
        log(record, "wagtail.edit", user=users[roles.INSPECTOR])
    return {
        "own": own,
        "other": other,
        "coming": coming,
        "own_issue": own_issue,
        "other_issue": other_issue,
    }


def bulk_url(model_name, *ids):
    return f"/admin/bulk/snippets/{model_name}/delete/?" + "&".join(f"id={pk}" for pk in ids)


def test_a_unit_s_bulk_page_lists_its_own_issue_and_not_another_institution_s(client, users, world):
    client.force_login(users[UNIT])
    own, other = world["own_issue"], world["other_issue"]
    for url in (bulk_url("issue", "all"), bulk_url("issue", own.pk, other.pk)):
        page = client.get(url).content.decode()
        assert own.number in page, url
        assert other.number not in page and "别家的问题" not in page, url


def test_a_bulk_action_naming_only_out_of_scope_records_is_a_404_like_a_missing_id(client, users, world):
    client.force_login(users[UNIT])
    assert client.get(bulk_url("issue", 999999)).status_code == 404
    assert client.get(bulk_url("issue", world["other_issue"].pk)).status_code == 404
    assert client.get(bulk_url("institution", world["other"].pk)).status_code == 404
    assert client.get(bulk_url("inspectionround", world["coming"].pk)).status_code == 404
    assert client.get(bulk_url("inspectionround", "all")).status_code == 404


def test_communications_staff_get_no_round_or_visit_from_bulk_pages(client, users, world):
    client.force_login(users[roles.COMMUNICATIONS])
    for model_name in ("inspectionround", "visit"):
        response = client.get(bulk_url(model_name, "all"))
        assert response.status_code == 404, model_name
        assert "下周暗访轮次" not in response.content.decode()


def test_an_administrator_s_bulk_page_still_lists_every_record(client, users, world):
    client.force_login(users[roles.ADMINISTRATOR])
    page = client.get(bulk_url("institution", "all")).content.decode()
    assert "本单位敬老院" in page and "别家敬老院" in page


def test_site_history_shows_a_unit_the_history_of_its_own_records_only(client, users, world):
    client.force_login(users[UNIT])
    for url in (
        "/admin/reports/site-history/",
        "/admin/reports/site-history/results/",
        "/admin/reports/site-history/?export=csv",
    ):
        response = client.get(url)
        content = b"".join(response.streaming_content) if response.streaming else response.content
        body = content.decode("utf-8")
        assert world["own_issue"].number in body and "本单位敬老院" in body, url
        assert world["other_issue"].number not in body, url
        assert "别家敬老院" not in body and "下周暗访轮次" not in body, url


def test_site_history_shows_an_inspector_every_record(client, users, world):
    client.force_login(users[roles.INSPECTOR])
    body = client.get("/admin/reports/site-history/").content.decode()
    assert world["other_issue"].number in body and "下周暗访轮次" in body
