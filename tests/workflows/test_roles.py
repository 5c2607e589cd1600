"""The five roles exist on a fresh database and hold exactly the permissions of workflows.roles."""

import pytest

from django.contrib.auth.models import Group

from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission, Page

from workflows import roles

pytestmark = pytest.mark.django_db


def _perm_names(group):
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}


def test_a_fresh_database_has_one_group_per_role():
    names = set(Group.objects.values_list("name", flat=True))
    assert {role.group_name for role in roles.ROLES} <= names


@pytest.mark.parametrize("role", roles.ROLES, ids=lambda role: role.key)
def test_each_group_holds_exactly_the_model_permissions_of_its_role(role):
    group = Group.objects.get(name=role.group_name)
    assert _perm_names(group) == set(role.permissions)


@pytest.mark.parametrize("role", roles.ROLES, ids=lambda role: role.key)
def test_each_group_holds_exactly_the_page_permissions_of_its_role(role):
    group = Group.objects.get(name=role.group_name)
    granted = set(
        GroupPagePermission.objects.filter(group=group, page=Page.get_first_root_node()).values_list(
            "permission__codename", flat=True
        )
    )
    assert granted == set(role.page_permissions)


@pytest.mark.parametrize("role", roles.ROLES, ids=lambda role: role.key)
def test_each_group_holds_exactly_the_collection_permissions_of_its_role(role):
    group = Group.objects.get(name=role.group_name)
    granted = {
        f"{app}.{codename}"
        for app, codename in GroupCollectionPermission.objects.filter(
            group=group, collection=Collection.get_first_root_node()
        ).values_list("permission__content_type__app_label", "permission__codename")
    }
    assert granted == set(role.collection_permissions)


def test_every_role_can_reach_the_admin(users):
    for user in users.values():
        assert user.has_perm("wagtailadmin.access_admin")


def _a_site_page():
    return Page.get_first_root_node().add_child(instance=Page(title="测试页", slug="probe"))


def test_only_leadership_and_administrators_may_publish_pages(users):
    page = _a_site_page()
    may_publish = {key for key, user in users.items() if page.permissions_for_user(user).can_publish()}
    assert may_publish == {roles.LEADERSHIP, roles.ADMINISTRATOR}


def test_communications_may_edit_pages_but_inspectors_and_units_may_not(users):
    page = _a_site_page()
    may_edit = {key for key, user in users.items() if page.permissions_for_user(user).can_edit()}
    assert roles.COMMUNICATIONS in may_edit
    assert roles.INSPECTOR not in may_edit
    assert roles.RESPONSIBLE_UNIT not in may_edit


def test_only_administrators_manage_users(users):
    managers = {key for key, user in users.items() if user.has_perm("auth.change_user")}
    assert managers == {roles.ADMINISTRATOR}


def test_syncing_twice_changes_nothing():
    roles.sync_role_groups()
    before = {g.name: _perm_names(g) for g in Group.objects.all()}
    roles.sync_role_groups()
    after = {g.name: _perm_names(g) for g in Group.objects.all()}
    assert before == after


def test_a_permission_removed_by_hand_is_restored_by_the_sync():
    group = Group.objects.get(name=roles.group_name(roles.ADMINISTRATOR))
    group.permissions.clear()
    roles.sync_role_groups()
    assert _perm_names(group) == set(roles.ROLES_BY_KEY[roles.ADMINISTRATOR].permissions)


def test_user_has_role_is_false_for_anonymous_and_inactive_users(users, django_user_model):
    from django.contrib.auth.models import AnonymousUser

    assert roles.user_has_role(users[roles.LEADERSHIP], roles.LEADERSHIP)
    assert not roles.user_has_role(users[roles.INSPECTOR], roles.LEADERSHIP)
    assert not roles.user_has_role(AnonymousUser(), roles.LEADERSHIP)
    leader = users[roles.LEADERSHIP]
    leader.is_active = False
    assert not roles.user_has_role(leader, roles.LEADERSHIP)
