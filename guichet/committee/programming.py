"""The programming assistant of an open meeting (PRIORITY-SIZE, PRIORITY-IMPACT, ENVELOPE).

The meeting's dossiers become an instance of the pure solver (``guichet.rules.programming``):
what each envelope year has left, each undecided dossier with its amount (the proposal, or what
the committee typed), its weighted score and whether the call's priority to small and medium
collectivités applies; a dossier already retained in this meeting is pinned on its year and
amount, one refused, postponed or put on the waiting list is left out. The committee's changes
(pinned, excluded, another amount, a forced year) are ``ProgrammingChoice`` rows kept until the
proposal is adopted, dossier by dossier or all at once, which records ordinary decisions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction

from guichet import clock
from guichet.grants import services as grants
from guichet.review.permissions import Do
from guichet.rules import programming as solver

from .models import AgendaItem, Decision, Meeting, Outcome, ProgrammingChoice
from .services import CommitteeError, DecisionInput, _open_item, amount_within, decide

if TYPE_CHECKING:
    from guichet.accounts.models import User


@dataclass(frozen=True)
class Line:
    """One dossier of the meeting in the proposal."""

    item: AgendaItem
    value: Decimal
    amount: Decimal
    choice: ProgrammingChoice | None
    decision: Decision | None
    retained: solver.Retained | None = None
    waiting: solver.WaitingEntry | None = None
    reason: solver.Reason | None = None

    @property
    def adoptable(self) -> bool:
        return self.retained is not None and self.decision is None


@dataclass(frozen=True)
class Programming:
    lines: list[Line]
    proposal: solver.Proposal | None
    error: str = ""
    left: dict[int, Decimal] = field(default_factory=dict)

    @property
    def retained(self) -> list[Line]:
        return sorted(
            (line for line in self.lines if line.retained is not None),
            key=lambda line: (line.retained.year if line.retained else 0, -line.value),
        )

    @property
    def waiting(self) -> list[Line]:
        return sorted(
            (line for line in self.lines if line.waiting is not None),
            key=lambda line: line.waiting.rank if line.waiting else 0,
        )

    @property
    def left_out(self) -> list[Line]:
        return [
            line
            for line in self.lines
            if line.retained is None and line.waiting is None and not _decided_out(line)
        ]

    @property
    def adoptable(self) -> list[Line]:
        return [line for line in self.lines if line.adoptable]

    @property
    def ordered(self) -> list[Line]:
        """Retained (by year, highest value first), then the waiting list, then the rest."""
        shown = [*self.retained, *self.waiting, *self.left_out]
        return shown + [line for line in self.lines if line not in shown]


def _decided_out(line: Line) -> bool:
    return line.decision is not None and line.decision.outcome != Outcome.RETAINED


def _amount(item: AgendaItem, choice: ProgrammingChoice | None) -> Decimal:
    if choice is not None and choice.amount is not None:
        return choice.amount
    if item.proposed_amount is not None:
        return item.proposed_amount
    return item.maximum_amount or Decimal(0)


def _key(item: AgendaItem) -> str:
    return item.dossier.number or str(item.pk)


def instance_for(meeting: Meeting) -> tuple[solver.Instance, dict[str, AgendaItem]]:
    call = meeting.call
    items = list(meeting.items.select_related("dossier", "decision", "choice"))
    dossiers, pinned, excluded, by_key = [], set(), set(), {}
    for item in items:
        decision = getattr(item, "decision", None)
        choice = getattr(item, "choice", None)
        key = _key(item)
        by_key[key] = item
        label = f"{item.dossier.number} ({item.dossier.applicant_name})"
        if decision is not None and decision.outcome != Outcome.RETAINED:
            continue
        if decision is not None:
            assert decision.amount is not None and decision.year is not None
            dossiers.append(
                solver.DossierInput(
                    id=key, amount=decision.amount, score=item.score or Decimal(0),
                    small=item.small, years=frozenset({decision.year}), label=label,
                )
            )  # fmt: skip
            pinned.add(key)
            continue
        years = frozenset({choice.year}) if choice is not None and choice.year else None
        dossiers.append(
            solver.DossierInput(
                id=key, amount=_amount(item, choice), score=item.score or Decimal(0),
                small=item.small, years=years, label=label,
            )
        )  # fmt: skip
        if choice is not None and choice.pinned:
            pinned.add(key)
        if choice is not None and choice.excluded:
            excluded.add(key)
    instance = solver.Instance(
        envelopes={p.year: p.remaining for p in grants.positions(call)},
        dossiers=dossiers,
        priority_small=solver.priority_weight(call.rules),
        pinned=frozenset(pinned),
        excluded=frozenset(excluded),
    )
    return instance, by_key


def programming(meeting: Meeting) -> Programming:
    """The proposal for the meeting as it stands (recomputed on every call: a few milliseconds
    for a meeting's agenda)."""
    instance, by_key = instance_for(meeting)
    weight = solver.priority_weight(meeting.call.rules)
    try:
        proposal = solver.solve(instance)
    except solver.InstanceError as exc:
        proposal, error = None, str(exc)
    else:
        error = ""
    retained = {r.id: r for r in proposal.selected} if proposal else {}
    waiting = {w.id: w for w in proposal.waiting_list} if proposal else {}
    reasons = {r.id: r for r in proposal.reasons} if proposal else {}
    lines = []
    for key, item in by_key.items():
        choice = getattr(item, "choice", None)
        value = solver.dossier_value(item.score or Decimal(0), item.small, weight)
        lines.append(
            Line(
                item=item,
                value=Decimal(value.numerator) / Decimal(value.denominator),
                amount=_amount(item, choice),
                choice=choice,
                decision=getattr(item, "decision", None),
                retained=retained.get(key),
                waiting=waiting.get(key),
                reason=reasons.get(key),
            )
        )
    return Programming(
        lines=lines, proposal=proposal, error=error, left=dict(proposal.left) if proposal else {}
    )


CHOICES = ("pin", "exclude", "reset", "amount", "year")


def change(
    item: AgendaItem,
    user: User,
    what: str,
    *,
    amount: Decimal | None = None,
    reason: str = "",
    year: int | None = None,
) -> ProgrammingChoice | None:
    """The committee pins, excludes, resets a dossier, or gives it another amount or year."""
    if what not in CHOICES:
        raise CommitteeError("Choisissez une modification de la proposition.", "what")
    with transaction.atomic():
        item = _open_item(item, user, Do.DECIDE)
        if hasattr(item, "decision"):
            raise CommitteeError("Ce dossier a déjà sa décision : modifiez la décision elle-même.")
        choice = ProgrammingChoice.objects.filter(item=item).first() or ProgrammingChoice(
            item=item, changed_by=user
        )
        if what == "reset":
            if choice.pk:
                choice.delete()
            return None
        if what == "pin":
            choice.pinned, choice.excluded = not choice.pinned, False
        elif what == "exclude":
            choice.excluded, choice.pinned = not choice.excluded, False
        elif what == "amount":
            choice.amount, choice.reason = amount_within(item, amount, reason), reason.strip()
        else:
            if year is not None and grants.position(item.meeting.call, year) is None:
                raise CommitteeError(f"L’appel n’a pas d’enveloppe pour l’année {year}.", "year")
            choice.year = year
        choice.changed_at, choice.changed_by = clock.now(), user
        choice.save()
    return choice


def adopt(meeting: Meeting, user: User, item_ids: list[int] | None = None) -> list[Decision]:
    """Record the proposal as the committee's decisions: the dossiers it retains (those named,
    or all of them) on its year and amount; adopting all of it also puts its waiting list in
    order. The other dossiers keep waiting for their decision (a refusal needs its reason)."""
    with transaction.atomic():
        current = programming(meeting)
        if current.proposal is None:
            raise CommitteeError(current.error or "Aucune proposition à adopter.")
        wanted = set(item_ids) if item_ids is not None else None
        decisions = []
        for line in current.adoptable:
            if wanted is not None and line.item.pk not in wanted:
                continue
            assert line.retained is not None
            choice = line.choice
            decisions.append(
                decide(
                    line.item, user,
                    DecisionInput(
                        Outcome.RETAINED, amount=line.retained.amount, year=line.retained.year,
                        reason=choice.reason if choice is not None else "",
                    ),
                )
            )  # fmt: skip
        if wanted is None:
            for line in current.waiting:
                if line.decision is None and line.waiting is not None:
                    decisions.append(
                        decide(
                            line.item, user,
                            DecisionInput(Outcome.WAITING_LIST, waiting_rank=line.waiting.rank),
                        )
                    )  # fmt: skip
        if not decisions:
            raise CommitteeError("La proposition ne retient aucun dossier encore à décider.")
    return decisions
