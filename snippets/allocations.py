"""Allocation proposals: donated stock (from the ledger) answering open supply shortages.

`propose(goods)` splits the ledger's stock of one goods item over the institutions short of it:
each gets what brings it back to the threshold, and when stock is short the largest need is served
first. `confirm(goods, actor)` writes the proposal as ledger allocations through
`home.ledger.services.record_entry` (open-day and stock checks included), each linked to its
shortage issue, so the issue page and that day's disclosure both show it.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from home.ledger import balance
from home.ledger import services as ledger_services
from home.ledger.models import EntryKind, LedgerEntry
from snippets.choices import Area, InstitutionKind
from snippets.models import SupplyShortage
from workflows import roles


class ProposalError(Exception):
    pass


@dataclass
class ProposalRow:
    shortage: SupplyShortage
    need: int
    proposed: int

    @property
    def institution(self):
        return self.shortage.institution

    @property
    def is_rural(self):
        return self.institution.area == Area.RURAL

    @property
    def is_private(self):
        return self.institution.kind == InstitutionKind.PRIVATE_ELDER_CARE


@dataclass
class Proposal:
    goods: object
    available: int
    rows: list

    @property
    def total_need(self):
        return sum(row.need for row in self.rows)

    @property
    def total_proposed(self):
        return sum(row.proposed for row in self.rows)

    @property
    def is_short(self):
        return self.available < self.total_need

    def split(self):
        """Proposed quantities by area and by ownership: the bureau's report names rural and
        private homes as the ones left without masks, so the page shows where the goods go."""
        sums = {"rural": 0, "urban": 0, "private": 0, "public": 0}
        for row in self.rows:
            sums["rural" if row.is_rural else "urban"] += row.proposed
            sums["private" if row.is_private else "public"] += row.proposed
        return sums


def may_confirm(user):
    return roles.COMMUNICATIONS in roles.member_role_keys(user)


def propose(goods):
    """The split of the ledger's stock of `goods` over its open shortages (largest need first)."""
    shortages = list(
        SupplyShortage.objects.filter(goods=goods, closed_at__isnull=True)
        .select_related("institution", "issue")
        .order_by("opened_at", "pk")
    )
    available = max(0, balance.stock([goods.goods_key]).get(goods.goods_key, 0))
    # What was already allocated to an issue counts against its need (corrections included).
    given = dict(
        LedgerEntry.objects.filter(kind=EntryKind.ALLOCATION, issue__in=[s.issue_id for s in shortages])
        .values("issue_id")
        .annotate(total=Sum("quantity"))
        .values_list("issue_id", "total")
    )
    needs = {s.pk: max(0, s.need - (given.get(s.issue_id) or 0)) for s in shortages}
    ordered = sorted(shortages, key=lambda s: (-needs[s.pk], s.opened_at, s.pk))
    remaining, rows = available, []
    for shortage in ordered:
        give = min(needs[shortage.pk], remaining)
        remaining -= give
        rows.append(ProposalRow(shortage=shortage, need=needs[shortage.pk], proposed=give))
    return Proposal(goods=goods, available=available, rows=rows)


def allocation_number(shortage, day):
    """The shortage's next allocation number: two confirmations of the same proposal at once
    compute the same number, and the ledger's unique receipt number lets only one through."""
    count = LedgerEntry.objects.filter(kind=EntryKind.ALLOCATION, issue_id=shortage.issue_id).count()
    return f"QS{day:%Y%m%d}{shortage.pk:06d}-{count + 1}"


def confirm(goods, actor, day=None):
    """Write the proposal of `goods` as ledger allocations dated `day` (today). Returns the entries.

    Refused for anyone but communications staff, for a day already published (frozen), and if the
    proposal was already confirmed today for a shortage (the receipt number is unique)."""
    if not may_confirm(actor):
        raise PermissionDenied(_("只有宣传岗可以确认物资分配。"))
    day = day or timezone.localdate()
    proposal = propose(goods)
    rows = [row for row in proposal.rows if row.proposed > 0]
    if not rows:
        raise ProposalError(_("“%(goods)s”没有可分配的捐赠库存或没有待解决的短缺。") % {"goods": goods})
    approver = actor.get_full_name() or actor.get_username()
    entries = []
    try:
        with transaction.atomic():
            for row in rows:
                issue = row.shortage.issue
                entries.append(
                    ledger_services.record_entry(
                        number=allocation_number(row.shortage, day),
                        kind=EntryKind.ALLOCATION,
                        entry_date=day,
                        category=goods.category,
                        item=goods.name,
                        specification=goods.specification,
                        standard=goods.standard,
                        unit=goods.unit,
                        quantity=row.proposed,
                        recipient=row.institution,
                        recipient_name=row.institution.name,
                        issue=issue,
                        purpose=_("回应物资短缺问题 %(number)s") % {"number": issue.number},
                        approver=approver,
                    )
                )
    except IntegrityError as exc:
        raise ProposalError(_("该分配已被他人同时确认，请刷新后查看。")) from exc
    except ledger_services.LedgerError as exc:
        raise ProposalError("；".join(exc.messages)) from exc
    return entries


def allocated_for(issue_ids):
    """{issue id: [allocation entries]} for the issues given (one query)."""
    found = {}
    for entry in LedgerEntry.objects.filter(kind=EntryKind.ALLOCATION, issue_id__in=issue_ids).order_by(
        "entry_date", "number"
    ):
        found.setdefault(entry.issue_id, []).append(entry)
    return found
