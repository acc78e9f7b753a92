"""Slowing down repeated sign-in failures (the CNIL's « temporisation »), per account and address.

Failures are counted twice: for one e-mail address from one IP address, and for the e-mail
address whatever the IP address (so that a second address does not get a fresh count for the
same account). After ``FREE_FAILURES`` failures of a pair, or ``ACCOUNT_FREE_FAILURES`` of an
account from every address, the attempt must wait: 1 minute, then twice as long after each further
failure, at most ``MAX_DELAY``. A count is forgotten ``MEMORY`` seconds after its last failure;
a success forgets the pair's, a password reset both.

Kept in Django's cache (``settings.CACHES``): the database cache by default, Redis when
``REDIS_URL`` is set, so that every worker sees the same counts.

The IP address is ``REMOTE_ADDR``; behind reverse proxies, ``GUICHET_TRUSTED_PROXIES`` says how
many of them append to ``X-Forwarded-For`` (0 by default: the header can be forged).
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

FREE_FAILURES = 5
ACCOUNT_FREE_FAILURES = 10
FIRST_DELAY = 60
MAX_DELAY = 3600
MEMORY = 24 * 3600


@dataclass(frozen=True)
class Lock:
    seconds: int

    @property
    def message(self) -> str:
        minutes = max(1, math.ceil(self.seconds / 60))
        wait = f"{minutes} minute{'s' if minutes > 1 else ''}"
        return (
            f"Trop de tentatives de connexion ont échoué pour cette adresse. Par sécurité, "
            f"patientez {wait} avant de réessayer, ou réinitialisez votre mot de passe."
        )


def client_ip(request: HttpRequest | None) -> str:
    """The client's address: REMOTE_ADDR, or the one the outermost trusted proxy saw."""
    if request is None:
        return ""
    remote = request.META.get("REMOTE_ADDR") or ""
    proxies = int(getattr(settings, "GUICHET_TRUSTED_PROXIES", 0) or 0)
    if proxies <= 0:
        return remote
    chain = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    chain = [a for a in chain if a]
    # Each trusted proxy appends the address it received from; the one added by the first of
    # them (counting from the site) is the client, whatever the client wrote before it.
    if len(chain) < proxies:
        return remote
    return chain[-proxies]


def _key(email: str, ip: str | None) -> str:
    scope = "account" if ip is None else f"pair|{ip}"
    digest = hashlib.sha256(f"{email.strip().lower()}|{scope}".encode()).hexdigest()
    return f"accounts:signin-failures:{digest}"


def _delay(failures: int, free: int = FREE_FAILURES) -> int:
    if failures < free:
        return 0
    return min(MAX_DELAY, FIRST_DELAY * 2 ** (failures - free))


def _remaining(key: str, free: int) -> float:
    state = cache.get(key)
    if not state:
        return 0
    failures, last = state
    return last + _delay(failures, free) - time.time()


def check(email: str, ip: str) -> Lock | None:
    """A Lock when this pair, or this account from any address, must still wait, else None."""
    remaining = max(
        _remaining(_key(email, ip), FREE_FAILURES),
        _remaining(_key(email, None), ACCOUNT_FREE_FAILURES),
    )
    return Lock(seconds=math.ceil(remaining)) if remaining > 0 else None


def _increment(key: str) -> None:
    failures, _ = cache.get(key) or (0, 0.0)
    cache.set(key, (failures + 1, time.time()), MEMORY)


def record_failure(email: str, ip: str) -> None:
    _increment(_key(email, ip))
    _increment(_key(email, None))


def reset(email: str, ip: str) -> None:
    """A success from this address: its count is forgotten (the account's count stays, so that
    an attacker's own correct sign-ins elsewhere cannot clear it)."""
    cache.delete(_key(email, ip))


def reset_account(email: str) -> None:
    """A new password: every count of the account is forgotten (the pairs age out)."""
    cache.delete(_key(email, None))
