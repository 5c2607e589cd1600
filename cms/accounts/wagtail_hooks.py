from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from wagtail import hooks

from cms.accounts import two_factor, views


@hooks.register("register_admin_urls")
def register_two_factor_urls():
    return [
        path("two-factor/setup/", views.setup, name="accounts_two_factor_setup"),
        path("two-factor/verify/", views.verify, name="accounts_two_factor_verify"),
    ]


@hooks.register("register_account_menu_item")
def enrol_menu_item(request):
    """On the account page, for users without a device (enrolling is optional for their role)."""
    if two_factor.has_device(request.user):
        return None
    return {
        "url": reverse("accounts_two_factor_setup"),
        "label": _("设置两步验证"),
        "help_text": _("登录时除密码外再输入身份验证器应用中的验证码。"),
    }
