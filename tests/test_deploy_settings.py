"""Production settings (RELIABILITY 34): `check --deploy` clean, secure transport, static files.

Each test starts a fresh interpreter on cms.settings.production, as a server would, so the test
settings of this process cannot hide anything. Refusing a missing, short or `django-insecure-`
key is tested in tests/test_settings_guards.py.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BASE_DIR


def production_env(**extra):
    # DJANGO_ALLOW_ASYNC_UNSAFE is set in this process by the browser tests' conftest (Playwright's
    # event loop); a deployment never has it, and check --deploy rightly fails on it (async.E001).
    dropped = {"DEBUG", "SECURE_SSL_REDIRECT", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    env.update(
        DJANGO_SETTINGS_MODULE="cms.settings.production",
        SECRET_KEY=secrets.token_urlsafe(48)[:50],
        ALLOWED_HOSTS="desk.example.org",
    )
    env.update(extra)
    return env


def run_production(args, timeout=120, **extra):
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=production_env(**extra),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_check_deploy_passes_at_warning_level_with_only_w019_silenced():
    result = run_production(["manage.py", "check", "--deploy", "--fail-level", "WARNING"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (1 silenced)" in result.stdout


def test_w019_is_the_only_silenced_check_and_it_says_why():
    source = (BASE_DIR / "cms" / "settings" / "production.py").read_text()
    assert 'SILENCED_SYSTEM_CHECKS = ["security.W019"]' in source
    # The reason sits right above the setting.
    reason = source.split("SILENCED_SYSTEM_CHECKS")[0].rsplit("\n\n", 1)[-1]
    assert "preview" in reason and "SAMEORIGIN" in reason


def _production_settings(*names, **extra):
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}, default=str))"
    )
    result = run_production(["-c", code], **extra)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_transport_cookies_and_headers_are_secure():
    values = _production_settings(
        "DEBUG",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "CSRF_COOKIE_SECURE",
        "SECURE_CONTENT_TYPE_NOSNIFF",
        "SECURE_PROXY_SSL_HEADER",
        "X_FRAME_OPTIONS",
        "SILENCED_SYSTEM_CHECKS",
        "ALLOW_DEMO_DATA",
        "MIDDLEWARE",
        "STORAGES",
    )
    assert values["DEBUG"] is False
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["X_FRAME_OPTIONS"] == "SAMEORIGIN"
    assert values["SILENCED_SYSTEM_CHECKS"] == ["security.W019"]
    assert values["ALLOW_DEMO_DATA"] is False
    assert "cms.csp.SiteCSPMiddleware" in values["MIDDLEWARE"]
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in values["MIDDLEWARE"]
    assert values["STORAGES"]["staticfiles"]["BACKEND"] == (
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )


def test_debug_from_the_environment_cannot_turn_debug_on_in_production():
    assert _production_settings("DEBUG", DEBUG="1")["DEBUG"] is False


def test_collectstatic_writes_hashed_and_compressed_files(tmp_path):
    static_root = tmp_path / "static"
    result = run_production(
        ["manage.py", "collectstatic", "--noinput"], timeout=600, STATIC_ROOT=str(static_root)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    for source in ("css/site.css", "js/site.js", "wagtailadmin/js/core.js"):
        hashed = manifest[source]
        assert hashed != source and Path(hashed).stem.rsplit(".", 1)[-1].isalnum()
        assert (static_root / hashed).is_file()
        # whitenoise serves these to clients that accept gzip or Brotli.
        assert (static_root / f"{hashed}.gz").is_file(), hashed
        assert (static_root / f"{hashed}.br").is_file(), hashed


@pytest.mark.parametrize(
    ("redis_url", "expected"),
    [
        ("redis://10.0.0.5:6379/0", "desk.W001"),
        ("redis://:secret@1.2.3.4:6379/0", "desk.W002"),
        ("redis://:secret@10.0.0.5:6379/0", None),
        ("redis://127.0.0.1:6379/1", None),
    ],
    ids=["no-password", "public-address", "private-with-password", "loopback"],
)
def test_check_deploy_refuses_an_unauthenticated_or_public_redis_broker(redis_url, expected):
    result = run_production(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], REDIS_URL=redis_url
    )
    if expected:
        assert result.returncode != 0
        assert expected in result.stderr
    else:
        assert result.returncode == 0, result.stdout + result.stderr
