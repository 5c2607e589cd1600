"""Supply chain (RELIABILITY 39 and 40): version floors, the hash-pinned lock, known vulnerabilities,
and the guards that only work while an optional package is installed and wired in.

The queue guards and the pixel-limit guards live in tests/test_settings_guards.py.
"""

import io
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from importlib.metadata import version

import pytest
from packaging.version import Version
from PIL import Image

from django.conf import settings
from django.urls import get_resolver

from tests.conftest import BASE_DIR

sys.path.insert(0, str(BASE_DIR / "cms" / "scripts"))
import check_lock  # noqa: E402

LOCK = BASE_DIR / "requirements.lock"


@pytest.mark.parametrize(
    ("package", "floor"),
    [
        ("Django", "5.2.17"),
        ("wagtail", "8.0"),
        ("Pillow", "12.3.0"),
        ("Willow", "1.12"),
        ("django-q2", "1.11.1"),
    ],
)
def test_installed_package_meets_its_security_floor(package, floor):
    assert Version(version(package)) >= Version(floor)


def test_openpyxl_is_pinned_and_parses_xml_through_defusedxml():
    import openpyxl

    assert version("openpyxl") == "3.1.5"
    assert version("defusedxml")
    assert openpyxl.DEFUSEDXML is True
    # lxml for writing (the export's speed); entity bombs in every part: tests/home/test_spreadsheets.py.
    assert openpyxl.LXML is True


def test_the_lock_holds_every_pin_of_the_requirements_at_the_same_version_with_hashes():
    assert check_lock.problems() == []


def test_the_lock_keeps_the_packages_the_guards_depend_on():
    lock = check_lock.locked(LOCK)
    for package in ("defusedxml", "openpyxl", "lxml", "pillow", "django-csp", "whitenoise", "brotli"):
        assert package in lock, package
    assert lock["openpyxl"][0] == "3.1.5"


def test_the_makefile_installs_the_lock_with_require_hashes():
    makefile = (BASE_DIR / "Makefile").read_text()
    assert "install --quiet --require-hashes -r $(LOCK)" in makefile
    assert "LOCK := requirements.lock" in makefile


def test_check_lock_reports_a_pin_missing_from_the_lock(tmp_path, monkeypatch):
    (tmp_path / "requirements.txt").write_text("Django==5.2.19\nnew-package==1.0\n")
    (tmp_path / "requirements.lock").write_text(
        "django==5.2.19 \\\n    --hash=sha256:00\n    # via -r requirements.txt\n"
    )
    monkeypatch.setattr(check_lock, "ROOT", tmp_path)
    monkeypatch.setattr(check_lock, "LOCK", tmp_path / "requirements.lock")
    assert check_lock.problems() == ["requirements.txt: new-package==1.0 is not in requirements.lock"]


def _vulnerability_service():
    """The advisory service pip-audit can reach from here, or None with the reason."""
    probes = {
        "pypi": ("https://pypi.org/pypi/django/5.2.19/json", None),
        "osv": (
            "https://api.osv.dev/v1/query",
            json.dumps({"package": {"name": "django", "ecosystem": "PyPI"}, "version": "5.2.19"}).encode(),
        ),
    }
    reasons = []
    for service, (url, body) in probes.items():
        try:
            request = urllib.request.Request(url, data=body)  # noqa: S310 - fixed https URLs
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                answer = json.load(response)
            # PyPI's JSON API lists advisories under "vulnerabilities"; OSV answers any query.
            if service == "osv" or "vulnerabilities" in answer:
                return service, None
            reasons.append(f"{url}: no advisory data in the answer")
        except (OSError, ValueError, urllib.error.URLError) as exc:
            reasons.append(f"{url}: {exc}")
    return None, "; ".join(reasons)


def test_no_locked_package_has_a_known_vulnerability():
    service, reason = _vulnerability_service()
    if service is None:
        pytest.skip(f"no vulnerability service reachable from this machine (offline): {reason}")
    result = subprocess.run(
        [
            str(BASE_DIR / ".venv" / "bin" / "pip-audit"),
            "--strict",
            "--progress-spinner",
            "off",
            "--vulnerability-service",
            service,
            "--disable-pip",
            "--require-hashes",
            "-r",
            str(LOCK),
        ],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_pillow_opens_only_the_allowed_formats():
    assert settings.PILLOW_OPEN_FORMATS == ("JPEG", "PNG", "WEBP")
    assert set(Image.OPEN) == set(settings.PILLOW_OPEN_FORMATS)
    assert set(Image.ID) == set(settings.PILLOW_OPEN_FORMATS)


def test_a_file_in_another_format_is_not_parsed_even_when_named_for_its_decoder(tmp_path):
    # In a fresh interpreter, after everything (Willow, pillow-heif) has had a chance to register.
    for image_format, suffix in [("TGA", "tga"), ("GIF", "gif"), ("BMP", "bmp"), ("ICO", "ico")]:
        Image.new("RGB", (8, 8)).save(tmp_path / f"sample.{suffix}", format=image_format)
    Image.new("RGB", (8, 8)).save(tmp_path / "sample.png", format="PNG")
    code = (
        "import django, sys; django.setup()\n"
        "import willow.plugins.pillow, wagtail.images.models\n"
        "from PIL import Image, UnidentifiedImageError\n"
        "for path in sys.argv[1:]:\n"
        "    try:\n"
        "        print(Image.open(path).format)\n"
        "    except UnidentifiedImageError:\n"
        "        print('refused')\n"
    )
    paths = [str(tmp_path / f"sample.{suffix}") for suffix in ("tga", "gif", "bmp", "ico", "png")]
    result = subprocess.run(
        [sys.executable, "-c", code, *paths],
        cwd=BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "cms.settings.test"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == ["refused", "refused", "refused", "refused", "PNG"], result.stderr


def test_an_in_memory_upload_in_another_format_is_not_parsed():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="TGA")
    buffer.seek(0)
    with pytest.raises(Image.UnidentifiedImageError):
        Image.open(buffer)


def _routed_view_modules():
    modules = set()

    def walk(patterns):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                walk(pattern.url_patterns)
            else:
                callback = pattern.callback
                modules.add(getattr(callback, "__module__", "") or "")
                view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
                if view_class is not None:
                    # Every class it is built on: our API viewsets subclass Wagtail's (cms/api.py).
                    modules.update(klass.__module__ for klass in view_class.__mro__)

    walk(get_resolver().url_patterns)
    return modules


def test_wagtail_api_v3_preview_is_neither_installed_nor_routed(client):
    assert "wagtail.api.v3" not in settings.INSTALLED_APPS
    assert not [module for module in _routed_view_modules() if module.startswith("wagtail.api.v3")]
    assert any(module.startswith("wagtail.api.v2") for module in _routed_view_modules())
