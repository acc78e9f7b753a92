"""Money is Decimal euros, never a float. Parsing and French formatting live here."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

CENT = Decimal("0.01")
NBSP = "\u00a0"


class AmountError(ValueError):
    """A text that is not an amount in euros. Its message is French, for the user."""


def parse_euros(text: str | int | Decimal, *, allow_zero: bool = False) -> Decimal:
    """Parse '12000', '12 000', '12 000,50', '12000.50', '12 000 €' into Decimal euros.

    Refuses negatives, more than two decimals, non-finite values, and zero unless allowed.
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
        try:
            value = Decimal(cleaned)
        except InvalidOperation:
            raise AmountError(f"« {text} » n'est pas un montant en euros.") from None
    if not value.is_finite():
        raise AmountError(f"« {text} » n'est pas un montant en euros.")
    if value < 0:
        raise AmountError("Le montant ne peut pas être négatif.")
    if value == 0 and not allow_zero:
        raise AmountError("Le montant doit être supérieur à zéro.")
    if value != value.quantize(CENT):
        raise AmountError("Le montant ne peut pas avoir plus de deux décimales.")
    if value >= Decimal("1e12"):
        raise AmountError("Le montant est trop élevé.")
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
