"""Inspection photos: sanitised on upload, stored privately, served only through a checked view."""

import errno
import io

import pytest
from PIL import Image

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from wagtail.images import get_image_model

from snippets import services
from snippets.images import sanitise_image
from snippets.models import Issue, Photo, private_storage
from tests.snippets.factories import (
    InstitutionFactory,
    IssueCategoryFactory,
    IssueFactory,
    gps_exif,
    issue_post,
    make_jpeg,
    make_png_bomb,
    make_tga,
)
from workflows import roles

pytestmark = pytest.mark.django_db


@pytest.fixture
def institution():
    return InstitutionFactory(name="城关敬老院")


@pytest.fixture
def category():
    return IssueCategoryFactory(code="disinfection-test", default_deadline_days=3, default_severity="medium")


def test_an_inspector_logs_an_issue_with_a_photo_whose_gps_is_stripped(client, users, institution, category):
    client.force_login(users[roles.INSPECTOR])
    photo = SimpleUploadedFile(
        "gate.jpg", make_jpeg(size=(60, 20), exif=gps_exif()), content_type="image/jpeg"
    )

    response = client.post(
        reverse("wagtailsnippets_snippets_issue:add"), issue_post(institution, category, photos=[photo])
    )

    assert response.status_code == 302, response.content.decode()[-3000:]
    assert "/admin/login/" not in response["Location"]
    issue = Issue.objects.get()
    assert issue.number.startswith("ZG-2026-")
    assert issue.reported_by == users[roles.INSPECTOR]
    assert issue.severity == "medium"
    assert str(issue.deadline) == "2026-11-23"
    assert issue.stage == "reported"
    stored = issue.photos.get()
    assert stored.original_name == "gate.jpg"
    with private_storage.open(stored.file.name) as handle:
        content = handle.read()
    image = Image.open(io.BytesIO(content))
    assert not image.getexif().get_ifd(0x8825)
    assert b"PhoneMaker" not in content and b"SN-123456" not in content
    assert image.size == (20, 60)


def test_a_bad_photo_among_several_is_named_and_nothing_is_saved(client, users, institution, category):
    client.force_login(users[roles.INSPECTOR])
    photos = [
        SimpleUploadedFile("ok.jpg", make_jpeg()),
        SimpleUploadedFile("photo.jpg", make_tga()),
        SimpleUploadedFile("bomb.png", make_png_bomb()),
    ]
    response = client.post(
        reverse("wagtailsnippets_snippets_issue:add"), issue_post(institution, category, photos=photos)
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "不支持的图片格式：photo.jpg" in content
    assert "图片像素过多：bomb.png" in content
    assert not Issue.objects.exists() and not Photo.objects.exists()


def test_a_storage_fault_keeps_no_rows_and_gives_the_form_back(
    client, users, institution, category, monkeypatch
):
    client.force_login(users[roles.INSPECTOR])

    def disk_full(name, content):
        raise OSError(errno.ENOSPC, "No space left on device")

    private_storage.exists("photos")  # resolve the lazy storage, then make its writes fail
    monkeypatch.setattr(private_storage._wrapped, "_save", disk_full)
    photo = SimpleUploadedFile("gate.jpg", make_jpeg())
    response = client.post(
        reverse("wagtailsnippets_snippets_issue:add"), issue_post(institution, category, photos=[photo])
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert "照片或附件保存失败" in content
    assert "消毒记录缺失" in content and "公共区域未见每日二次消杀记录" in content
    assert not Issue.objects.exists()
    assert not Photo.objects.exists()


def test_a_failed_transaction_after_a_file_was_written_removes_the_file(users, institution, category):
    clean = sanitise_image(SimpleUploadedFile("a.jpg", make_jpeg()))
    written = []
    with pytest.raises(RuntimeError), services.photo_transaction() as saved_names:
        services.store_photos([clean], users[roles.INSPECTOR], saved_names=saved_names)
        written.extend(saved_names)
        raise RuntimeError("database went away")
    assert written and not private_storage.exists(written[0])
    assert not Photo.objects.exists()


def test_the_cleanup_job_removes_orphan_files_but_not_live_photos(users):
    issue = IssueFactory()
    clean = sanitise_image(SimpleUploadedFile("a.jpg", make_jpeg()))
    [live] = services.store_photos([clean], users[roles.INSPECTOR], issue=issue)
    orphan = private_storage.save("photos/orphan.jpg", io.BytesIO(clean.content))

    assert services.cleanup_orphan_photo_files(min_age_seconds=3600) == {"deleted": 0}
    assert services.cleanup_orphan_photo_files(min_age_seconds=0) == {"deleted": 1}
    assert not private_storage.exists(orphan)
    assert private_storage.exists(live.file.name)


@pytest.fixture
def stored_photo(users):
    own = InstitutionFactory(name="本单位")
    own.responsible_users.add(users[roles.RESPONSIBLE_UNIT])
    issue = IssueFactory(institution=own)
    clean = sanitise_image(SimpleUploadedFile("a.jpg", make_jpeg()))
    return services.store_photos([clean], users[roles.INSPECTOR], issue=issue)[0]


def test_the_photo_file_is_outside_media_root_and_has_no_public_url(settings, stored_photo):
    path = private_storage.path(stored_photo.file.name)
    assert path.startswith(str(settings.PRIVATE_MEDIA_ROOT))
    assert not path.startswith(str(settings.MEDIA_ROOT) + "/")
    with pytest.raises(ValueError):
        stored_photo.file.url  # noqa: B018 - a private file has no URL


@pytest.mark.parametrize("role", [None, roles.COMMUNICATIONS])
def test_anonymous_and_communications_staff_cannot_fetch_a_photo(client, users, stored_photo, role):
    if role:
        client.force_login(users[role])
    assert client.get(stored_photo.get_absolute_url()).status_code == 404


@pytest.mark.parametrize(
    "role", [roles.INSPECTOR, roles.LEADERSHIP, roles.ADMINISTRATOR, roles.RESPONSIBLE_UNIT]
)
def test_permitted_roles_get_the_photo_with_safe_headers(client, users, stored_photo, role):
    client.force_login(users[role])
    response = client.get(stored_photo.get_absolute_url())
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline; filename=")
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"


def test_a_responsible_unit_cannot_fetch_another_institutions_photo(client, users, stored_photo, make_user):
    other_unit = make_user(roles.RESPONSIBLE_UNIT, username="other-unit")
    InstitutionFactory(name="别家").responsible_users.add(other_unit)
    client.force_login(other_unit)
    assert client.get(stored_photo.get_absolute_url()).status_code == 404


def test_a_wagtail_image_upload_of_a_bomb_is_refused(client, users):
    client.force_login(users[roles.ADMINISTRATOR])
    bomb = SimpleUploadedFile("bomb.png", make_png_bomb((12000, 12000)), content_type="image/png")
    response = client.post(reverse("wagtailimages:add"), {"title": "bomb", "file": bomb})
    assert response.status_code == 200
    assert "图片像素过多" in response.content.decode()
    assert not get_image_model().objects.exists()


def test_a_wagtail_image_upload_is_stored_without_gps(client, users):
    client.force_login(users[roles.COMMUNICATIONS])
    upload = SimpleUploadedFile(
        "appeal.jpg", make_jpeg(size=(60, 20), exif=gps_exif()), content_type="image/jpeg"
    )
    response = client.post(reverse("wagtailimages:add"), {"title": "appeal", "file": upload})
    assert response.status_code == 302, response.content.decode()[-2000:]
    image = get_image_model().objects.get()
    with image.open_file() as handle:
        content = handle.read()
    stored = Image.open(io.BytesIO(content))
    assert not stored.getexif().get_ifd(0x8825)
    assert b"SN-123456" not in content
    assert (image.width, image.height) == (20, 60)
    rendition = image.get_rendition("fill-10x10|format-png")
    with rendition.file.open() as handle:
        assert b"GPS" not in handle.read()


def test_a_wagtail_image_upload_of_a_tga_named_jpg_is_refused(client, users):
    client.force_login(users[roles.ADMINISTRATOR])
    response = client.post(
        reverse("wagtailimages:add"), {"title": "x", "file": SimpleUploadedFile("photo.jpg", make_tga())}
    )
    assert response.status_code == 200
    assert "不支持的图片格式" in response.content.decode()
    assert not get_image_model().objects.exists()


def test_the_orphan_cleanup_is_declared_as_an_hourly_schedule():
    from workflows.scheduling import declared_schedules

    spec = next(spec for spec in declared_schedules() if spec.name == "snippets.cleanup_orphan_photos")
    assert spec.func == "snippets.tasks.cleanup_orphan_photos"
    assert spec.minutes == 60
    from snippets.tasks import cleanup_orphan_photos

    assert cleanup_orphan_photos() == {"deleted": 0}


def test_a_post_with_a_thousand_file_parts_is_refused(client, users):
    from tests.snippets.factories import VisitFactory

    visit = VisitFactory()
    client.force_login(users[roles.INSPECTOR])
    files = {f"photos-{i}": SimpleUploadedFile(f"{i}.jpg", b"x") for i in range(1000)}
    response = client.post(reverse("snippets_visit_checklist", args=[visit.pk]), files)
    assert response.status_code == 400
    assert not Photo.objects.exists()


def test_stored_photo_files_get_the_configured_upload_permissions(users, settings):
    import os
    import stat

    clean = sanitise_image(SimpleUploadedFile("a.jpg", make_jpeg()))
    [photo] = services.store_photos([clean], users[roles.INSPECTOR], issue=IssueFactory())
    mode = stat.S_IMODE(os.stat(private_storage.path(photo.file.name)).st_mode)
    assert mode == settings.FILE_UPLOAD_PERMISSIONS == 0o640
