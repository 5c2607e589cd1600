"""Shared set-up of the offline-capture tests: a team's open round, another team's unannounced one."""

import datetime
import io
import json
import uuid

from PIL import Image

from django.core.files.uploadedfile import SimpleUploadedFile

from snippets.choices import RoundMode
from snippets.models import ChecklistTemplate
from tests.snippets.factories import (
    InspectionRoundFactory,
    InstitutionFactory,
    VisitFactory,
    gps_exif,
    make_jpeg,
)


def make_world(inspector, other_inspector):
    """Our inspector's team has an open round at 城关镇敬老院; the other team an unannounced one at
    河西镇敬老院 that our inspector must never see."""
    today = datetime.date.today()
    ours = InspectionRoundFactory(
        name="第一督查组明查", starts_on=today, ends_on=today + datetime.timedelta(days=7)
    )
    ours.team.set([inspector.pk])
    theirs = InspectionRoundFactory(
        name="第二督查组暗访",
        mode=RoundMode.UNANNOUNCED,
        starts_on=today,
        ends_on=today + datetime.timedelta(days=7),
    )
    theirs.team.set([other_inspector.pk])
    home = InstitutionFactory(name="城关镇敬老院", township="城关镇", address="城关镇幸福路 1 号")
    hidden = InstitutionFactory(name="河西镇敬老院", township="河西镇")
    visit = VisitFactory(
        inspection_round=ours,
        institution=home,
        planned_on=today,
        template=ChecklistTemplate.for_kind(home.kind),
    )
    hidden_visit = VisitFactory(
        inspection_round=theirs,
        institution=hidden,
        planned_on=today,
        template=ChecklistTemplate.for_kind(hidden.kind),
    )
    return {"visit": visit, "hidden_visit": hidden_visit}


def gps_jpeg(name="gate.jpg", size=(640, 480)):
    return SimpleUploadedFile(name, make_jpeg(size=size, exif=gps_exif()), content_type="image/jpeg")


def has_gps(data):
    exif = Image.open(io.BytesIO(data)).getexif()
    return bool(exif.get_ifd(0x8825)) or 0x8825 in exif


def checklist_payload(client, visit, fail_index=1, complete=True, op_id=None, **overrides):
    """What the page sends: every item of the visit's checklist, one failed, as the data showed it."""
    data = json.loads(client.get("/inspect/data.json").content)
    shown = next(item for item in data["visits"] if item["id"] == visit.pk)
    answers = [
        {
            "answer": item["answer"],
            "result": "fail" if index == fail_index else "pass",
            "note": "未见消杀记录" if index == fail_index else "",
        }
        for index, item in enumerate(shown["items"])
    ]
    payload = {
        "uuid": str(op_id or uuid.uuid4()),
        "kind": "checklist",
        "visit": visit.pk,
        "version": shown["version"],
        "answers": answers,
        "complete": complete,
    }
    payload.update(overrides)
    return payload, shown


def post_sync(client, payload, files=None):
    data = {"payload": json.dumps(payload, ensure_ascii=False)}
    data.update(files or {})
    return client.post("/inspect/sync/", data)
