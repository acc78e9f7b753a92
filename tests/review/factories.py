"""The agents of a call, one per role, as the permission matrix and the API's tests read them."""

from __future__ import annotations

from guichet.accounts.models import User
from guichet.calls.models import Call
from guichet.review.models import AgentRole, Role
from tests.accounts.two_factor_helpers import give_totp
from tests.dossiers.factories import agent

OWN, OTHER = "632", "634"  # Clermont-Ferrand, Riom: the arrondissements the tests route to


def call_agents(call: Call, other_call: Call, applicant: User) -> dict[str, User]:
    """One agent per role on ``call`` (each with its second factor), a reviewer of ``OWN`` only,
    a manager of ``other_call``, and ``applicant`` (an applicant only)."""

    def person(role: str, arrondissements: tuple[str, ...] = (), in_call: Call = call) -> User:
        user = agent()
        give_totp(user)
        AgentRole.objects.create(
            user=user, call=in_call, role=role, arrondissements=list(arrondissements)
        )
        return user

    return {
        "reviewer_632": person(Role.REVIEWER, (OWN,)),
        "reviewer_63": person(Role.REVIEWER),
        "manager": person(Role.MANAGER),
        "committee": person(Role.COMMITTEE),
        "auditor": person(Role.AUDITOR),
        "applicant": applicant,
        "other_call": person(Role.MANAGER, in_call=other_call),
    }
