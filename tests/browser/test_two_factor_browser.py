"""The second factor in a real browser: enrolment with the QR page, verification, a wrong code."""

import base64

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import TEST_PASSWORD
from tests.two_factor_support import totp_code
from workflows import roles

pytestmark = pytest.mark.browser


def submit_password(page, username):
    page.goto("/admin/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")


def test_a_new_leader_enrols_by_scanning_the_qr_code_and_lands_on_the_dashboard(
    new_page, make_user, artifacts_dir
):
    leader = make_user(roles.LEADERSHIP, username="new-leader")
    TOTPDevice.objects.filter(user=leader).delete()
    page = new_page()
    submit_password(page, leader.username)
    page.wait_for_url("**/admin/two-factor/setup/**")
    assert page.locator("[data-testid=two-factor-qr] svg").is_visible()
    secret = page.locator("[data-testid=two-factor-secret]").inner_text().strip()
    page.screenshot(path=artifacts_dir / "two-factor-setup.png")

    # Until enrolment is done, the admin sends the user back here.
    page.goto("/admin/pages/")
    page.wait_for_url("**/admin/two-factor/setup/**")

    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    page.fill("input[name=code]", f"{TOTP(key).token():06d}")
    page.click("[data-testid=two-factor-setup] button[type=submit]")
    page.wait_for_url("**/admin/pages/")
    assert TOTPDevice.objects.get(user=leader).confirmed


def test_an_administrator_types_a_wrong_code_then_the_right_one(new_page, users, artifacts_dir):
    admin = users[roles.ADMINISTRATOR]
    device = TOTPDevice.objects.get(user=admin, confirmed=True)
    page = new_page()
    submit_password(page, admin.username)
    page.wait_for_url("**/admin/two-factor/verify/**")
    right = totp_code(device)
    page.fill("input[name=code]", "000000" if right != "000000" else "111111")
    page.click("[data-testid=two-factor-verify] button[type=submit]")
    page.wait_for_load_state()
    assert "验证码不正确" in page.content()
    assert "/admin/two-factor/verify/" in page.url
    page.screenshot(path=artifacts_dir / "two-factor-wrong-code.png")

    page.wait_for_timeout(1100)  # the device refuses every code for 1 s after a wrong one
    page.fill("input[name=code]", totp_code(device))
    page.click("[data-testid=two-factor-verify] button[type=submit]")
    page.wait_for_url("**/admin/")
    page.wait_for_selector("main")
