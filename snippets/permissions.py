"""Who sees which inspection records. Every listing, detail view, export, search, API and photo view
filters through these functions; the admin viewsets use them via `ScopedPermissionPolicy`.

- inspectors, leadership and administrators see everything;
- responsible units see only their own institutions, and an unannounced round's visit (and what it
  found) only once that visit is done;
- communications staff see institutions and issues (to link donated goods to them) but no rounds,
  visits or photos.
"""

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Q
from django.db.models.functions import Cast

from wagtail.models import ModelLogEntry
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import policy_registry

from snippets.choices import RoundMode, VisitState
from snippets.models import Attachment, ChecklistAnswer, InspectionRound, Institution, Issue, Photo, Visit
from workflows import roles

FULL_VIEW_ROLES = (roles.INSPECTOR, roles.LEADERSHIP, roles.ADMINISTRATOR)


def _role_keys(user):
    if not user.is_authenticated or not user.is_active:
        return set()
    if user.is_superuser:
        return {role.key for role in roles.ROLES}
    # One query per user object, shared with the menu hooks (`roles.role_group_names`).
    return set(roles.member_role_keys(user))


def sees_everything(user):
    return bool(_role_keys(user) & set(FULL_VIEW_ROLES))


def is_responsible_unit(user):
    return roles.RESPONSIBLE_UNIT in _role_keys(user)


# A visit of an unannounced round is hidden from the institution until it is done.
_HIDDEN_VISIT = Q(inspection_round__mode=RoundMode.UNANNOUNCED) & ~Q(state=VisitState.DONE)


def institutions_for(user):
    keys = _role_keys(user)
    if keys & {*FULL_VIEW_ROLES, roles.COMMUNICATIONS}:
        return Institution.objects.all()
    if roles.RESPONSIBLE_UNIT in keys:
        return Institution.objects.filter(responsible_users=user)
    return Institution.objects.none()


def visits_for(user):
    if sees_everything(user):
        return Visit.objects.all()
    if is_responsible_unit(user):
        return Visit.objects.filter(institution__responsible_users=user).exclude(_HIDDEN_VISIT)
    return Visit.objects.none()


def rounds_for(user):
    if sees_everything(user):
        return InspectionRound.objects.all()
    if is_responsible_unit(user):
        return InspectionRound.objects.filter(visits__in=visits_for(user)).distinct()
    return InspectionRound.objects.none()


def issues_for(user):
    keys = _role_keys(user)
    if keys & set(FULL_VIEW_ROLES):
        return Issue.objects.all()
    hidden = Q(visit__inspection_round__mode=RoundMode.UNANNOUNCED) & ~Q(visit__state=VisitState.DONE)
    if roles.RESPONSIBLE_UNIT in keys:
        return Issue.objects.filter(institution__responsible_users=user).exclude(hidden)
    if roles.COMMUNICATIONS in keys:
        return Issue.objects.exclude(hidden)
    return Issue.objects.none()


def is_inspector(user):
    """Member of the inspectors' group (the offline page is theirs alone; a superuser is not one)."""
    return roles.INSPECTOR in roles.member_role_keys(user)


def assigned_visits_for(user):
    """The visits an inspector works on from /inspect/ (and may sync): those they are named on, or
    whose round has them in its team. So an unannounced round reaches its own team only, however
    widely the admin's `visits_for` lets inspectors read."""
    if not is_inspector(user):
        return Visit.objects.none()
    named = Visit.objects.filter(inspectors=user).values("pk")
    team_rounds = InspectionRound.objects.filter(team=user).values("pk")
    return Visit.objects.filter(Q(pk__in=named) | Q(inspection_round__in=team_rounds))


def answers_for(user):
    return ChecklistAnswer.objects.filter(visit__in=visits_for(user))


def photos_for(user):
    if sees_everything(user):
        return Photo.objects.all()
    if is_responsible_unit(user):
        return Photo.objects.filter(Q(issue__in=issues_for(user)) | Q(answer__in=answers_for(user)))
    return Photo.objects.none()


def attachments_for(user):
    """Attachments follow their issue, except that communications staff never get the files."""
    if sees_everything(user):
        return Attachment.objects.all()
    if is_responsible_unit(user):
        return Attachment.objects.filter(issue__in=issues_for(user))
    return Attachment.objects.none()


SCOPES = {
    Institution: institutions_for,
    InspectionRound: rounds_for,
    Visit: visits_for,
    Issue: issues_for,
}


# Every action a Wagtail permission policy knows; holding any of them lets a user know of the record.
_ANY_ACTION = ("add", "change", "delete", "view", "publish", "lock", "unlock", "choose")


def records_for(user, model):
    """The records of `model` the user may know of: what every generic admin surface (bulk actions,
    site history) narrows to, so that a record outside it looks like one that does not exist.

    Inspection records follow `SCOPES`; any other model follows its Wagtail permission policy (pages
    and media by their tree and collections, the rest by model permission).
    """
    scope = SCOPES.get(model)
    if scope is not None:
        return scope(user)
    policy = policy_registry.get_by_type(model)
    return policy.instances_user_has_any_permission_for(user, _ANY_ACTION)


def log_entries_for(user, entries):
    """Narrow a queryset of Wagtail log entries to those about records in the user's scope.

    Wagtail shows a model's log entries to anyone holding a permission on the model; an entry about an
    inspection record outside the user's scope (another institution's issue, a planned unannounced
    visit) is dropped here. Page log entries follow page permissions already.
    """
    if entries.model is not ModelLogEntry or sees_everything(user):
        return entries
    for model, scope in SCOPES.items():
        content_type = ContentType.objects.get_for_model(model)
        # object_id is text in Wagtail's log table.
        visible = scope(user).annotate(key_text=Cast("pk", CharField())).values("key_text")
        entries = entries.exclude(Q(content_type=content_type) & ~Q(object_id__in=visible))
    return entries


class ScopedPermissionPolicy(ModelPermissionPolicy):
    """Model permissions from the role table, narrowed to the records `scope(user)` returns."""

    def __init__(self, model, scope, **kwargs):
        super().__init__(model, **kwargs)
        self.scope = scope

    def instances_user_has_any_permission_for(self, user, actions):
        if not self.user_has_any_permission(user, actions):
            return self.model.objects.none()
        return self.scope(user)

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_any_permission_for_instance(user, [action], instance)

    def user_has_any_permission_for_instance(self, user, actions, instance):
        if not self.user_has_any_permission(user, actions):
            return False
        return self.scope(user).filter(pk=instance.pk).exists()

    def users_with_any_permission_for_instance(self, actions, instance):
        # Used for notifications; the model permission is the coarse answer here.
        return self.users_with_any_permission(actions)
