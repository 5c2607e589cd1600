"""seed_demo: one user per role, the site root and home page; idempotent; refused in production."""

import io

import pytest

from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from wagtail.models import Page, Site

from home.models import HomePage
from workflows import roles
from workflows.demo import DEMO_PASSWORD, DEMO_USERS

pytestmark = pytest.mark.django_db


def _seed():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _snapshot():
    User = get_user_model()
    return {
        "users": sorted(User.objects.values_list("username", "password", "last_login")),
        "pages": sorted(Page.objects.values_list("path", "title", "live", "latest_revision_id")),
        "sites": sorted(Site.objects.values_list("hostname", "root_page_id", "is_default_site")),
    }


def test_seed_demo_creates_one_user_per_role_with_the_printed_password():
    output = _seed()
    User = get_user_model()
    for username, role_key, _name, _email in DEMO_USERS:
        user = User.objects.get(username=username)
        assert user.check_password(DEMO_PASSWORD)
        assert roles.user_has_role(user, role_key)
        assert username in output
    assert DEMO_PASSWORD in output
    assert {role.key for role in roles.ROLES} == {role_key for _u, role_key, _n, _e in DEMO_USERS}


def test_seed_demo_makes_the_home_page_the_default_sites_root():
    _seed()
    site = Site.objects.get(is_default_site=True)
    assert isinstance(site.root_page.specific, HomePage)
    assert site.root_page.live


def test_a_second_seed_demo_run_changes_nothing():
    _seed()
    before = _snapshot()
    _seed()
    assert _snapshot() == before


def test_seed_demo_is_refused_when_demo_data_is_not_allowed(settings):
    settings.ALLOW_DEMO_DATA = False
    with pytest.raises(CommandError, match="refused in production"):
        call_command("seed_demo", stdout=io.StringIO())
    assert not get_user_model().objects.filter(username="leader").exists()


def test_the_home_page_is_served_after_seeding(client):
    _seed()
    response = client.get("/")
    assert response.status_code == 200
    assert "大爱无疆" in response.content.decode()
