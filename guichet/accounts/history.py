"""The account's history (``AccountEvent``): one function records a line, in the caller's
transaction."""

from __future__ import annotations

from typing import Any

from guichet import clock

from .models import AccountEvent, User


def label(user: User | None, *, with_email: bool = True) -> str:
    """How a history line names who acted, copied beside the account when the line is written:
    « Dominique Martin <secretariat@mairie-billom.fr> » in the account's history, the name alone
    (``with_email=False``) in the dossiers' and the call's histories, which applicants read."""
    if user is None:
        return ""
    if not with_email:
        return str(user)
    name = user.get_full_name()
    return f"{name} <{user.email}>" if name else user.email


def record(
    subject: User,
    actor: User | None,
    action: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AccountEvent:
    return AccountEvent.objects.create(
        subject=subject,
        actor=actor if actor is not None and actor.pk else None,
        actor_label=label(actor),
        action=action,
        before=before or {},
        after=after or {},
        at=clock.now(),
    )


def recent(user: User, limit: int = 10) -> list[AccountEvent]:
    return list(AccountEvent.objects.filter(subject=user).order_by("-at", "-pk")[:limit])
