"""An inspector without signal: the /inspect/ page keeps working offline, queues a checklist with a
failed item and a photo, and syncs it once when the signal is back; another team sees nothing of it."""

import io
import json

import pytest
from PIL import Image
from playwright.sync_api import expect

from snippets.choices import VisitState
from snippets.models import Issue, OfflineOperation, Photo, Visit
from tests.browser.conftest import login
from tests.conftest import TEST_PASSWORD
from tests.snippets.factories import gps_exif, make_jpeg
from tests.snippets.offline_support import has_gps, make_world
from workflows import roles

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}

# The queued operations as IndexedDB holds them (photos as Blobs).
READ_QUEUE = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("inspect", 1);
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const request = open.result.transaction("ops").objectStore("ops").getAll();
    request.onsuccess = () => resolve(request.result);
  };
})"""
# Kept in the page itself, so the photos stay Blobs.
KEEP_COPY = f"() => ({READ_QUEUE})().then((ops) => {{ window.keptOps = ops; return ops.length; }})"
PUT_BACK = """() => new Promise((resolve, reject) => {
  const ops = window.keptOps;
  const open = indexedDB.open("inspect", 1);
  open.onsuccess = () => {
    const tx = open.result.transaction("ops", "readwrite");
    ops.forEach((op) => tx.objectStore("ops").put(op));
    tx.oncomplete = () => resolve(true);
    tx.onerror = () => reject(tx.error);
  };
})"""


def open_inspect(page):
    page.goto("/inspect/")
    page.wait_for_selector("body[data-ready='1']")


def test_an_inspector_fills_a_checklist_offline_and_it_syncs_once_without_gps(
    new_page, users, make_user, artifacts_dir, tmp_path
):
    inspector = users[roles.INSPECTOR]
    other = make_user(roles.INSPECTOR, username="inspector2")
    world = make_world(inspector, other)
    visit = world["visit"]
    photo_path = tmp_path / "gate.jpg"
    photo_path.write_bytes(make_jpeg(size=(2400, 1800), exif=gps_exif()))
    assert has_gps(photo_path.read_bytes())

    page = new_page(viewport=PHONE)
    login(page, inspector.username, TEST_PASSWORD)
    open_inspect(page)
    # Once the service worker controls the page, a reload stores the page and its data for offline use.
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    open_inspect(page)
    assert page.evaluate("!!navigator.serviceWorker.controller")
    assert page.locator("#visit-list").inner_text().count("城关镇敬老院") == 1
    # Installable: chromium finds the manifest, its icons and the service worker acceptable (a test
    # context is a private window, which chromium never installs from: that one reason is expected).
    cdp = page.context.new_cdp_session(page)
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    assert [error["errorId"] for error in errors] == ["in-incognito"]
    cdp.detach()

    page.context.set_offline(True)
    open_inspect(page)  # served by the service worker: no network at all
    assert page.locator("#net-status").inner_text() == "离线"
    page.get_by_role("link", name="城关镇敬老院").click()
    items = page.locator("fieldset.item")
    expect(items).to_have_count(6)  # waits for the visit to render (count() alone does not wait)
    for index in range(6):
        item = items.nth(index)
        item.locator("label.choice--fail" if index == 1 else "label.choice--pass").click()
    items.nth(1).locator("textarea").fill("未见每日二次消杀记录")
    items.nth(1).locator("input[type=file]").set_input_files(str(photo_path))
    page.wait_for_selector("fieldset.item [data-thumbs] img")
    # Thumb-sized and no sideways scrolling at 360 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(artifacts_dir / "inspect-offline-checklist-360.png"), full_page=True)
    page.get_by_role("button", name="完成检查").click()
    expect(page.locator("#pending-count")).to_have_text("1")
    assert not Issue.objects.exists()
    queued = page.evaluate(READ_QUEUE)
    assert len(queued) == 1 and queued[0]["complete"] is True
    assert page.evaluate(KEEP_COPY) == 1

    page.context.set_offline(False)
    page.get_by_role("button", name="同步", exact=True).click()
    expect(page.locator("#pending-count")).to_have_text("0")
    page.wait_for_selector("#notice:has-text('同步完成')")
    issue = Issue.objects.get()
    assert issue.visit_id == visit.pk
    assert issue.description == "未见每日二次消杀记录"
    photo = issue.photos.get()
    stored = photo.file.read()
    assert not has_gps(stored)
    # Resized on the phone before upload: the long side is 1600 px, not the camera's 2400, and
    # turned upright by its EXIF orientation (6: rotate 90 degrees) before the EXIF was dropped.
    assert Image.open(io.BytesIO(stored)).size == (1200, 1600)
    assert Visit.objects.get(pk=visit.pk).state == VisitState.DONE

    # Tapping sync again sends nothing; a retry of the same operation (a lost answer) creates nothing.
    page.get_by_role("button", name="同步", exact=True).click()
    page.wait_for_selector("#notice:has-text('同步完成')")
    page.evaluate(PUT_BACK)
    page.evaluate("() => window.dispatchEvent(new HashChangeEvent('hashchange'))")
    expect(page.locator("#pending-count")).to_have_text("1")
    page.get_by_role("button", name="同步", exact=True).click()
    expect(page.locator("#pending-count")).to_have_text("0")
    assert Issue.objects.count() == 1
    assert Photo.objects.count() == 1
    assert OfflineOperation.objects.count() == 1
    page.screenshot(path=str(artifacts_dir / "inspect-synced-360.png"), full_page=True)

    # The other team's inspector: their own unannounced visit, nothing of ours.
    other_page = new_page(viewport=PHONE)
    login(other_page, other.username, TEST_PASSWORD)
    open_inspect(other_page)
    text = other_page.locator("body").inner_text()
    assert "河西镇敬老院" in text
    assert "城关镇敬老院" not in text
    assert issue.number not in text
    data = other_page.evaluate("fetch('/inspect/data.json').then((r) => r.text())")
    assert "城关镇敬老院" not in data
    assert issue.number not in data
    assert json.loads(data)["user"]["id"] == other.pk


USER_CACHE_SIZE = (
    "() => caches.open('inspect-user').then((cache) => cache.keys()).then((keys) => keys.length)"
)


def test_signing_out_empties_the_cached_data_and_the_next_inspector_never_sees_it_offline(
    new_page, users, make_user
):
    inspector = users[roles.INSPECTOR]
    other = make_user(roles.INSPECTOR, username="inspector2")
    make_world(inspector, other)
    page = new_page(viewport=PHONE)
    csp_errors = []
    page.on(
        "console",
        lambda message: csp_errors.append(message.text) if "Content Security" in message.text else None,
    )
    login(page, inspector.username, TEST_PASSWORD)
    open_inspect(page)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    open_inspect(page)
    assert page.evaluate(USER_CACHE_SIZE) == 2  # the page and its data

    page.get_by_role("button", name="退出").click()
    page.wait_for_url("**/admin/login/**")
    assert page.evaluate(USER_CACHE_SIZE) == 0

    # The next inspector on the same phone: their own data online, and offline too; never ours.
    login(page, other.username, TEST_PASSWORD)
    open_inspect(page)
    open_inspect(page)
    page.context.set_offline(True)
    open_inspect(page)
    text = page.locator("body").inner_text()
    assert "河西镇敬老院" in text
    assert "城关镇敬老院" not in text
    assert csp_errors == []


def test_a_visit_changed_meanwhile_is_shown_as_a_conflict_and_a_logged_issue_still_syncs(
    new_page, users, make_user, artifacts_dir
):
    from snippets import services
    from snippets.choices import Answer

    inspector = users[roles.INSPECTOR]
    world = make_world(inspector, make_user(roles.INSPECTOR, username="inspector2"))
    visit = world["visit"]
    page = new_page(viewport=PHONE)
    login(page, inspector.username, TEST_PASSWORD)
    open_inspect(page)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    open_inspect(page)

    page.context.set_offline(True)
    page.get_by_role("link", name="城关镇敬老院").click()
    items = page.locator("fieldset.item")
    expect(items.first).to_be_visible()  # the visit has rendered; count() alone does not wait
    for index in range(items.count()):
        items.nth(index).locator("label.choice--pass").click()
    page.get_by_role("button", name="保存（待同步）").click()
    page.locator("#issue-details summary").click()
    issue_form = page.locator("#issue-form")
    issue_form.locator("input[name=title]").fill("消毒液库存不足")
    issue_form.locator("select[name=category]").select_option(label="防控物资不足")
    issue_form.locator("textarea[name=description]").fill("仅剩两瓶")
    issue_form.get_by_role("button", name="登记问题（待同步）").click()
    expect(page.locator("#pending-count")).to_have_text("2")

    # Meanwhile a colleague with signal records the same checklist in the admin.
    entries = {answer.pk: (Answer.FAIL, "同事已填", []) for answer in services.ensure_answers(visit)}
    services.record_answers(Visit.objects.get(pk=visit.pk), entries, inspector)

    page.context.set_offline(False)
    page.get_by_role("button", name="同步", exact=True).click()
    page.wait_for_url("**/inspect/#queue")
    expect(page.locator("#pending-count")).to_have_text("1")
    conflict = page.locator(".op--conflict")
    expect(conflict).to_contain_text("已被修改")
    expect(conflict.get_by_role("button", name="放弃此条")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(artifacts_dir / "inspect-conflict-360.png"), full_page=True)
    # The colleague's answers stand; the issue logged offline arrived once.
    assert set(visit.answers.values_list("note", flat=True)) == {"同事已填"}
    assert Issue.objects.filter(title="消毒液库存不足", visit=visit).count() == 1
