"""Browser tests start from the migrated reference data, whatever ran before them."""

from django.contrib.auth.models import Group

from wagtail.models import Page, Site

from workflows import roles


def test_a_browser_test_sees_the_role_groups_and_the_page_tree(new_page):
    page = new_page()
    page.goto("/admin/login/")
    assert Group.objects.filter(name=roles.group_name(roles.LEADERSHIP)).exists()
    assert Page.get_first_root_node() is not None
    assert Site.objects.filter(is_default_site=True).exists()
    # Delete the reference data: the next transactional test must get it back.
    Site.objects.all().delete()
    Group.objects.all().delete()


def test_the_next_browser_test_gets_them_back(new_page):
    new_page()
    assert Group.objects.filter(name=roles.group_name(roles.LEADERSHIP)).exists()
    assert Site.objects.filter(is_default_site=True).exists()
