"""The one image sanitiser, used for inspection photos and for Wagtail image uploads.

Decodes under the pixel limit, accepts only JPEG/PNG/WEBP whose content matches the file's
extension, refuses animations, applies the EXIF orientation to the pixels and re-encodes without
any metadata (no EXIF, GPS, XMP, ICC or text chunks). The stored file is never the uploaded bytes.
"""

import io
import warnings
from dataclasses import dataclass
from pathlib import PurePath

from PIL import Image, ImageOps, UnidentifiedImageError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Detected format -> extensions it may carry.
ALLOWED_FORMATS = {"JPEG": ("jpg", "jpeg"), "PNG": ("png",), "WEBP": ("webp",)}
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
DEFAULT_MAX_BYTES = 20 * 1024 * 1024


def max_upload_bytes():
    return getattr(
        settings, "PHOTO_MAX_UPLOAD_SIZE", getattr(settings, "WAGTAILIMAGES_MAX_UPLOAD_SIZE", None)
    ) or (DEFAULT_MAX_BYTES)


@dataclass(frozen=True)
class CleanImage:
    name: str
    content: bytes
    format: str
    width: int
    height: int

    @property
    def content_type(self):
        return CONTENT_TYPES[self.format]


def _too_many_pixels(name):
    return ValidationError(_("图片像素过多：%(name)s") % {"name": name}, code="too_many_pixels")


def _unsupported(name):
    return ValidationError(_("不支持的图片格式：%(name)s") % {"name": name}, code="unsupported_format")


def sanitise_image(uploaded, name=None):
    """Return a CleanImage from an uploaded file, or raise ValidationError naming the file."""
    name = PurePath(name or getattr(uploaded, "name", "") or "image").name
    size = getattr(uploaded, "size", None)
    limit = max_upload_bytes()
    if size is not None and size > limit:
        raise ValidationError(
            _("图片过大：%(name)s（上限 %(limit)d MB）") % {"name": name, "limit": limit // (1024 * 1024)},
            code="file_too_large",
        )
    extension = PurePath(name).suffix.lower().lstrip(".")
    if not any(extension in extensions for extensions in ALLOWED_FORMATS.values()):
        raise _unsupported(name)
    max_pixels = settings.MAX_IMAGE_PIXELS
    if hasattr(uploaded, "seek"):
        uploaded.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(uploaded)
            width, height = image.size
            if width * height > max_pixels:
                raise _too_many_pixels(name)
            detected = image.format
            if detected not in ALLOWED_FORMATS or extension not in ALLOWED_FORMATS[detected]:
                raise _unsupported(name)
            if getattr(image, "n_frames", 1) > 1 or getattr(image, "is_animated", False):
                raise _unsupported(name)
            image.load()
            image = ImageOps.exif_transpose(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels(name) from exc
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise _unsupported(name) from exc
    return CleanImage(
        name=name,
        content=_encode(image, detected),
        format=detected,
        width=image.width,
        height=image.height,
    )


def _encode(image, image_format):
    # A fresh image carries no `info` (EXIF, XMP, ICC, PNG text); only pixels are written.
    if image_format == "JPEG":
        mode = "L" if image.mode in ("L", "LA") else "RGB"
    elif image.mode in ("RGBA", "LA", "RGB", "L", "P"):
        mode = "RGBA" if image.mode in ("RGBA", "LA", "P") else image.mode
    else:
        mode = "RGBA"
    clean = Image.new(mode, image.size)
    clean.paste(image.convert(mode))
    buffer = io.BytesIO()
    if image_format == "JPEG":
        clean.save(buffer, "JPEG", quality=85, optimize=True)
    elif image_format == "PNG":
        clean.save(buffer, "PNG", optimize=True)
    else:
        clean.save(buffer, "WEBP", quality=85)
    return buffer.getvalue()
