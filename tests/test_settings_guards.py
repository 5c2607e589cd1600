"""Configuration guards: the queue (RELIABILITY 15) and image and upload limits (7-9, 40).

Version floors, the lock file and the optional-package guards: tests/test_supply_chain.py.
"""

import os
import subprocess
import sys

import pytest
from PIL import Image

from django.conf import settings

from tests.conftest import BASE_DIR


def test_queue_timeout_is_set_and_retry_leaves_a_minute_of_margin():
    q = settings.Q_CLUSTER
    assert q["timeout"] > 0
    assert q["retry"] >= q["timeout"] + 60


def test_queue_attempts_are_finite_and_failures_acknowledged_explicitly():
    q = settings.Q_CLUSTER
    assert q["max_attempts"] > 0
    assert "ack_failures" in q and q["ack_failures"] is True


def test_missed_schedule_runs_are_not_replayed_after_downtime():
    assert settings.Q_CLUSTER["catch_up"] is False


def test_queue_uses_the_orm_broker_without_redis_and_redis_when_configured():
    if settings.REDIS_URL:
        assert settings.Q_CLUSTER["redis"] == settings.REDIS_URL
        assert "orm" not in settings.Q_CLUSTER
    else:
        assert settings.Q_CLUSTER["orm"] == "default"
        assert "redis" not in settings.Q_CLUSTER


def test_test_settings_keep_the_real_task_cluster():
    assert not settings.Q_CLUSTER.get("sync", False)


def test_sqlite_is_configured_for_concurrent_writers():
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("SQLite-only settings")
    options = database["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 20
    assert "journal_mode=WAL" in options["init_command"]


@pytest.mark.django_db
def test_sqlite_connection_runs_in_wal_mode():
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite-only pragma")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0].lower() == "wal"


def test_pillow_pixel_limit_is_at_most_fifty_million_and_matches_wagtail():
    assert Image.MAX_IMAGE_PIXELS is not None
    assert Image.MAX_IMAGE_PIXELS <= 50_000_000
    assert settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS <= 50_000_000


def test_an_image_over_the_pixel_limit_is_refused_at_open_once_settings_are_loaded(tmp_path):
    # 8000x8000 = 64 M pixels: past the 50 M limit but under twice it, where Pillow only warns.
    # Settings turn that warning into an error; the check runs in a fresh interpreter so that
    # pytest's own warning filters cannot hide a missing guard.
    path = tmp_path / "wide.png"
    Image.new("1", (8000, 8000)).save(path)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, sys; django.setup(); from PIL import Image\n"
            "try:\n    Image.open(sys.argv[1])\nexcept Image.DecompressionBombWarning:\n    print('refused')",
            str(path),
        ],
        cwd=BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "cms.settings.test"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "refused", result.stderr


def test_the_test_suite_treats_decompression_bomb_warnings_as_errors_too(tmp_path):
    path = tmp_path / "wide.png"
    Image.new("1", (8000, 8000)).save(path)
    with pytest.raises(Image.DecompressionBombWarning):
        Image.open(path)


def test_upload_limits_are_explicit():
    assert settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE <= 25 * 1024 * 1024
    assert settings.WAGTAILDOCS_MAX_UPLOAD_SIZE <= 25 * 1024 * 1024
    assert settings.DATA_UPLOAD_MAX_NUMBER_FILES <= 100
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= 10 * 1024 * 1024
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= 5 * 1024 * 1024
    # Set in our settings, not inherited from a library default that could change.
    source = (BASE_DIR / "cms" / "settings" / "base.py").read_text()
    for name in (
        "DATA_UPLOAD_MAX_MEMORY_SIZE",
        "FILE_UPLOAD_MAX_MEMORY_SIZE",
        "DATA_UPLOAD_MAX_NUMBER_FILES",
        "DATA_UPLOAD_MAX_NUMBER_FIELDS",
        "WAGTAILIMAGES_MAX_UPLOAD_SIZE",
        "WAGTAILDOCS_MAX_UPLOAD_SIZE",
    ):
        assert f"\n{name} = " in source, name


def test_time_zone_and_languages_are_the_bureaus():
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert "en" in dict(settings.LANGUAGES)
    assert "django.middleware.locale.LocaleMiddleware" in settings.MIDDLEWARE


def _import_production_settings(secret_key):
    env = {key: value for key, value in os.environ.items() if key != "SECRET_KEY"}
    env["DJANGO_SETTINGS_MODULE"] = "cms.settings.production"
    if secret_key is not None:
        env["SECRET_KEY"] = secret_key
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "secret_key",
    [None, "", "django-insecure-abcdefghijklmnopqrstuvwxyz0123456789abcdefgh", "short"],
    ids=["missing", "empty", "django-insecure", "too-short"],
)
def test_production_settings_refuse_to_start_without_a_real_secret_key(secret_key):
    result = _import_production_settings(secret_key)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_settings_start_with_a_real_secret_key_and_no_debug():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.DEBUG, settings.SESSION_COOKIE_SECURE, settings.ALLOW_DEMO_DATA)",
        ],
        cwd=BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "cms.settings.production", "SECRET_KEY": "x" * 50},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "False"]
