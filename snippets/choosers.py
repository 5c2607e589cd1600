"""Chooser modals of the scoped records (a foreign key to Issue, Institution, Visit or
InspectionRound is edited through these): they list, search and return only what
`snippets.permissions` lets the user see."""

from functools import reduce
from operator import or_

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wagtail.admin.forms.choosers import BaseFilterForm
from wagtail.snippets.views.chooser import (
    ChooseResultsView,
    ChooseView,
    SnippetChooserViewSet,
    SnippetChosenMultipleView,
    SnippetChosenView,
)

from snippets import permissions

SEARCH_FIELDS = {
    "issue": ("number", "title", "institution__name"),
    "institution": ("name", "township"),
    "visit": ("institution__name", "inspection_round__name"),
    "inspectionround": ("name",),
}


def _scope(view):
    return permissions.SCOPES[view.model_class](view.request.user)


class ScopedSearchForm(BaseFilterForm):
    """Plain icontains search: works on a scoped queryset and on Chinese text."""

    q = forms.CharField(
        label=_("搜索"), required=False, widget=forms.TextInput(attrs={"placeholder": _("搜索")})
    )

    def filter(self, objects):
        objects = super().filter(objects)
        query = self.cleaned_data.get("q")
        if query:
            fields = SEARCH_FIELDS.get(objects.model._meta.model_name, ())
            if fields:
                objects = objects.filter(reduce(or_, (Q(**{f"{name}__icontains": query}) for name in fields)))
            self.is_searching = True
            self.search_query = query
        return objects


class ScopedListMixin:
    filter_form_class = ScopedSearchForm

    def get_object_list(self):
        return _scope(self)


class ScopedChooseView(ScopedListMixin, ChooseView):
    pass


class ScopedChooseResultsView(ScopedListMixin, ChooseResultsView):
    pass


class ScopedChosenView(SnippetChosenView):
    def get_object(self, pk):
        return _scope(self).get(pk=pk)


class ScopedChosenMultipleView(SnippetChosenMultipleView):
    def get_objects(self, pks):
        return _scope(self).filter(pk__in=pks)


class ScopedSnippetChooserViewSet(SnippetChooserViewSet):
    choose_view_class = ScopedChooseView
    choose_results_view_class = ScopedChooseResultsView
    chosen_view_class = ScopedChosenView
    chosen_multiple_view_class = ScopedChosenMultipleView
