"""Wagtail's admin speaks Chinese to a Chinese user and English when asked."""

import pytest

from workflows import roles

pytestmark = pytest.mark.django_db


def test_the_admin_dashboard_is_in_chinese_by_default(client, users):
    client.force_login(users[roles.LEADERSHIP])
    response = client.get("/admin/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="zh-hans"' in html
    assert "仪表板" in html or "控制面板" in html or "页面" in html


def test_the_admin_speaks_english_to_a_user_who_chose_english(client, users):
    from wagtail.users.models import UserProfile

    leader = users[roles.LEADERSHIP]
    profile = UserProfile.get_for_user(leader)
    profile.preferred_language = "en"
    profile.save()
    client.force_login(leader)
    html = client.get("/admin/").content.decode()
    assert 'lang="en"' in html


def test_anonymous_users_are_sent_to_the_login_page(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
