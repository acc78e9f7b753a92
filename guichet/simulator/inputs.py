"""Parsing what a user or another program types into values the rules accept.

Shared by the CLI and the web simulator, so both refuse the same inputs with the same French
messages. Every error names the field it concerns.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from guichet.clock import PARIS
from guichet.rules.money import AmountError, parse_euros

KINDS = ("commune", "epci", "metropole", "departement", "region")
_KIND_CODE = re.compile(r"^\s*([a-zA-Zéèêàç_-]+)\s*:\s*(\S+)\s*$")
# Codes and dates are written with the digits 0 to 9: re.ASCII keeps « \d » from matching « ٦٣ ».
_ASCII = re.ASCII
_CODE_FORMATS = {
    "commune": (
        re.compile(r"^(\d{5}|2[AB]\d{3})$", _ASCII),
        "un code INSEE de 5 caractères (ex. 63040)",
    ),
    "epci": (re.compile(r"^\d{9}$", _ASCII), "un numéro SIREN de 9 chiffres"),
    "metropole": (re.compile(r"^\d{9}$", _ASCII), "un numéro SIREN de 9 chiffres"),
    "departement": (re.compile(r"^(\d{2,3}|2[AB])$", _ASCII), "un code de département (ex. 63)"),
    "region": (re.compile(r"^\d{2}$", _ASCII), "un code de région à 2 chiffres (ex. 84)"),
}


class InputError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class ApplicantRef:
    kind: str
    code: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.code}"


def parse_applicant_ref(text: str, field: str = "applicant") -> ApplicantRef:
    """'commune:63040' → ApplicantRef. Kinds other than the five collectivités are accepted as is."""
    match = _KIND_CODE.match(text or "")
    if not match:
        raise InputError(field, f"« {text} » : attendu TYPE:CODE, par exemple commune:63040.")
    kind, code = match.group(1).lower(), match.group(2).upper()
    fmt = _CODE_FORMATS.get(kind)
    if fmt and not fmt[0].match(code):
        raise InputError(field, f"« {match.group(2)} » n'est pas {fmt[1]}.")
    return ApplicantRef(kind, code)


def parse_cost(text: str | None, field: str = "cost", *, required: bool = True) -> Decimal | None:
    if text is None or not str(text).strip():
        if required:
            raise InputError(field, "Indiquez le coût global du projet en euros.")
        return None
    try:
        return parse_euros(str(text))
    except AmountError as exc:
        raise InputError(field, f"Coût du projet : {exc}") from None


# Years a date may have: wide enough for any call, narrow enough that converting a moment
# between time zones never leaves the calendar (« 0001-01-01T00:00:00+14:00 » would).
MIN_YEAR, MAX_YEAR = 1900, 2200


def _year_in_range(day: dt.date, value: str, field: str) -> None:
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise InputError(
            field, f"« {value} » : l’année doit être comprise entre {MIN_YEAR} et {MAX_YEAR}."
        )


def parse_date(text: str | None, field: str) -> dt.date | None:
    """YYYY-MM-DD (ISO) or DD/MM/YYYY (French), a year between MIN_YEAR and MAX_YEAR."""
    if text is None or not text.strip():
        return None
    value = text.strip()
    day: dt.date | None = None
    try:
        if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", value, _ASCII):
            days, month, year = (int(p) for p in value.split("/"))
            day = dt.date(year, month, days)
        elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", value, _ASCII):
            day = dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(field, f"« {value} » n'est pas une date qui existe.") from None
    if day is None:
        raise InputError(
            field, f"« {value} » n'est pas une date (attendu AAAA-MM-JJ ou JJ/MM/AAAA)."
        )
    _year_in_range(day, value, field)
    return day


def parse_moment(text: str | None, field: str) -> dt.datetime | None:
    """ISO-8601 date-time. Without an offset it is read as Paris time; a bare date as midday."""
    if text is None or not text.strip():
        return None
    value = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4}", value, _ASCII):
        day = parse_date(value, field)
        assert day is not None
        return dt.datetime.combine(day, dt.time(12, 0), tzinfo=PARIS)
    try:
        if not value.isascii():  # fromisoformat() reads « ٢٠٢١ » as 2021
            raise ValueError(value)
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            field,
            f"« {value} » n'est pas une date et heure ISO 8601 (ex. 2021-06-30T23:59:59+02:00).",
        ) from None
    _year_in_range(moment, value, field)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=PARIS)
    return moment


def parse_category(text: str | None, field: str = "category") -> str | None:
    if text is None or not str(text).strip():
        return None
    value = str(text).strip()
    if value not in ("1", "2", "3"):
        raise InputError(field, f"« {value} » : le type de projet est 1, 2 ou 3.")
    return value
