"""Browser fixtures: Debian's chromium driven by Playwright, logged in per role.

Screenshots go to test-artifacts/ (not committed).
"""

import os
import shutil
from pathlib import Path

import pytest

from django.conf import settings

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make around it
# are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.skip(
            f"Chromium not found at {CHROMIUM}: install it with "
            "`apt-get install -y chromium fonts-wqy-microhei` (see .ci/run)"
        )
    from playwright.sync_api import sync_playwright

    # The serialized reference data survives the event loop's new connection objects through
    # tests/conftest.py::django_db_setup.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def artifacts_dir():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def new_page(browser, live_server, transactional_db):
    """A fresh page in its own context; pass viewport={"width": 390, "height": 844} for a phone."""
    contexts = []

    def make(viewport=None, locale="zh-CN"):
        context = browser.new_context(
            base_url=live_server.url, viewport=viewport or {"width": 1280, "height": 900}, locale=locale
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def login(page, username, password, device=None):
    """Sign in through the real form; with a TOTP device, type its current code on the verify page."""
    page.goto("/admin/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    if device is not None:
        from tests.two_factor_support import totp_code

        page.wait_for_url("**/admin/two-factor/verify/**")
        page.fill("input[name=code]", totp_code(device))
        page.click("[data-testid=two-factor-verify] button[type=submit]")
    page.wait_for_url("**/admin/")


@pytest.fixture
def page_as(new_page, users):
    """A page logged in through the real login form as the given role's user."""
    from tests.conftest import TEST_PASSWORD

    def make(role_key, viewport=None):
        from django_otp.plugins.otp_totp.models import TOTPDevice

        page = new_page(viewport=viewport)
        user = users[role_key]
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        login(page, user.username, TEST_PASSWORD, device=device)
        return page

    return make
