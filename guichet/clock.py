"""The one clock of the application. Tests and the demo move it; nothing else reads the time.

``GUICHET_NOW`` (ISO-8601 with offset) in the environment freezes it for a whole process.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    if _frozen is not None:
        return _frozen
    env = os.environ.get("GUICHET_NOW")
    if env:
        moment = dt.datetime.fromisoformat(env)
        return moment if moment.tzinfo else moment.replace(tzinfo=PARIS)
    return dt.datetime.now(dt.UTC)


def today() -> dt.date:
    """Today's date in Paris."""
    return now().astimezone(PARIS).date()


@contextmanager
def frozen(moment: dt.datetime) -> Iterator[dt.datetime]:
    global _frozen
    if moment.tzinfo is None:
        raise ValueError("the clock only takes aware datetimes")
    previous, _frozen = _frozen, moment
    try:
        yield moment
    finally:
        _frozen = previous
