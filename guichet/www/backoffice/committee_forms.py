"""The committee's forms: a meeting's details, its agenda, the attendance, a conflict of interest,
a vote and a decision. They refuse only what is malformed, in French at the field; the
committee's services decide the rest and their refusals are shown at the field they name."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from django import forms

from guichet.calls.models import Call
from guichet.committee.models import Outcome, VoteChoice
from guichet.committee.services import DecisionInput
from guichet.www.applicant.forms import EurosField, FrenchDateField, TextField

_TIME = re.compile(r"^\s*([01]?\d|2[0-3])\s*[:hH]\s*([0-5]\d)?\s*$")


class FrenchTimeField(forms.CharField):
    """An hour typed as 14:30, 14h30 or 14h."""

    def to_python(self, value: Any) -> dt.time | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        match = _TIME.match(text)
        if not match:
            raise forms.ValidationError(
                f"« {text[:20]} » n’est pas une heure : écrivez-la comme 14:30.", code="time"
            )
        return dt.time(int(match[1]), int(match[2] or 0))


class MeetingForm(forms.Form):
    day = FrenchDateField(
        label="Date de la séance", error_messages={"required": "Indiquez la date de la séance."}
    )
    time = FrenchTimeField(
        label="Heure", error_messages={"required": "Indiquez l’heure de la séance."}
    )
    place = TextField(label="Lieu", max_length=300, required=False)
    video_url = forms.URLField(
        label="Lien de visioconférence",
        required=False,
        max_length=200,
        assume_scheme="https",
        error_messages={"invalid": "Saisissez une adresse web complète (https://…)."},
    )
    sessions = forms.TypedMultipleChoiceField(
        label="Sessions de relevé examinées",
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choisissez au moins une session de relevé.",
            "invalid_choice": "Cette session n’est pas de cet appel.",
        },
    )

    def __init__(self, *args: Any, call: Call, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.call = call
        self.fields["sessions"].choices = [
            (s.pk, f"{s.label} ({s.date:%d/%m/%Y})") for s in call.sessions.order_by("date")
        ]

    def starts_at(self) -> dt.datetime | None:
        day, time = self.cleaned_data.get("day"), self.cleaned_data.get("time")
        if day is None or time is None:
            return None
        return dt.datetime.combine(day, time, tzinfo=ZoneInfo(self.call.rules.timezone))


class AgendaForm(forms.Form):
    dossiers = forms.TypedMultipleChoiceField(
        label="Dossiers inscrits à l’ordre du jour",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Ce dossier ne peut pas être inscrit."},
    )

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dossiers"].choices = choices


class AttendanceForm(forms.Form):
    present = forms.TypedMultipleChoiceField(
        label="Membres présents",
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Cochez les membres présents, vous compris.",
            "invalid_choice": "Cette personne n’est pas membre du comité.",
        },
    )

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["present"].choices = choices


class ConflictForm(forms.Form):
    reason = TextField(
        label="Nature du lien (facultatif)",
        max_length=500,
        required=False,
        help_text="Par exemple : élu de la commune, membre de l’EPCI, lien familial.",
    )


class VoteForm(forms.Form):
    choice = forms.ChoiceField(
        label="Votre vote",
        choices=VoteChoice.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choisissez pour, contre ou abstention.",
            "invalid_choice": "Choisissez pour, contre ou abstention.",
        },
    )


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Décision",
        choices=Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choisissez une décision.",
            "invalid_choice": "Choisissez une décision.",
        },
    )
    amount = EurosField(label="Montant retenu (€)", allow_zero=False)
    year = forms.TypedChoiceField(
        label="Enveloppe",
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": "L’appel n’a pas d’enveloppe pour cette année."},
    )
    reason = TextField(
        label="Motif",
        max_length=3000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Obligatoire pour un refus (il est communiqué à la collectivité) et pour un "
        "montant inférieur à la proposition.",
    )
    waiting_rank = forms.TypedChoiceField(
        label="Rang en liste complémentaire",
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": "Choisissez un rang de la liste."},
    )
    consensus = forms.TypedChoiceField(
        label="Mode de décision",
        choices=[("1", "Par consensus"), ("0", "Au vote (les votes enregistrés font foi)")],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
        initial="1",
        error_messages={"invalid_choice": "Choisissez le mode de décision."},
    )

    def __init__(self, *args: Any, years: list[int], ranks: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", "Choisir une année")] + [(y, str(y)) for y in years]
        self.fields["waiting_rank"].choices = [("", "Au rang suivant")] + [
            (r, str(r)) for r in range(1, ranks + 1)
        ]

    def decision(self) -> DecisionInput:
        data = self.cleaned_data
        return DecisionInput(
            outcome=data["outcome"],
            amount=data.get("amount"),
            year=data.get("year"),
            reason=data.get("reason") or "",
            waiting_rank=data.get("waiting_rank"),
            consensus=bool(data.get("consensus", True)),
        )
