"""Slowing down repeated sign-in failures (the CNIL's « temporisation »), per account and address.

After ``FREE_FAILURES`` failed attempts for one e-mail address from one IP address, that pair must
wait before trying again: 1 minute, then twice as long after each further failure, at most
``MAX_DELAY``. The count is forgotten ``MEMORY`` seconds after the last failure and on success.
Kept in Django's cache: a cache shared by every process (database or Redis) is needed in
production for the count to hold across workers; the default local-memory cache is per process.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpRequest

FREE_FAILURES = 5
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
    # REMOTE_ADDR only: X-Forwarded-For can be forged unless a known proxy sets it.
    return (request.META.get("REMOTE_ADDR") or "") if request is not None else ""


def _key(email: str, ip: str) -> str:
    digest = hashlib.sha256(f"{email.strip().lower()}|{ip}".encode()).hexdigest()
    return f"accounts:signin-failures:{digest}"


def _delay(failures: int) -> int:
    if failures < FREE_FAILURES:
        return 0
    return min(MAX_DELAY, FIRST_DELAY * 2 ** (failures - FREE_FAILURES))


def check(email: str, ip: str) -> Lock | None:
    """A Lock when this pair must still wait, else None."""
    state = cache.get(_key(email, ip))
    if not state:
        return None
    failures, last = state
    remaining = last + _delay(failures) - time.time()
    return Lock(seconds=math.ceil(remaining)) if remaining > 0 else None


def record_failure(email: str, ip: str) -> None:
    key = _key(email, ip)
    failures, _ = cache.get(key) or (0, 0.0)
    cache.set(key, (failures + 1, time.time()), MEMORY)


def reset(email: str, ip: str) -> None:
    cache.delete(_key(email, ip))
