"""Who may do what on a call's dossiers, from the agents' roles.

One matrix (``ALLOWED``) says which role may take which action; a reviewer acts only on the
dossiers routed to the arrondissements they cover (all of them when they cover the whole
département), and one function says which those are (``covered``, and ``coverage`` as a queryset
condition). Anybody without a role on the dossier's call gets a 404, never a 403.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from guichet import clock
from guichet.calls.models import Call, CallStatus
from guichet.dossiers.models import Dossier
from guichet.dossiers.workflow import State

from .models import AgentRole, Role

if TYPE_CHECKING:
    from guichet.accounts.models import User


class Do(StrEnum):
    VIEW = "view"
    START_REVIEW = "start_review"
    REQUEST_CORRECTION = "request_correction"
    MESSAGE = "message"
    NOTE = "note"
    SCORE = "score"
    PROPOSE = "propose"
    CORRECT_POPULATION = "correct_population"
    ASSIGN = "assign"
    EXPORT = "export"
    MANAGE_AGENTS = "manage_agents"
    VOTE = "vote"  # declare a conflict of interest, vote in an open meeting
    DECIDE = "decide"  # record the committee's decision on a dossier in an open meeting
    CONVENE = "convene"  # prepare a meeting, its agenda, send the convocation
    ISSUE = "issue"  # the decisions' documents: generate, upload the signed scans, notify
    # After the decision (grants.postaward):
    FOLLOW = "follow"  # validate or refuse an engagement proof; check, return, refuse a request
    CERTIFY = (
        "certify"  # certify the service done with the amount due (not on a request one checked)
    )
    ACCOUNT = "account"  # record the State's numbers: engagement juridique, demande de paiement
    LAPSE = "lapse"  # pronounce the lapse of a grant whose engagement was not proven in time


_REVIEW = {
    Do.VIEW, Do.START_REVIEW, Do.REQUEST_CORRECTION, Do.MESSAGE, Do.NOTE, Do.SCORE, Do.PROPOSE,
    Do.CORRECT_POPULATION, Do.EXPORT, Do.FOLLOW,
}  # fmt: skip
ALLOWED: dict[Role, frozenset[Do]] = {
    Role.REVIEWER: frozenset(_REVIEW),
    Role.MANAGER: frozenset(
        _REVIEW
        | {Do.ASSIGN, Do.MANAGE_AGENTS, Do.CONVENE, Do.ISSUE, Do.CERTIFY, Do.ACCOUNT, Do.LAPSE}
    ),
    Role.COMMITTEE: frozenset({Do.VIEW, Do.VOTE, Do.DECIDE, Do.EXPORT}),
    Role.AUDITOR: frozenset({Do.VIEW, Do.EXPORT}),
}

# Roles that see every dossier of the call, whatever its arrondissement.
CALL_WIDE = {Role.MANAGER, Role.COMMITTEE, Role.AUDITOR}


def roles(user: User, call: Call | int) -> list[AgentRole]:
    if not (user.is_authenticated and user.is_active):
        return []
    return _roles_by_call(user).get(call if isinstance(call, int) else call.pk, [])


def _roles_by_call(user: User) -> dict[int, list[AgentRole]]:
    cache = getattr(user, "_agent_roles", _UNREAD)
    if cache is None:  # told to read them again (a role was just changed)
        getattr(user, "_prefetched_objects_cache", {}).pop("agent_roles", None)
    if not isinstance(cache, dict):
        # Read once per request, with their calls, shared with the two-factor policy and the
        # page's header (``User.call_roles``).
        cache = {}
        for r in user.call_roles():
            cache.setdefault(r.call_id, []).append(r)
        user._agent_roles = cache  # type: ignore[attr-defined]
    return cache


_UNREAD = object()


def covers_everything(role: AgentRole) -> bool:
    """Does this role reach every dossier of its call, whatever its arrondissement?"""
    return Role(role.role) in CALL_WIDE or role.whole_departement


def covered(user: User, call: Call | int, action: Do) -> frozenset[str] | None:
    """The arrondissements of the call where ``user`` may take ``action``: None for all of them
    (and the préfecture's own dossiers), an empty set for none.

    The one place that says who covers which arrondissement: ``coverage`` (for querysets), ``can``
    (for one dossier), the exports, the list's arrondissement filter and assignment use it.
    """
    codes: set[str] = set()
    for r in roles(user, call):
        if action not in ALLOWED[Role(r.role)]:
            continue
        if covers_everything(r):
            return None
        codes.update(r.arrondissements)
    return frozenset(codes)


def coverage(user: User, call: Call | int, action: Do) -> Q:
    """The condition on a call's dossiers where ``user`` may take ``action`` (none: matches no
    row)."""
    codes = covered(user, call, action)
    if codes is None:
        return Q()
    if not codes:
        return Q(pk__in=[])
    return Q(arrondissement_code__in=sorted(codes))


def covers_arrondissement(user: User, call: Call | int, action: Do, code: str) -> bool:
    codes = covered(user, call, action)
    return codes is None or code in codes


def can(user: User, action: Do, dossier: Dossier) -> bool:
    """May ``user`` take ``action`` on ``dossier``? Never-submitted dossiers (drafts, and drafts
    withdrawn) belong to their team only."""
    if dossier.state == State.DRAFT or dossier.submitted_at is None:
        return False
    return covers_arrondissement(user, dossier.call_id, action, dossier.arrondissement_code)


def can_in_call(user: User, action: Do, call: Call) -> bool:
    return any(action in ALLOWED[Role(r.role)] for r in roles(user, call))


def chairs(user: User, call: Call | int) -> bool:
    """Does ``user`` chair the call's committee (opens and closes its meetings)?"""
    return any(r.role == Role.COMMITTEE and r.chair for r in roles(user, call))


def calls_open_first(user: User) -> list[Call]:
    """The calls where ``user`` has a role, in ``Call.objects.open_first()``'s order (open ones
    first, soonest deadline first, then upcoming, then closed), from the roles already read:
    no query of its own."""
    if not user.is_authenticated:
        return []
    calls = {r.call_id: r.call for r in user.call_roles()}
    today = clock.today()
    rank = {CallStatus.OPEN: 0, CallStatus.UPCOMING: 1, CallStatus.CLOSED: 2}
    return sorted(calls.values(), key=lambda c: (rank[c.status(today)], c.deadline, c.pk))


def calls_of(user: User) -> QuerySet[Call]:
    """The calls where ``user`` has a role (from the roles already read for this request)."""
    if not user.is_authenticated:
        return Call.objects.none()
    return Call.objects.filter(pk__in=sorted(_roles_by_call(user)))


def visible_dossiers(user: User, call: Call) -> QuerySet[Dossier]:
    """The call's submitted dossiers this agent may see, as one filter (no query per dossier)."""
    return Dossier.objects.filter(
        coverage(user, call, Do.VIEW), call=call, submitted_at__isnull=False
    )
