"""Oversized and malformed uploads on every upload endpoint, at the configured (default) limits.

Endpoints: inspection photos and attachments on the issue form, the ledger import, the issue import,
Wagtail's image and document upload, and the public "is this channel official?" QR check. A 25 MB file
gets a form error (or a 400), never a 500, and nothing is stored; a file of the wrong type gets a
specific error naming the problem. The limits themselves are unit-tested with small settings in
tests/snippets/test_attachments.py, test_images.py, tests/home/test_channel_check.py and
test_spreadsheets.py; this test sends real 25 MB bodies through the real stack.
"""

import os
import re

import pytest

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from wagtail.documents import get_document_model
from wagtail.images import get_image_model

from home.ledger.models import ImportBatch, ImportStatus, LedgerEntry
from snippets.models import Attachment, Issue, Photo
from tests.snippets.factories import InstitutionFactory, IssueCategoryFactory, issue_post, make_jpeg
from workflows import roles

pytestmark = pytest.mark.django_db

BIG = 25 * 1024 * 1024


def big_file(name, head=b""):
    return SimpleUploadedFile(name, head + os.urandom(1024) * ((BIG - len(head)) // 1024))


def _client(user):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.fixture
def issue_form(db):
    return issue_post(InstitutionFactory(), IssueCategoryFactory())


def error_texts(html):
    """The text of the form errors and error messages on an admin or public page."""
    pattern = (
        r'class="[^"]*(?:error-message|help-critical|errorlist|w-field__errors|error)[^"]*"[^>]*>'
        r"(.*?)</(?:p|ul|div|li)>"
    )
    texts = (re.sub(r"<[^>]+>|\s+", " ", found).strip() for found in re.findall(pattern, html, re.S))
    return [text for text in texts if text]


def _ledger_refused(response, where):
    assert response.status_code == 302, f"{where}: {response.status_code}"
    batch = ImportBatch.objects.latest("pk")
    assert batch.status == ImportStatus.FAILED, f"{where}: batch {batch.status}"
    assert batch.message or batch.errors, f"{where}: no reason recorded"
    assert not LedgerEntry.objects.exists()
    print(f"{where}: refused: {batch.message or batch.errors}")


def _field_error(response, where):
    """Wagtail's image/document form re-rendered with an error on its file field."""
    assert response.status_code == 200, f"{where}: {response.status_code}"
    errors = response.context["form"].errors
    assert "file" in errors, f"{where}: {errors}"
    print(f"{where}: {errors['file']}")


def _check(response, where, *, message=None):
    assert response.status_code in (200, 400, 413), f"{where}: {response.status_code}"
    html = response.content.decode()
    if message is not None:
        assert message in html, f"{where}: no {message!r} in the answer: {error_texts(html)}"
    if response.status_code == 200:
        assert error_texts(html), f"{where}: no error shown"
    print(f"{where}: {response.status_code} {error_texts(html)[:2]}")


def test_25_mb_uploads_are_refused_with_a_form_error_and_store_nothing(users, issue_form):
    inspector = _client(users[roles.INSPECTOR])
    jpeg_head = make_jpeg()
    _check(
        inspector.post(
            "/admin/snippets/snippets/issue/add/", {**issue_form, "photos": [big_file("大.jpg", jpeg_head)]}
        ),
        "issue photos",
        message="图片过大：大.jpg",
    )
    _check(
        inspector.post(
            "/admin/snippets/snippets/issue/add/",
            {**issue_form, "attachments": [big_file("大报告.pdf", b"%PDF-1.7\n")]},
        ),
        "issue attachments",
        message="附件过大",
    )
    assert not Issue.objects.exists() and not Photo.objects.exists() and not Attachment.objects.exists()
    _check(
        inspector.post("/admin/inspections/issues/import/", {"file": big_file("问题.xlsx", b"PK\x03\x04")}),
        "issue import",
    )
    assert not Issue.objects.exists()

    comms = _client(users[roles.COMMUNICATIONS])
    # The ledger upload is accepted up to 30 MB and refused by the importer's checks: the batch page
    # shows why, and nothing is imported.
    _ledger_refused(
        comms.post("/admin/ledger/", {"file": big_file("台账.xlsx", b"PK\x03\x04")}), "ledger import"
    )
    _field_error(
        comms.post("/admin/images/add/", {"title": "大图", "file": big_file("大.jpg", jpeg_head)}),
        "wagtail image",
    )
    assert not get_image_model().objects.exists()
    _field_error(
        comms.post("/admin/documents/add/", {"title": "大文件", "file": big_file("大.pdf", b"%PDF-1.7\n")}),
        "wagtail document",
    )
    assert not get_document_model().objects.exists()

    anonymous = Client(raise_request_exception=False)
    _check(anonymous.post("/check/", {"qr_photo": big_file("qr.png", b"\x89PNG\r\n\x1a\n")}), "channel check")


def test_wrong_types_get_a_specific_error(users, issue_form):
    html = b"<html><script>alert(1)</script></html>"
    inspector = _client(users[roles.INSPECTOR])
    response = inspector.post(
        "/admin/snippets/snippets/issue/add/",
        {**issue_form, "photos": [SimpleUploadedFile("photo.jpg", html)]},
    )
    _check(response, "photo that is HTML", message="不支持的图片格式：photo.jpg")
    assert not Photo.objects.exists()
    response = inspector.post(
        "/admin/snippets/snippets/issue/add/",
        {**issue_form, "attachments": [SimpleUploadedFile("tool.exe", b"MZ\x90\x00" + b"\x00" * 200)]},
    )
    _check(response, "executable attachment", message="不支持的附件类型：tool.exe")
    assert not Attachment.objects.exists()
    response = inspector.post(
        "/admin/inspections/issues/import/", {"file": SimpleUploadedFile("问题.xlsx", html)}
    )
    _check(response, "issue import of HTML", message="整个文件未导入")
    assert not Issue.objects.exists()

    comms = _client(users[roles.COMMUNICATIONS])
    response = comms.post("/admin/ledger/", {"file": SimpleUploadedFile("台账.xlsx", make_jpeg())})
    _ledger_refused(response, "ledger import of a JPEG")
    response = comms.post("/admin/images/add/", {"title": "x", "file": SimpleUploadedFile("x.jpg", html)})
    _field_error(response, "wagtail image that is HTML")
    assert not get_image_model().objects.exists()
    response = Client(raise_request_exception=False).post(
        "/check/", {"qr_photo": SimpleUploadedFile("qr.png", html)}
    )
    _check(response, "channel check with HTML")
