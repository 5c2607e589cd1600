"""The site and the admin work in Chromium under their Content-Security-Policy (RELIABILITY 34).

Every page of the demo site is loaded with a listener for CSP violations, both as the browser
reports them in the console and as `securitypolicyviolation` events: a template that gains an
inline script or handler, or an admin screen that needs more than the admin policy allows, fails.
"""

import pytest

from django.core.management import call_command

from home.ledger.models.disclosure import DisclosurePage
from home.models import AppealPage
from workflows import roles

pytestmark = pytest.mark.browser

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`
  );
});
"""


def watch(page):
    """Record CSP violations of every later navigation of `page`; returns the console list."""
    console = []
    page.context.add_init_script(RECORD_VIOLATIONS)
    page.on(
        "console",
        lambda message: console.append(message.text) if "Content Security Policy" in message.text else None,
    )
    return console


def visit(page, console, path):
    response = page.goto(path)
    assert response.status < 400, (path, response.status)
    assert response.headers.get("content-security-policy"), path
    page.wait_for_load_state("networkidle")
    violations = page.evaluate("window.__cspViolations")
    assert (console, violations) == ([], []), path


@pytest.fixture
def demo_site(transactional_db, users):
    # The test users exist first: seed_demo leaves existing accounts unchanged.
    call_command("seed_demo", verbosity=0)
    disclosure = DisclosurePage.objects.live().order_by("-pk").first()
    assert disclosure is not None
    return {"disclosure": disclosure.url, "appeal": AppealPage.objects.live().first()}


def test_public_pages_and_the_login_page_raise_no_csp_violation(new_page, demo_site, artifacts_dir):
    page = new_page()
    console = watch(page)
    for path in ["/", "/appeal/", "/channels/", demo_site["disclosure"], "/check/", "/admin/login/"]:
        visit(page, console, path)
    # The login page's own script still runs: Wagtail's login form is interactive.
    page.fill("input[name=username]", "nobody")
    page.screenshot(path=artifacts_dir / "csp-login.png")


def test_admin_pages_work_under_the_admin_policy(page_as, demo_site, artifacts_dir):
    page = page_as(roles.ADMINISTRATOR)
    console = watch(page)
    appeal = demo_site["appeal"]
    for path in [
        "/admin/",
        f"/admin/pages/{appeal.pk}/edit/",
        f"/admin/pages/{appeal.get_parent().pk}/",
        "/admin/images/",
        "/admin/reports/site-history/",
        "/admin/users/",
    ]:
        visit(page, console, path)
        # The sidebar is rendered by Wagtail's JavaScript: it only appears if the scripts ran.
        page.locator("#wagtail-sidebar .sidebar-main-menu").first.wait_for()
    page.screenshot(path=artifacts_dir / "csp-admin.png")


def test_public_pages_with_the_wagtail_userbar_raise_no_csp_violation(page_as, demo_site):
    page = page_as(roles.ADMINISTRATOR)
    console = watch(page)
    for path in ["/", "/appeal/"]:
        visit(page, console, path)
        # Logged in, the public page carries Wagtail's userbar, under the strict site policy.
        page.locator("wagtail-userbar").first.wait_for(state="attached")


def test_the_page_editor_preview_renders_under_both_policies(page_as, demo_site):
    page = page_as(roles.ADMINISTRATOR)
    console = watch(page)
    appeal = demo_site["appeal"]
    visit(page, console, f"/admin/pages/{appeal.pk}/edit/")
    page.locator("[data-side-panel-toggle='preview']").first.click()
    frame = page.frame_locator("#w-preview-iframe")
    frame.locator("body").first.wait_for()
    page.wait_for_load_state("networkidle")
    assert (console, page.evaluate("window.__cspViolations")) == ([], [])
