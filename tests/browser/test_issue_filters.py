"""The issues listing's related-record filters are choosers (issue #8, measurement 9: a dropdown of
every institution and visit cost a query each and a quarter of the page): choosing an institution in
the filter's modal narrows the listing in a real browser."""

import pytest

from workflows import roles

pytestmark = pytest.mark.browser


def test_choosing_an_institution_in_the_filter_narrows_the_issue_listing(page_as, artifacts_dir):
    from tests.snippets.factories import InstitutionFactory, IssueFactory, VisitFactory

    town = VisitFactory(institution=InstitutionFactory(name="城关镇敬老院"))
    village = VisitFactory(institution=InstitutionFactory(name="河口乡福利院"))
    IssueFactory(institution=town.institution, visit=town, title="口罩储备不足三天用量")
    IssueFactory(institution=village.institution, visit=village, title="体温筛查滞后两天")

    page = page_as(roles.INSPECTOR)
    page.goto("/admin/snippets/snippets/issue/")
    listing = page.locator("table.listing")
    assert listing.get_by_text("口罩储备不足三天用量").count() == 1
    assert listing.get_by_text("体温筛查滞后两天").count() == 1

    page.get_by_role("button", name="显示过滤器").click()
    page.locator('button[aria-controls="drilldown-id_institution"]').click()
    page.locator("#id_institution-chooser [data-chooser-action-choose]").click()
    modal = page.locator(".modal-dialog")
    modal.get_by_role("link", name="河口乡福利院").click()

    page.wait_for_url("**institution=*")
    listing.get_by_text("体温筛查滞后两天").wait_for()
    assert listing.get_by_text("口罩储备不足三天用量").count() == 0
    assert f"institution={village.institution.pk}" in page.url
    page.screenshot(path=str(artifacts_dir / "issue-filter-chooser.png"), full_page=True)
