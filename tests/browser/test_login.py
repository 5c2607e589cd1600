"""Each role's user logs in through the real login form and sees the admin dashboard."""

import pytest

from workflows import roles

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("role_key", [role.key for role in roles.ROLES])
def test_each_role_logs_in_and_sees_the_admin_dashboard(page_as, users, role_key, artifacts_dir):
    page = page_as(role_key)
    assert page.url.endswith("/admin/")
    # The dashboard greets the user by name, in Chinese.
    page.wait_for_selector("main")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("#main, main").count() >= 1
    page.screenshot(path=artifacts_dir / f"admin-dashboard-{role_key}.png")


def test_a_wrong_password_is_refused_with_a_message(new_page, users):
    page = new_page()
    page.goto("/admin/login/")
    page.fill("input[name=username]", users[roles.LEADERSHIP].username)
    page.fill("input[name=password]", "wrong password")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/admin/login/" in page.url
    assert page.locator(".help-critical, .error-message, [role=alert], .messages").count() >= 1
