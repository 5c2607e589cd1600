"""Issue attachments (PDF, DOCX, XLSX, TXT, CSV): checked on upload, stored privately, downloaded
only through a permission-checked view."""

import errno
import io
import zipfile

import pytest
from openpyxl import Workbook

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from snippets import services
from snippets.attachments import check_attachment
from snippets.models import Attachment, Issue, private_storage
from tests.snippets.factories import InstitutionFactory, IssueCategoryFactory, IssueFactory, issue_post
from workflows import roles

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def make_docx():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def make_xlsx():
    workbook = Workbook()
    workbook.active.append(["整改措施", "完成时限"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def institution():
    return InstitutionFactory(name="城关敬老院")


@pytest.fixture
def category():
    return IssueCategoryFactory(code="attachment-test", default_deadline_days=3, default_severity="medium")


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("检查报告.pdf", PDF, "application/pdf"),
        (
            "整改方案.docx",
            make_docx(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("整改台账.xlsx", make_xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("说明.txt", "已整改完毕。".encode(), "text/plain; charset=utf-8"),
        ("名单.csv", "姓名,电话\n张三,123\n".encode("gb18030"), "text/csv; charset=utf-8"),
    ],
)
def test_each_allowed_type_is_accepted_and_stored_privately_with_its_metadata(
    client, users, institution, category, settings, name, content, content_type
):
    client.force_login(users[roles.INSPECTOR])
    upload = SimpleUploadedFile(name, content)
    response = client.post(
        reverse("wagtailsnippets_snippets_issue:add"), issue_post(institution, category, attachments=[upload])
    )
    assert response.status_code == 302
    [attachment] = Attachment.objects.all()
    assert attachment.issue == Issue.objects.get()
    assert attachment.original_name == name
    assert attachment.content_type == content_type
    assert attachment.size == len(content)
    assert attachment.uploaded_by == users[roles.INSPECTOR]
    assert attachment.file.name.startswith("attachments/")
    assert private_storage.path(attachment.file.name).startswith(str(settings.PRIVATE_MEDIA_ROOT))
    with private_storage.open(attachment.file.name) as stored:
        assert stored.read() == content


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("report.pdf", b"<!DOCTYPE html><html><script>alert(1)</script></html>"),
        ("plan.docx", b"PK\x03\x04 not really a zip"),
        ("plain.xlsx", b"just text"),
        ("binary.txt", b"\x00\x01\x02\xff\xfe\x00"),
    ],
)
def test_a_file_whose_content_does_not_match_its_extension_is_refused_by_name(name, content):
    with pytest.raises(Exception) as caught:
        check_attachment(SimpleUploadedFile(name, content))
    assert f"附件内容与扩展名不符：{name}" in caught.value.messages[0]


def test_a_zip_without_office_content_types_is_not_accepted_as_docx():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.exe", b"MZ")
    with pytest.raises(Exception) as caught:
        check_attachment(SimpleUploadedFile("plan.docx", buffer.getvalue()))
    assert "附件内容与扩展名不符：plan.docx" in caught.value.messages[0]


def test_a_disallowed_extension_is_refused_by_name():
    with pytest.raises(Exception) as caught:
        check_attachment(SimpleUploadedFile("setup.exe", b"MZ\x90\x00"))
    assert "不支持的附件类型：setup.exe" in caught.value.messages[0]


def test_a_pdf_that_is_really_html_is_refused_on_the_issue_form(client, users, institution, category):
    client.force_login(users[roles.INSPECTOR])
    fake = SimpleUploadedFile(
        "检查报告.pdf", b"<html><body>phish</body></html>", content_type="application/pdf"
    )
    response = client.post(
        reverse("wagtailsnippets_snippets_issue:add"), issue_post(institution, category, attachments=[fake])
    )
    assert response.status_code == 200
    assert "附件内容与扩展名不符：检查报告.pdf" in response.content.decode()
    assert not Issue.objects.exists() and not Attachment.objects.exists()


def test_an_oversize_file_is_refused_with_the_limit_from_settings(
    client, users, institution, category, settings
):
    settings.ISSUE_ATTACHMENT_MAX_SIZE = 1024 * 1024
    client.force_login(users[roles.INSPECTOR])
    big = SimpleUploadedFile("大报告.pdf", PDF + b"0" * (1024 * 1024))
    response = client.post(
        reverse("wagtailsnippets_snippets_issue:add"), issue_post(institution, category, attachments=[big])
    )
    assert response.status_code == 200
    assert "附件过大：大报告.pdf（上限 1 MB）" in response.content.decode()
    assert not Attachment.objects.exists()
    assert not private_storage.exists("attachments") or private_storage.listdir("attachments") == ([], [])


def test_the_default_size_limit_is_20_mb(settings):
    from snippets.attachments import max_upload_bytes

    if hasattr(settings, "ISSUE_ATTACHMENT_MAX_SIZE"):
        del settings.ISSUE_ATTACHMENT_MAX_SIZE
    assert max_upload_bytes() == 20 * 1024 * 1024


def test_several_files_with_one_bad_name_it_and_store_none(client, users, institution, category):
    client.force_login(users[roles.INSPECTOR])
    files = [
        SimpleUploadedFile("检查报告.pdf", PDF),
        SimpleUploadedFile("伪装.xlsx", b"<html></html>"),
        SimpleUploadedFile("整改方案.docx", make_docx()),
    ]
    response = client.post(
        reverse("wagtailsnippets_snippets_issue:add"), issue_post(institution, category, attachments=files)
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "附件内容与扩展名不符：伪装.xlsx" in content
    assert "附件内容与扩展名不符：检查报告.pdf" not in content
    assert "附件内容与扩展名不符：整改方案.docx" not in content
    assert not Issue.objects.exists() and not Attachment.objects.exists()
    assert not private_storage.exists("attachments") or private_storage.listdir("attachments") == ([], [])


def test_several_good_files_are_all_stored_and_listed_on_the_issue(client, users, institution, category):
    client.force_login(users[roles.INSPECTOR])
    files = [SimpleUploadedFile("检查报告.pdf", PDF), SimpleUploadedFile("整改台账.xlsx", make_xlsx())]
    client.post(
        reverse("wagtailsnippets_snippets_issue:add"), issue_post(institution, category, attachments=files)
    )
    issue = Issue.objects.get()
    assert sorted(issue.attachments.values_list("original_name", flat=True)) == [
        "整改台账.xlsx",
        "检查报告.pdf",
    ]
    page = client.get(reverse("wagtailsnippets_snippets_issue:edit", args=[issue.pk])).content.decode()
    for attachment in issue.attachments.all():
        assert f'href="{attachment.get_absolute_url()}"' in page
        assert attachment.original_name in page


def test_a_storage_fault_keeps_no_row_and_no_file(client, users, institution, category, monkeypatch):
    client.force_login(users[roles.INSPECTOR])
    private_storage.exists("attachments")  # resolve the lazy storage, then make the 2nd write fail
    original = private_storage._wrapped._save
    calls = []

    def second_write_fails(name, content):
        calls.append(name)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(name, content)

    monkeypatch.setattr(private_storage._wrapped, "_save", second_write_fails)
    files = [SimpleUploadedFile("检查报告.pdf", PDF), SimpleUploadedFile("整改方案.docx", make_docx())]
    response = client.post(
        reverse("wagtailsnippets_snippets_issue:add"), issue_post(institution, category, attachments=files)
    )
    assert response.status_code == 200
    assert "照片或附件保存失败" in response.content.decode()
    assert not Issue.objects.exists() and not Attachment.objects.exists()
    assert len(calls) == 2
    assert private_storage.listdir("attachments")[1] == []


def test_the_cleanup_job_removes_orphan_attachment_files_but_not_live_ones(users):
    issue = IssueFactory()
    clean = check_attachment(SimpleUploadedFile("检查报告.pdf", PDF))
    [live] = services.store_attachments([clean], users[roles.INSPECTOR], issue=issue)
    orphan = private_storage.save("attachments/orphan.pdf", io.BytesIO(PDF))

    assert services.cleanup_orphan_attachment_files(min_age_seconds=3600) == {"deleted": 0}
    assert services.cleanup_orphan_attachment_files(min_age_seconds=0) == {"deleted": 1}
    assert not private_storage.exists(orphan)
    assert private_storage.exists(live.file.name)


@pytest.fixture
def stored_attachment(users):
    own = InstitutionFactory(name="本单位")
    own.responsible_users.add(users[roles.RESPONSIBLE_UNIT])
    issue = IssueFactory(institution=own)
    clean = check_attachment(SimpleUploadedFile("整改报告.pdf", PDF))
    return services.store_attachments([clean], users[roles.INSPECTOR], issue=issue)[0]


def test_an_attachment_has_no_public_url(stored_attachment):
    with pytest.raises(ValueError):
        stored_attachment.file.url  # noqa: B018 - a private file has no URL


def test_anonymous_users_cannot_download_an_attachment(client, stored_attachment):
    response = client.get(stored_attachment.get_absolute_url())
    assert response.status_code == 404


def test_communications_staff_cannot_download_an_attachment(client, users, stored_attachment):
    client.force_login(users[roles.COMMUNICATIONS])
    assert client.get(stored_attachment.get_absolute_url()).status_code == 404


def test_a_responsible_unit_of_another_institution_cannot_download_it(client, stored_attachment, make_user):
    other_unit = make_user(roles.RESPONSIBLE_UNIT, username="other-unit")
    InstitutionFactory(name="别家").responsible_users.add(other_unit)
    client.force_login(other_unit)
    assert client.get(stored_attachment.get_absolute_url()).status_code == 404


@pytest.mark.parametrize(
    "role", [roles.INSPECTOR, roles.LEADERSHIP, roles.ADMINISTRATOR, roles.RESPONSIBLE_UNIT]
)
def test_permitted_roles_download_the_attachment_with_safe_headers(client, users, stored_attachment, role):
    client.force_login(users[role])
    response = client.get(stored_attachment.get_absolute_url())
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment; filename")
    assert "%E6%95%B4%E6%94%B9%E6%8A%A5%E5%91%8A.pdf" in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == PDF


def test_the_hourly_cleanup_task_covers_attachments(users):
    from snippets.tasks import cleanup_orphan_photos

    private_storage.save("attachments/orphan.pdf", io.BytesIO(PDF))
    assert cleanup_orphan_photos() == {"deleted": 0}  # younger than an hour: left alone
    assert private_storage.exists("attachments/orphan.pdf")


def test_a_responsible_unit_attaches_its_rectification_plan_to_its_own_issue(client, users):
    own = InstitutionFactory(name="本单位")
    own.responsible_users.add(users[roles.RESPONSIBLE_UNIT])
    issue = IssueFactory(institution=own)
    client.force_login(users[roles.RESPONSIBLE_UNIT])
    response = client.post(
        reverse("wagtailsnippets_snippets_issue:edit", args=[issue.pk]),
        {
            "rectification_plan": "即日起每日两次消杀并登记",
            "responsible_person": users[roles.RESPONSIBLE_UNIT].pk,
            "attachments": [SimpleUploadedFile("整改方案.docx", make_docx())],
        },
    )
    assert response.status_code == 302
    [attachment] = issue.attachments.all()
    assert attachment.original_name == "整改方案.docx"
    assert attachment.uploaded_by == users[roles.RESPONSIBLE_UNIT]
