"""Filters of the rectification listing; the ledger export applies the very same ones."""

import django_filters

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from snippets.choices import Area, Severity
from snippets.models import Institution, Issue, IssueCategory, Visit
from workflows.choices import Stage


class IssueFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("搜索"), method="filter_q")
    stage = django_filters.ChoiceFilter(label=_("阶段"), choices=Stage.choices)
    category = django_filters.ModelChoiceFilter(label=_("问题类别"), queryset=IssueCategory.objects.all())
    institution = django_filters.ModelChoiceFilter(label=_("机构"), queryset=Institution.objects.all())
    township = django_filters.CharFilter(label=_("乡镇"), field_name="institution__township")
    # Same names as the snippets Issue listing's filters, so its query string selects the same rows.
    area = django_filters.ChoiceFilter(label=_("城乡"), field_name="institution__area", choices=Area.choices)
    severity = django_filters.ChoiceFilter(label=_("严重程度"), choices=Severity.choices)
    visit = django_filters.ModelChoiceFilter(label=_("检查"), queryset=Visit.objects.all())
    overdue = django_filters.BooleanFilter(label=_("逾期"), method="filter_overdue")
    found_from = django_filters.DateFilter(
        label=_("发现日期起"),
        field_name="found_on",
        lookup_expr="gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    found_to = django_filters.DateFilter(
        label=_("发现日期止"),
        field_name="found_on",
        lookup_expr="lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Issue
        fields = []

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        if request is not None:
            from snippets.permissions import institutions_for, visits_for

            self.filters["institution"].queryset = institutions_for(request.user)
            self.filters["visit"].queryset = visits_for(request.user)

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value) | Q(number__icontains=value))

    def filter_overdue(self, queryset, name, value):
        overdue = Q(deadline__lt=timezone.localdate()) & ~Q(stage=Stage.CLOSED)
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


def filtered_issues(params, base_queryset, request=None):
    """Apply the listing filters to `base_queryset` (already scoped to the user)."""
    filterset = IssueFilter(params or None, queryset=base_queryset, request=request)
    if filterset.is_bound and not filterset.is_valid():
        return filterset, base_queryset.none()
    return filterset, filterset.qs
