"""Read-only API of issues (Wagtail API v2), scoped by `snippets.permissions.issues_for`: an
anonymous caller gets nothing, a responsible unit only its own institutions' issues."""

from rest_framework import serializers

from wagtail.api import APIField
from wagtail.api.v2.views import BaseAPIViewSet

from snippets import permissions
from snippets.models import Issue


class IssuesAPIViewSet(BaseAPIViewSet):
    model = Issue
    body_fields = BaseAPIViewSet.body_fields + [
        "number",
        "title",
        "category_name",
        "institution_name",
        "township",
        "found_on",
        "severity",
        "deadline",
        "stage",
    ]
    listing_default_fields = BaseAPIViewSet.listing_default_fields + [
        "number",
        "title",
        "institution_name",
        "stage",
        "deadline",
    ]
    name = "issues"

    @classmethod
    def _convert_api_fields(cls, fields):
        extra = {
            "category_name": serializers.CharField(source="category.name", read_only=True),
            "institution_name": serializers.CharField(source="institution.name", read_only=True),
            "township": serializers.CharField(source="institution.township", read_only=True),
        }
        return super()._convert_api_fields(
            [APIField(field, serializer=extra[field]) if field in extra else field for field in fields]
        )

    def get_queryset(self):
        return (
            permissions.issues_for(self.request.user).select_related("category", "institution").order_by("pk")
        )
