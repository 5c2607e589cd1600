"""The ledger entries' admin listing of our own (issue #16, item 3); see `snippets.listing`.

Same columns, filters (the viewset's `list_filter`), search, default order (the model's: date, then
number) and row buttons as the generic listing it replaces; entries are read-only, so the buttons
are what the viewset's permission policy allows (inspect)."""

from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from snippets.listing import ListingColumn, PlainListingView, choice_labels


class LedgerEntryListingView(PlainListingView):
    default_ordering = ("entry_date", "number")
    search_fields = ("number", "item", "recipient_name")

    @cached_property
    def columns(self):
        from home.ledger.models import LedgerEntry

        field = LedgerEntry._meta.get_field
        kinds = choice_labels(LedgerEntry, "kind")
        yes, no = _("是"), _("否")
        return (
            ListingColumn("number", field("number").verbose_name),
            ListingColumn("kind", field("kind").verbose_name, lambda e: kinds.get(e.kind, e.kind)),
            ListingColumn("entry_date", field("entry_date").verbose_name),
            ListingColumn("amount", field("amount").verbose_name),
            ListingColumn("item", field("item").verbose_name),
            ListingColumn("quantity", field("quantity").verbose_name),
            ListingColumn("unit", field("unit").verbose_name),
            ListingColumn("frozen", field("frozen").verbose_name, lambda e: yes if e.frozen else no),
        )
