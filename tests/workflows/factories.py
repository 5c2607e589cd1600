"""Factories for rectification tests; inspection records come from the snippets factories."""

import factory

from snippets.models import Issue
from tests.snippets.factories import InstitutionFactory, IssueCategoryFactory, IssueFactory
from workflows.models import CalendarDay, StageTransition

__all__ = [
    "CalendarDayFactory",
    "InstitutionFactory",
    "IssueCategoryFactory",
    "IssueFactory",
    "issue_in_stage",
]


class CalendarDayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CalendarDay
        django_get_or_create = ("date",)

    is_workday = False
    note = "测试"


def issue_in_stage(stage, *, unit=None, needs_leadership=True, submitter=None, **kwargs):
    """An issue placed directly in `stage` (test set-up only; production moves go through services).

    `unit` becomes a responsible user of the institution and the responsible person; `submitter`
    is recorded as the one who requested closure when the stage is submitted.
    """
    category = kwargs.pop("category", None) or IssueCategoryFactory(closure_needs_leadership=needs_leadership)
    issue = IssueFactory(category=category, **kwargs)
    if unit is not None:
        issue.institution.responsible_users.add(unit)
        issue.responsible_person = unit
        issue.save()
    Issue.objects.filter(pk=issue.pk).update(stage=stage, stage_version=1 if stage != "reported" else 0)
    if stage == "submitted" and submitter is not None:
        StageTransition.objects.create(
            issue=issue,
            move="submit",
            from_stage="in_progress",
            to_stage="submitted",
            version=1,
            actor=submitter,
        )
    issue.refresh_from_db()
    return issue
