"""The bureau's roles as Wagtail groups: the one table of who may do what in the admin.

The groups themselves are created by migration 0001 so that a fresh database has them; the
permissions below are applied after every migrate (`sync_role_groups`), because Django creates
permission rows only in post_migrate. Each feature adds its models' permissions to this table.
Object-level rules (a responsible unit sees only its own institutions) live in each app's
permission policies, not here.
"""

import logging
from dataclasses import dataclass, replace

from django.apps import apps as global_apps
from django.db import transaction

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RoleSpec:
    key: str
    group_name: str
    # "app_label.codename" model permissions.
    permissions: tuple[str, ...]
    # Page permission codenames granted on the tree root, so they cover every page.
    page_permissions: tuple[str, ...] = ()
    # "app_label.codename" image/document permissions granted on the root collection.
    collection_permissions: tuple[str, ...] = ()
    # A TOTP second factor is mandatory for the role's members (cms/accounts/two_factor.py enforces it;
    # superusers always need one). Members of other roles may enrol by choice.
    requires_second_factor: bool = False


COMMUNICATIONS = "communications"
INSPECTOR = "inspector"
RESPONSIBLE_UNIT = "responsible_unit"
LEADERSHIP = "leadership"
ADMINISTRATOR = "administrator"

_MEDIA_EDIT = (
    "wagtailimages.add_image",
    "wagtailimages.change_image",
    "wagtailimages.choose_image",
    "wagtaildocs.add_document",
    "wagtaildocs.change_document",
    "wagtaildocs.choose_document",
)

# Donation channels (home.DonationChannel): comms edit and submit, leadership publishes.
_CHANNEL_EDIT = (
    "home.add_donationchannel",
    "home.change_donationchannel",
    "home.view_donationchannel",
    "home.lock_donationchannel",
    "home.unlock_donationchannel",
)
_CHANNEL_PUBLISH = _CHANNEL_EDIT + ("home.publish_donationchannel",)

# Donation ledger (home.ledger): comms import and prepare disclosures; leadership approves them
# through the page workflow (publish_page) and reads the ledger; exports with private fields are staff-only.
_LEDGER_READ = (
    "ledger.view_goodsitem",
    "ledger.view_ledgerentry",
    "ledger.view_importbatch",
    "ledger.view_disclosurerecord",
    "ledger.view_donor",
)
_LEDGER_COMMS = _LEDGER_READ + (
    "ledger.add_importbatch",
    "ledger.view_donorprivate",
    "ledger.change_donor",
)

ROLES = (
    RoleSpec(
        key=COMMUNICATIONS,
        group_name="宣传 Communications",
        permissions=("wagtailadmin.access_admin",) + _CHANNEL_EDIT + _LEDGER_COMMS,
        # Edit and submit for moderation; publishing is leadership's.
        page_permissions=("add_page", "change_page", "lock_page", "unlock_page"),
        collection_permissions=_MEDIA_EDIT,
    ),
    RoleSpec(
        key=INSPECTOR,
        group_name="督查员 Inspectors",
        permissions=("wagtailadmin.access_admin",),
    ),
    RoleSpec(
        key=RESPONSIBLE_UNIT,
        group_name="责任单位 Responsible units",
        permissions=("wagtailadmin.access_admin",),
    ),
    RoleSpec(
        key=LEADERSHIP,
        group_name="领导 Leadership",
        permissions=("wagtailadmin.access_admin",) + _CHANNEL_PUBLISH + _LEDGER_READ,
        page_permissions=("add_page", "change_page", "publish_page", "lock_page", "unlock_page"),
        collection_permissions=_MEDIA_EDIT,
        requires_second_factor=True,
    ),
    RoleSpec(
        key=ADMINISTRATOR,
        group_name="管理员 Administrators",
        requires_second_factor=True,
        permissions=(
            "wagtailadmin.access_admin",
            "auth.add_user",
            "auth.change_user",
            "auth.view_user",
            "auth.add_group",
            "auth.change_group",
            "auth.view_group",
            "wagtailcore.add_site",
            "wagtailcore.change_site",
            "wagtailcore.view_site",
            "wagtailcore.add_workflow",
            "wagtailcore.change_workflow",
            "wagtailcore.add_task",
            "wagtailcore.change_task",
            "django_q.view_schedule",
            "django_q.change_schedule",
            "django_q.add_schedule",
            "django_q.view_failure",
            "django_q.view_success",
            "ledger.change_ledgersettings",
            # The goods catalogue and its shortage thresholds (the supplies loop's low-code part).
            "ledger.add_goodsitem",
            "ledger.change_goodsitem",
            "ledger.view_goodsitem",
            "ledger.view_ledgerentry",
            "ledger.view_importbatch",
            "ledger.view_disclosurerecord",
            # Rectification configuration (workflows app): calendar overrides, settings, task attempts.
            "workflows.add_calendarday",
            "workflows.change_calendarday",
            "workflows.delete_calendarday",
            "workflows.view_calendarday",
            "workflows.add_calendaryear",
            "workflows.change_calendaryear",
            "workflows.view_calendaryear",
            "workflows.change_workflowsettings",
            "workflows.view_taskattempt",
        ),
        page_permissions=(
            "add_page",
            "change_page",
            "publish_page",
            "bulk_delete_page",
            "lock_page",
            "unlock_page",
        ),
        collection_permissions=_MEDIA_EDIT
        + (
            "wagtailimages.delete_image",
            "wagtaildocs.delete_document",
        ),
    ),
)

# Inspection records (snippets app). Object-level scope (a responsible unit sees only its own
# institutions; unannounced visits stay hidden until done) is `snippets.permissions`.
_SNIPPETS_READ = tuple(
    f"snippets.view_{model}"
    for model in (
        "institution",
        "issuecategory",
        "checklisttemplate",
        "inspectionround",
        "visit",
        "issue",
        "stockreport",
    )
)
SNIPPETS_PERMISSIONS = {
    INSPECTOR: _SNIPPETS_READ
    + (
        "snippets.add_inspectionround",
        "snippets.change_inspectionround",
        "snippets.add_visit",
        "snippets.change_visit",
        "snippets.add_issue",
        "snippets.change_issue",
        "snippets.view_inspectorprofile",
    ),
    RESPONSIBLE_UNIT: (
        "snippets.view_institution",
        "snippets.view_visit",
        "snippets.view_issue",
        "snippets.change_issue",
        # Daily stock reports of their own institutions (snippets.stock scopes them).
        "snippets.add_stockreport",
        "snippets.view_stockreport",
    ),
    LEADERSHIP: _SNIPPETS_READ + ("snippets.view_inspectorprofile",),
    COMMUNICATIONS: ("snippets.view_stockreport",),
    ADMINISTRATOR: _SNIPPETS_READ
    + tuple(
        f"snippets.{action}_{model}"
        for model in ("institution", "issuecategory", "checklisttemplate", "inspectorprofile")
        for action in ("add", "change", "delete", "view")
    ),
}
ROLES = tuple(
    replace(role, permissions=role.permissions + SNIPPETS_PERMISSIONS.get(role.key, ())) for role in ROLES
)

ROLES_BY_KEY = {role.key: role for role in ROLES}


def group_name(key):
    return ROLES_BY_KEY[key].group_name


def role_group_names(user):
    """The names of the user's groups, read once per user object (one query) and kept on it.

    A request's user is one object, so the menu hooks, the permission checks and the record scopes
    of one admin page share one query (issue #8, measurement 9). Code that changes the user's groups
    and then asks again on the same object calls `forget_roles(user)` first.
    """
    names = getattr(user, "_role_group_names", None)
    if names is None:
        names = frozenset(user.groups.values_list("name", flat=True))
        user._role_group_names = names
    return names


def forget_roles(user):
    """Drop the memo of `role_group_names` (after changing the user's groups)."""
    user.__dict__.pop("_role_group_names", None)


def member_role_keys(user):
    """Keys of the roles whose groups the user is explicitly in (a superuser gets nothing extra)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    names = role_group_names(user)
    return frozenset(role.key for role in ROLES if role.group_name in names)


def user_has_role(user, key):
    """True if the user is in the role's group. Superusers hold every role."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return ROLES_BY_KEY[key].group_name in role_group_names(user)


def _resolve(Permission, dotted_names):
    found = []
    for dotted in dotted_names:
        app_label, codename = dotted.split(".", 1)
        permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
        if permission is None:
            # A table entry naming a permission that does not exist is a bug in this file.
            raise LookupError(f"Role table names unknown permission {dotted!r}")
        found.append(permission)
    return found


@transaction.atomic
def sync_role_groups():
    """Make each role group hold exactly the permissions in ROLES (idempotent)."""
    from django.contrib.auth.models import Group, Permission

    from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission, Page

    root_page = Page.get_first_root_node()
    root_collection = Collection.get_first_root_node()
    for role in ROLES:
        group, _created = Group.objects.get_or_create(name=role.group_name)
        group.permissions.set(_resolve(Permission, role.permissions))

        if root_page is not None:
            wanted = set(
                Permission.objects.filter(
                    content_type__app_label="wagtailcore", codename__in=role.page_permissions
                )
            )
            existing = GroupPagePermission.objects.filter(group=group, page=root_page)
            existing.exclude(permission__in=wanted).delete()
            for permission in wanted:
                GroupPagePermission.objects.get_or_create(group=group, page=root_page, permission=permission)

        if root_collection is not None:
            wanted = set(_resolve(Permission, role.collection_permissions))
            existing = GroupCollectionPermission.objects.filter(group=group, collection=root_collection)
            existing.exclude(permission__in=wanted).delete()
            for permission in wanted:
                GroupCollectionPermission.objects.get_or_create(
                    group=group, collection=root_collection, permission=permission
                )


def sync_after_migrate(sender, **kwargs):
    """post_migrate receiver: apply the table once, after the last app's post_migrate.

    By then Django has created every model permission and Wagtail its snippet publish/lock ones, all
    of which the table may name.
    """
    apps_with_models = [config for config in global_apps.get_app_configs() if config.models_module]
    if sender is not apps_with_models[-1]:
        return
    sync_role_groups()
    logger.debug("Role groups synchronised")
