"""Admin wiring of the rectification workflow: log actions, the permission policy, menus, views."""

from django_q.models import Failure, Schedule, Success

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _

from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.sidebar import LinkMenuItem as LinkMenuItemComponent
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.permissions import register_permission_policy

from snippets.menus import INSPECTION_MENU_HOOK
from snippets.menus import ORDER as MENU_ORDER
from workflows import admin_urls, roles
from workflows.models import CalendarDay, CalendarYear, StageTransition, TaskAttempt
from workflows.permissions import rectification_policy
from workflows.stages import MOVES

# Registered before any viewset creates a fallback policy for the model.
register_permission_policy(StageTransition, rectification_policy)


@hooks.register("register_log_actions")
def register_rectification_actions(actions):
    seen = set()
    for move in MOVES:
        if move.action in seen:
            continue
        seen.add(move.action)
        actions.register_action(move.action, move.label, move.label)


@hooks.register("register_admin_urls")
def register_rectification_urls():
    return [path("rectification/", include(admin_urls, namespace="workflows_admin"))]


def _has_any_role(request, *keys):
    from workflows.services import actor_roles

    return bool(actor_roles(request.user) & set(keys))


class RoleMenuItem(MenuItem):
    def __init__(self, *args, role_keys=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.role_keys = role_keys

    def is_shown(self, request):
        return _has_any_role(request, *self.role_keys)


class NotificationsMenuItem(MenuItem):
    """Shows the user's unread count in its label."""

    def render_component(self, request):
        from workflows.notifications import unread_count

        count = unread_count(request.user)
        label = f"{self.label}（{count}）" if count else str(self.label)
        return LinkMenuItemComponent(
            self.name, label, self.url, icon_name=self.icon_name, classname=self.classname, attrs=self.attrs
        )


RECTIFYING_ROLES = (roles.INSPECTOR, roles.RESPONSIBLE_UNIT, roles.LEADERSHIP, roles.ADMINISTRATOR)


# The rectification pages join the one inspections menu (督查整改, snippets.menus) in work order.
@hooks.register(INSPECTION_MENU_HOOK)
def register_closure_queue_menu_item():
    return RoleMenuItem(
        _("销号申请"),
        reverse("workflows_admin:queue"),
        icon_name="tick",
        order=MENU_ORDER["closure_queue"],
        role_keys=(roles.LEADERSHIP, roles.INSPECTOR),
    )


@hooks.register(INSPECTION_MENU_HOOK)
def register_rectification_ledger_menu_item():
    return RoleMenuItem(
        _("整改台账"),
        reverse("workflows_admin:list"),
        icon_name="list-ul",
        order=MENU_ORDER["rectification_ledger"],
        role_keys=RECTIFYING_ROLES,
    )


@hooks.register(INSPECTION_MENU_HOOK)
def register_calendar_menu_item():
    return RoleMenuItem(
        _("工作日历"),
        reverse("workflows_admin:calendar"),
        icon_name="date",
        order=MENU_ORDER["calendar"],
        role_keys=(roles.ADMINISTRATOR,),
    )


@hooks.register("register_admin_menu_item")
def register_notifications_menu():
    return NotificationsMenuItem(
        _("通知"), reverse("workflows_admin:notifications"), icon_name="mail", order=260
    )


class CalendarDayViewSet(ModelViewSet):
    model = CalendarDay
    icon = "date"
    menu_label = _("节假日调整")
    list_display = ["date", "is_workday", "note"]
    list_filter = ["is_workday"]
    form_fields = ["date", "is_workday", "note"]
    add_to_admin_menu = False


class CalendarYearViewSet(ModelViewSet):
    model = CalendarYear
    icon = "date"
    menu_label = _("已录入的年份")
    list_display = ["year", "note"]
    form_fields = ["year", "note"]


class TaskAttemptViewSet(ModelViewSet):
    model = TaskAttempt
    icon = "warning"
    menu_label = _("任务尝试")
    list_display = ["key", "func", "attempts", "state", "last_started_at"]
    list_filter = ["state"]
    form_fields = []
    inspect_view_enabled = True


class ScheduleViewSet(ModelViewSet):
    """The automation console: see every django-q2 schedule and pause it (repeats = 0) or resume it
    (repeats = -1). Function and timing come from schedules.py and are rewritten on deploy."""

    model = Schedule
    icon = "time"
    menu_label = _("定时任务")
    list_display = ["name", "func", "schedule_type", "minutes", "cron", "next_run", "repeats"]
    list_filter = ["schedule_type"]
    search_fields = ["name", "func"]
    form_fields = ["repeats", "next_run"]
    inspect_view_enabled = True


class FailureViewSet(ModelViewSet):
    model = Failure
    icon = "warning"
    menu_label = _("失败的任务")
    list_display = ["name", "func", "started", "stopped", "attempt_count"]
    search_fields = ["name", "func"]
    form_fields = []
    inspect_view_enabled = True


class SuccessViewSet(ModelViewSet):
    model = Success
    icon = "success"
    menu_label = _("完成的任务")
    list_display = ["name", "func", "started", "stopped"]
    search_fields = ["name", "func"]
    form_fields = []
    inspect_view_enabled = True


class WorkflowAdminGroup(ModelViewSetGroup):
    menu_label = _("整改配置")
    menu_icon = "cogs"
    menu_order = 900
    items = (
        CalendarDayViewSet("calendar_days"),
        CalendarYearViewSet("calendar_years"),
        ScheduleViewSet("schedules"),
        TaskAttemptViewSet("task_attempts"),
        FailureViewSet("task_failures"),
        SuccessViewSet("task_successes"),
    )


@hooks.register("register_admin_viewset")
def register_workflow_viewsets():
    return WorkflowAdminGroup()


from workflows.brief import hooks as brief_hooks  # noqa: E402, F401
from workflows.dashboard import wagtail_hooks as dashboard_hooks  # noqa: E402, F401
