"""Every move by every role in every stage: the legal ones succeed, all others are refused.

The expected outcomes are written out here by hand from the issue's rules, not derived from
`workflows.stages`, so the table itself is under test.
"""

import pytest

from snippets.models import Issue
from workflows import roles
from workflows.choices import Stage
from workflows.models import StageTransition
from workflows.services import TransitionConflict, TransitionNotPermitted, allowed_moves, transition
from workflows.stages import MOVE_NAMES

from .factories import InstitutionFactory, issue_in_stage

ANONYMOUS = "anonymous"
OTHER_UNIT = "other_unit"  # a responsible unit of a different institution
ACTORS = (
    ANONYMOUS,
    roles.COMMUNICATIONS,
    roles.INSPECTOR,
    roles.RESPONSIBLE_UNIT,
    OTHER_UNIT,
    roles.LEADERSHIP,
    roles.ADMINISTRATOR,
)


def expected_allowed(actor, stage, move, needs_leadership):
    if move == "assign":
        return stage == Stage.REPORTED and actor == roles.INSPECTOR
    if move in ("acknowledge", "submit"):
        source = Stage.ASSIGNED if move == "acknowledge" else Stage.IN_PROGRESS
        return stage == source and actor == roles.RESPONSIBLE_UNIT
    if move == "close":
        closers = (roles.LEADERSHIP,) if needs_leadership else (roles.LEADERSHIP, roles.INSPECTOR)
        return stage == Stage.SUBMITTED and actor in closers
    if move == "return":
        return stage == Stage.SUBMITTED and actor == roles.LEADERSHIP
    if move == "resolve":
        return False  # the supplies loop's automatic close: the system only, never a person
    raise AssertionError(move)


def test_the_table_names_the_five_moves_of_the_issue_and_the_systems_resolve():
    assert set(MOVE_NAMES) == {"assign", "acknowledge", "submit", "close", "return", "resolve"}


@pytest.mark.django_db
@pytest.mark.parametrize("needs_leadership", [True, False], ids=["needs-leadership", "inspector-may-close"])
@pytest.mark.parametrize("actor_key", ACTORS)
def test_each_role_may_make_exactly_the_legal_moves(actor_key, needs_leadership, make_user, users):
    from django.contrib.auth.models import AnonymousUser

    unit = users[roles.RESPONSIBLE_UNIT]
    other_unit = make_user(roles.RESPONSIBLE_UNIT, username="other-unit")
    InstitutionFactory().responsible_users.add(other_unit)
    actor = {ANONYMOUS: AnonymousUser(), OTHER_UNIT: other_unit}.get(actor_key) or users[actor_key]

    for stage in Stage.values:
        issue = issue_in_stage(stage, unit=unit, needs_leadership=needs_leadership)
        expected_buttons = {m for m in MOVE_NAMES if expected_allowed(actor_key, stage, m, needs_leadership)}
        assert {m.name for m in allowed_moves(actor, issue)} == expected_buttons, (stage, actor_key)

        for move in MOVE_NAMES:
            issue = issue_in_stage(stage, unit=unit, needs_leadership=needs_leadership)
            kwargs = {"note": "理由", "evidence": "已整改", "request_key": None}
            if expected_allowed(actor_key, stage, move, needs_leadership):
                result = transition(issue.pk, move, actor, **kwargs)
                assert result.created
                issue.refresh_from_db()
                assert issue.stage == result.transition.to_stage != stage
                assert StageTransition.objects.filter(issue=issue).count() == 1
            else:
                with pytest.raises((TransitionNotPermitted, TransitionConflict)):
                    transition(issue.pk, move, actor, **kwargs)
                assert Issue.objects.get(pk=issue.pk).stage == stage, (stage, move, actor_key)
                assert not StageTransition.objects.filter(issue=issue).exists()
