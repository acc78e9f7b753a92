"""A dossier's lifecycle as one table of transitions.

Nothing else in the code assigns a state: services call ``transition`` (in ``services``), which
looks the move up here, checks who is asking, and refuses anything the table does not list.
This module is pure data and imports nothing from Django.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    CORRECTION_REQUESTED = "correction_requested"
    PROPOSED = "proposed"
    POSTPONED = "postponed"
    WAITING_LIST = "waiting_list"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    # After the decision (grants.postaward): the engagement validated, paid in part, paid in
    # full, or lapsed for want of a validated engagement by the call's deadline.
    ENGAGED = "engaged"
    PARTLY_PAID = "partly_paid"
    PAID = "paid"
    LAPSED = "lapsed"


STATE_LABELS: dict[State, str] = {
    State.DRAFT: "Brouillon",
    State.SUBMITTED: "Déposé",
    State.IN_REVIEW: "En instruction",
    State.CORRECTION_REQUESTED: "En attente de corrections",
    State.PROPOSED: "Proposé au comité",
    State.POSTPONED: "Ajourné",
    State.WAITING_LIST: "Liste complémentaire",
    State.ACCEPTED: "Accepté",
    State.REFUSED: "Refusé",
    State.WITHDRAWN: "Retiré",
    State.ENGAGED: "Engagé",
    State.PARTLY_PAID: "Partiellement versé",
    State.PAID: "Versé",
    State.LAPSED: "Caduc",
}

# DSFR badge colour per state (fr-badge--<suffix>).
STATE_BADGES: dict[State, str] = {
    State.DRAFT: "new",
    State.SUBMITTED: "info",
    State.IN_REVIEW: "info",
    State.CORRECTION_REQUESTED: "warning",
    State.PROPOSED: "info",
    State.POSTPONED: "warning",
    State.WAITING_LIST: "new",
    State.ACCEPTED: "success",
    State.REFUSED: "error",
    State.WITHDRAWN: "",
    State.ENGAGED: "success",
    State.PARTLY_PAID: "success",
    State.PAID: "success",
    State.LAPSED: "error",
}


class Actor(StrEnum):
    APPLICANT = "applicant"  # a member of the dossier's team
    REVIEWER = "reviewer"  # an agent of the préfecture who reviews the call's dossiers
    COMMITTEE = "committee"


class Action(StrEnum):
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    START_REVIEW = "start_review"
    REQUEST_CORRECTION = "request_correction"
    RESUBMIT = "resubmit"
    PROPOSE = "propose"
    ACCEPT = "accept"
    REFUSE = "refuse"
    POSTPONE = "postpone"
    WAIT_LIST = "wait_list"
    VALIDATE_ENGAGEMENT = "validate_engagement"
    PAY_PART = "pay_part"
    PAY_OFF = "pay_off"
    LAPSE = "lapse"


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: frozenset[State]
    target: State
    actor: Actor
    label: str


# The states in which a dossier may be put on a committee meeting's agenda and decided there.
BEFORE_COMMITTEE: frozenset[State] = frozenset(
    {State.PROPOSED, State.POSTPONED, State.WAITING_LIST}
)

# The states of a granted dossier whose engagement is validated and that payments move on.
AFTER_ENGAGEMENT: frozenset[State] = frozenset({State.ENGAGED, State.PARTLY_PAID})
# The states of a dossier with a grant (the grant's page exists).
GRANTED: frozenset[State] = frozenset(
    {State.ACCEPTED, State.ENGAGED, State.PARTLY_PAID, State.PAID, State.LAPSED}
)

TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        Action.SUBMIT, frozenset({State.DRAFT}), State.SUBMITTED, Actor.APPLICANT, "Déposer"
    ),
    Transition(
        Action.WITHDRAW,
        frozenset({State.DRAFT, State.SUBMITTED, State.IN_REVIEW, State.CORRECTION_REQUESTED}),
        State.WITHDRAWN,
        Actor.APPLICANT,
        "Retirer le dossier",
    ),
    Transition(
        Action.START_REVIEW,
        frozenset({State.SUBMITTED}),
        State.IN_REVIEW,
        Actor.REVIEWER,
        "Commencer l’instruction",
    ),
    Transition(
        Action.REQUEST_CORRECTION,
        frozenset({State.SUBMITTED, State.IN_REVIEW}),
        State.CORRECTION_REQUESTED,
        Actor.REVIEWER,
        "Demander des corrections",
    ),
    Transition(
        Action.RESUBMIT,
        frozenset({State.CORRECTION_REQUESTED}),
        State.IN_REVIEW,
        Actor.APPLICANT,
        "Renvoyer le dossier corrigé",
    ),
    Transition(
        Action.PROPOSE,
        frozenset({State.IN_REVIEW}),
        State.PROPOSED,
        Actor.REVIEWER,
        "Proposer au comité",
    ),
    # The committee's decisions take effect when its meeting is closed (committee.services).
    Transition(Action.ACCEPT, BEFORE_COMMITTEE, State.ACCEPTED, Actor.COMMITTEE, "Retenir"),
    Transition(Action.REFUSE, BEFORE_COMMITTEE, State.REFUSED, Actor.COMMITTEE, "Refuser"),
    Transition(Action.POSTPONE, BEFORE_COMMITTEE, State.POSTPONED, Actor.COMMITTEE, "Ajourner"),
    Transition(
        Action.WAIT_LIST,
        BEFORE_COMMITTEE,
        State.WAITING_LIST,
        Actor.COMMITTEE,
        "Inscrire en liste complémentaire",
    ),
    # After the decision (grants.postaward): the préfecture's agents, each move checked there
    # against the permission matrix (validate the engagement, record a payment, lapse).
    Transition(
        Action.VALIDATE_ENGAGEMENT,
        frozenset({State.ACCEPTED}),
        State.ENGAGED,
        Actor.REVIEWER,
        "Valider l’engagement",
    ),
    Transition(
        Action.PAY_PART,
        AFTER_ENGAGEMENT,
        State.PARTLY_PAID,
        Actor.REVIEWER,
        "Enregistrer un versement",
    ),
    Transition(
        Action.PAY_OFF,
        AFTER_ENGAGEMENT,
        State.PAID,
        Actor.REVIEWER,
        "Enregistrer le dernier versement",
    ),
    Transition(
        Action.LAPSE,
        frozenset({State.ACCEPTED}),
        State.LAPSED,
        Actor.REVIEWER,
        "Prononcer la caducité",
    ),
)

_BY_ACTION: dict[Action, Transition] = {t.action: t for t in TRANSITIONS}

# States in which the applicant's team may still change the dossier's content.
EDITABLE_BY_APPLICANT: frozenset[State] = frozenset(
    {State.DRAFT, State.SUBMITTED, State.CORRECTION_REQUESTED}
)
# States with no way out: refused, withdrawn, paid in full or lapsed. (A retained dossier still
# moves: its engagement is validated, it is paid, or it lapses.)
FINAL: frozenset[State] = frozenset({State.REFUSED, State.WITHDRAWN, State.PAID, State.LAPSED})


class TransitionRefused(Exception):
    """The table has no such move from this state, or not for this actor. ``str`` is French."""


def find(action: Action, source: State, actor: Actor) -> Transition:
    transition = _BY_ACTION[action]
    if actor is not transition.actor:
        raise TransitionRefused(f"« {transition.label} » n’est pas une action qui vous revient.")
    if source not in transition.sources:
        raise TransitionRefused(
            f"« {transition.label} » est impossible pour un dossier à l’état "
            f"« {STATE_LABELS[source]} »."
        )
    return transition


def available(source: State, actor: Actor) -> tuple[Transition, ...]:
    return tuple(t for t in TRANSITIONS if t.actor is actor and source in t.sources)
