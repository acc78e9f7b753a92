"""Amounts after the verdict: modulation by the State, and the envelope that can never be exceeded."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from .money import format_euros
from .parameters import CallRules


class ModulationError(ValueError):
    """A proposed amount that the MODULATION rule refuses (French message)."""


def modulate(maximum: Decimal, proposed: Decimal, justification: str) -> Decimal:
    """A proposed amount is never above the maximum, and carries a justification when below it."""
    if proposed < 0:
        raise ModulationError("Le montant proposé ne peut pas être négatif.")
    if proposed > maximum:
        raise ModulationError(
            f"Le montant proposé ({format_euros(proposed)}) dépasse le maximum permis par "
            f"l'appel ({format_euros(maximum)})."
        )
    if proposed < maximum and not justification.strip():
        raise ModulationError(
            "Un montant inférieur au forfait doit être justifié (taille de la collectivité, coût, "
            "pertinence, impact, agents et usagers bénéficiaires, gouvernance)."
        )
    return proposed


def envelope_remaining(envelope: Decimal, committed: Decimal) -> Decimal:
    return envelope - committed


def fits_envelope(envelope: Decimal, committed: Decimal, amount: Decimal) -> bool:
    """True when committing ``amount`` keeps the total within the envelope."""
    return amount >= 0 and committed + amount <= envelope


# --- what an arrêté attributif states (décret n° 2018-514, art. 8 and 12) ---------------------

# Art. 12: an advance of at most 30 % of the maximum when the project starts; instalments up to
# 80 % in all as it progresses; the balance on the final statement of expenses.
ADVANCE_SHARE = Decimal("0.30")
INSTALMENTS_SHARE = Decimal("0.80")
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class PaymentTerms:
    """The ceilings of art. 12 for one grant, in euros."""

    amount: Decimal
    advance_max: Decimal  # at most this much as an advance when the project starts
    instalments_max: Decimal  # at most this much paid in all before the balance


def payment_terms(amount: Decimal) -> PaymentTerms:
    """Art. 12's ceilings for a grant of ``amount``, rounded down to the cent (never above)."""
    if amount <= 0:
        raise ValueError("a grant's amount is positive")
    return PaymentTerms(
        amount=amount,
        advance_max=(amount * ADVANCE_SHARE).quantize(_CENT, rounding=ROUND_DOWN),
        instalments_max=(amount * INSTALMENTS_SHARE).quantize(_CENT, rounding=ROUND_DOWN),
    )


def funding_rate(amount: Decimal, cost: Decimal) -> Decimal:
    """The grant as a percentage of the project's cost, to one decimal (« 62,5 % »)."""
    if cost <= 0:
        raise ValueError("a project's cost is positive")
    return (amount / cost * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def full_rate_applies(call: CallRules, population: int | None) -> bool:
    """Rule FULL-RATE: the call allows financing up to 100 % of the cost for small
    collectivités (below ``full_rate_population_below`` inhabitants). Unknown population: no."""
    below = call.full_rate_population_below
    return (
        "FULL-RATE" in call.rules
        and below is not None
        and population is not None
        and population < below
    )
