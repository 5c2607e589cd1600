"""Wagtail API v2 router. Apps add their endpoints here; page fields are declared on the models.

The pages, images and documents endpoints are Wagtail's with one change (issue #8 measurement 5):
a listing loads what its meta fields need for all its items at once, so its SQL queries do not grow
with its length. Wagtail's own serializers read `page.locale` and `page.alias_of` per page, a
StreamField's chooser blocks (images, linked pages) per page, and an image's or document's tags
per item (one query each); the JSON is unchanged.
"""

from collections import defaultdict

from django.db.models import prefetch_related_objects

from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.serializers import StreamField as StreamFieldSerializer
from wagtail.api.v2.serializers import TagsField
from wagtail.api.v2.views import PagesAPIViewSet
from wagtail.blocks import StreamValue
from wagtail.documents.api.v2.serializers import DocumentSerializer
from wagtail.documents.api.v2.views import DocumentsAPIViewSet
from wagtail.images.api.v2.serializers import ImageSerializer
from wagtail.images.api.v2.views import ImagesAPIViewSet

from snippets.api import IssuesAPIViewSet


class ListingPrefetchMixin:
    """`listing_view` as Wagtail's, plus `prefetch_listing(items, fields, context)` on the page of
    results (a list) before it is serialised; `fields` are the serializer's fields, meta fields
    included; `context` is the serializer context shared by all items."""

    def listing_view(self, request):
        queryset = self.get_queryset()
        self.check_query_parameters(queryset)
        queryset = self.filter_queryset(queryset)
        items = list(self.paginate_queryset(queryset))
        serializer = self.get_serializer(items, many=True)
        if items:
            self.prefetch_listing(items, serializer.child.fields, serializer.context)
        return self.get_paginated_response(serializer.data)

    def prefetch_listing(self, items, fields, context):
        pass


def prefetch_stream_blocks(stream_values):
    """Convert the raw blocks of several StreamValues with one `bulk_to_python` per block type, as
    Wagtail's `StreamValue._prefetch_blocks` does within one stream: a chooser block (image, page)
    then costs one query per listing instead of one per page. Values whose internals are not as
    expected are left to Wagtail's lazy conversion."""
    pending = defaultdict(list)  # (id(stream block), block type) -> [(stream value, index)]
    for value in stream_values:
        raw_data = getattr(value, "_raw_data", None)
        bound = getattr(value, "_bound_blocks", None)
        if raw_data is None or bound is None or len(raw_data) != len(bound):
            continue
        for i, raw_item in enumerate(raw_data):
            if bound[i] is None and raw_item is not None:
                pending[id(value.stream_block), raw_item["type"]].append((value, i))
    for (_block_id, type_name), places in pending.items():
        child_block = places[0][0].stream_block.child_blocks.get(type_name)
        if child_block is None:
            continue  # a block type removed from the definition: Wagtail's own handling
        raw_values = [value._raw_data[i]["value"] for value, i in places]
        converted_values = list(child_block.bulk_to_python(raw_values))
        for (value, i), converted in zip(places, converted_values, strict=True):
            value._bound_blocks[i] = StreamValue.StreamChild(
                child_block, converted, id=value._raw_data[i].get("id")
            )


class ListingPagesAPIViewSet(ListingPrefetchMixin, PagesAPIViewSet):
    """Pages: `meta.locale` and `meta.alias_of` (listed by `fields=*`) in one query each per listing,
    and a typed listing's StreamField chooser blocks in one query per block type.
    (`meta.parent` is detail-only in Wagtail, so a listing never resolves parents.)"""

    def prefetch_listing(self, items, fields, context):
        lookups = [name for name in ("locale", "alias_of") if name in fields]
        if lookups:
            prefetch_related_objects(items, *lookups)
        for name, field in fields.items():
            if isinstance(field, StreamFieldSerializer):
                values = [getattr(item, field.source or name, None) for item in items]
                prefetch_stream_blocks([v for v in values if isinstance(v, StreamValue)])


class ListedTagsField(TagsField):
    """Wagtail's tags field (names ordered by the database), read from the listing's one tag query
    when there is one; a detail response keeps Wagtail's own query."""

    def to_representation(self, value):
        tag_names = self.context.get("tag_names")
        if tag_names is None:
            return super().to_representation(value)
        return tag_names.get(value.instance.pk, [])


class ListedTagsMixin:
    def build_property_field(self, field_name, model_class):
        field_class, field_kwargs = super().build_property_field(field_name, model_class)
        if field_class is TagsField:
            field_class = ListedTagsField
        return field_class, field_kwargs


class ListingImageSerializer(ListedTagsMixin, ImageSerializer):
    pass


class ListingDocumentSerializer(ListedTagsMixin, DocumentSerializer):
    pass


class ListingTagsPrefetchMixin(ListingPrefetchMixin):
    def prefetch_listing(self, items, fields, context):
        if not isinstance(fields.get("tags"), ListedTagsField):
            return
        # taggit's own prefetch query (content type and object ids), ordered by name as
        # TagsField orders each item's tags. The model-level manager: an instance's would also
        # filter on that one instance.
        manager = type(items[0]).tags
        queryset, tag_key, item_key, *_rest = manager.get_prefetch_querysets(items)
        by_item = defaultdict(list)
        for tag in queryset.order_by("name"):
            by_item[tag_key(tag)].append(tag.name)
        context["tag_names"] = {item.pk: by_item.get(item_key(item), []) for item in items}


class ListingImagesAPIViewSet(ListingTagsPrefetchMixin, ImagesAPIViewSet):
    base_serializer_class = ListingImageSerializer


class ListingDocumentsAPIViewSet(ListingTagsPrefetchMixin, DocumentsAPIViewSet):
    base_serializer_class = ListingDocumentSerializer


api_router = WagtailAPIRouter("wagtailapi")
api_router.register_endpoint("pages", ListingPagesAPIViewSet)
api_router.register_endpoint("images", ListingImagesAPIViewSet)
api_router.register_endpoint("documents", ListingDocumentsAPIViewSet)
# Scoped per user by snippets.permissions.issues_for (anonymous callers get an empty list).
api_router.register_endpoint("issues", IssuesAPIViewSet)
