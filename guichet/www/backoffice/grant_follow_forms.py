"""The préfecture's forms on a grant: a reason (refusing a proof, asking for pieces, refusing a
request), the engagement juridique, the certification of the service done and the payment.

They only refuse what is malformed (an amount, a date, a number that is not one), with a French
message at the field; ``guichet.grants.postaward`` decides the rest and its refusals are shown at
the field they name (``PostAwardRefused.field``).
"""

from __future__ import annotations

from typing import Any

from django import forms

from guichet.rules.numbers import NumberError, parse_whole_number
from guichet.www.applicant.forms import EurosField, FrenchDateField

REASON_MAX = 2000


def _reason_field(label: str, required_message: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": required_message,
            "max_length": "2 000 caractères au plus.",
        },
    )


class RefuseEngagementForm(forms.Form):
    reason = _reason_field(
        "Motif du refus, communiqué au porteur",
        "Expliquez au porteur pourquoi cette preuve ne convient pas.",
    )


class ReturnRequestForm(forms.Form):
    """« Demander des pièces »: shown beside the refusal on the request's page, hence a prefix
    (two fields named ``reason`` on one page would share their ids)."""

    prefix = "pieces"
    reason = _reason_field(
        "Pièces ou précisions demandées au porteur",
        "Expliquez au porteur quelles pièces manquent.",
    )


class RefuseRequestForm(forms.Form):
    prefix = "refus"
    reason = _reason_field(
        "Motif du refus, communiqué au porteur",
        "Expliquez au porteur pourquoi la demande est refusée.",
    )


class YearField(forms.CharField):
    """A budget year: a whole number in digits 0 to 9 (the service checks its range)."""

    def to_python(self, value: Any) -> int | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        try:
            return parse_whole_number(text, maximum=9999)
        except NumberError:
            raise forms.ValidationError(
                "Indiquez l’exercice sur quatre chiffres (ex. 2021).", code="year"
            ) from None


class LegalCommitmentForm(forms.Form):
    number = forms.CharField(
        label="Numéro d’engagement juridique",
        help_text="Dix chiffres, tel que Chorus Cœur l’a attribué (ex. 2103456789).",
        max_length=40,
        error_messages={"required": "Indiquez le numéro d’engagement juridique."},
    )
    year = YearField(
        label="Exercice",
        error_messages={"required": "Indiquez l’exercice sur quatre chiffres (ex. 2021)."},
    )
    amount = EurosField(
        label="Montant engagé",
        required=True,
        error_messages={"required": "Indiquez le montant engagé."},
    )
    confirm = forms.BooleanField(
        label="Je confirme que cet engagement juridique est enregistré dans Chorus Cœur",
        error_messages={"required": "Cochez la case pour confirmer l’engagement juridique."},
    )


class CertifyForm(forms.Form):
    amount_due = EurosField(
        label="Montant dû",
        required=True,
        allow_zero=True,  # the service explains that zero is a refusal
        error_messages={"required": "Indiquez le montant dû."},
    )
    note = forms.CharField(
        label="Observations",
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "2 000 caractères au plus."},
    )
    confirm = forms.BooleanField(
        label="Je certifie que le service a été fait",
        error_messages={"required": "Cochez « Je certifie que le service a été fait »."},
    )


class PaymentForm(forms.Form):
    number = forms.CharField(
        label="Numéro de la demande de paiement (DP)",
        help_text="En chiffres, tel que Chorus Cœur l’a attribué.",
        max_length=40,
        error_messages={"required": "Indiquez le numéro de la demande de paiement."},
    )
    paid_on = FrenchDateField(
        label="Date du paiement",
        required=True,
        error_messages={"required": "Indiquez la date du paiement (JJ/MM/AAAA)."},
    )
    amount = EurosField(
        label="Montant payé",
        required=True,
        error_messages={"required": "Indiquez le montant payé."},
    )
    confirm = forms.BooleanField(
        label="Je confirme que ce paiement a été fait par l’État",
        error_messages={"required": "Cochez la case pour confirmer le paiement."},
    )
