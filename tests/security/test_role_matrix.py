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

import pytest

from django.conf import settings
from django.core.files.base import ContentFile
from django.urls import reverse

from wagtail.documents import get_document_model
from wagtail.models import Page, Revision
from wagtail.snippets.models import get_snippet_models

from home.ledger.models import GoodsItem, LedgerSettings
from home.models import DonationChannel
from snippets.models import Attachment, Photo
from tests.home.factories import qr_image
from tests.security.conftest import ANONYMOUS, ROLE_KEYS
from tests.snippets.factories import make_jpeg
from workflows import roles
from workflows.models import WorkflowSettings

pytestmark = pytest.mark.django_db

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
