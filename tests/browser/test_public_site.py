"""The public site in a real browser: a communications editor changes the appeal's lead, leadership
approves it, the public sees it; screenshots of the home and channels pages go to test-artifacts/."""

import pytest

from home.models import AppealPage
from home.services import ensure_moderation_workflow
from tests.home import factories
from workflows import roles

pytestmark = pytest.mark.browser

NEW_LEAD = "疫情当前，我们再次呼吁：大爱无疆、共克时艰、战胜疫情！"


@pytest.fixture
def site_tree(transactional_db):
    channels = [
        factories.DonationChannelFactory(
            name="市慈善总会疫情防控捐赠专户", account_number="6222 0210 0104 2368 117"
        ),
        factories.OnlineChannelFactory(
            name="市慈善总会网上捐赠平台", payment_url="https://pay.cishan.example.gov.cn/donate/yiqing2026"
        ),
        factories.HotlineChannelFactory(name="疫情防控捐赠咨询热线"),
    ]
    home, appeal, channels_page = factories.build_site(channels[:2])
    ensure_moderation_workflow()
    return {"home": home, "appeal": appeal, "channels_page": channels_page}


def open_action_menu(page):
    page.locator("footer [data-w-dropdown-target='toggle'], footer .dropdown-toggle").first.click()


def test_comms_edits_the_lead_a_leader_approves_and_the_public_sees_it(page_as, site_tree, artifacts_dir):
    appeal = site_tree["appeal"]

    editor = page_as(roles.COMMUNICATIONS)
    editor.goto(f"/admin/pages/{appeal.pk}/edit/")
    editor.fill("#id_lead", NEW_LEAD)
    open_action_menu(editor)
    editor.locator("button[name='action-submit']").click()
    editor.wait_for_url("**/admin/pages/**")
    editor.screenshot(path=artifacts_dir / "public-site-comms-submitted.png")
    assert AppealPage.objects.get(pk=appeal.pk).lead != NEW_LEAD
    editor.goto("/appeal/")
    assert NEW_LEAD not in editor.content()

    leader = page_as(roles.LEADERSHIP)
    leader.goto(f"/admin/pages/{appeal.pk}/edit/")
    assert leader.locator("#id_lead").input_value() == NEW_LEAD
    open_action_menu(leader)
    leader.locator("button[data-workflow-action-name='approve'], button[value='approve']").first.click()
    leader.wait_for_load_state()
    leader.screenshot(path=artifacts_dir / "public-site-leader-approved.png")

    leader.goto("/appeal/")
    assert leader.locator(".lead").inner_text() == NEW_LEAD
    assert AppealPage.objects.get(pk=appeal.pk).lead == NEW_LEAD


@pytest.mark.parametrize("viewport", [None, {"width": 390, "height": 844}], ids=["desktop", "phone"])
def test_screenshots_of_the_home_and_channels_pages(new_page, site_tree, artifacts_dir, viewport):
    page = new_page(viewport=viewport)
    suffix = "phone" if viewport else "desktop"
    page.goto("/")
    assert page.locator("h1").inner_text() == "抗击疫情 爱心捐赠"
    assert page.locator(".total-cash").inner_text() == "0.00"
    page.screenshot(path=artifacts_dir / f"public-home-{suffix}.png", full_page=True)
    page.goto("/channels/")
    assert page.locator("h2", has_text="银行转账").count() == 1
    qr = page.locator("img.qr").first
    qr.wait_for()
    # The server-generated QR code loaded (natural width > 0) and is the size the page declared.
    assert page.evaluate("img => img.naturalWidth", qr.element_handle()) == int(qr.get_attribute("width"))
    page.screenshot(path=artifacts_dir / f"public-channels-{suffix}.png", full_page=True)


def test_the_channel_edit_form_shows_payment_fields_and_hides_the_version(page_as, site_tree, artifacts_dir):
    from home.models import DonationChannel

    channel = DonationChannel.objects.get(kind="bank")
    editor = page_as(roles.COMMUNICATIONS)
    editor.goto(f"/admin/snippets/home/donationchannel/edit/{channel.pk}/")
    assert editor.locator("#id_account_number").input_value() == channel.account_number
    version = editor.locator("input[name='payment_version']")
    assert version.get_attribute("type") == "hidden" and version.input_value() == "0"
    editor.screenshot(path=artifacts_dir / "admin-channel-edit.png", full_page=True)


def test_a_visitor_checks_an_unknown_account_and_is_warned(new_page, site_tree, artifacts_dir):
    page = new_page(viewport={"width": 390, "height": 844})
    page.goto("/check/")
    page.fill("#id_account_number", "6222 9999 8888 7777")
    page.click("form.check-form button[type=submit]")
    page.wait_for_selector(".check-unknown")
    assert "不是本局公布的捐赠渠道" in page.locator(".check-unknown h2").inner_text()
    assert page.locator(".check-unknown a[href^='tel:']").inner_text() == "0571 12345"
    page.screenshot(path=artifacts_dir / "public-channel-check-unknown.png", full_page=True)
