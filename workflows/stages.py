"""The one table of legal stage moves. Buttons, permission checks and the test matrix read it.

Each row: the move's name, source and target stage, who may make it (role keys from
`workflows.roles`, or SYSTEM for a background task), and what it requires. A name may have several
rows (closing a submitted item: leadership always; an inspector only for categories that need no
leadership approval). Anything not in this table is not a legal move.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from workflows import roles
from workflows.choices import Stage

SYSTEM = "system"  # a background task acting on the bureau's rules, with no user


@dataclass(frozen=True)
class Move:
    name: str
    source: str
    target: str
    who: tuple[str, ...]
    label: str
    # The actor must be a responsible user of the institution (snippets.permissions).
    own_institution_only: bool = False
    requires_note: bool = False  # e.g. the reason for returning an item
    requires_evidence: bool = False  # a description of what was rectified
    # Honour IssueCategory.requires_after_photos.
    checks_after_photos: bool = False
    # None: any category; True/False: only if category.closure_needs_leadership is that value.
    category_needs_leadership: bool | None = None
    # The actor may not be the one who requested the closure (separation of duties).
    not_by_submitter: bool = False
    button_style: str = "button"

    @property
    def action(self):
        """The registered Wagtail log action code."""
        return f"workflows.issue.{self.name}"


MOVES = (
    Move(
        "assign",
        Stage.REPORTED,
        Stage.ASSIGNED,
        who=(roles.INSPECTOR, SYSTEM),
        label=_("交办"),
    ),
    Move(
        "acknowledge",
        Stage.ASSIGNED,
        Stage.IN_PROGRESS,
        who=(roles.RESPONSIBLE_UNIT,),
        label=_("确认整改"),
        own_institution_only=True,
    ),
    Move(
        "submit",
        Stage.IN_PROGRESS,
        Stage.SUBMITTED,
        who=(roles.RESPONSIBLE_UNIT,),
        label=_("提交销号申请"),
        own_institution_only=True,
        requires_evidence=True,
        checks_after_photos=True,
    ),
    Move(
        "close",
        Stage.SUBMITTED,
        Stage.CLOSED,
        who=(roles.LEADERSHIP,),
        label=_("审批销号"),
        not_by_submitter=True,
        button_style="button button-primary",
    ),
    Move(
        "close",
        Stage.SUBMITTED,
        Stage.CLOSED,
        who=(roles.INSPECTOR,),
        label=_("审批销号"),
        category_needs_leadership=False,
        not_by_submitter=True,
        button_style="button button-primary",
    ),
    Move(
        "return",
        Stage.SUBMITTED,
        Stage.IN_PROGRESS,
        who=(roles.LEADERSHIP,),
        label=_("退回整改"),
        requires_note=True,
        button_style="button button-secondary no",
    ),
) + tuple(
    # The supplies loop closes a shortage issue itself once stock has recovered (snippets.stock):
    # from any open stage, by the system only, never offered to a person.
    Move("resolve", source, Stage.CLOSED, who=(SYSTEM,), label=_("物资恢复自动销号"))
    for source in (Stage.REPORTED, Stage.ASSIGNED, Stage.IN_PROGRESS, Stage.SUBMITTED)
)

MOVE_NAMES = tuple(dict.fromkeys(move.name for move in MOVES))
MOVE_LABELS = {move.name: move.label for move in MOVES}
OPEN_STAGES = (Stage.REPORTED, Stage.ASSIGNED, Stage.IN_PROGRESS, Stage.SUBMITTED)
# Stages in which the responsible unit still has to act before the deadline.
RECTIFYING_STAGES = (Stage.ASSIGNED, Stage.IN_PROGRESS)


def moves_named(name):
    return [move for move in MOVES if move.name == name]


def moves_from(stage):
    return [move for move in MOVES if move.source == stage]
