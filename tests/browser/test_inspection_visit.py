"""An inspector at the gate, on a phone: open a planned visit, fail two items with a photo, finish."""

import pytest

from snippets.choices import VisitState
from snippets.models import ChecklistTemplate, Issue
from tests.snippets.factories import InstitutionFactory, VisitFactory, make_jpeg
from workflows import roles

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_an_inspector_completes_a_visit_on_a_phone_and_sees_the_new_issues(
    page_as, users, artifacts_dir, tmp_path
):
    institution = InstitutionFactory(name="城关镇敬老院", township="城关镇")
    visit = VisitFactory(institution=institution, template=ChecklistTemplate.for_kind(institution.kind))
    visit.inspectors.set([users[roles.INSPECTOR].pk])
    photo = tmp_path / "gate.jpg"
    photo.write_bytes(make_jpeg(size=(320, 240)))

    page = page_as(roles.INSPECTOR, viewport=PHONE)
    page.goto("/admin/inspections/visits/?mine=1")
    page.get_by_role("link", name="城关镇敬老院").first.click()
    page.wait_for_url(f"**/admin/inspections/visits/{visit.pk}/")

    items = page.locator("fieldset.inspection__item")
    assert items.count() == 6
    for index in range(6):
        item = items.nth(index)
        if index in (1, 3):
            item.get_by_label("不合格").check()
            item.get_by_label("说明").fill("现场检查发现问题")
        else:
            item.get_by_label("合格", exact=True).check()
    items.nth(1).locator("input[type=file]").set_input_files(str(photo))
    # Every control fits the phone's width: no sideways scrolling at the gate.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.screenshot(path=str(artifacts_dir / "inspection-visit-checklist-phone.png"), full_page=True)
    page.get_by_role("button", name="完成检查").click()
    page.wait_for_selector(".inspection__issue")

    issues = page.locator(".inspection__issue")
    assert issues.count() == 2
    text = " ".join(issues.all_inner_texts())
    assert "暂停家属探视，有告知公示" in text
    assert "公共区域每日二次消杀并有记录" in text
    page.screenshot(path=str(artifacts_dir / "inspection-visit-phone.png"), full_page=True)

    visit.refresh_from_db()
    assert visit.state == VisitState.DONE
    raised = Issue.objects.filter(visit=visit)
    assert raised.count() == 2
    with_photo = raised.get(title="暂停家属探视，有告知公示")
    assert with_photo.photos.count() == 1
    # The photo is shown through the permission-checked view, and it loads for the inspector.
    image = page.locator(".inspection__photos img").first
    assert image.evaluate("img => img.naturalWidth") == 320
