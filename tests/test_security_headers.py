"""Security headers (RELIABILITY 34) and request size limits (RELIABILITY 9).

The Content-Security-Policy is strict on the public site and the login page (no inline or eval'd
script, nothing from another origin), relaxed for the rest of the Wagtail admin, and replaced by
`default-src 'none'` on every file we serve from the private store or as a document.
tests/browser/test_csp.py proves in Chromium that the pages work under these policies.
"""

import re

import pytest

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from wagtail.documents import get_document_model
from wagtail.images import get_image_model

from snippets import services
from snippets.attachments import check_attachment
from snippets.images import sanitise_image
from tests.conftest import BASE_DIR
from tests.home import factories
from tests.snippets.factories import InstitutionFactory, IssueFactory, make_jpeg
from workflows import roles

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
TEMPLATE_DIRS = [
    BASE_DIR / "cms" / "templates",
    BASE_DIR / "home" / "templates",
    BASE_DIR / "home" / "ledger" / "templates",
    BASE_DIR / "snippets" / "templates",
    BASE_DIR / "workflows" / "templates",
]


def policy(response):
    """The Content-Security-Policy header as {directive: [sources]}."""
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def assert_strict(directives):
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'self'"]
    assert directives["form-action"] == ["'self'"]
    for sources in directives.values():
        assert "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources
        assert "*" not in sources and "https:" not in sources


@pytest.fixture
def site_tree(db):
    channel = factories.DonationChannelFactory(name="市慈善总会疫情防控捐赠专户")
    home, appeal, channels_page = factories.build_site([channel])
    return {"home": home, "appeal": appeal, "channels": channels_page}


@pytest.mark.parametrize("page", ["home", "appeal", "channels"])
def test_public_pages_carry_the_strict_policy(client, site_tree, page):
    response = client.get(site_tree[page].url)
    assert response.status_code == 200
    assert_strict(policy(response))


@pytest.mark.parametrize("path", ["/check/", "/api/disclosures/", "/no-such-page/"])
def test_other_public_responses_carry_the_strict_policy_too(client, site_tree, path):
    response = client.get(path)
    assert response.status_code in {200, 404}
    assert_strict(policy(response))


def test_the_login_page_keeps_the_strict_policy(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert_strict(policy(response))


def test_the_wagtail_admin_gets_the_relaxed_policy_that_still_refuses_other_origins(client, users):
    client.force_login(users[roles.ADMINISTRATOR])
    response = client.get("/admin/")
    assert response.status_code == 200
    directives = policy(response)
    assert "'unsafe-inline'" in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'self'"]
    for sources in directives.values():
        assert "*" not in sources and "https:" not in sources


@pytest.fixture
def issue_files(users):
    own = InstitutionFactory(name="本单位")
    issue = IssueFactory(institution=own)
    photo = services.store_photos(
        [sanitise_image(SimpleUploadedFile("a.jpg", make_jpeg()))], users[roles.INSPECTOR], issue=issue
    )[0]
    attachment = services.store_attachments(
        [check_attachment(SimpleUploadedFile("report.pdf", PDF))], users[roles.INSPECTOR], issue=issue
    )[0]
    return {"photo": photo, "attachment": attachment}


@pytest.mark.parametrize("kind", ["photo", "attachment"])
def test_private_files_are_served_with_nosniff_and_a_policy_that_allows_nothing(
    client, users, issue_files, kind
):
    client.force_login(users[roles.INSPECTOR])
    response = client.get(issue_files[kind].get_absolute_url())
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    # The view's own policy, not overwritten by the site-wide middleware.
    assert policy(response) == {"default-src": ["'none'"], "sandbox": []}


def test_wagtail_documents_are_served_with_nosniff_and_default_src_none(client, users):
    document = get_document_model().objects.create(
        title="公示说明", file=ContentFile(b"<script>alert(1)</script>", name="note.txt")
    )
    client.force_login(users[roles.ADMINISTRATOR])
    response = client.get(document.url)
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert policy(response)["default-src"] == ["'none'"]


def test_a_post_with_a_thousand_file_parts_is_refused_with_400(client, users):
    client.force_login(users[roles.ADMINISTRATOR])
    one = SimpleUploadedFile("p.jpg", b"x", content_type="image/jpeg")
    # The same endpoint answers a normal upload (here: one invalid image, refused in the form).
    assert client.post("/admin/images/multiple/add/", {"files[]": [one]}).status_code == 200
    files = [SimpleUploadedFile(f"p{n}.jpg", b"x", content_type="image/jpeg") for n in range(1000)]
    response = client.post("/admin/images/multiple/add/", {"files[]": files})
    assert response.status_code == 400
    assert not get_image_model().objects.exists()


def test_our_templates_have_no_inline_script_or_event_handler():
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
    handler = re.compile(r"\son[a-z]+\s*=", re.I)
    offenders = []
    for directory in TEMPLATE_DIRS:
        for template in directory.rglob("*.html"):
            text = template.read_text()
            if inline_script.search(text) or handler.search(text) or "javascript:" in text.lower():
                offenders.append(str(template.relative_to(BASE_DIR)))
    assert offenders == []
