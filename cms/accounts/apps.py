from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Sign-in hardening: login throttling (django-axes) and the TOTP second factor (django-otp)."""

    name = "cms.accounts"
    label = "accounts"
    verbose_name = _("登录安全")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from axes.signals import user_locked_out

        from cms.accounts import throttle

        user_locked_out.connect(throttle.log_lockout, dispatch_uid="accounts.log_lockout")
