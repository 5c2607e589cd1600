"""Login throttling and account enumeration (RELIABILITY 32, 40): django-axes with our rules.

5 failures for one username (from any address) or 20 from one address (across usernames) lock
sign-in for `LOGIN_LOCKOUT_MINUTES`; the response is the same for existing and unknown usernames;
X-Forwarded-For counts only when it comes from a trusted proxy.
"""

import logging
import re
import socket
import time

import pytest
from axes.models import AccessAttempt

from django.conf import settings
from django.http import HttpRequest

from cms.accounts import throttle
from tests.conftest import TEST_PASSWORD
from workflows import roles

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
PER_USERNAME = 5
PER_ADDRESS = 20
WRONG = "wrong password"


def attempt(client, username, password=WRONG, address="192.0.2.1", forwarded=None, url=LOGIN):
    extra = {"REMOTE_ADDR": address}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(url, {"username": username, "password": password}, **extra)


def normalised(response, username):
    """The page without what legitimately differs between two requests: the CSRF token and the
    username the form echoes back."""
    html = response.content.decode()
    html = re.sub(r"\b[A-Za-z0-9]{64}\b", "CSRF-TOKEN", html)
    return html.replace(f'value="{username}"', 'value=""') if username else html


def signed_in(response):
    return response.status_code == 302


def test_the_limits_are_settings():
    assert settings.LOGIN_FAILURE_LIMIT_PER_USERNAME == PER_USERNAME
    assert settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS == PER_ADDRESS
    assert settings.LOGIN_LOCKOUT_MINUTES == 30


def test_five_failures_for_one_username_from_rotating_addresses_lock_it(client, users):
    leader = users[roles.LEADERSHIP]
    for i in range(PER_USERNAME - 1):
        assert attempt(client, leader.username, address=f"198.51.100.{i + 1}").status_code == 200
    # Four failures: the right password still works, from yet another address.
    assert signed_in(attempt(client, leader.username, TEST_PASSWORD, address="198.51.100.50"))
    client.logout()
    assert attempt(client, leader.username, address="198.51.100.5").status_code == 429
    # Locked: the right password from a fresh address is refused too, with the lockout message.
    response = attempt(client, leader.username, TEST_PASSWORD, address="198.51.100.99")
    assert response.status_code == 429
    assert "登录失败次数过多，请 30 分钟后再试。" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Other accounts are not affected.
    assert signed_in(
        attempt(client, users[roles.COMMUNICATIONS].username, TEST_PASSWORD, address="198.51.100.99")
    )


def test_twenty_failures_from_one_address_across_usernames_lock_that_address(client, users):
    for i in range(PER_ADDRESS - 1):
        assert attempt(client, f"guess-{i}", address="203.0.113.7").status_code == 200
    assert signed_in(attempt(client, users[roles.INSPECTOR].username, TEST_PASSWORD, address="203.0.113.7"))
    client.logout()
    assert attempt(client, "guess-19", address="203.0.113.7").status_code == 429
    response = attempt(client, users[roles.COMMUNICATIONS].username, TEST_PASSWORD, address="203.0.113.7")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another address signs in as usual.
    assert signed_in(
        attempt(client, users[roles.COMMUNICATIONS].username, TEST_PASSWORD, address="203.0.113.8")
    )


def test_wrong_password_and_lockout_responses_are_identical_for_known_and_unknown_usernames(client, users):
    known, unknown = users[roles.LEADERSHIP].username, "no-such-user"
    first_known = attempt(client, known, address="198.51.100.1")
    first_unknown = attempt(client, unknown, address="198.51.100.2")
    assert first_known.status_code == first_unknown.status_code == 200
    assert normalised(first_known, known) == normalised(first_unknown, unknown)

    for i in range(PER_USERNAME - 1):
        attempt(client, known, address=f"198.51.100.{10 + i}")
        attempt(client, unknown, address=f"198.51.100.{20 + i}")
    locked_known = attempt(client, known, address="198.51.100.30")
    locked_unknown = attempt(client, unknown, address="198.51.100.31")
    assert locked_known.status_code == locked_unknown.status_code == 429
    assert normalised(locked_known, known) == normalised(locked_unknown, unknown)
    # And with the right password for the known user: still the same page.
    locked_right = attempt(client, known, TEST_PASSWORD, address="198.51.100.32")
    assert normalised(locked_right, known) == normalised(locked_unknown, unknown)


def test_forged_forwarded_for_from_an_untrusted_client_is_ignored(client, users, settings):
    settings.TRUSTED_PROXIES = []
    # Rotating the header does not escape the address lockout: the peer address is what counts.
    for i in range(PER_ADDRESS):
        attempt(client, f"guess-{i}", address="203.0.113.66", forwarded=f"10.9.{i}.1")
    assert AccessAttempt.objects.filter(ip_address="203.0.113.66").count() == PER_ADDRESS
    response = attempt(client, users[roles.INSPECTOR].username, TEST_PASSWORD, address="203.0.113.66")
    assert response.status_code == 429
    # Naming a victim's address in the header does not lock the victim out.
    for i in range(PER_ADDRESS):
        attempt(client, f"other-{i}", address="203.0.113.67", forwarded="198.51.100.20")
    assert signed_in(attempt(client, users[roles.INSPECTOR].username, TEST_PASSWORD, address="198.51.100.20"))


def test_behind_a_trusted_proxy_the_proxy_reported_address_counts_and_forgery_does_not(
    client, users, settings
):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    proxy = "10.0.0.1"
    # The attacker (203.0.113.66) writes a different address in front each time; the proxy
    # appends the real one.
    for i in range(PER_ADDRESS):
        attempt(client, f"guess-{i}", address=proxy, forwarded=f"198.51.100.{i}, 203.0.113.66")
    assert attempt(client, "guess-x", address=proxy, forwarded="203.0.113.66").status_code == 429
    # Everyone else behind the same proxy still signs in, including the addresses the attacker named.
    for victim in ("198.51.100.3", "198.51.100.77"):
        response = attempt(
            client, users[roles.INSPECTOR].username, TEST_PASSWORD, address=proxy, forwarded=victim
        )
        assert signed_in(response), victim
        client.logout()
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.66"}


@pytest.mark.parametrize(
    ("trusted", "remote", "forwarded", "expected"),
    [
        ([], "203.0.113.5", None, "203.0.113.5"),
        ([], "203.0.113.5", "198.51.100.1", "203.0.113.5"),
        (["10.0.0.1"], "203.0.113.5", "198.51.100.1", "203.0.113.5"),
        (["10.0.0.1"], "10.0.0.1", None, "10.0.0.1"),
        (["10.0.0.1"], "10.0.0.1", "198.51.100.1", "198.51.100.1"),
        (["10.0.0.1"], "10.0.0.1", "6.6.6.6, 198.51.100.1", "198.51.100.1"),
        (["10.0.0.0/8"], "10.0.0.1", "6.6.6.6, 198.51.100.1, 10.0.0.2", "198.51.100.1"),
        (["10.0.0.0/8"], "10.0.0.1", "garbage, 10.0.0.2", "10.0.0.2"),
        (["10.0.0.0/8"], "10.0.0.1", "  ", "10.0.0.1"),
        (["2001:db8::/32"], "2001:db8::1", "2001:db8:1::5, 2a00::7", "2a00::7"),
    ],
)
def test_client_address_resolution(settings, trusted, remote, forwarded, expected):
    settings.TRUSTED_PROXIES = trusted
    request = HttpRequest()
    request.META["REMOTE_ADDR"] = remote
    if forwarded is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    assert throttle.client_ip(request) == expected


def test_the_django_admin_login_is_throttled_too(client, users):
    admin = users[roles.ADMINISTRATOR]
    url = "/django-admin/login/"
    for i in range(PER_USERNAME):
        attempt(client, admin.username, address=f"198.51.100.{i + 1}", url=url)
    response = attempt(client, admin.username, TEST_PASSWORD, address="198.51.100.9", url=url)
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_lockout_ends_after_the_cool_off(client, users, settings):
    settings.LOGIN_LOCKOUT_MINUTES = 0.05  # 3 s after the last failure
    leader = users[roles.LEADERSHIP]
    # One address: one attempt row, whose time is the last failure's.
    for _ in range(PER_USERNAME):
        attempt(client, leader.username, address="198.51.100.1")
    assert attempt(client, leader.username, TEST_PASSWORD, address="198.51.100.1").status_code == 429
    time.sleep(3.5)
    assert signed_in(attempt(client, leader.username, TEST_PASSWORD, address="198.51.100.1"))


def test_failures_and_lockouts_are_logged(client, users, caplog):
    caplog.set_level(logging.WARNING)
    for i in range(PER_USERNAME + 1):
        attempt(client, "someone", address=f"198.51.100.{i + 1}")
    lockouts = [r.getMessage() for r in caplog.records if r.name == "cms.accounts.throttle"]
    assert lockouts, "no lockout logged"
    assert "username='someone'" in lockouts[-1] and "address=198.51.100.6" in lockouts[-1]
    assert "failures_for_username=6" in lockouts[-1]
    assert AccessAttempt.objects.filter(username="someone").count() == PER_USERNAME + 1


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_password_reset_is_enabled_and_identical_for_known_and_unknown_email_when_smtp_fails(
    client, users, settings, caplog
):
    # A real SMTP backend pointed at a closed port: sending fails with "connection refused".
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _closed_port()
    settings.EMAIL_TIMEOUT = 2
    url = "/admin/password_reset/"
    assert client.get(url).status_code == 200

    known = client.post(url, {"email": users[roles.LEADERSHIP].email})
    unknown = client.post(url, {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    done_known = client.get(known["Location"])
    done_unknown = client.get(unknown["Location"])
    assert done_known.status_code == done_unknown.status_code == 200
    assert normalised(done_known, "") == normalised(done_unknown, "")
    # The failure was real (and logged by Django), not a silent no-op.
    assert any("Failed to send password reset email" in r.getMessage() for r in caplog.records)
