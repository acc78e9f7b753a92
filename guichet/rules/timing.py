"""Time boundaries of a call, always computed in the call's time zone (Europe/Paris)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:  # the call's parameters import this module's dates
    from .parameters import CallRules, CollectionSessionRule

MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip


def local_date(moment: dt.datetime, timezone: str) -> dt.date:
    """The calendar date of an aware moment in the given time zone."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime: the rules only accept aware datetimes")
    return moment.astimezone(ZoneInfo(timezone)).date()


def end_of_day(day: dt.date, timezone: str) -> dt.datetime:
    """The last second of ``day`` in that time zone, as an aware datetime."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=ZoneInfo(timezone))


def is_open(call: CallRules, moment: dt.datetime) -> bool:
    day = local_date(moment, call.timezone)
    return call.opens_on <= day <= call.deadline


def session_for(call: CallRules, moment: dt.datetime) -> CollectionSessionRule | None:
    """The first collection session whose date is on or after the submission's local date."""
    day = local_date(moment, call.timezone)
    return next((s for s in call.sessions if s.date >= day), None)


@lru_cache(maxsize=4096)  # the call's few dates, over and over
def french_date(day: dt.date) -> str:
    """'1er juillet 2021', '30 juin 2021'."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{number} {MONTHS[day.month - 1]} {day.year}"


def french_datetime(moment: dt.datetime, timezone: str) -> str:
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{french_date(local.date())} à {local:%H:%M:%S} (heure de Paris)"
