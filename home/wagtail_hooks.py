"""Admin wiring of the home app: the donation-channel snippet and its audit-log action."""

from django.http import JsonResponse
from django.utils.translation import gettext_lazy as _

from wagtail import hooks
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, ObjectList, TabbedInterface
from wagtail.admin.views import generic
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import EditView, SnippetViewSet

from home import services
from home.forms import DonationChannelAdminForm
from home.models import DonationChannel


class PaymentDetailsGuardMixin:
    """Saves only if the payment details have not changed since the form was opened.

    Used by the edit view and by the revert-to-revision view (which replaces save_instance).
    """

    def save_instance(self):
        form = self.form
        services.claim_payment_edit(
            form.instance,
            expected_version=form.cleaned_data["payment_version"],
            changed_fields=services.changed_payment_fields(form.instance),
            user=self.request.user,
        )
        return super().save_instance()

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except services.StalePaymentEdit as exc:
            form.add_error(None, str(exc))
            if self.expects_json_response:
                return JsonResponse(
                    {"success": False, "error_code": "stale_payment_details", "error_message": str(exc)},
                    status=409,
                )
            self.produced_error_message = str(exc)
            response = self.form_invalid(form)
            response.status_code = 409
            return response


class DonationChannelEditView(PaymentDetailsGuardMixin, EditView):
    pass


class DonationChannelViewSet(SnippetViewSet):
    model = DonationChannel
    icon = "link"
    menu_label = _("捐赠渠道")
    menu_order = 210
    add_to_admin_menu = True
    edit_view_class = DonationChannelEditView

    @property
    def revisions_revert_view_class(self):
        return type(
            "DonationChannelRevertView",
            (PaymentDetailsGuardMixin, generic.RevisionsRevertMixin, EditView),
            {"view_name": "revisions_revert"},
        )

    list_display = ["name", "kind", "status", "sort_order", "live"]
    list_filter = ["kind", "status", "live"]
    search_fields = ["name", "account_number"]
    list_export = ["name", "kind", "status", "account_name", "bank_name", "account_number", "payment_url"]
    ordering = ["sort_order", "pk"]

    edit_handler = TabbedInterface(
        [
            ObjectList(
                [
                    FieldPanel("kind"),
                    FieldPanel("name"),
                    FieldPanel("description"),
                    MultiFieldPanel(
                        [
                            FieldPanel("account_name"),
                            FieldPanel("bank_name"),
                            FieldPanel("account_number"),
                        ],
                        heading=_("银行转账"),
                    ),
                    MultiFieldPanel(
                        [FieldPanel("payment_url"), FieldPanel("qr_image")], heading=_("网络/手机支付")
                    ),
                    MultiFieldPanel(
                        [
                            FieldPanel("address"),
                            FieldPanel("opening_hours"),
                            FieldPanel("contact_phone"),
                            FieldPanel("accepted_goods"),
                            FieldPanel("refused_goods"),
                        ],
                        heading=_("地址与联系方式"),
                    ),
                    FieldPanel("payment_version"),
                ],
                heading=_("渠道"),
            ),
            ObjectList(
                [FieldPanel("status"), FieldPanel("pause_reason"), FieldPanel("sort_order")],
                heading=_("状态与排序"),
            ),
            ObjectList(
                [FieldPanel("go_live_at"), FieldPanel("expire_at")],
                heading=_("定时发布"),
            ),
        ],
        base_form_class=DonationChannelAdminForm,
    )


register_snippet(DonationChannelViewSet)


@hooks.register("register_log_actions")
def register_payment_change_action(actions):
    def message(log_entry):
        fields = ", ".join(log_entry.data.get("fields", []))
        return _("修改收款信息：%(fields)s（版本 %(version)s）") % {
            "fields": fields,
            "version": log_entry.data.get("version", "?"),
        }

    actions.register_action(services.PAYMENT_CHANGE_ACTION, _("修改收款信息"), message)
