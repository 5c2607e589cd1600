"""The checker for issue attachments (non-image files): extension allow-list, size limit, and a
content check so a file is what its extension says (RELIABILITY items 8 and 9)."""

import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

DEFAULT_MAX_BYTES = 20 * 1024 * 1024

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "txt": "text/plain; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
}
ACCEPT = ",".join(f".{extension}" for extension in CONTENT_TYPES)


def max_upload_bytes():
    return getattr(settings, "ISSUE_ATTACHMENT_MAX_SIZE", None) or DEFAULT_MAX_BYTES


@dataclass(frozen=True)
class CleanAttachment:
    name: str
    content: bytes
    content_type: str

    @property
    def size(self):
        return len(self.content)


def _is_office_zip(content):
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "[Content_Types].xml" in archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return False


def _is_text(content):
    for encoding in ("utf-8", "gb18030"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        # A NUL byte decodes in both codecs but no text file carries one.
        return "\x00" not in text
    return False


CONTENT_CHECKS = {
    "pdf": lambda content: content.startswith(b"%PDF-"),
    "docx": _is_office_zip,
    "xlsx": _is_office_zip,
    "txt": _is_text,
    "csv": _is_text,
}


def check_attachment(upload):
    """Return a CleanAttachment from an uploaded file, or raise ValidationError naming the file."""
    name = PurePath(upload.name or "").name or "file"
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in CONTENT_TYPES:
        raise ValidationError(
            _("不支持的附件类型：%(name)s（仅限 PDF、DOCX、XLSX、TXT、CSV）") % {"name": name},
            code="unsupported_type",
        )
    limit = max_upload_bytes()
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            _("附件过大：%(name)s（上限 %(limit)d MB）") % {"name": name, "limit": limit // (1024 * 1024)},
            code="too_large",
        )
    upload.seek(0)
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise ValidationError(
            _("附件过大：%(name)s（上限 %(limit)d MB）") % {"name": name, "limit": limit // (1024 * 1024)},
            code="too_large",
        )
    if not content or not CONTENT_CHECKS[extension](content):
        raise ValidationError(
            _("附件内容与扩展名不符：%(name)s（文件不是真正的 %(ext)s 文件）")
            % {"name": name, "ext": extension.upper()},
            code="type_mismatch",
        )
    return CleanAttachment(name=name, content=content, content_type=CONTENT_TYPES[extension])
