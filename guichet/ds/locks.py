"""One import of a démarche at a time: a lease taken by a conditional UPDATE.

A lease column with an expiry rather than ``select_for_update(nowait=True)``: the import runs
for minutes, page after page, each dossier in its own transaction, so a row lock would have to
be held by one long transaction (on PostgreSQL) and SQLite has no row locks at all. The UPDATE
``… WHERE expires_at IS NULL OR expires_at < now`` is atomic on both: of two imports only one
changes the row. The lease is renewed after every page; a process killed mid-run leaves a lease
that simply expires (``LEASE``).
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket

from django.db import IntegrityError, transaction
from django.db.models import Q

from guichet import clock

from .models import DemarcheLock

LEASE = dt.timedelta(minutes=15)


class ImportLocked(Exception):
    """Another import of the démarche holds the lease. ``str`` is French."""


class LockLost(Exception):
    """The lease expired and another import took it. ``str`` is French."""


def acquire(demarche: int, *, lease: dt.timedelta = LEASE) -> str:
    """Take the démarche's lease; its token, or ``ImportLocked``."""
    try:
        with transaction.atomic():
            DemarcheLock.objects.get_or_create(demarche_number=demarche)
    except IntegrityError:
        pass  # created at the same moment by the other import
    token = secrets.token_hex(16)
    now = clock.now()
    taken = DemarcheLock.objects.filter(
        Q(expires_at__isnull=True) | Q(expires_at__lt=now), demarche_number=demarche
    ).update(token=token, expires_at=now + lease, holder=f"{socket.gethostname()}:{os.getpid()}")
    if taken != 1:
        lock = DemarcheLock.objects.get(demarche_number=demarche)
        raise ImportLocked(
            f"Un import de la démarche {demarche} est déjà en cours ({lock.holder}) ; "
            f"réessayez après la fin de celui-ci (au plus tard à l’expiration du verrou)."
        )
    return token


def renew(demarche: int, token: str, *, lease: dt.timedelta = LEASE) -> None:
    renewed = DemarcheLock.objects.filter(demarche_number=demarche, token=token).update(
        expires_at=clock.now() + lease
    )
    if renewed != 1:
        raise LockLost(
            f"Le verrou de la démarche {demarche} a expiré et un autre import l’a pris : "
            "cet import s’arrête."
        )


def release(demarche: int, token: str) -> None:
    DemarcheLock.objects.filter(demarche_number=demarche, token=token).update(
        token="", expires_at=None, holder=""
    )
