"""The waiting list's next chance after a lapse (caducité).

A lapse gives a grant's money back to its envelope year. The first dossier of the call's waiting
list (dossiers in state « Liste complémentaire », by the rank of their latest waiting-list
decision) whose amount fits what that year has left is offered to the next meeting: a
``WaitingListOffer``, shown on the committee's home and pre-checked in the agenda of a meeting in
preparation. Money already offered and not yet decided is counted as taken, and a dossier
offered once is not offered again while its offer waits.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import OuterRef, Q, QuerySet, Subquery, Sum

from guichet import clock
from guichet.dossiers.models import Dossier
from guichet.dossiers.workflow import State

from .models import Decision, Meeting, MeetingStatus, Outcome, WaitingListOffer

if TYPE_CHECKING:
    from guichet.accounts.models import User
    from guichet.calls.models import Call
    from guichet.grants.models import Grant

ZERO = Decimal(0)


def _latest(field: str) -> Subquery:
    return Subquery(
        Decision.objects.filter(item__dossier=OuterRef("pk"))
        .order_by("-item__meeting__number", "-pk")
        .values(field)[:1]
    )


def waiting_list(call: Call | int) -> QuerySet[Dossier]:
    """The call's dossiers on the waiting list, in the order of their latest waiting-list rank
    (then the meeting that ranked them, then their number)."""
    return (
        Dossier.objects.filter(call=call, state=State.WAITING_LIST)
        .annotate(
            wl_outcome=_latest("outcome"),
            wl_rank=_latest("waiting_rank"),
            wl_amount=_latest("amount"),
            wl_meeting=_latest("item__meeting__number"),
        )
        .filter(wl_outcome=Outcome.WAITING_LIST)
        .order_by("wl_rank", "wl_meeting", "number")
    )


def amount_of(dossier: Dossier) -> Decimal | None:
    """What the dossier would receive: its latest decision's amount, else the proposal, else the
    maximum the rules allow."""
    for value in (getattr(dossier, "wl_amount", None), dossier.proposed_amount,
                  dossier.maximum_amount):  # fmt: skip
        if value:
            return Decimal(value)
    return None


def _open_offers(call: Call | int) -> QuerySet[WaitingListOffer]:
    """Offers not yet decided: not on an agenda, or on a meeting not yet closed."""
    return WaitingListOffer.objects.filter(
        Q(meeting__isnull=True) | ~Q(meeting__status=MeetingStatus.CLOSED),
        dossier__call=call,
        dossier__state=State.WAITING_LIST,
    )


def offered_money(call: Call | int, year: int) -> Decimal:
    return _open_offers(call).filter(year=year).aggregate(s=Sum("amount"))["s"] or ZERO


@dataclass(frozen=True)
class Chance:
    dossier: Dossier
    amount: Decimal
    left: Decimal  # what the year has left, less what is already offered


def next_in_line(call: Call, year: int) -> Chance | None:
    """The first waiting-list dossier whose amount fits what ``year`` has left now."""
    from guichet.grants.services import position  # grants is below committee: no cycle

    envelope = position(call, year)
    if envelope is None:
        return None
    left = envelope.remaining - offered_money(call, year)
    already = _open_offers(call).values("dossier_id")
    for dossier in waiting_list(call).exclude(pk__in=already):
        amount = amount_of(dossier)
        if amount is not None and amount <= left:
            return Chance(dossier, amount, left)
    return None


def offer_year(grant: Grant) -> int:
    """The envelope year the next meeting can still commit: the lapsed grant's own, unless that
    year is over (a year's money not committed by 31 December is lost to the département), then
    the current year."""
    from guichet.rules.timing import local_date

    this_year = local_date(clock.now(), "Europe/Paris").year
    return max(grant.envelope.year, this_year)


def offer_after_lapse(grant: Grant, freed: Decimal) -> WaitingListOffer | None:
    """Inside the lapse's transaction: offer the freed money to the first dossier it can fund,
    or nothing when none fits (the manager's page says so)."""
    call = grant.dossier.call
    year = offer_year(grant)
    chance = next_in_line(call, year)
    if chance is None or freed <= 0:
        return None
    return WaitingListOffer.objects.create(
        dossier=chance.dossier,
        lapsed_grant=grant,
        year=year,
        amount_freed=freed,
        amount=chance.amount,
        offered_at=clock.now(),
    )


def pending_offers(call: Call | int) -> QuerySet[WaitingListOffer]:
    """The offers still waiting for a decision, with their dossiers and the lapsed grant's."""
    return (
        _open_offers(call)
        .select_related("lapsed_grant__envelope")
        .select_related("dossier", "lapsed_grant__dossier", "meeting")
        .order_by("offered_at", "pk")
    )


def offers_for_agenda(meeting: Meeting) -> dict[int, WaitingListOffer]:
    """The offers a meeting in preparation should show, by dossier: not on an agenda yet, or on
    this one."""
    rows = pending_offers(meeting.call_id).filter(Q(meeting__isnull=True) | Q(meeting=meeting))
    return {o.dossier_id: o for o in rows}


def follow_agenda(meeting: Meeting, dossier_ids: set[int]) -> None:
    """Inside ``set_agenda``'s transaction: an offered dossier put on the agenda takes this
    meeting; one taken off it is offered again to the next."""
    WaitingListOffer.objects.filter(meeting=meeting).exclude(dossier_id__in=dossier_ids).update(
        meeting=None
    )
    WaitingListOffer.objects.filter(
        meeting__isnull=True, dossier_id__in=dossier_ids, dossier__state=State.WAITING_LIST
    ).update(meeting=meeting)


def offers_seen_by(user: User, call: Call) -> list[WaitingListOffer]:
    """The pending offers of the dossiers ``user`` may see (a reviewer: his arrondissements)."""
    from guichet.review.permissions import visible_dossiers

    return list(pending_offers(call).filter(dossier__in=visible_dossiers(user, call).values("pk")))
