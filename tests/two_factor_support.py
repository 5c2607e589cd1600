"""Test support for the second factor (cms/accounts/two_factor.py) and login throttling.

- `add_totp_device(user)`: a real, confirmed TOTP device, as enrolment leaves it.
- `totp_code(device)`: the code an authenticator app would show now, one the device has not
  accepted yet (django-otp never accepts a code twice; one step of tolerance either side).
- `patch_test_client_logins()`: Django's test client logs in without a real login form:
  `force_login` and `login` then mark the session verified with the user's confirmed device,
  exactly as `django_otp.login` does after a code was accepted (a user whose role requires a
  second factor but who has no device yet, e.g. one a test made outside `make_user`, is given a
  real one first); `login` passes a request, which django-axes' backend requires. Tests of the
  second factor itself sign in through the real login form, which this does not touch.
"""

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from django.http import HttpRequest
from django.test.client import ClientMixin

from cms.accounts import two_factor


def add_totp_device(user):
    return TOTPDevice.objects.create(user=user, name="TOTP", confirmed=True)


def totp_code(device):
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    now = totp.t()
    # The current step first, then the next, the previous last: a previous step's code turns invalid
    # when the step after this one begins, which can happen while a browser types it.
    offsets = sorted(range(-device.tolerance, device.tolerance + 1), key=lambda o: (o < 0, abs(o)))
    for offset in offsets:
        if now + offset > device.last_t:
            totp.drift = device.drift + offset
            return f"{totp.token():0{device.digits}d}"
    raise AssertionError("every code in the tolerance window was already used; wait for the next step")


def patch_test_client_logins(monkeypatch):
    original_login = ClientMixin._login
    original_credentials_login = ClientMixin.login

    def _login(self, user, backend=None):
        original_login(self, user, backend)
        device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
        if device is None and two_factor.is_required(user):
            device = add_totp_device(user)
        if device is not None:
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()

    def login(self, **credentials):
        if "request" not in credentials:
            request = HttpRequest()
            request.META["REMOTE_ADDR"] = "127.0.0.1"
            credentials["request"] = request
        return original_credentials_login(self, **credentials)

    monkeypatch.setattr(ClientMixin, "_login", _login)
    monkeypatch.setattr(ClientMixin, "login", login)
