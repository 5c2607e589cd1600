"""Role × URL matrix (RELIABILITY item 29): every role tries every admin surface and API endpoint.

Roles: anonymous, communications, inspector, responsible unit, leadership, administrator (the demo
users of `seed_demo`; leadership and administrators hold a verified TOTP device, as the second
factor requires). Expected outcomes come from the role table (`workflows/roles.py`) and the design's
"who uses it" table: the snippet viewsets are enumerated from Wagtail's registry and their expected
outcome is derived from the permissions the role table grants, so a new viewset is covered without
editing this file; the other surfaces are listed in surfaces() below with their expected outcome per role.

Outcomes: "ok" (200); "denied" (403, Wagtail's redirect to the admin home with a "no permission"
message, or 404 for an object outside the user's scope); "login" (redirect to a login page: Wagtail's
for anonymous users, Django admin's for non-staff).

Existing role tests are not repeated here: object scoping of a responsible unit
(tests/snippets/test_permissions.py), page publish/moderation (tests/home/test_moderation.py),
closure queue actions (tests/workflows/test_admin_views.py), dashboard figures per role
(tests/workflows/test_dashboard_views.py), ledger upload/export/anonymise (tests/home/test_ledger_admin.py).

CVE / advisory regression list (the IDs are RELIABILITY item 29's list; the surface each is mapped to is
this file's reading of the advisory class, exercised by a row of the matrix or a check below):
- CVE-2024-32882: Wagtail `/admin/bulk/.../` actions available to users without the model permission
  (bulk delete/publish of pages, images and snippets) → the bulk-action checks: the confirmation
  page offers nothing and the POST changes nothing.
- CVE-2024-35228: ModelViewSet/SnippetViewSet views reachable without the model permission
  (inspect, history, usage, copy) → the generated viewset rows.
- CVE-2026-25517: the admin API (`/admin/api/main/pages/`) disclosing pages to users without page
  permissions → the "admin API" rows.
- CVE-2026-44197, -44198, -44199, -44200, -44201: permission checks missing on revision compare,
  preview (crafted POST), image/document "chosen" endpoints, workflow history and usage views →
  the corresponding rows.
- CVE-2026-54259, -54261: field-restricted edits accepted in a crafted POST (payment details of a
  donation channel; user privileges; settings) → check_crafted_posts_of_restricted_fields_change_nothing.
- GHSA-3vrh-m9w7-v94f: chooser "chosen" views returning objects the user may not choose → the "chosen" rows.
- GHSA-x5cx-w6p2-mxf2: page copy by a user without add permission on the destination → the copy rows.
- GHSA-c2xx-cjmh-9q8f: settings views editable without the settings permission → the settings rows.
- CVE-2023-45809: user bulk actions (`/admin/bulk/auth/user/...`) reachable without change_user → the
  "user bulk delete" row.
"""

import contextlib
import datetime as dt
import html
import io
import json
import re
import zipfile

import pytest

from django.apps import apps
from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models import Model
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from wagtail.admin.views.bulk_action.registry import bulk_action_registry
from wagtail.documents import get_document_model
from wagtail.models import Page, Revision
from wagtail.snippets.models import get_snippet_models

from home.ledger.models import DonorPrivate, GoodsItem, LedgerSettings
from home.models import DonationChannel
from snippets import permissions
from snippets.models import Attachment, ChecklistItem, Photo
from tests.home.factories import qr_image
from tests.security.conftest import ANONYMOUS, ROLE_KEYS
from tests.snippets.factories import make_jpeg
from workflows import roles
from workflows.brief.service import build_daily_brief
from workflows.models import WorkflowSettings

pytestmark = pytest.mark.django_db

BRIEF_DAY = dt.date(2026, 12, 3)

COMMS = roles.COMMUNICATIONS
INSPECTOR = roles.INSPECTOR
UNIT = roles.RESPONSIBLE_UNIT
LEADER = roles.LEADERSHIP
ADMIN = roles.ADMINISTRATOR


def outcome(response):
    """ok, login, or denied: Wagtail refuses with 403 or a redirect to the admin home with a message,
    and an object outside the user's scope is a 404."""
    if response.status_code == 302:
        location = response["Location"]
        if "login" in location:
            return "login"
        if location.rstrip("/").endswith("/admin"):
            return "denied"
        if "/admin/pages/add/" in location:
            return "ok"  # "add subpage" goes straight to the form when one page type is allowed
        return f"redirect:{location}"
    if response.status_code == 200:
        return "ok"
    if response.status_code in (403, 404):
        return "denied"
    return str(response.status_code)


def expect(anonymous="login", comms="denied", inspector="denied", unit="denied", leader="denied", admin="ok"):
    return {
        ANONYMOUS: anonymous,
        COMMS: comms,
        INSPECTOR: inspector,
        UNIT: unit,
        LEADER: leader,
        ADMIN: admin,
    }


EVERYONE = expect(comms="ok", inspector="ok", unit="ok", leader="ok")
ADMIN_ONLY = expect()
MEDIA_ROLES = expect(comms="ok", leader="ok")  # collection permissions on images and documents
PAGE_EDITORS = expect(comms="ok", leader="ok")  # add/change_page on the tree root
PUBLIC = expect(anonymous="ok", comms="ok", inspector="ok", unit="ok", leader="ok")
INSPECTORS_ONLY = expect(inspector="ok", admin="denied")
# Django's admin admits staff only; everyone else is sent to its login page.
DJANGO_ADMIN = expect(comms="login", inspector="login", unit="login", leader="login")


@pytest.fixture
def world(demo):
    """Objects for every URL parameter: pages, revisions, an image, a document, a photo, an attachment."""
    image = qr_image(text="https://pay.example.org/matrix")
    document = get_document_model().objects.create(
        title="整改方案", file=ContentFile(b"plan\n", name="matrix-plan.txt")
    )
    from snippets.permissions import issues_for

    issue = issues_for(demo[UNIT]).order_by("pk").first()
    photo = Photo.objects.create(
        file=ContentFile(make_jpeg(), name="m.jpg"),
        original_name="m.jpg",
        content_type="image/jpeg",
        issue=issue,
    )
    attachment = Attachment.objects.create(
        issue=issue,
        file=ContentFile(b"report\n", name="r.txt"),
        original_name="r.txt",
        content_type="text/plain",
    )
    home = Page.objects.filter(depth=2).order_by("pk").first()
    # The channels page: its edit form is title, slug and a rich-text intro, so a crafted preview
    # POST is a complete form.
    page = Page.objects.get(slug="channels")
    page.specific.save_revision()
    revisions = list(Revision.page_revisions.filter(object_id=str(page.pk)).order_by("pk"))
    channel = DonationChannel.objects.order_by("pk").first()
    channel.save_revision()
    channel_revisions = list(Revision.objects.for_instance(channel).order_by("pk"))
    return {
        "image": image,
        "document": document,
        "issue": issue,
        "photo": photo,
        "attachment": attachment,
        "page": page,
        "home": home,
        "revisions": revisions,
        "channel": channel,
        "channel_revisions": channel_revisions,
        "user": demo[COMMS],
        "brief": build_daily_brief(BRIEF_DAY),
    }


def surfaces(world):
    """(label, method, url, data, expected) for every admin surface outside the snippet viewsets."""
    page, home = world["page"], world["home"]
    first, last = world["revisions"][0], world["revisions"][-1]
    channel = world["channel"]
    c_first, c_last = world["channel_revisions"][0], world["channel_revisions"][-1]
    image, document = world["image"], world["document"]
    ledger_settings = f"/admin/settings/ledger/ledgersettings/{LedgerSettings.load().pk}/"
    workflow_settings = f"/admin/settings/workflows/workflowsettings/{WorkflowSettings.load().pk}/"
    channel_admin = "/admin/snippets/home/donationchannel"
    # fmt: off
    return [
        ("wagtail dashboard", "get", "/admin/", None, EVERYONE),
        ("leadership dashboard", "get", "/admin/dashboard/", None, EVERYONE),
        # Every role has a dashboard and a rectification scope: communications see issues except those of
        # planned unannounced visits, units their own (snippets.permissions.issues_for; scoping is
        # tested in tests/snippets/test_permissions.py and tests/workflows/test_dashboard_views.py).
        ("dashboard export", "get", "/admin/dashboard/export/all.xlsx", None, EVERYONE),
        ("rectification list", "get", "/admin/rectification/", None, EVERYONE),
        ("rectification ledger export", "get", "/admin/rectification/ledger.xlsx", None, EVERYONE),
        # Closures are leadership's (inspectors see their queue); administrators configure, not approve.
        ("closure queue", "get", "/admin/rectification/queue/", None,
         expect(inspector="ok", leader="ok", admin="denied")),
        ("issue import", "get", "/admin/inspections/issues/import/", None, expect(inspector="ok")),
        ("visits", "get", "/admin/inspections/visits/", None, expect(inspector="ok", unit="ok", leader="ok")),
        # Daily stock reports: everyone reads them (scoped); only units file, for their own institutions.
        ("stock reports", "get", "/admin/supplies/", None, EVERYONE),
        ("stock report form", "get", "/admin/supplies/report/", None, expect(unit="ok", admin="denied")),
        ("allocation proposal", "get", f"/admin/supplies/proposals/{GoodsItem.objects.first().pk}/", None,
         expect(comms="ok", admin="denied")),
        ("ledger upload", "get", "/admin/ledger/", None, expect(comms="ok")),
        ("ledger hand entry", "get", "/admin/ledger/entry/goods/", None, expect(comms="ok")),
        ("ledger staff export", "get", "/admin/ledger/export.xlsx", None, expect(comms="ok")),
        # Settings (GHSA-c2xx-cjmh-9q8f).
        ("ledger settings", "get", ledger_settings, None, ADMIN_ONLY),
        ("workflow settings", "get", workflow_settings, None, ADMIN_ONLY),
        ("users", "get", "/admin/users/", None, ADMIN_ONLY),
        ("user edit", "get", f"/admin/users/edit/{world['user'].pk}/", None, ADMIN_ONLY),
        ("groups", "get", "/admin/groups/", None, ADMIN_ONLY),
        ("sites", "get", "/admin/sites/", None, ADMIN_ONLY),
        ("workflows", "get", "/admin/workflows/list/", None, ADMIN_ONLY),
        ("redirects", "get", "/admin/redirects/", None, ADMIN_ONLY),
        # CVE-2023-45809: user bulk actions.
        ("user bulk delete", "get", f"/admin/bulk/auth/user/delete/?id={world['user'].pk}", None, ADMIN_ONLY),
        # Pages: inspectors and units edit no pages, so they get no explorer either.
        ("page explorer", "get", f"/admin/pages/{home.pk}/", None, PAGE_EDITORS),
        ("page edit", "get", f"/admin/pages/{page.pk}/edit/", None, PAGE_EDITORS),
        ("page history", "get", f"/admin/pages/{page.pk}/history/", None, PAGE_EDITORS),
        ("page revisions compare", "get", f"/admin/pages/{page.pk}/revisions/compare/{first.pk}...{last.pk}/",
         None, PAGE_EDITORS),
        ("page preview (crafted POST)", "post", f"/admin/pages/{page.pk}/edit/preview/",
         {"title": "预览", "slug": page.slug, "intro": "{}"}, PAGE_EDITORS),
        ("page copy", "get", f"/admin/pages/{page.pk}/copy/", None, PAGE_EDITORS),
        ("page add subpage", "get", f"/admin/pages/{home.pk}/add_subpage/", None, PAGE_EDITORS),
        # Wagtail lets whoever may publish a live page delete it (bulk_delete is for whole subtrees).
        ("page delete", "get", f"/admin/pages/{page.pk}/delete/", None, expect(leader="ok")),
        # Snippet revisions and preview (crafted POST) of the donation channel.
        ("channel revisions compare", "get",
         f"{channel_admin}/history/{channel.pk}/revisions/compare/{c_first.pk}...{c_last.pk}/",
         None, expect(comms="ok", leader="ok")),
        ("channel preview (crafted POST)", "post", f"{channel_admin}/preview/{channel.pk}/",
         {"name": "预览"}, expect(comms="ok", leader="ok")),
        # Images and documents, their choosers and "chosen" endpoints (GHSA-3vrh-m9w7-v94f).
        ("images", "get", "/admin/images/", None, MEDIA_ROLES),
        ("image edit", "get", f"/admin/images/{image.pk}/", None, MEDIA_ROLES),
        # Wagtail's collection policy treats "delete" as "change" for images and documents: whoever may
        # edit an image may delete it, whatever the role table says about delete_image.
        ("image delete", "get", f"/admin/images/{image.pk}/delete/", None, MEDIA_ROLES),
        # The choosers open for every admin user and list only what the user may choose
        # (test_choosers_list_nothing_to_roles_without_media_permissions).
        ("image chooser", "get", "/admin/images/chooser/", None, EVERYONE),
        ("image chosen", "get", f"/admin/images/chooser/chosen/{image.pk}/", None, MEDIA_ROLES),
        ("documents", "get", "/admin/documents/", None, MEDIA_ROLES),
        ("document edit", "get", f"/admin/documents/edit/{document.pk}/", None, MEDIA_ROLES),
        ("document chooser", "get", "/admin/documents/chooser/", None, EVERYONE),
        ("document chosen", "get", f"/admin/documents/chooser/chosen/{document.pk}/", None, MEDIA_ROLES),
        # Admin API (CVE-2026-25517): the listing answers everyone, a page only its editors.
        ("admin API pages", "get", "/admin/api/main/pages/", None, EVERYONE),
        ("admin API page detail", "get", f"/admin/api/main/pages/{page.pk}/", None, PAGE_EDITORS),
        # Private files: no login redirect that would reveal the file exists.
        ("inspection photo", "get", f"/inspection-photos/{world['photo'].pk}/", None,
         expect(anonymous="denied", inspector="ok", unit="ok", leader="ok")),
        ("issue attachment", "get", f"/inspection-attachments/{world['attachment'].pk}/", None,
         expect(anonymous="denied", inspector="ok", unit="ok", leader="ok")),
        # The inspectors' offline page (issue #17): inspectors only, administrators included in the
        # refusal; its data answers 401 rather than a login redirect (it is fetched by script).
        ("offline inspection page", "get", "/inspect/", None, INSPECTORS_ONLY),
        ("offline inspection data", "get", "/inspect/data.json", None, {**INSPECTORS_ONLY, ANONYMOUS: "401"}),
        ("offline sync", "post", "/inspect/sync/", {"payload": "{}"},
         {**INSPECTORS_ONLY, ANONYMOUS: "401", INSPECTOR: "400"}),
        # The daily brief: the kept bureau-wide one is leadership's (its Wagtail serve URL answers
        # anonymous visitors 404); every inspection role downloads its own scoped one.
        ("daily brief document", "get", get_document_model().objects.get(pk=world["brief"]["document"]).url,
         None, expect(anonymous="denied", leader="ok")),
        ("daily brief of a day", "get", f"/admin/brief/{BRIEF_DAY:%Y-%m-%d}.docx", None, expect(leader="ok")),
        ("own daily brief", "get", "/admin/brief/mine.docx", None,
         expect(inspector="ok", unit="ok", leader="ok")),
        ("daily brief build now", "post", "/admin/brief/build/", {},
         expect(leader="redirect:/admin/dashboard/", admin="redirect:/admin/dashboard/")),
        # Django admin for django_q.
        ("django admin", "get", "/django-admin/", None, DJANGO_ADMIN),
        ("django_q schedules", "get", "/django-admin/django_q/schedule/", None, DJANGO_ADMIN),
        ("django_q failures", "get", "/django-admin/django_q/failure/", None, DJANGO_ADMIN),
        # The queue's admin exists with the ORM broker only (django-q2 registers it for `orm`).
        ("django_q queue", "get", "/django-admin/django_q/ormq/", None,
         DJANGO_ADMIN if not settings.REDIS_URL else {**DJANGO_ADMIN, ADMIN: "denied"}),
        # Open data and the public API: the same for everyone.
        ("open data days", "get", "/api/disclosures/", None, PUBLIC),
        ("api v2 pages", "get", "/api/v2/pages/", None, PUBLIC),
    ]
    # fmt: on


def _role_permissions(role):
    return set(roles.ROLES_BY_KEY[role].permissions)


def snippet_surfaces(world, demo):
    """Every view of every registered snippet viewset, with the outcome the role table implies."""
    rows = []
    for model in get_snippet_models():
        viewset = model.snippet_viewset
        label, name = model._meta.app_label, model._meta.model_name

        def allowed(role, actions, label=label, name=name):
            if role == ANONYMOUS:
                return False
            if role == ADMIN:
                return True
            return bool(_role_permissions(role) & {f"{label}.{action}_{name}" for action in actions})

        def instance_for(role, viewset=viewset, model=model):
            user = demo.get(role)
            if user is not None and role != ADMIN:
                visible = viewset.permission_policy.instances_user_has_any_permission_for(
                    user, ["view", "change"]
                )
                if visible.exists():
                    return visible.order_by("pk").first()
            return model.objects.order_by("pk").first()

        views = [("list", ("add", "change", "delete", "view"), None), ("add", ("add",), None)]
        views += [
            ("edit", ("change",), "pk"),
            ("delete", ("delete",), "pk"),
            ("history", ("add", "change", "delete"), "pk"),
            ("usage", ("change",), "pk"),
        ]
        if viewset.inspect_view_enabled:
            views.append(("inspect", ("add", "change", "delete", "view"), "pk"))
        if getattr(viewset, "copy_view_enabled", False):
            views.append(("copy", ("add",), "pk"))
        for view, actions, needs_pk in views:
            expected, urls = {}, {}
            for role in ROLE_KEYS:
                obj = instance_for(role) if needs_pk else None
                if needs_pk and obj is None:
                    break
                urls[role] = reverse(viewset.get_url_name(view), args=[obj.pk] if needs_pk else [])
                expected[role] = (
                    "login" if role == ANONYMOUS else ("ok" if allowed(role, actions) else "denied")
                )
            if urls:
                rows.append((f"{label}.{name} {view}", urls, expected))
    return rows


def _mismatches(client_for, rows):
    problems = []
    table = []
    for role in ROLE_KEYS:
        client = client_for(role)
        for label, method, url, data, expected in rows:
            target = url[role] if isinstance(url, dict) else url
            response = getattr(client, method)(target, data or {})
            got = outcome(response)
            table.append((label, role, got))
            if got != expected[role]:
                problems.append(
                    f"{label} [{role}] {method.upper()} {target}: expected {expected[role]}, got {got} "
                    f"({response.status_code})"
                )
    return problems, table


def test_every_role_on_every_admin_surface_and_snippet_view(client_for, demo, world):
    """One test (the demo data set is expensive): the listed surfaces, then every snippet viewset view."""
    problems, _table = _mismatches(client_for, surfaces(world))
    rows = [(label, "get", urls, None, expected) for label, urls, expected in snippet_surfaces(world, demo)]
    assert len(rows) >= 8 * 6, "every registered snippet viewset contributes its views"
    snippet_problems, _table = _mismatches(client_for, rows)
    problems += snippet_problems
    assert not problems, "\n".join(problems)


def check_snippet_bulk_delete_by_a_role_without_delete_permission_deletes_and_shows_nothing(
    client_for, demo, world
):
    """CVE-2024-32882: Wagtail answers the bulk-delete GET with a confirmation page for any admin user;
    it must list none of the objects the user may not delete, and the POST must delete nothing."""
    problems = []
    for model in get_snippet_models():
        label, name = model._meta.app_label, model._meta.model_name
        obj = model.objects.order_by("pk").first()
        url = f"/admin/bulk/{label}/{name}/delete/?id={obj.pk}"
        for role in (ANONYMOUS, COMMS, INSPECTOR, UNIT, LEADER):
            if role != ANONYMOUS and f"{label}.delete_{name}" in _role_permissions(role):
                continue
            client = client_for(role)
            page = client.get(url)
            if page.status_code == 200 and f'value="{obj.pk}"' in page.content.decode():
                problems.append(f"{label}.{name} [{role}]: the confirmation offers object {obj.pk}")
            client.post(url, {"id": obj.pk})
            if not model.objects.filter(pk=obj.pk).exists():
                problems.append(f"{label}.{name} [{role}]: bulk delete POST deleted object {obj.pk}")
                return
    assert not problems, "\n".join(problems)


def check_page_and_image_bulk_actions_by_roles_without_the_permission_change_nothing(client_for, world):
    """CVE-2024-32882 for pages and images: the confirmation GET answers any admin user, the POST acts
    only for a user with the permission."""
    page, image = world["page"], world["image"]
    page.refresh_from_db()
    live_revision = page.live_revision_id
    page.specific.save_revision()  # a draft a bulk publish would make live
    for role in (ANONYMOUS, COMMS, INSPECTOR, UNIT):
        client = client_for(role)
        client.post(f"/admin/bulk/wagtailcore/page/delete/?id={page.pk}", {"id": page.pk})
        client.post(f"/admin/bulk/wagtailcore/page/publish/?id={page.pk}", {"id": page.pk})
        assert Page.objects.filter(pk=page.pk).exists(), role
        assert Page.objects.get(pk=page.pk).live_revision_id == live_revision, role
    for role in (ANONYMOUS, INSPECTOR, UNIT):
        client_for(role).post(f"/admin/bulk/wagtailimages/image/delete/?id={image.pk}", {"id": image.pk})
        assert type(image).objects.filter(pk=image.pk).exists(), role


def check_choosers_list_nothing_to_roles_without_media_permissions(client_for, world):
    def chooser_html(client, url):
        return client.get(url).json()["html"]  # the modal's markup, JSON-encoded

    for role in (INSPECTOR, UNIT):
        client = client_for(role)
        assert world["image"].title not in chooser_html(client, "/admin/images/chooser/"), role
        assert world["document"].title not in chooser_html(client, "/admin/documents/chooser/"), role
    assert world["image"].title in chooser_html(client_for(COMMS), "/admin/images/chooser/")


def check_crafted_posts_of_restricted_fields_change_nothing(client_for, demo, world):
    """CVE-2026-54259/-54261: a role that may not change a field sends it anyway."""
    channel = world["channel"]
    channel.refresh_from_db()
    account = channel.account_number
    forged = {
        "name": channel.name,
        "kind": channel.kind,
        "account_number": "6222029999999999",
        "status": "active",
    }
    for role in (ANONYMOUS, INSPECTOR, UNIT):
        client_for(role).post(f"/admin/snippets/home/donationchannel/edit/{channel.pk}/", forged)
        channel.refresh_from_db()
        assert channel.account_number == account, role
        assert not Revision.objects.for_instance(channel).filter(content__account_number="6222029999999999")

    # A leader promoting themselves, a comms user changing the ledger settings.
    leader = demo[LEADER]
    client_for(LEADER).post(
        f"/admin/users/edit/{leader.pk}/",
        {"username": leader.username, "email": leader.email, "is_superuser": "on", "is_active": "on"},
    )
    leader.refresh_from_db()
    assert not leader.is_superuser
    ledger_settings = LedgerSettings.load()
    before = {f.attname: getattr(ledger_settings, f.attname) for f in LedgerSettings._meta.fields}
    for role in (COMMS, LEADER, INSPECTOR):
        client_for(role).post(
            f"/admin/settings/ledger/ledgersettings/{ledger_settings.pk}/",
            {"draft_hour": 3, "auto_publish": "on", "disclose_within_days": 9, "allocate_within_days": 9},
        )
    after = {f.attname: getattr(LedgerSettings.load(), f.attname) for f in LedgerSettings._meta.fields}
    assert after == before


def test_bulk_actions_choosers_scope_and_crafted_posts(client_for, demo, world):
    """The checks that need more than a status code, on one demo data set (it is expensive to build)."""
    check_snippet_bulk_delete_by_a_role_without_delete_permission_deletes_and_shows_nothing(
        client_for, demo, world
    )
    check_page_and_image_bulk_actions_by_roles_without_the_permission_change_nothing(client_for, world)
    check_choosers_list_nothing_to_roles_without_media_permissions(client_for, world)
    check_crafted_posts_of_restricted_fields_change_nothing(client_for, demo, world)


# Which records does a page NAME? (issue #18) --------------------------------------------------------
#
# Every routed admin URL is crawled from the URL resolver (nothing listed by hand), its parameters
# filled with ids of records outside the role's scope, bulk actions with `?id=all` and explicit ids,
# listings also as exports and searches; each body is searched for the names, numbers and titles of
# the records the role must not see (built from the database with `snippets.permissions`).
# Inspectors, leadership and administrators see every inspection record, so they have nothing to
# leak here; their status codes are the matrix above.

LEAK_ROLES = (ANONYMOUS, COMMS, UNIT)
# A GET that ends the session would make the rest of a role's crawl anonymous; Wagtail's
# "failwhale" raises on purpose.
SKIPPED_URL_NAMES = {"wagtailadmin_logout", "wagtailadmin_error_test"}
_PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>|\(\?P<(?P<rname>\w+)>[^)]*\)")


def _admin_routes():
    """(route, URLPattern) of every routed URL under /admin/ and the API (/api/v2/, which serves
    issues per user), walking the resolver."""

    def walk(patterns, prefix):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield prefix + str(entry.pattern), entry

    return [
        (route, entry)
        for route, entry in walk(get_resolver().url_patterns, "")
        if route.startswith(("admin/", "api/v2/"))
    ]


def _view_model(entry):
    callback = entry.callback
    model = getattr(callback, "view_initkwargs", {}).get("model")
    view_class = getattr(callback, "view_class", None)
    model = model or getattr(view_class, "model", None)
    return model if isinstance(model, type) and issubclass(model, Model) else None


def forbidden_records(user):
    """{needle: what it names} for the scoped records outside `user`'s scope (anonymous: all), and
    donors' private numbers for a user without the permission to see them."""
    from django.contrib.auth.models import AnonymousUser

    user = user or AnonymousUser()
    hidden, shown = {}, set()
    fields = {
        "snippets.institution": lambda record: [record.name],
        "snippets.inspectionround": lambda record: [record.name],
        "snippets.visit": lambda record: [str(record)],
        "snippets.issue": lambda record: [record.number, record.title],
    }
    for model, scope in permissions.SCOPES.items():
        label = model._meta.label_lower
        visible = set(scope(user).values_list("pk", flat=True))
        for record in model.objects.all():
            texts = fields[label](record)
            if record.pk in visible:
                shown.update(texts)
            else:
                for text in texts:
                    hidden.setdefault(text, f"{label} {record.pk}")
    # Donors' phone and ID numbers never leave the admin, and inside it only roles with the permission
    # see them (no request more: the same pages are searched for them).
    if not user.has_perm("ledger.view_donorprivate"):
        for private in DonorPrivate.objects.all():
            for text in (private.phone, private.id_number):
                if text:
                    hidden.setdefault(text, f"ledger.donorprivate {private.pk}")
    # Issues raised from a checklist carry the item's text as their title: template text, not a record.
    shown.update(ChecklistItem.objects.values_list("text", flat=True))
    # A text that is also (part of) something the user may see proves nothing.
    return {
        needle: what
        for needle, what in hidden.items()
        if len(needle) >= 4 and not any(needle in text for text in shown)
    }


def out_of_scope_ids(user):
    """{model: [ids outside the user's scope]}: the two lowest and two highest of each scoped model
    (the highest are the latest records, e.g. the coming unannounced round and its visits)."""
    from django.contrib.auth.models import AnonymousUser

    user = user or AnonymousUser()
    found = {}
    for model, scope in permissions.SCOPES.items():
        outside = model.objects.exclude(pk__in=scope(user).values("pk")).values_list("pk", flat=True)
        ids = list(outside.order_by("pk")[:2]) + list(outside.order_by("-pk")[:2])
        found[model] = sorted(set(ids))
    return found


def in_scope_ids(user):
    """{model: [the lowest and highest id the user may see]}: their pages must not name the rest
    (a usage or history view of one's own institution listing a hidden visit)."""
    found = {}
    for model, scope in permissions.SCOPES.items():
        visible = scope(user).values_list("pk", flat=True) if user else model.objects.none()
        found[model] = sorted({*visible.order_by("pk")[:1], *visible.order_by("-pk")[:1]})
    return found


def _body_text(response):
    """The response's text as a reader would see it: HTML unescaped, JSON decoded, XLSX unzipped."""
    content_type = response.get("Content-Type", "")
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            content = b"".join(archive.read(name) for name in archive.namelist() if name.endswith(".xml"))
    text = content.decode("utf-8", errors="replace")
    if "json" in content_type:
        with contextlib.suppress(ValueError):
            text = json.dumps(json.loads(text), ensure_ascii=False)
    return html.unescape(html.unescape(text))


def crawl_urls(role_user, demo):
    """Every admin URL to fetch for one role, filled with that role's out-of-scope ids."""
    from wagtail.models import Page

    outside = out_of_scope_ids(role_user)
    inside = in_scope_ids(role_user)
    first_ids = {}

    def ids_for(model, with_visible=False):
        if model in outside:
            return (outside[model] + (inside[model] if with_visible else [])) or [0]
        if model not in first_ids:
            first_ids[model] = model.objects.order_by("pk").values_list("pk", flat=True).first() or 0
        return [first_ids[model]]

    page_id = ids_for(Page)[0]
    # Searches that match out-of-scope records too (the start of their names and numbers).
    search_terms = sorted({text[:2] for text in forbidden_records(role_user)} - {""})[:3]
    scoped_labels = [(m._meta.app_label, m._meta.model_name) for m in permissions.SCOPES]
    # Listing filters by related record, e.g. ?institution=<id>, with the name of the foreign key.
    filter_ids = {
        {"inspectionround": "inspection_round"}.get(model._meta.model_name, model._meta.model_name): ids
        for model, ids in outside.items()
        if ids
    }
    urls = []
    for route, entry in _admin_routes():
        if entry.name in SKIPPED_URL_NAMES:
            continue
        params = [
            (m["conv"] or ("regex" if m["rname"] else "str"), m["name"] or m["rname"])
            for m in _PARAM.finditer(route)
        ]
        model = _view_model(entry)
        names = [name for _conv, name in params]
        # One set of values per variant; each variant is a dict of parameter values.
        variants = [{}]
        if "app_label" in names and "action" in names:  # bulk actions: every registered one
            variants = []
            for app_model in apps.get_models():
                app_label, model_name = app_model._meta.app_label, app_model._meta.model_name
                for action in bulk_action_registry.get_bulk_actions_for_model(app_label, model_name):
                    base = {"app_label": app_label, "model_name": model_name, "action": action.action_type}
                    variants.append(
                        {**base, "?": "id=all" + (f"&childOf={page_id}" if app_model is Page else "")}
                    )
                    ids = "&".join(f"id={pk}" for pk in ids_for(app_model))
                    variants.append({**base, "?": ids})
        else:
            for conv, name in params:
                expanded = []
                for variant in variants:
                    if name in ("pk", "object_id") and model is not None:
                        values = ids_for(model, with_visible=True)
                    elif name in ("pk", "object_id"):  # our own function views: any scoped record
                        values = sorted({pk for ids in outside.values() for pk in ids}) or [0]
                    elif "page" in name or name == "destination_id":
                        values = [page_id]
                    elif name in ("app_label", "app_name", "content_type_app_name"):
                        values = [app for app, _m in scoped_labels]
                    elif name in ("model_name", "content_type_model_name"):
                        values = None  # paired with the app label below
                    elif name.startswith("revision_id"):
                        values = ["earliest" if name.endswith("_a") else "latest"] if conv == "regex" else [1]
                    elif conv in ("int",):
                        values = [1]
                    else:
                        values = ["all" if name == "name" else "original" if name == "filter_spec" else "x"]
                    if values is None:
                        expanded.append(variant)
                        continue
                    for value in values:
                        expanded.append({**variant, name: value})
                variants = expanded
            # app label / model name pairs: the scoped models.
            if any(name in ("model_name", "content_type_model_name") for name in names):
                paired = []
                for variant in variants:
                    for app, model_name in scoped_labels:
                        filled = dict(variant)
                        for key in ("app_label", "app_name", "content_type_app_name"):
                            if key in filled:
                                filled[key] = app
                        for key in ("model_name", "content_type_model_name"):
                            if key in names:
                                filled[key] = model_name
                        paired.append(filled)
                variants = list({json.dumps(v, sort_keys=True): v for v in paired}.values())
        view_class = getattr(entry.callback, "view_class", None)
        for variant in variants:
            path = "/" + route
            for match in list(_PARAM.finditer(route))[::-1]:
                name = match["name"] or match["rname"]
                path = path[: match.start() + 1] + str(variant.get(name, "")) + path[match.end() + 1 :]
            path = path.replace("^", "").replace("$", "").replace("\\", "")
            query = variant.get("?")
            urls.append(f"{path}?{query}" if query else path)
            if not params and view_class is not None and getattr(view_class, "list_export", None):
                urls += [f"{path}?export=csv", f"{path}?export=xlsx"]
            if params:
                continue
            if "choose" in route or "search" in route or getattr(view_class, "search_fields", None):
                urls += [f"{path}?q={term}" for term in search_terms]
            if "chosen" in route and model in outside:  # chosen-multiple: explicit ids
                urls.append(f"{path}?" + "&".join(f"id={pk}" for pk in ids_for(model, with_visible=True)))
            if getattr(view_class, "filterset_class", None) is not None:  # a filter naming a hidden record
                urls += [f"{path}?{name}={ids[0]}" for name, ids in filter_ids.items()]
    return urls


def test_no_admin_url_names_a_record_outside_the_role_s_scope(client_for, demo, world):
    """Crawl every routed admin URL as each role with a scope and look for out-of-scope records."""
    leaks, crashes, fetched = [], [], 0
    for role in LEAK_ROLES:
        user = demo.get(role)
        needles = forbidden_records(user)
        assert needles or role == ANONYMOUS, f"the demo data hides records from {role}"
        client = client_for(role)
        for url in crawl_urls(user, demo):
            fetched += 1
            try:
                response = client.get(url)
            except Exception as exc:  # reported with its URL below, not as a bare traceback
                crashes.append(f"[{role}] GET {url} raised {type(exc).__name__}: {exc}")
                continue
            if response.status_code != 200:
                continue
            body = _body_text(response)
            named = [f"{needle!r} ({what})" for needle, what in needles.items() if needle in body]
            if named:
                leaks.append(
                    f"[{role}] GET {url} names {len(named)} out-of-scope record(s): {', '.join(named[:5])}"
                )
        if user is not None:
            assert client.get("/admin/").status_code == 200, f"{role}'s session survived the crawl"
    assert fetched > 500, "the crawl reached the admin URLs"
    assert not leaks and not crashes, "\n".join(
        leaks
        + (["Views that crashed on a crafted URL (bad input must be a clear 4xx):"] if crashes else [])
        + crashes
    )


def test_every_registered_bulk_action_is_scoped():
    """A bulk action registered later (ours or Wagtail's) must go through snippets/admin_scope.py."""
    from snippets.admin_scope import ScopedBulkActionMixin

    unscoped = [
        f"{app_model._meta.label_lower} {action.action_type}: {action.__module__}.{action.__name__}"
        for app_model in apps.get_models()
        for action in bulk_action_registry.get_bulk_actions_for_model(
            app_model._meta.app_label, app_model._meta.model_name
        )
        if not issubclass(action, ScopedBulkActionMixin)
    ]
    assert not unscoped, (
        "bulk actions not scoped (add them to admin_scope.WAGTAIL_BULK_ACTIONS):\n" + "\n".join(unscoped)
    )
