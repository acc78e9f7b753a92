"""Money is Decimal euros, never a float. Parsing and French formatting live here."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

CENT = Decimal("0.01")
NBSP = "\u00a0"


class AmountError(ValueError):
    """A text that is not an amount in euros. Its message is French, for the user."""


# Every amount the application stores is below this (the columns hold 12 digits, cents included).
# The bound is checked on the number's magnitude before any arithmetic: quantizing
# « 1e26 » to cents needs more digits than Decimal's context holds.
TOO_HIGH = Decimal("1e12")
_SHOWN = 40  # characters of the typed text quoted back in a message


def _quoted(text: object) -> str:
    shown = str(text)
    return shown if len(shown) <= _SHOWN else shown[: _SHOWN - 1] + "…"


def parse_euros(text: str | int | Decimal, *, allow_zero: bool = False) -> Decimal:
    """Parse '12000', '12 000', '12 000,50', '12000.50', '12 000 €' into Decimal euros.

    Refuses negatives (« -0 » too), more than two decimals, non-finite values, digits other than
    0 to 9, amounts of 10^12 euros or more, and zero unless allowed.
    """
    if isinstance(text, Decimal):
        value = text
    elif isinstance(text, int):
        value = Decimal(text)
    else:
        cleaned = (
            text.strip()
            .replace("€", "")
            .replace(NBSP, "")
            .replace("\u202f", "")
            .replace(" ", "")
            .replace("EUR", "")
        )
        if "," in cleaned and "." in cleaned:
            raise AmountError(
                "Montant illisible : utilisez la virgule pour les centimes (12 000,50)."
            )
        cleaned = cleaned.replace(",", ".")
        if not cleaned:
            raise AmountError("Indiquez un montant en euros.")
        if not cleaned.isascii():  # Decimal() reads « ١٢ » or « １２ » as 12
            raise AmountError("Saisissez le montant en chiffres (0 à 9).")
        try:
            value = Decimal(cleaned.replace("_", "!"))  # Decimal() reads « 1_000 » as 1000
        except InvalidOperation:
            raise AmountError(f"« {_quoted(text)} » n'est pas un montant en euros.") from None
    if not value.is_finite():
        raise AmountError(f"« {_quoted(text)} » n'est pas un montant en euros.")
    if value.is_signed():
        raise AmountError("Le montant ne peut pas être négatif.")
    if value >= TOO_HIGH:
        raise AmountError("Le montant est trop élevé.")
    if value == 0:
        if not allow_zero:
            raise AmountError("Le montant doit être supérieur à zéro.")
        return Decimal("0.00")
    if value != value.quantize(CENT):
        raise AmountError("Le montant ne peut pas avoir plus de deux décimales.")
    return value.quantize(CENT)


@lru_cache(maxsize=4096)  # a call's verdicts repeat the same few amounts
def format_euros(amount: Decimal | int) -> str:
    """'5 000 €' (no-break spaces), '12 345,67 €' when there are cents."""
    value = Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)
    whole, _, cents = f"{value:.2f}".partition(".")
    sign = "-" if whole.startswith("-") else ""
    digits = whole.lstrip("-")
    groups: list[str] = []
    while digits:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    text = sign + NBSP.join(groups or ["0"])
    if cents != "00":
        text += "," + cents
    return f"{text}{NBSP}€"


def format_int(number: int) -> str:
    """'147 865' with no-break spaces."""
    return format_euros(number).removesuffix(f"{NBSP}€")
