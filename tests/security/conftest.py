"""Shared data for the security tests: the demo data set, which holds a record of every kind."""

import io

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from django.contrib.auth import get_user_model
from django.core.management import call_command

from tests.two_factor_support import add_totp_device
from workflows import roles
from workflows.demo import DEMO_USERS

ANONYMOUS = "anonymous"
ROLE_KEYS = (
    ANONYMOUS,
    roles.COMMUNICATIONS,
    roles.INSPECTOR,
    roles.RESPONSIBLE_UNIT,
    roles.LEADERSHIP,
    roles.ADMINISTRATOR,
)


@pytest.fixture
def demo(db):
    """seed_demo's users (one per role, keyed by role; leader and admin with a TOTP device) and data."""
    call_command("seed_demo", stdout=io.StringIO())
    User = get_user_model()
    found = {}
    for username, role_key, _name, _email in DEMO_USERS:
        user = User.objects.get(username=username)
        needs_device = user.is_superuser or roles.ROLES_BY_KEY[role_key].requires_second_factor
        if needs_device and not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            add_totp_device(user)
        found[role_key] = user
    return found


@pytest.fixture
def client_for(client, demo):
    """client_for(role) -> the test client logged in as that role's demo user (anonymous: logged out)."""

    def login(role):
        client.logout()
        if role != ANONYMOUS:
            client.force_login(demo[role])
        return client

    return login
