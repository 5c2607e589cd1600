import io

import pytest
from PIL import Image

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from snippets.images import sanitise_image
from tests.snippets.factories import gps_exif, make_jpeg, make_png, make_png_bomb, make_tga


def upload(name, content):
    return SimpleUploadedFile(name, content)


def test_a_decompression_bomb_is_refused_with_too_many_pixels():
    with pytest.raises(ValidationError) as excinfo:
        sanitise_image(upload("bomb.png", make_png_bomb((12000, 12000))))
    assert "图片像素过多" in excinfo.value.messages[0]
    assert "bomb.png" in excinfo.value.messages[0]


def test_a_30000_pixel_square_bomb_is_refused_too():
    with pytest.raises(ValidationError, match="图片像素过多"):
        sanitise_image(upload("big.png", make_png_bomb((30000, 30000))))


def test_a_tga_named_jpg_is_refused_as_unsupported():
    with pytest.raises(ValidationError) as excinfo:
        sanitise_image(upload("photo.jpg", make_tga()))
    assert excinfo.value.messages == ["不支持的图片格式：photo.jpg"]


def test_a_png_named_jpg_is_refused_because_content_and_extension_disagree():
    with pytest.raises(ValidationError, match="不支持的图片格式"):
        sanitise_image(upload("photo.jpg", make_png()))


def test_a_png_header_followed_by_html_is_refused():
    content = make_png()[:33] + b"<html><script>alert(1)</script></html>"
    with pytest.raises(ValidationError, match="不支持的图片格式"):
        sanitise_image(upload("polyglot.png", content))


def test_an_svg_is_refused():
    with pytest.raises(ValidationError, match="不支持的图片格式"):
        sanitise_image(upload("x.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>"))


def test_an_animated_webp_is_refused():
    buffer = io.BytesIO()
    frames = [Image.new("RGB", (8, 8), (i * 50, 255 - i * 50, 0)) for i in range(5)]
    frames[0].save(buffer, "WEBP", save_all=True, append_images=frames[1:])
    with pytest.raises(ValidationError, match="不支持的图片格式"):
        sanitise_image(upload("anim.webp", buffer.getvalue()))


def test_a_too_large_file_is_refused_by_size(settings):
    settings.PHOTO_MAX_UPLOAD_SIZE = 1000
    with pytest.raises(ValidationError, match="图片过大"):
        sanitise_image(upload("big.jpg", make_jpeg(size=(400, 400))))


def test_gps_and_device_tags_are_stripped_and_orientation_applied():
    content = make_jpeg(size=(60, 20), exif=gps_exif())
    assert Image.open(io.BytesIO(content)).getexif().get_ifd(0x8825)  # the input really has GPS

    clean = sanitise_image(upload("gps.jpg", content))

    stored = Image.open(io.BytesIO(clean.content))
    exif = stored.getexif()
    assert not exif.get_ifd(0x8825)
    assert 0x010F not in exif and 0x0110 not in exif and 0xA431 not in exif
    assert b"GPS" not in clean.content and b"SN-123456" not in clean.content
    # Orientation 6 means rotated: the stored pixels are portrait now.
    assert stored.size == (20, 60)
    assert (clean.width, clean.height) == (20, 60)
    assert clean.content != content


BOMB_RSS_SCRIPT = """
import resource, sys
import django
django.setup()
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from snippets.images import sanitise_image
from tests.snippets.factories import make_png_bomb
bombs = [make_png_bomb((12000, 12000)), make_png_bomb((30000, 30000))]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for content in bombs:
    try:
        sanitise_image(SimpleUploadedFile("bomb.png", content))
    except ValidationError:
        pass
    else:
        sys.exit("bomb accepted")
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


def test_refusing_bombs_costs_under_100_mb_of_memory():
    import os
    import subprocess
    import sys

    from django.conf import settings

    env = dict(os.environ, DJANGO_SETTINGS_MODULE="cms.settings.test")
    result = subprocess.run(
        [sys.executable, "-c", BOMB_RSS_SCRIPT],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    delta_kb = int(result.stdout.strip().splitlines()[-1])
    assert delta_kb < 100 * 1024
