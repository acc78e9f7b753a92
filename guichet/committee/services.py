"""The committee's meetings, from the convocation to the closing (rule COMMITTEE).

Every function checks who asks (the manager prepares and convenes, the chair opens and closes,
members declare conflicts, vote and decide), locks the meeting's row, reads its state again and
refuses in French (``CommitteeError``, with the field when a form has one). Closing is one
transaction: grants committed through ``grants.services.commit`` (which refuses an envelope that
would go below zero), every dossier moved through the state table, the minutes written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Max, Q, QuerySet, Sum

from guichet import clock
from guichet.accounts import history
from guichet.calls.models import Call, CollectionSession
from guichet.dossiers import services as dossiers
from guichet.dossiers.models import Dossier, Event, EventKind
from guichet.dossiers.workflow import BEFORE_COMMITTEE, Action
from guichet.grants import services as grants
from guichet.review.models import AgentRole, Role
from guichet.review.permissions import Do, can, can_in_call, chairs
from guichet.rules.money import format_euros

from . import waiting
from .models import (
    AgendaItem,
    Attendance,
    ConflictOfInterest,
    Decision,
    Meeting,
    MeetingStatus,
    Outcome,
    Vote,
    VoteChoice,
)

if TYPE_CHECKING:
    from guichet.accounts.models import User


class CommitteeError(Exception):
    """What the committee's services refuse; ``str`` is French, ``field`` names a form field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class MeetingNotFound(LookupError):
    """No such meeting for this agent (the views answer 404)."""


# ---------------------------------------------------------------- reading


def meetings_for(user: User, call: Call) -> QuerySet[Meeting]:
    if not can_in_call(user, Do.VIEW, call):
        return Meeting.objects.none()
    return Meeting.objects.filter(call=call).order_by("-starts_at")


def get_meeting(user: User, call: Call, number: int) -> Meeting:
    meeting = meetings_for(user, call).filter(number=number).first()
    if meeting is None:
        raise MeetingNotFound
    return meeting


def members(call: Call) -> list[AgentRole]:
    """The committee: the call's agents with the committee role, the chair first."""
    return list(
        AgentRole.objects.filter(call=call, role=Role.COMMITTEE, user__is_active=True)
        .select_related("user")
        .order_by("-chair", "user__last_name", "user__first_name", "user__email")
    )


def candidates(meeting: Meeting) -> QuerySet[Dossier]:
    """What may go on the agenda: the call's dossiers proposed to the committee in the meeting's
    collection sessions, and those postponed or on the waiting list from any session, that no
    other meeting still to be closed has on its agenda."""
    sessions = list(meeting.sessions.values_list("pk", flat=True))
    busy = AgendaItem.objects.filter(
        ~Q(meeting=meeting), ~Q(meeting__status=MeetingStatus.CLOSED), meeting__call=meeting.call
    ).values("dossier_id")
    return (
        Dossier.objects.filter(call=meeting.call, state__in=[s.value for s in BEFORE_COMMITTEE])
        .filter(Q(session_id__in=sessions) | ~Q(state="proposed"))
        .exclude(pk__in=busy)
        .order_by("number")
    )


def weighted_score(dossier: Dossier) -> Decimal | None:
    """The dossier's weighted review score, as the list shows it (None when not scored)."""
    return dossier.score_average


def is_small(dossier: Dossier) -> bool:
    """Small or medium collectivité for the call's priority (rule PRIORITY-SIZE)."""
    from guichet.rules import programming

    return programming.is_small(dossier.call.rules, dossier.applicant_kind, dossier.population_used)


@dataclass(frozen=True)
class Tally:
    """The votes on one agenda item, members in conflict left out of the count."""

    for_: int
    against: int
    abstain: int
    voters: int  # present members not in conflict


def tally(item: AgendaItem) -> Tally:
    conflicted = set(item.conflicts.values_list("member_id", flat=True))
    present = set(item.meeting.attendance.filter(present=True).values_list("member_id", flat=True))
    votes = [v for v in item.votes.all() if v.member_id not in conflicted]
    count = {c: sum(1 for v in votes if v.choice == c) for c in VoteChoice}
    return Tally(
        for_=count[VoteChoice.FOR],
        against=count[VoteChoice.AGAINST],
        abstain=count[VoteChoice.ABSTAIN],
        voters=len(present - conflicted),
    )


def pending_by_year(meeting: Meeting, *, excluding: AgendaItem | None = None) -> dict[int, Decimal]:
    """What the meeting's retained decisions will commit per year once it is closed."""
    rows = Decision.objects.filter(item__meeting=meeting, outcome=Outcome.RETAINED)
    if excluding is not None:
        rows = rows.exclude(item=excluding)
    return {r["year"]: r["total"] for r in rows.values("year").annotate(total=Sum("amount"))}


def left_by_year(meeting: Meeting) -> dict[int, Decimal]:
    """What each envelope year would have left if the meeting closed now."""
    pending = pending_by_year(meeting)
    return {
        p.year: p.remaining - pending.get(p.year, Decimal(0))
        for p in grants.positions(meeting.call)
    }


# ---------------------------------------------------------------- preparing


def _history(dossier: Dossier, user: User, summary: str, message: str = "") -> None:
    """A line of the dossier's history for the préfecture (the applicant's history leaves the
    committee's deliberation out; the decision itself appears when the meeting is closed)."""
    Event.objects.create(
        dossier=dossier, at=clock.now(), actor=user, kind=EventKind.COMMITTEE,
        summary=summary[:300], message=message,
    )  # fmt: skip


def _require(allowed: bool) -> None:
    if not allowed:
        raise CommitteeError("Votre rôle ne permet pas cette action sur cette séance.")


def _locked(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_for_update(of=("self",)).select_related("call").get(pk=meeting.pk)


def _status(meeting: Meeting, *allowed: MeetingStatus) -> None:
    if meeting.status not in allowed:
        messages = {
            MeetingStatus.DRAFT: "La séance n’est pas encore convoquée.",
            MeetingStatus.CONVENED: "La séance est convoquée : son ordre du jour est arrêté.",
            MeetingStatus.OPEN: "La séance est ouverte.",
            MeetingStatus.CLOSED: "La séance est close : ses décisions ne se modifient plus. "
            "Une correction est une décision d’une séance suivante.",
        }
        raise CommitteeError(messages[MeetingStatus(meeting.status)])


def _check_details(
    call: Call,
    starts_at: dt.datetime | None,
    place: str,
    video_url: str,
    sessions: Sequence[CollectionSession],
) -> None:
    if starts_at is None:
        raise CommitteeError("Indiquez la date et l’heure de la séance.", "starts_at")
    if starts_at.tzinfo is None:
        raise CommitteeError("L’heure de la séance doit être une heure de Paris.", "starts_at")
    if not place.strip() and not video_url.strip():
        raise CommitteeError("Indiquez un lieu ou un lien de visioconférence.", "place")
    if not sessions:
        raise CommitteeError("Choisissez au moins une session de relevé.", "sessions")
    if any(s.call_id != call.pk for s in sessions):
        raise CommitteeError("Une session choisie n’est pas de cet appel.", "sessions")


def create_meeting(
    call: Call,
    user: User,
    *,
    starts_at: dt.datetime | None,
    place: str = "",
    video_url: str = "",
    sessions: Sequence[CollectionSession] = (),
) -> Meeting:
    _require(can_in_call(user, Do.CONVENE, call))
    _check_details(call, starts_at, place, video_url, sessions)
    with transaction.atomic():
        # The call's meetings are numbered in order: lock the call's existing meetings' rows.
        last = (
            Meeting.objects.select_for_update(of=("self",))
            .filter(call=call)
            .aggregate(n=Max("number"))["n"]
        )
        meeting = Meeting.objects.create(
            call=call,
            number=(last or 0) + 1,
            starts_at=starts_at,
            place=place.strip(),
            video_url=video_url.strip(),
            created_by=user,
            created_at=clock.now(),
        )
        meeting.sessions.set(sessions)
    return meeting


def update_meeting(
    meeting: Meeting,
    user: User,
    *,
    starts_at: dt.datetime | None,
    place: str = "",
    video_url: str = "",
    sessions: Sequence[CollectionSession] = (),
) -> Meeting:
    _require(can_in_call(user, Do.CONVENE, meeting.call))
    _check_details(meeting.call, starts_at, place, video_url, sessions)
    with transaction.atomic():
        locked = _locked(meeting)
        _status(locked, MeetingStatus.DRAFT)
        locked.starts_at, locked.place, locked.video_url = (
            starts_at,
            place.strip(),
            video_url.strip(),
        )
        locked.save(update_fields=["starts_at", "place", "video_url"])
        locked.sessions.set(sessions)
    return locked


def _snapshot(item: AgendaItem, dossier: Dossier) -> None:
    item.maximum_amount = dossier.maximum_amount
    item.proposed_amount = dossier.proposed_amount
    item.score = weighted_score(dossier)
    item.opinion = dossier.opinion
    item.small = is_small(dossier)


def set_agenda(meeting: Meeting, user: User, dossier_ids: Iterable[int]) -> list[AgendaItem]:
    """The agenda is exactly these dossiers, in this order (while the meeting is prepared)."""
    _require(can_in_call(user, Do.CONVENE, meeting.call))
    wanted = list(dict.fromkeys(int(pk) for pk in dossier_ids))
    with transaction.atomic():
        locked = _locked(meeting)
        _status(locked, MeetingStatus.DRAFT)
        allowed = {d.pk: d for d in candidates(locked).filter(pk__in=wanted)}
        if len(allowed) != len(wanted):
            raise CommitteeError(
                "Un dossier choisi ne peut pas être inscrit : il n’est plus proposé au comité, ou "
                "une autre séance l’a déjà à son ordre du jour.",
                "dossiers",
            )
        locked.items.all().delete()
        items = []
        for position, pk in enumerate(wanted, start=1):
            item = AgendaItem(meeting=locked, dossier=allowed[pk], position=position)
            _snapshot(item, allowed[pk])
            items.append(item)
        AgendaItem.objects.bulk_create(items)
        waiting.follow_agenda(locked, set(allowed))
    return items


def convocation_problem(meeting: Meeting, now: dt.datetime | None = None) -> str | None:
    """Why the convocation cannot be sent now, or None: an empty agenda, a meeting in the past,
    or fewer clear days than the call requires (the day of sending and the meeting's day are not
    counted, as for DETR's five clear days)."""
    now = now or clock.now()
    if not meeting.items.exists():
        return "L’ordre du jour est vide : inscrivez au moins un dossier."
    if meeting.starts_at <= now:
        return "La séance est passée : changez sa date avant de convoquer."
    if not members(meeting.call):
        return "Le comité n’a aucun membre : invitez-les dans « Agents de l’appel »."
    days = meeting.call.rules.committee.convocation_clear_days
    if days:
        zone = ZoneInfo(meeting.call.rules.timezone)
        clear = (meeting.starts_at.astimezone(zone).date() - now.astimezone(zone).date()).days - 1
        if clear < days:
            return (
                f"L’appel exige {days} jours francs entre la convocation et la séance : "
                f"il n’en reste que {max(clear, 0)}."
            )
    return None


def convene(meeting: Meeting, user: User, *, meeting_url: str = "") -> Meeting:
    """Send the convocation: the agenda is frozen (each item's figures taken again now), the
    summary note written, and every member receives both by e-mail."""
    from . import documents

    _require(can_in_call(user, Do.CONVENE, meeting.call))
    with transaction.atomic():
        locked = _locked(meeting)
        _status(locked, MeetingStatus.DRAFT)
        problem = convocation_problem(locked)
        if problem:
            raise CommitteeError(problem)
        items = list(locked.items.select_related("dossier__call"))
        for item in items:
            if item.dossier.state not in BEFORE_COMMITTEE:
                raise CommitteeError(
                    f"Le dossier {item.dossier.number} n’est plus proposé au comité : "
                    "retirez-le de l’ordre du jour."
                )
            _snapshot(item, item.dossier)
        AgendaItem.objects.bulk_update(
            items, ["maximum_amount", "proposed_amount", "score", "opinion", "small"]
        )
        locked.status = MeetingStatus.CONVENED
        locked.convened_at = clock.now()
        locked.convened_by = user
        locked.save(update_fields=["status", "convened_at", "convened_by"])
        for item in items:
            _history(
                item.dossier, user,
                f"Inscrit à l’ordre du jour de la séance n° {locked.number} du comité "
                f"({long_moment(locked)})",
            )  # fmt: skip
        note = documents.store_summary_note(locked)
        documents.send_convocation(locked, note, meeting_url=meeting_url)
    return locked


# ---------------------------------------------------------------- holding the meeting


def open_meeting(meeting: Meeting, user: User, present: Iterable[int]) -> Meeting:
    """The chair opens the meeting and records who is present (the chair among them)."""
    _require(chairs(user, meeting.call))
    present_ids = {int(pk) for pk in present}
    with transaction.atomic():
        locked = _locked(meeting)
        _status(locked, MeetingStatus.CONVENED)
        zone = ZoneInfo(locked.call.rules.timezone)
        if clock.now().astimezone(zone).date() < locked.starts_at.astimezone(zone).date():
            raise CommitteeError("La séance ne s’ouvre qu’à sa date.")
        roster = members(locked.call)
        unknown = present_ids - {r.user_id for r in roster}
        if unknown:
            raise CommitteeError("Une personne cochée n’est pas membre du comité.", "present")
        if user.pk not in present_ids:
            raise CommitteeError("Le président de séance doit être présent.", "present")
        Attendance.objects.bulk_create(
            [
                Attendance(
                    meeting=locked,
                    member=r.user,
                    member_label=history.label(r.user, with_email=False),
                    is_chair=r.user_id == user.pk,
                    present=r.user_id in present_ids,
                )
                for r in roster
            ]
        )
        locked.status = MeetingStatus.OPEN
        locked.opened_at = clock.now()
        locked.chair = user
        locked.chair_label = history.label(user, with_email=False)
        locked.envelopes_before = _envelopes(locked.call)
        locked.save(
            update_fields=["status", "opened_at", "chair", "chair_label", "envelopes_before"]
        )
    return locked


def _open_item(item: AgendaItem, user: User, action: Do) -> AgendaItem:
    """The item of an open meeting, for a present member allowed to ``action`` on it."""
    meeting = _locked(item.meeting)
    _status(meeting, MeetingStatus.OPEN)
    if not can(user, action, item.dossier):
        raise CommitteeError("Votre rôle ne permet pas cette action sur ce dossier.")
    if not meeting.attendance.filter(member=user, present=True).exists():
        raise CommitteeError("Seuls les membres présents prennent part à la séance.")
    item.meeting = meeting
    return item


def _in_conflict(item: AgendaItem, user: User) -> bool:
    return item.conflicts.filter(member=user).exists()


def declare_conflict(item: AgendaItem, user: User, reason: str = "") -> ConflictOfInterest:
    """A member declares a conflict of interest on one dossier: their vote on it, if any, is
    struck out, and they take no further part in it."""
    with transaction.atomic():
        item = _open_item(item, user, Do.VOTE)
        if hasattr(item, "decision") and item.decision.recorded_by_id == user.pk:
            raise CommitteeError(
                "Vous avez enregistré la décision sur ce dossier : demandez à un autre membre "
                "de la reprendre avant de déclarer un conflit d’intérêts."
            )
        conflict, _ = ConflictOfInterest.objects.get_or_create(
            item=item,
            member=user,
            defaults={
                "member_label": history.label(user, with_email=False),
                "reason": reason.strip()[:500],
                "declared_at": clock.now(),
            },
        )
        Vote.objects.filter(item=item, member=user).delete()
        _history(
            item.dossier, user,
            f"Conflit d’intérêts déclaré en séance n° {item.meeting.number}",
            conflict.reason,
        )  # fmt: skip
    return conflict


def vote(item: AgendaItem, user: User, choice: str) -> Vote:
    if choice not in VoteChoice.values:
        raise CommitteeError("Choisissez pour, contre ou abstention.", "choice")
    with transaction.atomic():
        item = _open_item(item, user, Do.VOTE)
        if _in_conflict(item, user):
            raise CommitteeError(
                "Vous avez déclaré un conflit d’intérêts sur ce dossier : vous ne votez pas."
            )
        cast, _ = Vote.objects.update_or_create(
            item=item,
            member=user,
            defaults={
                "choice": choice,
                "member_label": history.label(user, with_email=False),
                "at": clock.now(),
            },
        )
    return cast


@dataclass(frozen=True)
class DecisionInput:
    outcome: str
    amount: Decimal | None = None
    year: int | None = None
    reason: str = ""
    waiting_rank: int | None = None
    consensus: bool = True


def decide(item: AgendaItem, user: User, data: DecisionInput) -> Decision:
    """Record (or record again) the committee's decision on one dossier of the open meeting."""
    with transaction.atomic():
        item = _open_item(item, user, Do.DECIDE)
        if _in_conflict(item, user):
            raise CommitteeError(
                "Vous avez déclaré un conflit d’intérêts sur ce dossier : un autre membre "
                "enregistre la décision."
            )
        fields = _checked_decision(item, data)
        decision, _ = Decision.objects.update_or_create(
            item=item,
            defaults={
                **fields,
                "consensus": data.consensus,
                "recorded_at": clock.now(),
                "recorded_by": user,
                "recorded_by_label": history.label(user, with_email=False),
            },
        )
        _history(
            item.dossier, user,
            f"Décision enregistrée en séance n° {item.meeting.number} : {describe(decision)}",
            decision.reason,
        )  # fmt: skip
    return decision


def describe(decision: Decision) -> str:
    """« Retenu, 5 000 € sur l’enveloppe 2021 », « Liste complémentaire, rang 2 »…"""
    text = Outcome(decision.outcome).label
    if decision.amount is not None:
        text += f", {format_euros(decision.amount)} sur l’enveloppe {decision.year}"
    if decision.waiting_rank is not None:
        text += f", rang {decision.waiting_rank}"
    return text


def long_moment(meeting: Meeting) -> str:
    from guichet.rules.timing import french_datetime

    return french_datetime(meeting.starts_at, meeting.call.rules.timezone)


def _checked_decision(item: AgendaItem, data: DecisionInput) -> dict[str, object]:
    reason = data.reason.strip()
    if data.outcome not in Outcome.values:
        raise CommitteeError("Choisissez une décision.", "outcome")
    outcome = Outcome(data.outcome)
    if outcome is Outcome.RETAINED:
        return {
            "outcome": outcome,
            "amount": _checked_amount(item, data, reason),
            "year": data.year,
            "reason": reason,
            "waiting_rank": None,
        }
    if outcome is Outcome.REFUSED and not reason:
        raise CommitteeError(
            "Donnez le motif du refus : il est communiqué à la collectivité.", "reason"
        )
    rank = None
    if outcome is Outcome.WAITING_LIST:
        rank = data.waiting_rank
        if rank is None:
            taken = Decision.objects.filter(
                item__meeting=item.meeting, outcome=Outcome.WAITING_LIST
            ).exclude(item=item)
            rank = (taken.aggregate(r=Max("waiting_rank"))["r"] or 0) + 1
        elif rank < 1:
            raise CommitteeError("Le rang commence à 1.", "waiting_rank")
    return {"outcome": outcome, "amount": None, "year": None, "reason": reason,
            "waiting_rank": rank}  # fmt: skip


def amount_within(item: AgendaItem, amount: Decimal | None, reason: str) -> Decimal:
    """An amount the committee may give this dossier: above zero, at most its maximum, and
    motivated when below the proposal (shared by the decision and the programming's changes)."""
    if amount is None or amount <= 0:
        raise CommitteeError("Indiquez le montant retenu, en euros.", "amount")
    maximum = item.maximum_amount
    if maximum is None:
        raise CommitteeError(
            "Le montant maximal de ce dossier est inconnu : il ne peut pas être retenu.", "amount"
        )
    if amount > maximum:
        raise CommitteeError(
            f"Le montant retenu ({format_euros(amount)}) dépasse le maximum du dossier "
            f"({format_euros(maximum)}).",
            "amount",
        )
    proposed = item.proposed_amount if item.proposed_amount is not None else maximum
    if amount < proposed and not reason.strip():
        raise CommitteeError(
            f"Un montant inférieur à la proposition ({format_euros(proposed)}) doit être motivé.",
            "reason",
        )
    return amount


def _checked_amount(item: AgendaItem, data: DecisionInput, reason: str) -> Decimal:
    amount, year = amount_within(item, data.amount, reason), data.year
    if year is None:
        raise CommitteeError("Choisissez l’enveloppe (année) sur laquelle imputer.", "year")
    position = grants.position(item.meeting.call, year)
    if position is None:
        raise CommitteeError(f"L’appel n’a pas d’enveloppe pour l’année {year}.", "year")
    left = position.remaining - pending_by_year(item.meeting, excluding=item).get(year, Decimal(0))
    if amount > left:
        raise CommitteeError(
            f"L’enveloppe {year} ne permet pas de retenir {format_euros(amount)} : il reste "
            f"{format_euros(left)} une fois comptés les dossiers déjà retenus dans cette séance.",
            "amount",
        )
    return amount


def _envelopes(call: Call) -> dict[str, dict[str, str]]:
    return {
        str(p.year): {"amount": str(p.amount), "committed": str(p.net_committed),
                      "remaining": str(p.remaining)}
        for p in grants.positions(call)
    }  # fmt: skip


def close_meeting(meeting: Meeting, user: User) -> Meeting:
    """The chair closes the meeting: every decision takes effect in one transaction (grants
    committed, dossiers moved), the minutes are written, and the meeting is read-only."""
    from . import documents

    _require(chairs(user, meeting.call))
    with transaction.atomic():
        locked = _locked(meeting)
        _status(locked, MeetingStatus.OPEN)
        items = list(locked.items.select_related("dossier__call", "decision").order_by("position"))
        undecided = [i.dossier.number for i in items if not hasattr(i, "decision")]
        if undecided:
            raise CommitteeError(
                "Chaque dossier inscrit doit avoir sa décision avant la clôture : "
                + ", ".join(str(n) for n in undecided)
                + "."
            )
        when = clock.now()
        for item in items:
            _take_effect(locked, item, item.decision, user)
        locked.status = MeetingStatus.CLOSED
        locked.closed_at = when
        locked.envelopes_after = _envelopes(locked.call)
        locked.save(update_fields=["status", "closed_at", "envelopes_after"])
        documents.store_minutes(locked)
    return locked


def _take_effect(meeting: Meeting, item: AgendaItem, decision: Decision, user: User) -> None:
    dossier = item.dossier
    where = f"séance n° {meeting.number} du comité de sélection"
    if decision.outcome == Outcome.RETAINED:
        assert decision.amount is not None and decision.year is not None
        try:
            grant = grants.commit(dossier, decision.year, decision.amount, user)
        except grants.EnvelopeRefused as exc:
            raise CommitteeError(f"Dossier {dossier.number} : {exc}") from None
        decision.grant = grant
        decision.save(update_fields=["grant"])
        dossiers.record_committee_decision(
            dossier, user, Action.ACCEPT, f"Dossier retenu ({where})",
            f"Subvention de {format_euros(decision.amount)} sur l’enveloppe {decision.year}."
            + (f" {decision.reason}" if decision.reason else ""),
        )  # fmt: skip
    elif decision.outcome == Outcome.REFUSED:
        dossiers.record_committee_decision(
            dossier, user, Action.REFUSE, f"Dossier refusé ({where})", decision.reason
        )
    elif decision.outcome == Outcome.POSTPONED:
        dossiers.record_committee_decision(
            dossier, user, Action.POSTPONE, f"Dossier ajourné à la séance suivante ({where})",
            decision.reason,
        )  # fmt: skip
    else:
        dossiers.record_committee_decision(
            dossier, user, Action.WAIT_LIST,
            f"Dossier inscrit en liste complémentaire, rang {decision.waiting_rank} ({where})",
            decision.reason,
        )  # fmt: skip
