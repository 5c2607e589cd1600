"""Demo TOTP devices for the demo leader and administrator. Called by `seed_demo`; never in production.

Both share one published secret (README, "Demo users"), so anyone trying the demo can add it to an
authenticator app, or print the current code with `python manage.py demo_totp_code`.
"""

import base64

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from django.contrib.auth import get_user_model

# Base32, as authenticator apps take it: 32 characters, a 160-bit key. Demo only.
DEMO_TOTP_SECRET = "DEMODESKTOTPSECRETFORLEADERADMIN"  # noqa: S105 - demo data, refused in production
DEMO_TOTP_USERS = ("leader", "admin")


def demo_key_hex():
    return base64.b32decode(DEMO_TOTP_SECRET).hex()


def current_code():
    return f"{TOTP(bytes.fromhex(demo_key_hex())).token():06d}"


def seed_second_factor(stdout):
    User = get_user_model()
    for username in DEMO_TOTP_USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            continue
        device, created = TOTPDevice.objects.get_or_create(
            user=user, confirmed=True, defaults={"name": "TOTP", "key": demo_key_hex()}
        )
        state = "created" if created else "exists, unchanged"
        stdout.write(f"  {username:<10} TOTP secret {DEMO_TOTP_SECRET}  ({state})")
    stdout.write(f"  current code: {current_code()}  (python manage.py demo_totp_code prints a fresh one)")
