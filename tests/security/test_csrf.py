"""CSRF on every form: every URL pattern the site routes is POSTed by a logged-in, OTP-verified
administrator (who may do everything, so only the CSRF check can stop it) through a client that
enforces CSRF checks and sends no token. Each is refused with 403 (or 405 where the endpoint takes no
POST) and no table changes. The patterns are enumerated from the URL resolver, so a new endpoint is
covered without editing this file.
"""

import re

import pytest

from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern

from workflows.backup import model_tables

pytestmark = pytest.mark.django_db

SAMPLE_VALUES = {
    "int": "1",
    "str": "x",
    "slug": "x",
    "path": "x",
    "uuid": "00000000-0000-0000-0000-000000000001",
}
SAMPLE_VALUES["isodate"] = "2020-02-03"
# A state-changing form body: an upload field, ids, a reason, payment details.
PAYLOAD = {
    "title": "CSRF",
    "name": "CSRF",
    "reason": "CSRF",
    "id": "1",
    "account_number": "6222020000000000",
    "is_superuser": "on",
    "action": "approve",
}


def _sample(pattern):
    """A concrete path for a URL pattern, or None if it cannot be filled generically."""
    text = str(pattern)
    if isinstance(pattern, RegexPattern):
        text = text.lstrip("^").rstrip("$").replace("\\Z", "")
        text = re.sub(r"\(\?P<\w+>[^)]*\)", "1", text)
        text = re.sub(r"\((?:\?:)?[^)]*\)[*?]?", "1", text)
        text = text.replace("\\.", ".").replace("\\-", "-")
        return None if re.search(r"[\\\[\](){}*+?|]", text) else text

    def fill(match):
        return SAMPLE_VALUES.get(match.group(1), "1")

    return re.sub(r"<(?:(\w+):)?\w+>", fill, text)


def all_paths():
    paths = set()

    def walk(resolver, prefix):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                part = _sample(entry.pattern)
                if part is not None:
                    walk(entry, prefix + part)
            elif isinstance(entry, URLPattern):
                part = _sample(entry.pattern)
                if part is not None:
                    paths.add("/" + prefix + part)

    walk(get_resolver(), "")
    return sorted(paths)


def _row_counts():
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        counts = {}
        for table in model_tables():
            if table in existing:
                cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
                counts[table] = cursor.fetchone()[0]
    return counts


def test_every_post_endpoint_refuses_a_request_without_csrf_token(users):
    paths = all_paths()
    assert len(paths) > 300, "the resolver walk must reach Wagtail's admin, the APIs and our views"
    assert "/admin/ledger/" in paths and "/admin/rectification/issue/1/move/x/" in paths

    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.force_login(users["administrator"])
    before = _row_counts()
    problems = []
    for path in paths:
        response = client.post(path, PAYLOAD)
        if response.status_code not in (403, 405):
            problems.append(f"POST {path} without a CSRF token: {response.status_code}")
    after = _row_counts()
    changed = {
        table: (before[table], after.get(table)) for table in before if before[table] != after.get(table)
    }
    # Sessions and login-throttling bookkeeping may be written by middleware; nothing else.
    changed = {t: v for t, v in changed.items() if not t.startswith(("django_session", "axes_"))}
    assert not problems, "\n".join(problems)
    assert not changed, f"tables changed by refused POSTs: {changed}"


def test_the_login_form_refuses_a_post_without_csrf_token(users):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/admin/login/", {"username": "admin", "password": "x"})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
