"""Private Wagtail collections for internal documents (the rectification ledger, the daily brief):
a top-level collection whose documents only the named roles' groups may view."""

from django.contrib.auth.models import Group

from wagtail.models import Collection, CollectionViewRestriction

from workflows import roles


def private_collection(name, reader_roles):
    """The collection `name`, created if missing, restricted to the groups of `reader_roles` (reset
    every call, so a role added to the readers in code takes effect on the next document)."""
    root = Collection.get_first_root_node()
    collection = root.get_children().filter(name=name).first()
    if collection is None:
        collection = root.add_child(name=name)
    restriction, _created = CollectionViewRestriction.objects.get_or_create(
        collection=collection, defaults={"restriction_type": CollectionViewRestriction.GROUPS}
    )
    restriction.groups.set(Group.objects.filter(name__in=[roles.group_name(key) for key in reader_roles]))
    return collection
