"""The offline capture endpoints (/inspect/): who may use them, what the phone is given, and the sync
endpoint's validation, conflicts and idempotency, on whichever database the run uses."""

import io
import json
import threading
import uuid

import pytest
from PIL import Image

from django.db import connection
from django.test import Client

from snippets.choices import Answer, VisitState
from snippets.models import ChecklistAnswer, Issue, OfflineOperation, Photo, Visit
from tests.snippets.factories import make_tga
from tests.snippets.offline_support import checklist_payload, gps_jpeg, has_gps, make_world, post_sync
from workflows import roles

pytestmark = pytest.mark.django_db

NON_INSPECTORS = (roles.COMMUNICATIONS, roles.RESPONSIBLE_UNIT, roles.LEADERSHIP, roles.ADMINISTRATOR)


@pytest.fixture
def world(users, make_user):
    other = make_user(roles.INSPECTOR, username="inspector2")
    return {**make_world(users[roles.INSPECTOR], other), "other": other}


@pytest.fixture
def inspector_client(client, users):
    client.force_login(users[roles.INSPECTOR])
    return client


# --- Access --------------------------------------------------------------------------------------


def test_an_anonymous_visitor_is_sent_to_the_login_page_and_the_data_answers_401(client, world):
    page = client.get("/inspect/")
    assert page.status_code == 302
    assert page["Location"].startswith("/admin/login/?next=/inspect/")
    data = client.get("/inspect/data.json")
    assert data.status_code == 401
    assert "城关镇敬老院" not in data.content.decode()
    sync = post_sync(client, {"uuid": str(uuid.uuid4()), "kind": "checklist", "visit": world["visit"].pk})
    assert sync.status_code == 401
    assert not OfflineOperation.objects.exists()


@pytest.mark.parametrize("role", NON_INSPECTORS)
def test_every_other_role_is_refused_and_shown_no_round_or_institution(client, users, world, role):
    client.force_login(users[role])
    assert client.get("/inspect/").status_code == 403
    data = client.get("/inspect/data.json")
    assert data.status_code == 403
    body = data.content.decode()
    assert "城关镇敬老院" not in body
    assert "第一督查组明查" not in body
    payload = {"uuid": str(uuid.uuid4()), "kind": "checklist", "visit": world["visit"].pk, "version": 0}
    assert post_sync(client, payload).status_code == 403
    assert not OfflineOperation.objects.exists()


def test_a_session_that_still_owes_its_second_factor_is_treated_as_anonymous(client, users, world):
    from tests.two_factor_support import add_totp_device

    inspector = users[roles.INSPECTOR]
    add_totp_device(inspector)  # enrolled: must now verify, like the admin requires
    client.post("/admin/login/", {"username": inspector.username, "password": "correct horse battery staple"})
    assert client.get("/inspect/").status_code == 302
    assert client.get("/inspect/data.json").status_code == 401


def test_the_inspector_gets_the_page_and_only_their_own_teams_visits_never_cacheable(inspector_client, world):
    page = inspector_client.get("/inspect/")
    assert page.status_code == 200
    assert "现场检查" in page.content.decode()
    assert page["Cache-Control"] == "private, no-store"

    response = inspector_client.get("/inspect/data.json")
    assert response["Cache-Control"] == "private, no-store"
    data = json.loads(response.content)
    assert [visit["institution"]["name"] for visit in data["visits"]] == ["城关镇敬老院"]
    shown = data["visits"][0]
    assert shown["round"]["name"] == "第一督查组明查"
    assert shown["institution"]["address"] == "城关镇幸福路 1 号"
    assert len(shown["items"]) == 6
    assert "公共区域每日二次消杀并有记录" in [item["text"] for item in shown["items"]]
    assert "河西镇敬老院" not in response.content.decode()
    assert "第二督查组暗访" not in response.content.decode()


def test_the_other_team_sees_its_unannounced_round_and_nothing_of_ours(client, world):
    client.force_login(world["other"])
    data = json.loads(client.get("/inspect/data.json").content)
    assert [visit["institution"]["name"] for visit in data["visits"]] == ["河西镇敬老院"]
    assert data["visits"][0]["round"]["mode_label"] == "暗访"
    assert "城关镇敬老院" not in json.dumps(data, ensure_ascii=False)


def test_the_service_worker_is_served_with_the_inspect_scope(client):
    response = client.get("/inspect/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/inspect/"
    assert "/static/inspect/app.js" in response.content.decode()
    manifest = json.loads(client.get("/inspect/manifest.webmanifest").content)
    assert manifest["scope"] == manifest["start_url"] == "/inspect/"


def test_a_sync_without_the_csrf_token_is_refused(users, world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users[roles.INSPECTOR])
    payload, _shown = checklist_payload(client, world["visit"])
    response = post_sync(client, payload)
    assert response.status_code == 403
    assert not OfflineOperation.objects.exists()
    token = json.loads(client.get("/inspect/data.json").content)["csrf_token"]
    response = client.post("/inspect/sync/", {"payload": json.dumps(payload)}, headers={"X-CSRFToken": token})
    assert response.status_code == 200


# --- Applying ------------------------------------------------------------------------------------


def test_a_failed_item_with_a_photo_raises_one_issue_with_the_photo_and_no_gps(inspector_client, world):
    visit = world["visit"]
    payload, shown = checklist_payload(inspector_client, visit, fail_index=1)
    failed = shown["items"][1]
    response = post_sync(inspector_client, payload, {f"photos-{failed['answer']}": gps_jpeg()})
    assert response.status_code == 200, response.content
    result = json.loads(response.content)
    assert result["status"] == "applied"
    assert result["visit"]["state"] == VisitState.DONE
    issue = Issue.objects.get(visit=visit)
    assert result["issues"] == [issue.number]
    assert issue.title == failed["text"]
    assert issue.description == "未见消杀记录"
    photo = issue.photos.get()
    stored = photo.file.read()
    assert not has_gps(stored)
    assert Image.open(io.BytesIO(stored)).format == "JPEG"


def test_the_same_operation_sent_twice_changes_nothing_the_second_time(inspector_client, world):
    visit = world["visit"]
    payload, shown = checklist_payload(inspector_client, visit)
    photo_field = f"photos-{shown['items'][1]['answer']}"
    first = post_sync(inspector_client, payload, {photo_field: gps_jpeg()})
    assert first.status_code == 200
    second = post_sync(inspector_client, payload, {photo_field: gps_jpeg()})
    assert second.status_code == 200
    assert json.loads(second.content)["status"] == "duplicate"
    assert json.loads(second.content)["issues"] == json.loads(first.content)["issues"]
    assert Issue.objects.filter(visit=visit).count() == 1
    assert Photo.objects.count() == 1
    assert OfflineOperation.objects.count() == 1


def test_a_logged_issue_is_created_through_the_admin_form_with_category_defaults(inspector_client, world):
    from snippets.models import IssueCategory

    visit = world["visit"]
    category = IssueCategory.objects.order_by("pk").first()
    payload = {
        "uuid": str(uuid.uuid4()),
        "kind": "issue",
        "visit": visit.pk,
        "title": "防护口罩库存不足三天",
        "category": category.pk,
        "severity": "",
        "description": "现场清点仅剩 40 只",
        "found_on": "2026-12-03",
    }
    response = post_sync(inspector_client, payload, {"photos": gps_jpeg("stock.jpg")})
    assert response.status_code == 200, response.content
    issue = Issue.objects.get(title="防护口罩库存不足三天")
    assert issue.institution == visit.institution
    assert issue.visit == visit
    assert issue.severity == category.default_severity
    assert not has_gps(issue.photos.get().file.read())
    assert post_sync(inspector_client, payload, {"photos": gps_jpeg("stock.jpg")}).status_code == 200
    assert Issue.objects.filter(title="防护口罩库存不足三天").count() == 1


# --- Refusals: each bad field named, nothing written -----------------------------------------------


def _errors(response):
    return json.loads(response.content)["errors"]


def _nothing_written(visit):
    assert not OfflineOperation.objects.exists()
    assert not Issue.objects.exists()
    assert not Photo.objects.exists()
    assert not ChecklistAnswer.objects.filter(visit=visit).exclude(answer="").exists()
    assert Visit.objects.get(pk=visit.pk).state == VisitState.PLANNED


def test_a_missing_or_malformed_uuid_kind_or_version_is_named(inspector_client, world):
    visit = world["visit"]
    payload, _shown = checklist_payload(inspector_client, visit, op_id="x")
    payload["uuid"] = "not-a-uuid"
    assert _errors(post_sync(inspector_client, payload)) == [
        {"field": "uuid", "message": "操作编号无效（应为 UUID）。"}
    ]
    payload["uuid"] = str(uuid.uuid4())
    assert _errors(post_sync(inspector_client, {**payload, "kind": "delete"}))[0]["field"] == "kind"
    assert _errors(post_sync(inspector_client, {**payload, "version": "abc"}))[0]["field"] == "version"
    bad_json = inspector_client.post("/inspect/sync/", {"payload": "{not json"})
    assert bad_json.status_code == 400
    assert _errors(bad_json)[0]["field"] == "payload"
    _nothing_written(visit)


def test_a_visit_of_another_team_is_refused_as_not_assigned(inspector_client, world):
    hidden = world["hidden_visit"]
    payload = {
        "uuid": str(uuid.uuid4()),
        "kind": "checklist",
        "visit": hidden.pk,
        "version": 0,
        "answers": [],
    }
    response = post_sync(inspector_client, payload)
    assert response.status_code == 403
    assert _errors(response) == [{"field": "visit", "message": "该检查不存在或未分派给您。"}]
    assert "河西镇敬老院" not in response.content.decode()
    _nothing_written(hidden)


def test_a_bad_result_a_long_note_and_a_disguised_image_are_each_named_with_their_item(
    inspector_client, world
):
    visit = world["visit"]
    payload, shown = checklist_payload(inspector_client, visit)
    payload["answers"][0]["result"] = "maybe"
    payload["answers"][2]["note"] = "长" * 501
    tga = {f"photos-{shown['items'][3]['answer']}": _upload("gate.jpg", make_tga())}
    response = post_sync(inspector_client, payload, tga)
    assert response.status_code == 400
    errors = {error["field"]: error["message"] for error in _errors(response)}
    first, third, fourth = (shown["items"][i] for i in (0, 2, 3))
    assert errors[f"answer-{first['answer']}"].startswith(f"{first['text']} · 结果：")
    assert errors[f"note-{third['answer']}"].startswith(f"{third['text']} · 说明：")
    assert errors[f"photos-{fourth['answer']}"] == f"{fourth['text']} · 照片：不支持的图片格式：gate.jpg"
    _nothing_written(visit)


def test_an_item_or_photo_of_another_checklist_is_named(inspector_client, world):
    visit = world["visit"]
    payload, _shown = checklist_payload(inspector_client, visit)
    payload["answers"][0]["answer"] = 999999
    response = post_sync(inspector_client, payload, {"photos-888888": gps_jpeg()})
    fields = [error["field"] for error in _errors(response)]
    assert fields == ["answers[0]", "photos-888888"]
    _nothing_written(visit)


def test_completing_with_unanswered_items_names_them_and_keeps_nothing_not_even_the_photo_file(
    inspector_client, world, private_media
):
    visit = world["visit"]
    payload, shown = checklist_payload(inspector_client, visit)
    payload["answers"][4]["result"] = ""
    response = post_sync(inspector_client, payload, {f"photos-{shown['items'][1]['answer']}": gps_jpeg()})
    assert response.status_code == 400
    [error] = _errors(response)
    assert error["field"] == "complete"
    assert shown["items"][4]["text"] in error["message"]
    _nothing_written(visit)
    # The photo was written before completing failed: the rollback removed the file as well.
    assert not list((private_media / "photos").glob("*"))


def test_an_issue_without_title_and_with_an_unknown_category_names_both_fields(inspector_client, world):
    visit = world["visit"]
    payload = {"uuid": str(uuid.uuid4()), "kind": "issue", "visit": visit.pk, "title": "", "category": 999999}
    response = post_sync(inspector_client, payload)
    assert response.status_code == 400
    messages = [error["message"] for error in _errors(response)]
    assert any(message.startswith("标题：") for message in messages)
    assert any(message.startswith("问题类别：") for message in messages)
    _nothing_written(visit)


def _upload(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="image/jpeg")


# --- Conflicts -----------------------------------------------------------------------------------


def test_a_visit_changed_since_the_phone_saw_it_is_a_conflict_and_nothing_is_overwritten(
    inspector_client, users, world
):
    from snippets import services

    visit = world["visit"]
    payload, _shown = checklist_payload(inspector_client, visit, complete=False)
    # Meanwhile a colleague records the checklist in the admin.
    entries = {answer.pk: (Answer.PASS, "同事已填", []) for answer in services.ensure_answers(visit)}
    services.record_answers(Visit.objects.get(pk=visit.pk), entries, users[roles.INSPECTOR])
    response = post_sync(inspector_client, payload)
    assert response.status_code == 409
    body = json.loads(response.content)
    assert body["status"] == "conflict"
    assert "已被修改" in body["message"]
    assert body["visit"]["version"] == 1
    assert set(ChecklistAnswer.objects.filter(visit=visit).values_list("note", flat=True)) == {"同事已填"}
    assert not OfflineOperation.objects.exists()


def test_a_visit_closed_meanwhile_is_a_conflict_naming_when(inspector_client, users, world):
    from snippets import services

    visit = world["visit"]
    payload, _shown = checklist_payload(inspector_client, visit)
    entries = {answer.pk: (Answer.PASS, "", []) for answer in services.ensure_answers(visit)}
    services.record_answers(Visit.objects.get(pk=visit.pk), entries, users[roles.INSPECTOR])
    services.complete_visit(Visit.objects.get(pk=visit.pk), users[roles.INSPECTOR])
    response = post_sync(inspector_client, payload)
    assert response.status_code == 409
    assert "结束" in json.loads(response.content)["message"]
    assert not Issue.objects.exists()


# --- Concurrency ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_same_operation_sent_at_once_from_two_connections_is_applied_once(users, make_user):
    world = make_world(users[roles.INSPECTOR], make_user(roles.INSPECTOR, username="inspector2"))
    visit = world["visit"]
    setup = Client()
    setup.force_login(users[roles.INSPECTOR])
    payload, shown = checklist_payload(setup, visit)
    photo_field = f"photos-{shown['items'][1]['answer']}"
    barrier = threading.Barrier(3)
    statuses, errors = [], []

    def send():
        try:
            client = Client()
            client.force_login(users[roles.INSPECTOR])
            barrier.wait()
            response = post_sync(client, payload, {photo_field: gps_jpeg()})
            statuses.append((response.status_code, json.loads(response.content)["status"]))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(statuses) == [(200, "applied"), (200, "duplicate"), (200, "duplicate")]
    assert Issue.objects.filter(visit=visit).count() == 1
    assert Photo.objects.filter(issue__visit=visit).count() == 1
    assert OfflineOperation.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_phones_sending_different_checklists_for_one_visit_at_once_give_one_result_and_one_conflict(
    users, make_user
):
    world = make_world(users[roles.INSPECTOR], make_user(roles.INSPECTOR, username="inspector2"))
    visit = world["visit"]
    setup = Client()
    setup.force_login(users[roles.INSPECTOR])
    payloads = [checklist_payload(setup, visit, fail_index=index, complete=False)[0] for index in (1, 2)]
    barrier = threading.Barrier(2)
    statuses, errors = [], []

    def send(payload):
        try:
            client = Client()
            client.force_login(users[roles.INSPECTOR])
            barrier.wait()
            statuses.append(post_sync(client, payload).status_code)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(payload,)) for payload in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(statuses) == [200, 409]
    assert Visit.objects.get(pk=visit.pk).version == 1
    failed = ChecklistAnswer.objects.filter(visit=visit, answer=Answer.FAIL)
    assert failed.count() == 1
    assert OfflineOperation.objects.count() == 1


def test_an_operation_may_also_come_as_a_plain_json_body(inspector_client, world):
    from snippets.models import IssueCategory

    category = IssueCategory.objects.order_by("pk").first()
    payload = {
        "uuid": str(uuid.uuid4()),
        "kind": "issue",
        "visit": world["visit"].pk,
        "title": "体温登记表缺页",
        "category": category.pk,
    }
    response = inspector_client.post("/inspect/sync/", json.dumps(payload), content_type="application/json")
    assert response.status_code == 200, response.content
    assert json.loads(response.content)["issues"] == [Issue.objects.get(title="体温登记表缺页").number]


def test_another_inspectors_operation_id_is_refused_without_revealing_its_outcome(
    client, inspector_client, world
):
    payload, _shown = checklist_payload(inspector_client, world["visit"])
    assert post_sync(inspector_client, payload).status_code == 200
    client.force_login(world["other"])
    hidden = world["hidden_visit"]
    response = post_sync(client, {**payload, "visit": hidden.pk, "version": 0})
    assert response.status_code == 400
    assert _errors(response) == [{"field": "uuid", "message": "操作编号已被使用。"}]
    assert "ZG-" not in response.content.decode()
    assert Visit.objects.get(pk=hidden.pk).version == 0


def test_the_data_takes_the_same_number_of_queries_for_two_visits_or_eight(client, users):
    import datetime

    from django.test.utils import CaptureQueriesContext

    from snippets.models import ChecklistTemplate
    from tests.snippets.factories import InspectionRoundFactory, InstitutionFactory, VisitFactory

    today = datetime.date.today()
    inspection_round = InspectionRoundFactory(starts_on=today, ends_on=today)
    inspection_round.team.set([users[roles.INSPECTOR].pk])
    client.force_login(users[roles.INSPECTOR])

    def add_visits(count):
        for _index in range(count):
            institution = InstitutionFactory()
            VisitFactory(
                inspection_round=inspection_round,
                institution=institution,
                planned_on=today,
                template=ChecklistTemplate.for_kind(institution.kind),
            )
        client.get("/inspect/data.json")  # the first opening creates the answer rows
        with CaptureQueriesContext(connection) as queries:
            data = json.loads(client.get("/inspect/data.json").content)
        assert len(data["visits"]) == len({visit["id"] for visit in data["visits"]})
        return len(data["visits"]), len(queries.captured_queries)

    two = add_visits(2)
    eight = add_visits(6)
    assert (two[0], eight[0]) == (2, 8)
    assert two[1] == eight[1]


def test_a_storage_fault_answers_503_keeps_nothing_and_the_retry_applies(
    inspector_client, world, monkeypatch
):
    import errno

    from snippets.models import private_storage

    visit = world["visit"]
    payload, shown = checklist_payload(inspector_client, visit)
    photo_field = f"photos-{shown['items'][1]['answer']}"

    def disk_full(name, content):
        raise OSError(errno.ENOSPC, "No space left on device")

    private_storage.exists("photos")  # resolve the lazy storage, then make its writes fail
    with monkeypatch.context() as patch:
        patch.setattr(private_storage._wrapped, "_save", disk_full)
        response = post_sync(inspector_client, payload, {photo_field: gps_jpeg()})
    assert response.status_code == 503
    assert _errors(response)[0]["field"] == "photos"
    _nothing_written(visit)

    retry = post_sync(inspector_client, payload, {photo_field: gps_jpeg()})
    assert retry.status_code == 200
    assert json.loads(retry.content)["status"] == "applied"
    assert Issue.objects.get(visit=visit).photos.count() == 1
