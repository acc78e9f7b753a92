"""Creating, listing, revoking and checking API tokens.

A token is made for one call where its agent has a role; it reads, through the API, what its
agent may read on that call's pages (``review.permissions``), and nothing of other calls. Its
secret (``gch_`` and 43 characters of ``secrets.token_urlsafe(32)``, 256 bits) is shown once,
when it is made; the database keeps its SHA-256 hash and its first characters. A token whose
agent is inactive, or no longer has a role on the call, authenticates to nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q, QuerySet

from guichet import clock
from guichet.accounts import history
from guichet.accounts.models import AccountEvent
from guichet.calls.models import Call
from guichet.review.permissions import calls_open_first, roles

from .models import ApiToken

if TYPE_CHECKING:
    from guichet.accounts.models import User

SECRET_PREFIX = "gch_"  # a leaked secret is recognisable (secret scanners, logs)
PREFIX_LENGTH = 12  # « gch_ » and the secret's first 8 characters, shown to tell tokens apart
NAME_MAX = 100
MAX_SECRET_LENGTH = 200  # longer than any secret we make: refused before hashing
# last_used_at is written at most once a minute per token, to spare a write on every call.
TOUCH_EVERY = dt.timedelta(minutes=1)


class TokenRefused(Exception):
    """A token that cannot be made; ``str`` is French, ``field`` the form's field."""

    def __init__(self, message: str, field: str = "__all__") -> None:
        super().__init__(message)
        self.field = field


class TokenNotFound(LookupError):
    """Not one of this agent's tokens (the page answers 404)."""


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def calls_for_tokens(user: User) -> list[Call]:
    """The calls ``user`` may make a token for: those where they have a role."""
    return calls_open_first(user) if user.is_active else []


def tokens_of(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).select_related("call").order_by("-created_at", "-pk")


def create(user: User, *, call: Call | None, name: str) -> tuple[ApiToken, str]:
    """A new token of ``user`` for ``call``, and its secret (to show once, never again)."""
    name = " ".join(name.split())
    if not name:
        raise TokenRefused("Donnez un nom au jeton, par exemple « Tableau de bord ».", "name")
    if len(name) > NAME_MAX:
        raise TokenRefused(f"Le nom ne doit pas dépasser {NAME_MAX} caractères.", "name")
    if call is None or not roles(user, call):
        raise TokenRefused("Choisissez un appel à projets où vous avez un rôle.", "call")
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            call=call,
            name=name,
            prefix=secret[:PREFIX_LENGTH],
            secret_hash=digest(secret),
            created_at=clock.now(),
        )
        history.record(
            user,
            user,
            AccountEvent.Action.API_TOKEN_CREATED,
            after={"token": f"{name} ({token.prefix}…)", "call": call.slug},
        )
    return token, secret


def revoke(user: User, token_uuid: object) -> ApiToken:
    """Revoke one of ``user``'s tokens (again: nothing changes)."""
    with transaction.atomic():
        token = (
            ApiToken.objects.select_for_update(of=("self",))
            .select_related("call")
            .filter(user=user, uuid=token_uuid)
            .first()
        )
        if token is None:
            raise TokenNotFound
        if token.revoked_at is None:
            token.revoked_at = clock.now()
            token.save(update_fields=["revoked_at"])
            history.record(
                user,
                user,
                AccountEvent.Action.API_TOKEN_REVOKED,
                before={"token": f"{token.name} ({token.prefix}…)", "call": token.call.slug},
            )
    return token


def authenticate(secret: str) -> ApiToken | None:
    """The live token of this secret, its last use recorded; None for a wrong or revoked one,
    or one whose agent is inactive or has lost their role on the call."""
    if not secret or len(secret) > MAX_SECRET_LENGTH or not secret.isascii():
        return None
    token = (
        ApiToken.objects.select_related("user", "call")
        .filter(secret_hash=digest(secret), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active or not roles(token.user, token.call):
        return None
    touch(token)
    return token


def touch(token: ApiToken) -> None:
    """Record the token's use, at most once per ``TOUCH_EVERY`` (one conditional UPDATE)."""
    now = clock.now()
    if token.last_used_at is not None and token.last_used_at > now - TOUCH_EVERY:
        return
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - TOUCH_EVERY)
    ).update(last_used_at=now)
    token.last_used_at = now
