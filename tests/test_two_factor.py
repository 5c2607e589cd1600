"""The TOTP second factor (RELIABILITY 33, 40): required for leadership and administrators.

Users sign in here through the real Wagtail login form (`client.post` to /admin/login/), which the
test client's force_login helper does not touch, so the session owes its second factor exactly as
in a browser.
"""

import base64
import time
from pathlib import Path

import pytest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from wagtail.models import Page

from cms.accounts import two_factor
from snippets import services
from snippets.attachments import check_attachment
from tests.conftest import TEST_PASSWORD
from tests.snippets.factories import InstitutionFactory, IssueFactory
from tests.two_factor_support import add_totp_device, totp_code
from workflows import roles

pytestmark = pytest.mark.django_db

SETUP = "/admin/two-factor/setup/"
VERIFY = "/admin/two-factor/verify/"
REQUIRED_ROLES = [roles.LEADERSHIP, roles.ADMINISTRATOR]
OPTIONAL_ROLES = [roles.COMMUNICATIONS, roles.INSPECTOR, roles.RESPONSIBLE_UNIT]


def admin_urls():
    """A representative table of what sits behind /admin/ and /django-admin/ (name, method, URL)."""
    page = Page.objects.filter(depth=2).first()
    return [
        ("dashboard", "get", "/admin/"),
        ("pages explorer", "get", f"/admin/pages/{page.pk}/"),
        ("page edit", "get", f"/admin/pages/{page.pk}/edit/"),
        ("preview", "get", reverse("wagtailadmin_pages:preview_on_edit", args=[page.pk])),
        ("preview POST", "post", reverse("wagtailadmin_pages:preview_on_edit", args=[page.pk])),
        ("snippet listing", "get", reverse("wagtailsnippets_home_donationchannel:list")),
        ("image chooser", "get", reverse("wagtailimages_chooser:choose")),
        ("document upload", "post", reverse("wagtaildocs:add_multiple")),
        ("admin API", "get", "/admin/api/main/pages/"),
        ("unknown admin URL", "get", "/admin/no-such-thing/"),
        ("django admin", "get", "/django-admin/"),
        ("django admin model", "get", "/django-admin/auth/user/"),
    ]


def sign_in(client, user):
    response = client.post("/admin/login/", {"username": user.username, "password": TEST_PASSWORD})
    assert response.status_code == 302, response.content[:500]
    return response


def request(client, method, url):
    if method == "post":
        return client.post(url, {"files[]": SimpleUploadedFile("a.txt", b"x")})
    return client.get(url)


def user_without_device(make_user, role_key, username):
    user = make_user(role_key, username=username)
    TOTPDevice.objects.filter(user=user).delete()
    return user


@pytest.mark.parametrize("role_key", REQUIRED_ROLES)
def test_a_required_role_with_a_device_is_sent_to_verify_from_every_admin_url(client, users, role_key):
    sign_in(client, users[role_key])
    for name, method, url in admin_urls():
        response = request(client, method, url)
        assert response.status_code == 302, name
        assert response["Location"].startswith(VERIFY), (name, response["Location"])


@pytest.mark.parametrize("role_key", REQUIRED_ROLES)
def test_a_required_role_without_a_device_is_sent_to_setup_from_every_admin_url(client, make_user, role_key):
    user = user_without_device(make_user, role_key, f"new-{role_key}")
    sign_in(client, user)
    for name, method, url in admin_urls():
        response = request(client, method, url)
        assert response.status_code == 302, name
        assert response["Location"].startswith(SETUP), (name, response["Location"])


def test_a_superuser_outside_the_role_groups_must_verify_too(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@example.org", TEST_PASSWORD)
    sign_in(client, user)
    assert client.get("/admin/")["Location"].startswith(SETUP)


def test_the_redirect_keeps_the_page_asked_for(client, users):
    sign_in(client, users[roles.LEADERSHIP])
    response = client.get("/admin/pages/")
    assert response["Location"] == f"{VERIFY}?next=%2Fadmin%2Fpages%2F"


@pytest.mark.parametrize("role_key", REQUIRED_ROLES)
def test_after_a_correct_code_every_admin_url_is_served(client, users, role_key):
    user = users[role_key]
    sign_in(client, user)
    device = TOTPDevice.objects.get(user=user)
    response = client.post(VERIFY, {"code": totp_code(device), "next": "/admin/pages/"})
    assert response.status_code == 302
    assert response["Location"] == "/admin/pages/"
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    for name, method, url in admin_urls():
        response = request(client, method, url)
        location = response.get("Location", "")
        assert "/two-factor/" not in location, (name, location)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/api/main/pages/").status_code == 200
    if user.is_superuser:
        assert client.get("/django-admin/").status_code == 200


@pytest.mark.parametrize("role_key", OPTIONAL_ROLES)
def test_optional_roles_are_not_forced(client, users, role_key):
    sign_in(client, users[role_key])
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/api/main/pages/").status_code in (200, 403)
    assert "/two-factor/" not in client.get("/admin/pages/").get("Location", "")


def test_an_optional_role_may_enrol_and_then_must_verify_at_each_sign_in(client, users):
    user = users[roles.COMMUNICATIONS]
    sign_in(client, user)
    page = client.get(SETUP)
    assert page.status_code == 200
    secret = page.context["secret"]
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    code = f"{TOTP(key).token():06d}"
    response = client.post(SETUP, {"code": code})
    assert response.status_code == 302
    assert TOTPDevice.objects.get(user=user).confirmed
    assert client.get("/admin/").status_code == 200

    client.post(reverse("wagtailadmin_logout"))
    sign_in(client, user)
    assert client.get("/admin/")["Location"].startswith(VERIFY)


def test_enrolment_shows_a_qr_code_and_a_secret_and_confirms_with_a_code(client, make_user):
    user = user_without_device(make_user, roles.LEADERSHIP, "new-leader")
    sign_in(client, user)
    response = client.get(SETUP)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and "<script" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert response.context["secret"] in html
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    # Reloading shows the same secret (an app that already scanned it keeps working).
    assert client.get(SETUP).context["secret"] == two_factor.secret_base32(device)

    assert client.post(SETUP, {"code": "000000"}).status_code == 200
    device.refresh_from_db()
    assert not device.confirmed
    time.sleep(1.1)  # the wrong code above throttles the device for 1 s
    response = client.post(SETUP, {"code": totp_code(device), "next": "/admin/pages/"})
    assert response.status_code == 302 and response["Location"] == "/admin/pages/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/admin/").status_code == 200


def test_a_wrong_code_is_refused_and_further_codes_are_throttled(client, users):
    user = users[roles.LEADERSHIP]
    device = TOTPDevice.objects.get(user=user)
    sign_in(client, user)

    response = client.post(VERIFY, {"code": "123456" if totp_code(device) != "123456" else "654321"})
    assert response.status_code == 200
    assert "验证码不正确" in response.content.decode()
    assert client.get("/admin/")["Location"].startswith(VERIFY)

    # Within the throttle window even the right code is refused, with a "wait" message.
    response = client.post(VERIFY, {"code": totp_code(device)})
    assert response.status_code == 200
    assert "验证码错误次数过多" in response.content.decode()
    assert client.get("/admin/")["Location"].startswith(VERIFY)
    device.refresh_from_db()
    assert device.throttling_failure_count == 1

    # A second wrong code doubles the wait.
    time.sleep(1.1)
    client.post(VERIFY, {"code": "not a code"})
    device.refresh_from_db()
    assert device.throttling_failure_count == 2
    allowed, details = device.verify_is_allowed()
    assert not allowed

    time.sleep(2.1)
    response = client.post(VERIFY, {"code": totp_code(device)})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_a_code_is_not_accepted_twice(client, users):
    user = users[roles.LEADERSHIP]
    device = TOTPDevice.objects.get(user=user)
    code = totp_code(device)
    sign_in(client, user)
    assert client.post(VERIFY, {"code": code}).status_code == 302

    other = Client()
    sign_in(other, user)
    response = other.post(VERIFY, {"code": code})
    assert response.status_code == 200
    assert "验证码不正确" in response.content.decode()


def test_outside_the_admin_an_unverified_session_counts_as_anonymous(client, users):
    own = InstitutionFactory(name="本单位")
    issue = IssueFactory(institution=own)
    pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    clean = check_attachment(SimpleUploadedFile("report.pdf", pdf))
    attachment = services.store_attachments([clean], users[roles.INSPECTOR], issue=issue)[0]
    leader = users[roles.LEADERSHIP]
    sign_in(client, leader)
    assert client.get(attachment.get_absolute_url()).status_code == 404
    client.post(VERIFY, {"code": totp_code(TOTPDevice.objects.get(user=leader))})
    assert client.get(attachment.get_absolute_url()).status_code == 200


def test_the_verify_page_allows_signing_out(client, users):
    sign_in(client, users[roles.LEADERSHIP])
    assert client.get(VERIFY).status_code == 200
    response = client.post(reverse("wagtailadmin_logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_django_admin_login_also_leads_to_the_second_factor(client, users):
    admin = users[roles.ADMINISTRATOR]
    response = client.post(
        "/django-admin/login/?next=/django-admin/", {"username": admin.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/django-admin/")["Location"].startswith(VERIFY)


def test_the_role_table_says_who_must_use_a_second_factor(users, make_user):
    required = {role.key for role in roles.ROLES if role.requires_second_factor}
    assert required == {roles.LEADERSHIP, roles.ADMINISTRATOR}
    for role_key, user in users.items():
        assert two_factor.is_required(user) == (role_key in required)
    # Leadership cannot opt out by having no device: still required.
    plain_leader = user_without_device(make_user, roles.LEADERSHIP, "leader-2")
    assert two_factor.is_required(plain_leader)
    assert Group.objects.get(name=roles.group_name(roles.LEADERSHIP)) in plain_leader.groups.all()


def test_packages_import_and_work_on_the_pinned_stack(users):
    """RELIABILITY 40: django-otp's TOTP and django-axes are installed, configured and active."""
    import axes
    import django_otp

    import django
    from django.conf import settings

    import wagtail

    assert django.VERSION[:2] == (5, 2)
    assert wagtail.VERSION[:2] == (8, 0)
    assert axes.__version__ and django_otp
    assert "django_otp.middleware.OTPMiddleware" in settings.MIDDLEWARE
    assert "cms.accounts.middleware.SecondFactorMiddleware" in settings.MIDDLEWARE
    middleware = settings.MIDDLEWARE
    assert middleware.index("cms.accounts.middleware.SecondFactorMiddleware") > middleware.index(
        "django.contrib.auth.middleware.AuthenticationMiddleware"
    )
    assert middleware[-1] == "axes.middleware.AxesMiddleware"
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    device = add_totp_device(users[roles.INSPECTOR])
    assert device.verify_token(totp_code(device))
    assert not device.verify_token("000000")


def test_seed_demo_gives_the_demo_leader_and_admin_the_documented_secret(client):
    import io

    from django.core.management import call_command

    from cms.accounts import demo
    from workflows.demo import DEMO_PASSWORD

    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert demo.DEMO_TOTP_SECRET in out.getvalue()
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    assert demo.DEMO_TOTP_SECRET in readme
    for username in demo.DEMO_TOTP_USERS:
        device = TOTPDevice.objects.get(user__username=username, confirmed=True)
        assert two_factor.secret_base32(device) == demo.DEMO_TOTP_SECRET
    response = client.post("/admin/login/", {"username": "leader", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert client.get("/admin/")["Location"].startswith(VERIFY)
    assert client.post(VERIFY, {"code": demo.current_code()}).status_code == 302
    assert client.get("/admin/").status_code == 200
    # Running it again leaves the devices alone.
    call_command("seed_demo", stdout=io.StringIO())
    assert TOTPDevice.objects.filter(user__username__in=demo.DEMO_TOTP_USERS).count() == 2
