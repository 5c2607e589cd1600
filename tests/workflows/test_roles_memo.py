"""`roles.role_group_names` reads a user's groups once per user object; `forget_roles` drops it."""

import pytest

from django.contrib.auth.models import Group

from workflows import roles

pytestmark = pytest.mark.django_db


def test_group_names_are_read_once_per_user_object(users, django_assert_num_queries):
    inspector = users[roles.INSPECTOR]
    roles.forget_roles(inspector)
    with django_assert_num_queries(1):
        assert roles.user_has_role(inspector, roles.INSPECTOR)
        assert not roles.user_has_role(inspector, roles.LEADERSHIP)
        assert roles.member_role_keys(inspector) == {roles.INSPECTOR}


def test_forget_roles_sees_a_changed_membership(users):
    inspector = users[roles.INSPECTOR]
    assert not roles.user_has_role(inspector, roles.LEADERSHIP)
    inspector.groups.add(Group.objects.get(name=roles.group_name(roles.LEADERSHIP)))
    roles.forget_roles(inspector)
    assert roles.user_has_role(inspector, roles.LEADERSHIP)


def test_superusers_hold_every_role_but_are_members_of_none_by_that(django_user_model):
    root = django_user_model.objects.create_user("root", is_superuser=True)
    assert roles.user_has_role(root, roles.LEADERSHIP)
    assert roles.member_role_keys(root) == frozenset()
