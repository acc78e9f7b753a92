"""The préfecture's work on a dossier: routing, assignment, scores, opinion and proposal, notes,
population corrections, and the same actions in bulk.

Each function checks the agent's right (``permissions.can``), changes the dossier in one
transaction and writes the history line; a dossier the agent may not see raises DossierNotFound.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.db import transaction

from guichet import clock
from guichet.dossiers import services as dossiers
from guichet.dossiers.models import Dossier, Event, actor_label
from guichet.dossiers.workflow import State, TransitionRefused
from guichet.rules.grants import ModulationError, modulate
from guichet.rules.money import format_euros, format_int
from guichet.rules.parameters import ScoringGrid

from .models import (
    Assignment,
    Opinion,
    OpinionKind,
    PrivateNote,
    Score,
    ScoreVersion,
)
from .permissions import Do, can, covers_arrondissement

if TYPE_CHECKING:
    from guichet.accounts.models import User


class ReviewRefused(Exception):
    """The action is refused; ``field`` names the form field the message belongs to."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _require(user: User, action: Do, dossier: Dossier) -> None:
    if not can(user, action, dossier):
        if can(user, Do.VIEW, dossier):
            raise ReviewRefused("Votre rôle ne permet pas cette action sur ce dossier.")
        raise dossiers.DossierNotFound


# ---------------------------------------------------------------- routing and assignment


def route(dossier: Dossier) -> Assignment:
    """At submission: the dossier goes to its arrondissement's team (the préfecture's when none)."""
    return Assignment.objects.create(
        dossier=dossier, arrondissement_code=dossier.arrondissement_code
    )


def assign(
    dossier: Dossier,
    user: User,
    *,
    reviewer: User | None,
    arrondissement_code: str | None = None,
    reason: str = "",
) -> Assignment:
    """Give the dossier to a reviewer (or to nobody), and possibly to another arrondissement.

    Reviewers may take a dossier for themselves; programme managers assign anyone anywhere.
    """
    manager = can(user, Do.ASSIGN, dossier)
    if not manager:
        _require(user, Do.START_REVIEW, dossier)
        if (reviewer is not None and reviewer != user) or arrondissement_code is not None:
            raise ReviewRefused(
                "Seul un gestionnaire de l’appel peut affecter un dossier à un autre agent."
            )
    code = dossier.arrondissement_code if arrondissement_code is None else arrondissement_code
    if reviewer is not None and not covers_arrondissement(
        reviewer, dossier.call_id, Do.START_REVIEW, code
    ):
        raise ReviewRefused(
            f"{reviewer} n’instruit pas les dossiers de cet arrondissement.", "reviewer"
        )
    with transaction.atomic():
        locked = Dossier.objects.select_for_update().get(pk=dossier.pk)
        now = clock.now()
        Assignment.objects.filter(dossier=locked, ended_at__isnull=True).update(ended_at=now)
        assignment = Assignment.objects.create(
            dossier=locked,
            arrondissement_code=code,
            reviewer=reviewer,
            assigned_by=user,
            assigned_at=now,
            reason=reason,
        )
        changes = {}
        if locked.arrondissement_code != code:
            changes["Arrondissement"] = [
                locked.arrondissement_code or "préfecture",
                code or "préfecture",
            ]
        if locked.assignee_id != (reviewer.pk if reviewer else None):
            changes["Instructeur"] = [str(locked.assignee or "—"), str(reviewer or "—")]
        locked.arrondissement_code, locked.assignee = code, reviewer
        locked.save(update_fields=["arrondissement_code", "assignee", "saved_at"])
        Event.objects.create(
            dossier=locked, actor=user, at=now, kind="assignment", summary="Affectation modifiée",
            message=reason, changes=changes,
        )  # fmt: skip
    dossier.arrondissement_code, dossier.assignee = code, reviewer
    return assignment


# ---------------------------------------------------------------- scoring


@dataclass(frozen=True)
class ScoreInput:
    value: int
    comment: str = ""


def weighted_average(values: Mapping[str, int], grid: ScoringGrid) -> Decimal | None:
    """The weighted mean of one reviewer's marks over the grid (None until every criterion is marked)."""
    total_weight = sum((c.weight for c in grid.criteria), Decimal(0))
    if not grid.criteria or any(c.code not in values for c in grid.criteria) or not total_weight:
        return None
    total = sum((c.weight * values[c.code] for c in grid.criteria), Decimal(0))
    return (total / total_weight).quantize(Decimal("0.01"), ROUND_HALF_UP)


def reviewer_averages(dossier: Dossier) -> dict[int, Decimal]:
    """Each reviewer's weighted average on this dossier (only complete gradings)."""
    grid = dossier.call.rules.scoring
    by_reviewer: dict[int, dict[str, int]] = {}
    for s in dossier.scores.all():
        by_reviewer.setdefault(s.reviewer_id, {})[s.criterion] = s.value
    averages = {}
    for reviewer_id, values in by_reviewer.items():
        avg = weighted_average(values, grid)
        if avg is not None:
            averages[reviewer_id] = avg
    return averages


def score(dossier: Dossier, user: User, marks: Mapping[str, ScoreInput]) -> Decimal | None:
    """Record ``user``'s marks (criterion code → mark and comment); returns the dossier's average."""
    _require(user, Do.SCORE, dossier)
    if dossier.state not in (State.SUBMITTED, State.IN_REVIEW, State.PROPOSED):
        raise ReviewRefused(f"Un dossier à l’état « {dossier.state_label} » ne se note pas.")
    grid = dossier.call.rules.scoring
    codes = {c.code for c in grid.criteria}
    for code, mark in marks.items():
        if code not in codes:
            raise ReviewRefused(f"Critère inconnu : « {code} ».", code)
        if not grid.scale_min <= mark.value <= grid.scale_max:
            raise ReviewRefused(
                f"La note doit être comprise entre {grid.scale_min} et {grid.scale_max}.", code
            )
    with transaction.atomic():
        locked = (
            Dossier.objects.select_for_update(of=("self",))
            .select_related("call")
            .get(pk=dossier.pk)
        )
        if locked.state not in (State.SUBMITTED, State.IN_REVIEW, State.PROPOSED):
            raise ReviewRefused(f"Un dossier à l’état « {locked.state_label} » ne se note pas.")
        now = clock.now()
        current = {s.criterion: s for s in Score.objects.filter(dossier=locked, reviewer=user)}
        label = actor_label(user)
        for code, mark in marks.items():
            comment = mark.comment.strip()
            existing = current.get(code)
            if existing is None:
                Score.objects.create(
                    dossier=locked, reviewer=user, criterion=code, value=mark.value,
                    comment=comment, scored_at=now,
                )  # fmt: skip
            elif (existing.value, existing.comment) != (mark.value, comment):
                # Re-scoring keeps the replaced mark as a previous version.
                ScoreVersion.objects.create(
                    dossier=locked, reviewer=user, reviewer_label=label, criterion=code,
                    value=existing.value, comment=existing.comment,
                    scored_at=existing.scored_at, replaced_at=now,
                )  # fmt: skip
                existing.value, existing.comment, existing.scored_at = mark.value, comment, now
                existing.save(update_fields=["value", "comment", "scored_at"])
        averages = reviewer_averages(locked).values()
        locked.score_average = (
            (sum(averages, Decimal(0)) / len(averages)).quantize(Decimal("0.01"), ROUND_HALF_UP)
            if averages
            else None
        )
        locked.save(update_fields=["score_average", "saved_at"])
        Event.objects.create(
            dossier=locked, actor=user, at=now, kind="review", summary="Notation enregistrée"
        )
    dossier.score_average = locked.score_average
    return locked.score_average


# ---------------------------------------------------------------- opinion and proposal


def propose(
    dossier: Dossier,
    user: User,
    *,
    kind: str,
    amount: Decimal,
    justification: str,
    without_scores: bool = False,
) -> Opinion:
    """The reviewer's opinion and proposed amount; the dossier goes to the committee.

    The amount is never above the maximum the rules allow (recomputed now), and a lower amount
    needs a justification (modulation). A dossier that no reviewer has fully scored is proposed
    only when ``without_scores`` says so (the reviewer ticked « sans notation »).

    The opinion, the dossier's amount and its state change are one transaction on the locked
    dossier: a second reviewer proposing at the same moment waits, then finds the dossier
    proposed and is refused; the same reviewer's second identical click gets the first opinion
    back instead of a second one.
    """
    _require(user, Do.PROPOSE, dossier)
    if kind not in OpinionKind.values:
        raise ReviewRefused("Choisissez un avis : favorable, réservé ou défavorable.", "kind")
    justification = justification.strip()
    with transaction.atomic():
        locked = (
            Dossier.objects.select_for_update(of=("self",))
            .select_related("call")
            .get(pk=dossier.pk)
        )
        if locked.state != State.IN_REVIEW:
            repeated = _same_latest_opinion(locked, user, kind, amount, justification)
            if repeated is not None:
                return repeated
            raise ReviewRefused(
                "Seul un dossier en instruction peut être proposé au comité "
                f"(état : « {locked.state_label} »)."
            )
        verdict = dossiers.verdict(locked)
        maximum = verdict.amount
        if not verdict.eligible and kind == OpinionKind.FAVOURABLE:
            raise ReviewRefused(
                "Un dossier qui ne respecte pas les règles de l’appel ne peut recevoir un avis "
                "favorable.",
                "kind",
            )
        try:
            modulate(maximum, amount, justification)
        except ModulationError as exc:
            field = "justification" if amount <= maximum else "amount"
            raise ReviewRefused(str(exc), field) from None
        if locked.score_average is None and not without_scores:
            raise ReviewRefused(
                "Aucun instructeur n’a encore rempli toute la grille de notation : notez le "
                "dossier, ou cochez « Je propose ce dossier sans notation ».",
                "without_scores",
            )
        opinion = Opinion.objects.create(
            dossier=locked, reviewer=user, kind=kind, proposed_amount=amount, maximum_amount=maximum,
            justification=justification,
        )  # fmt: skip
        locked.opinion, locked.proposed_amount = kind, amount
        locked.save(update_fields=["opinion", "proposed_amount", "saved_at"])
        message = (
            f"Avis {opinion.get_kind_display().lower()}, montant proposé {format_euros(amount)}"
        )
        if locked.score_average is None:
            message += " (sans notation complète)"
        if justification:
            message += f" : {justification}"
        dossiers.propose(locked, user, message)
    dossier.refresh_from_db()
    return opinion


def _same_latest_opinion(
    dossier: Dossier, user: User, kind: str, amount: Decimal, justification: str
) -> Opinion | None:
    """The opinion this request repeats (a double click), if the dossier's latest one is it."""
    latest = dossier.opinions.order_by("-given_at", "-id").first()
    if (
        dossier.state == State.PROPOSED
        and latest is not None
        and latest.reviewer_id == user.pk
        and (latest.kind, latest.proposed_amount, latest.justification)
        == (kind, amount, justification)
    ):
        return latest
    return None


# ---------------------------------------------------------------- notes and population


def add_note(dossier: Dossier, user: User, body: str) -> PrivateNote:
    _require(user, Do.NOTE, dossier)
    if not body.strip():
        raise ReviewRefused("Écrivez la note.", "body")
    return PrivateNote.objects.create(dossier=dossier, author=user, body=body.strip())


def correct_population(
    dossier: Dossier, user: User, population: int, justification: str
) -> Dossier:
    """Replace the reference population used for the flat amount, with a justification.

    The flat amount and the maximum are recomputed; the history keeps the figures before and after.
    """
    _require(user, Do.CORRECT_POPULATION, dossier)
    if dossier.state not in (State.SUBMITTED, State.IN_REVIEW, State.CORRECTION_REQUESTED):
        raise ReviewRefused(
            f"La population ne se corrige plus à l’état « {dossier.state_label} » : "
            "le montant maximal a déjà été proposé au comité.",
            "population",
        )
    if population < 0:
        raise ReviewRefused("La population ne peut pas être négative.", "population")
    if not justification.strip():
        raise ReviewRefused(
            "Justifiez la correction (source, date du recensement…).", "justification"
        )
    with transaction.atomic():
        locked = (
            Dossier.objects.select_for_update(of=("self",))
            .select_related("call")
            .get(pk=dossier.pk)
        )
        before_population, before_flat, before_max = (
            locked.population_used,
            locked.flat_amount,
            locked.maximum_amount,
        )
        locked.population_used = population
        locked.population_justification = justification.strip()
        verdict = dossiers.verdict(locked)
        locked.flat_amount = verdict.flat_amount
        locked.maximum_amount = verdict.amount
        locked.eligible_at_submission = verdict.eligible
        locked.save()
        Event.objects.create(
            dossier=locked, actor=user, at=clock.now(), kind="review", summary="Population corrigée",
            message=justification.strip(),
            changes={
                "Population retenue": [_int(before_population), _int(population)],
                "Forfait": [_euros(before_flat), _euros(verdict.flat_amount)],
                "Montant maximal": [_euros(before_max), _euros(verdict.amount)],
            },
        )  # fmt: skip
    return locked


def _int(value: int | None) -> str:
    return "—" if value is None else format_int(value)


def _euros(value: Decimal | None) -> str:
    return "—" if value is None else format_euros(value)


# ---------------------------------------------------------------- in bulk


@dataclass
class BulkResult:
    done: list[Dossier]
    refused: list[tuple[Dossier, str]]


def bulk(dossiers_: Iterable[Dossier], user: User, action: str, **kwargs: object) -> BulkResult:
    """Apply one action to several dossiers; each one is done or refused with its reason."""
    result = BulkResult([], [])
    for dossier in dossiers_:
        try:
            if action == "start_review":
                dossiers.start_review(dossier, user)
            elif action == "request_correction":
                dossiers.request_correction(dossier, user, str(kwargs["message"]))
            elif action == "assign":
                assign(dossier, user, reviewer=kwargs.get("reviewer"))  # type: ignore[arg-type]
            else:
                raise ValueError(action)
        except (TransitionRefused, ReviewRefused, dossiers.DossierNotFound) as exc:
            result.refused.append((dossier, str(exc) or "Dossier introuvable."))
        else:
            result.done.append(dossier)
    return result
