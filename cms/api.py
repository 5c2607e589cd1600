"""Wagtail API v2 router. Apps add their endpoints here; page fields are declared on the models.

The pages, images and documents endpoints are Wagtail's with one change (issue #8 measurement 5):
a listing loads what its meta fields need for all its items at once, so its SQL queries do not grow
with its length. Wagtail's own serializers read `page.locale` and `page.alias_of` per page, a
StreamField's chooser blocks (images, linked pages) per page, and an image's or document's tags
per item (one query each); the JSON is unchanged. Only public Wagtail API is used (a StreamValue's
`raw_data`, a block's `bulk_to_python` and `get_api_representation`), so an upgrade that changes
Wagtail's internals cannot silently break a listing.
"""

from collections import defaultdict

from django.db.models import prefetch_related_objects

from wagtail import fields as wagtail_fields
from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.serializers import PageSerializer, TagsField
from wagtail.api.v2.serializers import StreamField as StreamFieldSerializer
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


def stream_api_representations(stream_values, context):
    """The API representation of several StreamValues, as Wagtail's `StreamBlock.get_api_representation`
    gives it (type, value, id per block), with one `bulk_to_python` per block type across all of them:
    a chooser block (image, page) then costs one query per listing instead of one per page. Built
    from the public `StreamValue.raw_data` only. Returns {id(value): (value, representation)};
    a value with a block type missing from its definition is left out (Wagtail's own handling)."""
    pending = defaultdict(list)  # (id(stream block), block type) -> [(value, index, raw value)]
    blocks = {}
    usable = []
    for value in stream_values:
        raw_items = list(value.raw_data)
        child_blocks = value.stream_block.child_blocks
        if any(item is None or item["type"] not in child_blocks for item in raw_items):
            continue
        usable.append((value, raw_items))
        for i, item in enumerate(raw_items):
            key = (id(value.stream_block), item["type"])
            blocks[key] = child_blocks[item["type"]]
            pending[key].append((value, i, item["value"]))
    converted = {}  # (id(value), index) -> the block's Python value
    for key, places in pending.items():
        python_values = blocks[key].bulk_to_python([raw for _value, _i, raw in places])
        for (value, i, _raw), python_value in zip(places, python_values, strict=True):
            converted[id(value), i] = python_value
    representations = {}
    for value, raw_items in usable:
        child_blocks = value.stream_block.child_blocks
        representations[id(value)] = (
            value,
            [
                {
                    "type": item["type"],
                    "value": child_blocks[item["type"]].get_api_representation(
                        converted[id(value), i], context=context
                    ),
                    "id": item.get("id"),
                }
                for i, item in enumerate(raw_items)
            ],
        )
    return representations


class ListedStreamField(StreamFieldSerializer):
    """Wagtail's StreamField serializer, answering from the listing's batch when there is one
    (a detail response, or a value the batch left out, keeps Wagtail's own conversion)."""

    def to_representation(self, value):
        entry = self.context.get("stream_representations", {}).get(id(value))
        if entry is not None and entry[0] is value:
            return entry[1]
        return super().to_representation(value)


class ListingPageSerializer(PageSerializer):
    serializer_field_mapping = {
        **PageSerializer.serializer_field_mapping,
        wagtail_fields.StreamField: ListedStreamField,
    }


class ListingPagesAPIViewSet(ListingPrefetchMixin, PagesAPIViewSet):
    """Pages: `meta.locale` and `meta.alias_of` (listed by `fields=*`) in one query each per listing,
    and a typed listing's StreamField chooser blocks in one query per block type.
    (`meta.parent` is detail-only in Wagtail, so a listing never resolves parents.)"""

    base_serializer_class = ListingPageSerializer

    def prefetch_listing(self, items, fields, context):
        lookups = [name for name in ("locale", "alias_of") if name in fields]
        if lookups:
            prefetch_related_objects(items, *lookups)
        values = []
        for name, field in fields.items():
            if isinstance(field, ListedStreamField):
                values += [getattr(item, field.source or name, None) for item in items]
        values = [value for value in values if isinstance(value, StreamValue)]
        if values:
            shared = context.setdefault("stream_representations", {})
            shared.update(stream_api_representations(values, context))


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
