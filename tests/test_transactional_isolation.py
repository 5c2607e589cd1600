"""Transactional tests leave the migrated reference data in place for the tests after them."""

import pytest

from django.contrib.auth.models import Group

from wagtail.models import Page, Site

from workflows import roles


def _reference_data_is_complete():
    leadership = Group.objects.get(name=roles.group_name(roles.LEADERSHIP))
    return (
        Page.get_first_root_node() is not None
        and Site.objects.filter(is_default_site=True).exists()
        and leadership.permissions.filter(codename="access_admin").exists()
    )


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_sees_the_page_tree_and_role_permissions():
    assert _reference_data_is_complete()
    Page.objects.filter(depth__gt=1).delete()


@pytest.mark.django_db(transaction=True)
def test_the_next_transactional_test_still_sees_them():
    assert _reference_data_is_complete()


def test_a_test_using_the_transactional_db_fixture_sees_them_too(transactional_db):
    assert _reference_data_is_complete()
