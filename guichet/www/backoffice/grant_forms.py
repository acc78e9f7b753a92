"""The forms of a call's grants page: the filters, the lapse's confirmation and the accounting
exports. They refuse only what is malformed, in French at the field; the services decide the
rest."""

from __future__ import annotations

from django import forms

from guichet.exports.writers import ExportFormat
from guichet.grants.models import GrantStatus
from guichet.www.applicant.forms import TextField

EXPORT_KINDS = [
    ("paiements", "Demandes à payer (service fait certifié)"),
    ("annee", "État annuel de l’enveloppe"),
]


def _years(years: list[int]) -> list[tuple[str, str]]:
    return [(str(y), str(y)) for y in years]


class GrantFilterForm(forms.Form):
    annee = forms.TypedChoiceField(
        label="Enveloppe",
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": "Choisissez une année d’enveloppe de l’appel."},
    )
    etat = forms.ChoiceField(
        label="État de la subvention",
        required=False,
        choices=[("", "Tous les états"), *GrantStatus.choices],
        error_messages={"invalid_choice": "Choisissez un état de la liste."},
    )

    def __init__(self, *args: object, years: list[int], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["annee"].choices = [("", "Toutes les années"), *_years(years)]  # type: ignore[attr-defined]


class LapseForm(forms.Form):
    note = TextField(
        label="Précision (facultative)",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Écrite au registre de l’enveloppe et dans l’historique du dossier.",
    )
    confirm = forms.BooleanField(
        label="Je constate que l’engagement n’a pas été prouvé dans le délai et prononce la "
        "caducité de cette subvention.",
        error_messages={"required": "Cochez la case pour confirmer la caducité."},
    )


class AccountingExportForm(forms.Form):
    quoi = forms.ChoiceField(
        label="Fichier",
        choices=EXPORT_KINDS,
        error_messages={
            "required": "Choisissez le fichier à exporter.",
            "invalid_choice": "Choisissez le fichier à exporter.",
        },
    )
    format = forms.ChoiceField(
        label="Format",
        choices=[(f.value, f.label) for f in ExportFormat],
        error_messages={
            "required": "Choisissez le format : CSV, XLSX ou ODS.",
            "invalid_choice": "Choisissez le format : CSV, XLSX ou ODS.",
        },
    )
    enveloppe = forms.TypedChoiceField(
        label="Enveloppe (état annuel)",
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": "Choisissez une année d’enveloppe de l’appel."},
    )

    def __init__(self, *args: object, years: list[int], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["enveloppe"].choices = _years(years)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if (
            data.get("quoi") == "annee"
            and data.get("enveloppe") is None
            and "enveloppe" not in self.errors
        ):
            self.add_error("enveloppe", "Choisissez l’année de l’état annuel.")
        return data
