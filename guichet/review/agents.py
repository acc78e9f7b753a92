"""The agents of a call, managed by its programme managers (``Do.MANAGE_AGENTS``).

A manager invites someone by e-mail with a role (and, for a reviewer, arrondissements of the
call's département in its reference vintage, or the whole département), changes a reviewer's
arrondissements and removes a role, never the call's last manager. Each change and its line in
the call's agents history (``RoleEvent``) are one transaction.

The invitation e-mail carries a signed link valid ``INVITATION_DAYS`` days, used once: an
existing account gets the role on accepting (the link proves the address); a new person chooses
their name and password on the link's page.

The views (``guichet.www.backoffice.agents_views``) only translate requests into these calls.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.db import transaction

from guichet import clock
from guichet.accounts.models import User
from guichet.calls.models import Call
from guichet.notifications import send_email
from guichet.territories.models import Arrondissement

from .models import AgentInvitation, AgentRole, Role, RoleAction, RoleEvent

INVITATION_SALT = "guichet.review.agent-invitation"
INVITATION_DAYS = 7
WHOLE_DEPARTEMENT = "Tout le département"
WHOLE_CALL = "Tout l’appel"


class AgentsRefused(Exception):
    """A change of the call's agents is refused; ``str`` is French."""


class InvitationUnusable(Exception):
    """The invitation link is invalid or expired; ``str`` is French."""


class AlreadyAccepted(Exception):
    """The invitation was accepted already (a second click, or two tabs)."""


_INVALID = (
    "Ce lien d’invitation n’est pas valide. Vérifiez que vous l’avez copié en entier, ou "
    "demandez une nouvelle invitation au gestionnaire de l’appel."
)
_EXPIRED = (
    f"Ce lien d’invitation a expiré (il est valable {INVITATION_DAYS} jours) : demandez une "
    "nouvelle invitation au gestionnaire de l’appel."
)


# ---------------------------------------------------------------- reading


def arrondissements_of(call: Call) -> dict[str, str]:
    """Code → name of the arrondissements of the call's département, in its reference vintage."""
    rows = Arrondissement.objects.filter(
        vintage=call.reference_vintage, departement_code=call.departement_code
    ).order_by("code")
    return {a.code: a.name for a in rows}


NO_ARRONDISSEMENT = "Préfecture (sans arrondissement)"


def arrondissement_labels(call: Call) -> dict[str, str]:
    """Code → « Name (code) » of the call's arrondissements; a dossier without one reads
    ``NO_ARRONDISSEMENT``."""
    return {code: f"{name} ({code})" for code, name in arrondissements_of(call).items()}


def scope_label(arrondissements: list[str], names: dict[str, str]) -> str:
    if not arrondissements:
        return WHOLE_DEPARTEMENT
    return ", ".join(f"{names.get(code, code)} ({code})" for code in sorted(arrondissements))


def role_scope_label(role: str, arrondissements: list[str], names: dict[str, str]) -> str:
    """What a role covers, in words: a reviewer's arrondissements, or the whole call."""
    return scope_label(arrondissements, names) if role == Role.REVIEWER else WHOLE_CALL


def person_label(user: User) -> str:
    name = user.get_full_name()
    return f"{name} ({user.email})" if name else user.email


def holds_role(call: Call, email: str, role: str) -> bool:
    return AgentRole.objects.filter(call=call, role=role, user__email__iexact=email).exists()


@dataclass(frozen=True)
class AgentRow:
    role: AgentRole
    scope: str
    editable: bool
    removable: bool


def agent_rows(call: Call, names: dict[str, str]) -> list[AgentRow]:
    roles = list(
        AgentRole.objects.filter(call=call)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__email", "role")
    )
    managers = sum(1 for r in roles if r.role == Role.MANAGER)
    return [
        AgentRow(
            role=r,
            scope=role_scope_label(r.role, r.arrondissements, names),
            editable=r.role == Role.REVIEWER,
            removable=not (r.role == Role.MANAGER and managers <= 1),
        )
        for r in roles
    ]


def expires(invitation: AgentInvitation) -> dt.datetime:
    return invitation.invited_at + dt.timedelta(days=INVITATION_DAYS)


def pending_invitations(call: Call) -> list[AgentInvitation]:
    return list(
        AgentInvitation.objects.filter(
            call=call,
            accepted_at__isnull=True,
            invited_at__gte=clock.now() - dt.timedelta(days=INVITATION_DAYS),
        ).select_related("invited_by")
    )


def history(call: Call) -> list[RoleEvent]:
    """The call's agents history, newest first."""
    return list(RoleEvent.objects.filter(call=call))


def role_of(call: Call, role_id: int) -> AgentRole | None:
    return AgentRole.objects.select_related("user").filter(call=call, pk=role_id).first()


# ---------------------------------------------------------------- the manager's changes


def _record(
    call: Call,
    actor: User | None,
    action: RoleAction,
    role: str,
    *,
    subject: User | None = None,
    subject_label: str = "",
    before: str = "",
    after: str = "",
) -> RoleEvent:
    return RoleEvent.objects.create(
        call=call, actor=actor, action=action, role=role, subject=subject,
        subject_label=subject_label or (person_label(subject) if subject else ""),
        before=before, after=after, at=clock.now(),
    )  # fmt: skip


def invitation_token(invitation: AgentInvitation) -> str:
    return signing.dumps({"i": invitation.pk, "e": invitation.email}, salt=INVITATION_SALT)


def invite(
    call: Call,
    actor: User,
    *,
    email: str,
    role: str,
    scope: list[str],
    link: Callable[[str], str],
) -> AgentInvitation:
    """Invite ``email`` to the call with ``role``; ``link(token)`` is the absolute URL of the
    invitation's page. The e-mail leaves after the commit."""
    names = arrondissements_of(call)
    with transaction.atomic():
        invitation = AgentInvitation.objects.create(
            call=call, email=email, role=role, arrondissements=scope, invited_by=actor
        )
        _record(
            call, actor, RoleAction.INVITED, role, subject_label=email,
            after=role_scope_label(role, scope, names),
        )  # fmt: skip
        send_email(
            [invitation.email],
            "review/agent_invitation",
            {
                "invitation": invitation,
                "call": call,
                "role": invitation.get_role_display(),
                "scope": scope_label(scope, names) if role == Role.REVIEWER else "",
                "url": link(invitation_token(invitation)),
                "valid_days": INVITATION_DAYS,
                "has_account": User.objects.filter(email__iexact=email).exists(),
            },
        )
    return invitation


def change_scope(role: AgentRole, actor: User, scope: list[str]) -> AgentRole:
    """A reviewer's arrondissements become ``scope`` (empty: the whole département)."""
    if role.role != Role.REVIEWER:
        raise AgentsRefused("Seuls les instructeurs ont des arrondissements.")
    names = arrondissements_of(role.call)
    with transaction.atomic():
        locked = AgentRole.objects.select_for_update().get(pk=role.pk)
        before = scope_label(locked.arrondissements, names)
        locked.arrondissements = sorted(scope)
        locked.save(update_fields=["arrondissements"])
        after = scope_label(locked.arrondissements, names)
        if before != after:
            _record(
                role.call, actor, RoleAction.SCOPE_CHANGED, locked.role, subject=role.user,
                before=before, after=after,
            )  # fmt: skip
    role.arrondissements = locked.arrondissements
    return role


def set_chair(call: Call, actor: User, role_id: int) -> AgentRole:
    """The committee member of ``role_id`` chairs the call's committee (the former chair, if
    any, stays a member)."""
    with transaction.atomic():
        Call.objects.select_for_update().filter(pk=call.pk).first()  # one chair at a time
        role = role_of(call, role_id)
        if role is None or role.role != Role.COMMITTEE:
            raise AgentsRefused("Seul un membre du comité peut le présider.")
        former = AgentRole.objects.filter(call=call, chair=True).exclude(pk=role.pk).first()
        if role.chair:
            return role
        AgentRole.objects.filter(call=call, chair=True).update(chair=False)
        role.chair = True
        role.save(update_fields=["chair"])
        _record(
            call, actor, RoleAction.CHAIR, role.role, subject=role.user,
            before=person_label(former.user) if former else "", after=person_label(role.user),
        )  # fmt: skip
    return role


def remove_role(call: Call, actor: User, role_id: int) -> AgentRole | None:
    """Remove one role of the call (None if it is gone already); never the last manager's."""
    names = arrondissements_of(call)
    with transaction.atomic():
        # Locking the call serialises two managers removing each other at the same moment.
        Call.objects.select_for_update().filter(pk=call.pk).first()
        role = role_of(call, role_id)
        if role is None:
            return None
        if (
            role.role == Role.MANAGER
            and AgentRole.objects.filter(call=call, role=Role.MANAGER).count() <= 1
        ):
            raise AgentsRefused(
                f"{role.user} est le dernier gestionnaire de l’appel : invitez un autre "
                "gestionnaire avant de retirer ce rôle."
            )
        _record(
            call, actor, RoleAction.REMOVED, role.role, subject=role.user,
            before=role_scope_label(role.role, role.arrondissements, names),
        )  # fmt: skip
        role.delete()
    return role


# ---------------------------------------------------------------- the invitee's side


def invitation_from(slug: str, token: str) -> AgentInvitation:
    """The invitation of a signed link; InvitationUnusable when invalid or expired."""
    try:
        data = signing.loads(token, salt=INVITATION_SALT, max_age=INVITATION_DAYS * 24 * 3600)
    except signing.SignatureExpired:
        raise InvitationUnusable(_EXPIRED) from None
    except signing.BadSignature:
        raise InvitationUnusable(_INVALID) from None
    invitation = (
        AgentInvitation.objects.select_related("call", "invited_by")
        .filter(pk=data.get("i"), email=data.get("e"), call__slug=slug)
        .first()
    )
    if invitation is None:
        raise InvitationUnusable(_INVALID)
    if invitation.accepted_at is None and clock.now() > expires(invitation):
        raise InvitationUnusable(_EXPIRED)
    return invitation


def grant(invitation: AgentInvitation, user: User) -> AgentRole:
    """Give ``user`` the invitation's role, once; with a role already held, the scopes merge."""
    names = arrondissements_of(invitation.call)
    with transaction.atomic():
        locked = AgentInvitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.accepted_at is not None:
            raise AlreadyAccepted
        role, created = AgentRole.objects.get_or_create(
            user=user,
            call_id=locked.call_id,
            role=locked.role,
            defaults={"arrondissements": locked.arrondissements, "created_by": locked.invited_by},
        )
        before = "" if created else role_scope_label(role.role, role.arrondissements, names)
        if not created and role.arrondissements:
            role.arrondissements = (
                sorted(set(role.arrondissements) | set(locked.arrondissements))
                if locked.arrondissements
                else []
            )
            role.save(update_fields=["arrondissements"])
        if user.email_confirmed_at is None:
            user.email_confirmed_at = clock.now()  # the link proves the address
            user.save(update_fields=["email_confirmed_at"])
        locked.accepted_at, locked.accepted_by = clock.now(), user
        locked.save(update_fields=["accepted_at", "accepted_by"])
        # The manager who invited gave the role; the invitee only accepted it.
        _record(
            invitation.call, locked.invited_by, RoleAction.GRANTED, role.role, subject=user,
            before=before, after=role_scope_label(role.role, role.arrondissements, names),
        )  # fmt: skip
    return role


def accept(invitation: AgentInvitation, account: User | None, new_person: dict[str, Any]) -> User:
    """Accept the invitation for ``account``, or for a new account made from ``new_person``
    (first_name, last_name, password1); AlreadyAccepted on a second click."""
    with transaction.atomic():
        if account is None:
            account = User.objects.create_user(
                invitation.email,
                new_person["password1"],
                first_name=new_person["first_name"].strip(),
                last_name=new_person["last_name"].strip(),
                email_confirmed_at=clock.now(),
            )
        grant(invitation, account)
    return account
