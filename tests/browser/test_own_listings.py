"""The issues listing of our own (issue #16) in a real browser: typing in the header's search box
swaps in our results fragment, and a row's "more" menu opens on the buttons the role may use."""

import pytest

from workflows import roles

pytestmark = pytest.mark.browser


def test_search_swaps_the_rows_and_the_row_menu_offers_the_roles_buttons(page_as, artifacts_dir):
    from tests.snippets.factories import InstitutionFactory, IssueFactory

    institution = InstitutionFactory(name="城关镇敬老院")
    IssueFactory(institution=institution, title="口罩储备不足三天用量")
    issue = IssueFactory(institution=institution, title="体温筛查滞后两天")

    page = page_as(roles.INSPECTOR)
    page.goto("/admin/snippets/snippets/issue/")
    listing = page.locator("#listing-results")
    assert listing.get_by_text("口罩储备不足三天用量").count() == 1

    search = page.get_by_placeholder("搜索…")
    search.fill("体温")
    # Leaving the box fires its change event now (it swaps the rows again when the query is
    # unchanged), not when the row menu is clicked, where the second swap detached the open menu.
    search.blur()
    page.wait_for_url("**q=*")
    listing.get_by_text("口罩储备不足三天用量").wait_for(state="detached")
    page.wait_for_load_state("networkidle")
    assert listing.get_by_text("体温筛查滞后两天").count() == 1

    row = listing.locator("tr", has_text="体温筛查滞后两天")
    row.locator("button.w-dropdown__toggle").click()
    menu = row.locator(".w-dropdown__content")
    menu.get_by_role("link", name="检查").wait_for()
    assert [text.strip() for text in menu.locator("a").all_inner_texts()] == ["编辑", "复制", "检查"]
    page.screenshot(path=str(artifacts_dir / "own-issue-listing.png"), full_page=True)
    menu.get_by_role("link", name="检查").click()
    page.wait_for_url(f"**/inspect/{issue.pk}/")
