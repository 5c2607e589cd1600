import datetime
import io
import struct
import zlib

import factory
from PIL import Image

from snippets.choices import Area, InstitutionKind, RoundMode, Severity
from snippets.models import ChecklistTemplate, InspectionRound, Institution, Issue, IssueCategory, Visit


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institution

    name = factory.Sequence(lambda n: f"测试敬老院{n}")
    kind = InstitutionKind.TOWNSHIP_ELDER_CARE
    township = "城关镇"
    area = Area.URBAN


class IssueCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IssueCategory
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"test-category-{n}")
    name = factory.Sequence(lambda n: f"测试类别{n}")
    default_severity = Severity.MEDIUM
    default_deadline_days = 7


class IssueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Issue

    title = factory.Sequence(lambda n: f"问题{n}")
    category = factory.SubFactory(IssueCategoryFactory)
    institution = factory.SubFactory(InstitutionFactory)
    severity = Severity.MEDIUM
    found_on = datetime.date(2026, 11, 20)
    deadline = datetime.date(2026, 11, 27)


class InspectionRoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InspectionRound

    name = factory.Sequence(lambda n: f"第{n}轮督查")
    mode = RoundMode.OPEN
    starts_on = datetime.date(2026, 11, 23)
    ends_on = datetime.date(2026, 11, 30)


class VisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Visit

    inspection_round = factory.SubFactory(InspectionRoundFactory)
    institution = factory.SubFactory(InstitutionFactory)
    planned_on = datetime.date(2026, 11, 25)
    template = factory.LazyAttribute(lambda o: ChecklistTemplate.for_kind(o.institution.kind))


def make_jpeg(size=(64, 48), exif=None, color=(200, 30, 30)):
    """A JPEG in memory; `exif` is a PIL.Image.Exif to embed."""
    buffer = io.BytesIO()
    image = Image.new("RGB", size, color)
    if exif is not None:
        image.save(buffer, "JPEG", exif=exif)
    else:
        image.save(buffer, "JPEG")
    return buffer.getvalue()


def make_png(size=(32, 32)):
    buffer = io.BytesIO()
    Image.new("RGBA", size, (0, 128, 0, 255)).save(buffer, "PNG")
    return buffer.getvalue()


def make_png_bomb(size=(12000, 12000)):
    """A tiny file that decodes to a huge image: only the header matters for the check."""
    buffer = io.BytesIO()
    Image.new("1", (1, 1)).save(buffer, "PNG")
    data = bytearray(buffer.getvalue())
    # Rewrite the IHDR width/height (and its CRC) to claim a huge image.
    ihdr = data.index(b"IHDR")
    data[ihdr + 4 : ihdr + 12] = struct.pack(">II", *size)
    crc = zlib.crc32(bytes(data[ihdr : ihdr + 17])) & 0xFFFFFFFF
    data[ihdr + 17 : ihdr + 21] = struct.pack(">I", crc)
    return bytes(data)


def make_tga():
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (1, 2, 3)).save(buffer, "TGA")
    return buffer.getvalue()


def gps_exif():
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Model X"  # Model
    exif[0xA431] = "SN-123456"  # BodySerialNumber
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (31.0, 14.0, 0.0)
    gps[3] = "E"
    gps[4] = (121.0, 28.0, 0.0)
    return exif


def issue_post(institution, category, **extra):
    """The fields of the issue admin form, as a browser would post them."""
    data = {
        "title": "消毒记录缺失",
        "category": category.pk,
        "severity": "",
        "institution": institution.pk,
        "found_on": "2026-11-20",
        "deadline": "",
        "description": "公共区域未见每日二次消杀记录",
        "rectification_plan": "",
    }
    data.update(extra)
    return data
