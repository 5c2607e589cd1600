"""A clerk imports the ledger through the admin (with one bad row first) and the leader publishes it."""

import datetime as dt

import openpyxl
import pytest

from home.ledger import services
from home.ledger.models import DisclosureRecord, LedgerEntry
from tests.home import ledger_support as files
from workflows import roles

pytestmark = pytest.mark.browser

DAY = dt.date(2020, 2, 3)


def fill_template(template, path, amount_of_second_row):
    workbook = openpyxl.load_workbook(template)
    cash = workbook["现金捐赠"]
    cash.delete_rows(2)  # the example row
    headers = [cell.value for cell in cash[1]]
    for row in (
        files.cash_row("XJ001", "2020-02-03", amount="1,000.00"),
        files.cash_row("XJ002", "2020年2月3日", name="欧阳娜娜", amount=amount_of_second_row),
    ):
        cash.append([row.get(header) for header in headers])
    for title in ("物资捐赠", "分配拨付"):
        workbook[title].delete_rows(2)
    workbook.save(path)
    return path


def test_clerk_fixes_a_bad_row_and_the_leader_publishes_the_day(page_as, users, artifacts_dir, tmp_path):
    files.ledger_site()
    clerk = page_as(roles.COMMUNICATIONS)
    clerk.goto("/admin/ledger/")
    with clerk.expect_download() as download:
        clerk.click('[data-testid="template-download"]')
    template = tmp_path / "template.xlsx"
    download.value.save_as(template)

    filled = tmp_path / "台账.xlsx"
    fill_template(template, filled, "12.345")
    clerk.set_input_files("input[name=file]", str(filled))
    clerk.click("[data-testid=upload-submit]")
    table = clerk.locator('[data-testid="error-table"]')
    try:
        table.wait_for()
    finally:
        clerk.screenshot(path=str(artifacts_dir / "ledger-import-errors.png"), full_page=True)
    assert "现金捐赠" in table.inner_text() and "最多 2 位小数" in table.inner_text()
    clerk.screenshot(path=str(artifacts_dir / "ledger-import-errors.png"), full_page=True)
    assert LedgerEntry.objects.count() == 0

    fill_template(template, filled, "¥500")
    clerk.goto("/admin/ledger/")
    clerk.set_input_files("input[name=file]", str(filled))
    clerk.click("[data-testid=upload-submit]")
    assert "已导入 2 行" in clerk.locator('[data-testid="batch-message"]').inner_text()
    assert LedgerEntry.objects.count() == 2

    # The scheduled job drafts yesterday's disclosure and submits it to leadership.
    page = services.draft_disclosure(DAY, user=users[roles.COMMUNICATIONS])

    leader = page_as(roles.LEADERSHIP)
    leader.goto(f"/admin/pages/{page.pk}/edit/")
    leader.locator("[data-w-dropdown-target='toggle']").last.click()
    leader.locator("button[data-workflow-action-name='approve']:not([data-launch-modal])").first.click()
    leader.wait_for_load_state()
    record = DisclosureRecord.objects.get()
    assert record.totals["cash"]["received"] == "1500.00"
    assert record.published_by == users[roles.LEADERSHIP]

    visitor = leader.context.browser.new_context(base_url=leader.url.split("/admin")[0]).new_page()
    visitor.goto("/disclosures/2020-02-03/")
    body = visitor.locator("main").inner_text()
    assert "欧阳**" in body and "1500.00" in body
    assert files.FIXTURE_PHONE not in visitor.content()
    visitor.screenshot(path=str(artifacts_dir / "ledger-disclosure.png"), full_page=True)
    visitor.context.close()
