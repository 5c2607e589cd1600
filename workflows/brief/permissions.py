"""Wagtail's document permission policy with the daily-brief collection closed to all but its
readers (leadership and administrators).

The role table gives communications (and leadership) document permissions on the root collection,
which Wagtail extends to every child collection: without this, communications would list, edit,
replace or delete the briefs in the admin. Registered for the document model (exact class, so it
wins over Wagtail's own registration whatever the app order) in `workflows.apps`.
"""

from wagtail.documents import get_document_model_string
from wagtail.permission_policies.collections import CollectionOwnershipPermissionPolicy


def _closed_to(user):
    from workflows.brief.service import may_read

    return not may_read(user)


def _collection_name():
    from workflows.brief.service import COLLECTION_NAME

    return COLLECTION_NAME


def _collection_ids():
    from wagtail.models import Collection

    return Collection.objects.filter(name=_collection_name()).values_list("pk", flat=True)


class DocumentPermissionPolicy(CollectionOwnershipPermissionPolicy):
    def user_has_any_permission_for_instance(self, user, actions, instance):
        if instance.collection.name == _collection_name() and _closed_to(user):
            return False
        return super().user_has_any_permission_for_instance(user, actions, instance)

    def instances_user_has_any_permission_for(self, user, actions):
        documents = super().instances_user_has_any_permission_for(user, actions)
        if _closed_to(user):
            # By id, not collection__name: Wagtail's search backends filter a chooser's search
            # results only on the document's own indexed fields (collection is one, its name is not).
            documents = documents.exclude(collection__in=list(_collection_ids()))
        return documents

    def collections_user_has_any_permission_for(self, user, actions):
        collections = super().collections_user_has_any_permission_for(user, actions)
        if _closed_to(user):
            collections = collections.exclude(name=_collection_name())
        return collections


def register():
    from wagtail.documents import get_document_model
    from wagtail.permissions import register_permission_policy

    policy = DocumentPermissionPolicy(
        get_document_model_string(), auth_model="wagtaildocs.Document", owner_field_name="uploaded_by_user"
    )
    register_permission_policy(get_document_model(), policy, exact_class=True)
