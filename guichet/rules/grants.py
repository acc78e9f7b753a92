"""Amounts after the verdict: modulation by the State, and the envelope that can never be exceeded."""

from __future__ import annotations

from decimal import Decimal

from .money import format_euros


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
