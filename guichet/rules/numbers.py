"""Whole numbers typed by people: a population, a count, an identifier's digits.

Python's ``str.isdigit()`` is true for « ² » and « ① », which ``int()`` then refuses, and ``int()``
reads Arabic-Indic « ٣ » or full-width « ３ » as 3: a number on screen is written with 0 to 9 only,
so every other digit is refused here with the same French message.
"""

from __future__ import annotations

import re

WHOLE_NUMBER_MESSAGE = "Saisissez un nombre entier en chiffres (0 à 9)."
TOO_HIGH_MESSAGE = "Ce nombre est trop élevé."
# Spaces people put between thousands: ordinary, no-break, narrow no-break.
THOUSANDS_SEPARATORS = " \u00a0\u202f"
_ASCII_DIGITS = re.compile(r"[0-9]+")
_MAX_DIGITS = 18  # more than any count or population; int() never sees a huge text


class NumberError(ValueError):
    """A text that is not a whole number written in digits 0 to 9. Its message is French."""


def is_ascii_digits(text: str) -> bool:
    """True for '63040', False for '', '6 3', '²', '٣' (``str.isdigit()`` says True to the last two)."""
    return _ASCII_DIGITS.fullmatch(text) is not None


def parse_whole_number(
    text: str,
    *,
    maximum: int | None = None,
    separators: str = THOUSANDS_SEPARATORS,
) -> int:
    """'4 777' → 4777. Refuses signs, decimals, other digits than 0 to 9, and more than ``maximum``."""
    cleaned = text.strip()
    for separator in separators:
        cleaned = cleaned.replace(separator, "")
    if not is_ascii_digits(cleaned):
        raise NumberError(WHOLE_NUMBER_MESSAGE)
    if len(cleaned.lstrip("0")) > _MAX_DIGITS:
        raise NumberError(TOO_HIGH_MESSAGE)
    number = int(cleaned)
    if maximum is not None and number > maximum:
        raise NumberError(TOO_HIGH_MESSAGE)
    return number
