"""SQL metacharacters and query-parameter abuse (RELIABILITY item 11; CVE-2025-64459 `_connector`,
CVE-2026-1312 order_by/aliases, CVE-2024-39317 catastrophic regex on long input).

Every listing, search, filter and export endpoint is called, as an administrator who sees everything,
with SQL metacharacters, LIKE wildcards, a backslash, a NUL byte, `_connector=OR`, unknown filter keys,
`order_by`/`ordering` with control characters and a 100,000-character search term: each answer is a
200 (the junk ignored or matching nothing), a 400 or a redirect, never a 500, in under a second; a
NUL byte or a value over 1,000 characters is a 400 (cms/query_guard.py); and a filter that matches
nothing must not turn into "match everything".

A static test fails if request parameters are splatted into the ORM anywhere in our code.
"""

import re
import time
from pathlib import Path

import pytest

from django.conf import settings
from django.test import Client

from snippets.models import Issue
from tests.snippets.factories import IssueFactory
from workflows.filters import IssueFilter

pytestmark = pytest.mark.django_db

LONG = "检" * 50_000 + "a" * 50_000
PAYLOADS = ["' OR 1=1 --", "%", "_", "\\", "a\x00b", '"; DROP TABLE snippets_issue; --', LONG]
CONTROL = "title\x00\r\n\x1b-pk"

ENDPOINTS = [
    # (path, search parameter names)
    ("/admin/snippets/snippets/issue/", ("q",)),
    ("/admin/snippets/snippets/institution/", ("q",)),
    ("/admin/snippets/snippets/visit/", ("q",)),
    ("/admin/snippets/snippets/inspectionround/", ("q",)),
    ("/admin/snippets/snippets/issuecategory/", ("q",)),
    ("/admin/snippets/snippets/checklisttemplate/", ("q",)),
    ("/admin/snippets/snippets/inspectorprofile/", ("q",)),
    ("/admin/snippets/home/donationchannel/", ("q",)),
    ("/admin/snippets/choose/snippets/issue/results/", ("q",)),
    ("/admin/snippets/choose/snippets/institution/results/", ("q",)),
    ("/admin/rectification/", ("q",)),
    ("/admin/rectification/ledger.xlsx", ("q",)),
    ("/admin/rectification/queue/", ("q",)),  # leadership's (see ROLE_FOR)
    ("/admin/rectification/notifications/", ("q",)),
    ("/admin/inspections/visits/", ("q",)),
    ("/admin/dashboard/", ("q",)),
    ("/admin/dashboard/export/all.xlsx", ("q",)),
    ("/admin/ledger/", ("q",)),
    ("/admin/ledger/export.xlsx", ("q",)),
    ("/admin/ledger/entries/find/", ("number",)),
    ("/admin/ledger/late/", ("q",)),
    ("/admin/pages/search/", ("q",)),
    ("/admin/images/", ("q",)),
    ("/admin/documents/", ("q",)),
    ("/admin/users/", ("q",)),
    ("/admin/api/main/pages/", ("search",)),
    ("/api/v2/pages/", ("search",)),
    ("/api/v2/issues/", ("search",)),
    ("/api/disclosures/", ("q",)),
    ("/django-admin/django_q/schedule/", ("q",)),
]


# Endpoints the administrator may not use: called as the role that may.
ROLE_FOR = {"/admin/rectification/queue/": "leadership"}
# Refused outright by cms.query_guard: over-long values and NUL bytes.
REFUSED = {LONG, "a\x00b"}


def _abusive_params(search_names, payload):
    params = dict.fromkeys(search_names, payload)
    params.update(
        {
            "_connector": "OR",
            "_negated": "1",
            "ordering": CONTROL,
            "order_by": CONTROL,
            "order": CONTROL,
            "o": CONTROL,
            "no_such_filter": payload,
            "title__regex": "(a+)+$",
            "password__startswith": "md5",
            "p": payload,
            "page": payload,
            "limit": payload,
            "offset": payload,
            "fields": payload,
            "type": payload,
        }
    )
    for name in IssueFilter.base_filters:
        params[name] = payload
    return params


def _client(user):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.fixture
def admin_client(users):
    return _client(users["administrator"])


def test_every_listing_search_and_export_survives_abusive_parameters(admin_client, users):
    IssueFactory(title="消毒记录缺失")
    problems, slowest = [], (0.0, "")
    for path, search_names in ENDPOINTS:
        client = _client(users[ROLE_FOR[path]]) if path in ROLE_FOR else admin_client
        started = time.monotonic()
        client.get(path, {search_names[0]: "消毒"})
        baseline = time.monotonic() - started
        for payload in PAYLOADS:
            # The long term goes in the search box alone, as a browser would send it.
            params = (
                dict.fromkeys(search_names, payload)
                if payload == LONG
                else _abusive_params(search_names, payload)
            )
            started = time.monotonic()
            response = client.get(path, params)
            elapsed = time.monotonic() - started
            slowest = max(slowest, (elapsed, path))
            label = f"GET {path} with {payload[:20]!r}"
            if payload in REFUSED and response.status_code != 400:
                problems.append(f"{label}: {response.status_code}, expected 400")
            elif response.status_code >= 500:
                problems.append(f"{label}: {response.status_code}")
            elif response.status_code not in (200, 302, 400, 404):
                problems.append(f"{label}: unexpected {response.status_code}")
            # Under a second; on a loaded CI machine, not more than three times the same page with a
            # plain search term (a slow page is not the abuse this test is after).
            if elapsed > max(1.0, 3 * baseline):
                problems.append(f"{label}: {elapsed:.2f} s (plain search {baseline:.2f} s)")
    print(f"\nslowest abusive request: {slowest[0] * 1000:.0f} ms ({slowest[1]})")
    assert not problems, "\n".join(problems)


def test_connector_or_and_unknown_keys_do_not_widen_a_filter(admin_client, users):
    """A search that matches nothing stays empty when `_connector=OR` and unknown keys are added."""
    IssueFactory(title="消毒记录缺失")
    IssueFactory(title="台账不全")
    for extra in ({"_connector": "OR"}, {"pk__gt": "0"}, {"title__contains": ""}, {"q": "' OR 1=1 --"}):
        response = admin_client.get("/api/v2/issues/", {"search": "不存在的词语xyz", **extra})
        assert response.status_code in (200, 400)
        if response.status_code == 200:
            assert response.json()["meta"]["total_count"] == 0, extra
    response = admin_client.get("/admin/rectification/", {"q": "不存在的词语xyz", "_connector": "OR"})
    assert response.status_code == 200
    assert "消毒记录缺失" not in response.content.decode()
    assert Issue.objects.count() == 2


# --- Static check ----------------------------------------------------------------------------------
SPLAT = re.compile(
    r"\*\*\s*(?:self\.)?request\.(?:GET|POST|query_params|data)\b"
    r"|(?:self\.)?request\.(?:GET|POST|query_params)\.dict\(\)"
    r"|\*\*\s*dict\(\s*(?:self\.)?request\.(?:GET|POST|query_params)"
)
OUR_PACKAGES = ("cms", "home", "snippets", "workflows")


def test_no_request_parameters_are_splatted_into_the_orm():
    """CVE-2025-64459: `filter(**request.GET)` lets a visitor pass `_connector`/`_negated` and any lookup.

    Request data must reach the ORM only through forms or django-filter filtersets.
    """
    base = Path(settings.BASE_DIR)
    offenders = []
    scanned = 0
    for package in OUR_PACKAGES:
        for path in (base / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            scanned += 1
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if SPLAT.search(line):
                    offenders.append(f"{path.relative_to(base)}:{number}: {line.strip()}")
    assert scanned > 50
    assert not offenders, "request parameters splatted into a call:\n" + "\n".join(offenders)


def test_the_static_check_catches_the_patterns_it_names():
    for line in (
        "Issue.objects.filter(**request.GET)",
        "qs.order_by(*request.GET.dict())",
        "qs.annotate(**self.request.query_params)",
        "qs.filter(**dict(request.GET.items()))",
    ):
        assert SPLAT.search(line), line
    assert not SPLAT.search("IssueFilter(request.GET, queryset=qs)")
