"""The rectification permission policy: Wagtail's registry answers 'may this user make move X on
this issue' from the table in `workflows.stages`, so views, bulk actions and tasks ask one place.

Registered for StageTransition in `workflows.wagtail_hooks` (`register_permission_policy`).
"""

from wagtail.permission_policies.base import BasePermissionPolicy

from snippets.models import Issue
from snippets.permissions import issues_for
from workflows.models import StageTransition
from workflows.stages import MOVE_NAMES, MOVES

VIEW_ROLES_ACTIONS = ("view",)


class RectificationPermissionPolicy(BasePermissionPolicy):
    """Actions are move names ("assign", "close", ...) plus "view"; instances are issues (or log rows)."""

    def __init__(self):
        super().__init__(StageTransition)

    def user_has_permission(self, user, action):
        from workflows.services import actor_roles

        if action == "view":
            return bool(actor_roles(user))
        held = actor_roles(user)
        return any(move.name == action and held & set(move.who) for move in MOVES)

    def user_has_permission_for_instance(self, user, action, instance):
        from workflows.services import TransitionNotPermitted, permitted_move

        issue = instance if isinstance(instance, Issue) else instance.issue
        if action == "view":
            return issues_for(user).filter(pk=issue.pk).exists()
        if action not in MOVE_NAMES:
            return False
        try:
            permitted_move(user, issue, action)
        except TransitionNotPermitted:
            return False
        return True

    def instances_user_has_permission_for(self, user, action):
        if action == "view":
            return StageTransition.objects.filter(issue__in=issues_for(user))
        return StageTransition.objects.none()

    def users_with_permission_for_instance(self, action, instance):
        from django.contrib.auth import get_user_model

        return get_user_model().objects.none()


rectification_policy = RectificationPermissionPolicy()
