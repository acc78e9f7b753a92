"""The reviewers' forms: corrections, scores, opinion and proposal, population, notes, assignment,
and the managers' forms for the call's agents (scope, invitation, the invitee's new account).

They only refuse what is malformed, with a French message at the field; the review services decide
the rest (``guichet.review.services``) and their refusals are shown at the field they name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError

from guichet.accounts.forms import email_field, new_password_field, password_confirmation_field
from guichet.accounts.models import User
from guichet.calls.models import Call
from guichet.review import agents
from guichet.review.models import OpinionKind, Role
from guichet.rules.numbers import TOO_HIGH_MESSAGE, NumberError, parse_whole_number
from guichet.rules.parameters import Criterion, RuleText, ScoringGrid
from guichet.www.applicant.forms import EurosField

# The value of the arrondissement select that sends the dossier to the préfecture's own team.
PREFECTURE = "prefecture"
KEEP = ""


class CorrectionForm(forms.Form):
    message = forms.CharField(
        label="Ce que le porteur doit corriger",
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Expliquez au porteur ce qu’il doit corriger."},
    )


class ContactInvitationForm(forms.Form):
    email = email_field(
        "Adresse électronique du porteur",
        "Indiquez l’adresse électronique à laquelle envoyer l’invitation.",
        "secretariat@mairie-billom.fr",
    )


@dataclass(frozen=True)
class ScoreRow:
    """One criterion of the scoring form: its mark, its comment, the meaning of each level, and
    the call's text it rests on, quoted only at the first criterion that cites it."""

    criterion: Criterion
    mark: forms.BoundField
    comment: forms.BoundField
    levels: tuple[tuple[str, str], ...]
    quote: str
    quote_title: str
    quoted_above: bool


class ScoreForm(forms.Form):
    """One mark (radio buttons over the call's scale, each with its meaning) and one comment per
    criterion of the grid.

    A reviewer may save part of the grid and come back: unmarked criteria are left as they were.
    """

    def __init__(
        self,
        grid: ScoringGrid,
        *args: Any,
        quotes: Mapping[str, RuleText] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.grid = grid
        self.quotes = quotes or {}
        for criterion in grid.criteria:
            self.fields[criterion.code] = forms.TypedChoiceField(
                label=criterion.label,
                choices=[
                    (str(mark), f"{mark} — {meaning}")
                    for mark, meaning in criterion.level_choices(grid.scale_min)
                ],
                coerce=int,
                required=False,
                widget=forms.RadioSelect,
                error_messages={
                    "invalid_choice": (
                        f"Choisissez une note entre {grid.scale_min} et {grid.scale_max}."
                    )
                },
            )
            self.fields[f"{criterion.code}_comment"] = forms.CharField(
                label=f"Commentaire sur « {criterion.label} »",
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def rows(self) -> list[ScoreRow]:
        seen: set[str] = set()
        rows = []
        for c in self.grid.criteria:
            text = self.quotes.get(c.rule) if c.rule else None
            rows.append(
                ScoreRow(
                    criterion=c,
                    mark=self[c.code],
                    comment=self[f"{c.code}_comment"],
                    levels=tuple(
                        (str(mark), meaning)
                        for mark, meaning in c.level_choices(self.grid.scale_min)
                    ),
                    quote=text.quote if text else "",
                    quote_title=text.title if text else "",
                    quoted_above=c.rule in seen,
                )
            )
            if c.rule:
                seen.add(c.rule)
        return rows

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        marked = False
        for criterion in self.grid.criteria:
            value = data.get(criterion.code)
            if value is None or value == "":
                if (data.get(f"{criterion.code}_comment") or "").strip():
                    self.add_error(
                        criterion.code, "Donnez une note à ce critère pour garder le commentaire."
                    )
            else:
                marked = True
        if not marked and not self.errors and self.grid.criteria:
            self.add_error(self.grid.criteria[0].code, "Notez au moins un critère.")
        return data

    def marks(self) -> dict[str, tuple[int, str]]:
        return {
            c.code: (
                self.cleaned_data[c.code],
                (self.cleaned_data.get(f"{c.code}_comment") or "").strip(),
            )
            for c in self.grid.criteria
            if self.cleaned_data.get(c.code) not in (None, "")
        }


class ProposalForm(forms.Form):
    """The opinion and the amount, neither chosen in advance: the maximum is shown as a hint."""

    kind = forms.ChoiceField(
        label="Avis de l’instructeur",
        choices=OpinionKind.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choisissez un avis : favorable, réservé ou défavorable.",
            "invalid_choice": "Choisissez un avis : favorable, réservé ou défavorable.",
        },
    )
    amount = EurosField(
        label="Montant proposé",
        allow_zero=True,
        required=True,
        error_messages={"required": "Indiquez le montant proposé (0 € pour aucun)."},
    )
    justification = forms.CharField(
        label="Justification de la modulation",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    without_scores = forms.BooleanField(
        label="Je propose ce dossier sans notation",
        required=False,
        help_text="Aucun instructeur n’a encore rempli toute la grille de notation.",
    )

    def __init__(self, *args: Any, unscored: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only a dossier nobody has fully scored asks for this confirmation.
        if not unscored:
            del self.fields["without_scores"]

    @property
    def asks_without_scores(self) -> bool:
        return "without_scores" in self.fields


def _parse_population(text: str) -> int:
    try:
        return parse_whole_number(text, separators=" \t\u00a0\u202f.")
    except NumberError as exc:
        if str(exc) == TOO_HIGH_MESSAGE:
            raise forms.ValidationError("Ce nombre d’habitants est trop élevé.") from None
        raise forms.ValidationError(f"« {text} » n’est pas un nombre d’habitants. {exc}") from None


class PopulationForm(forms.Form):
    population = forms.CharField(
        label="Population retenue (habitants)",
        max_length=12,
        error_messages={"required": "Indiquez la population à retenir."},
    )
    population_justification = forms.CharField(
        label="Justification de la correction",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "Justifiez la correction (source, date du recensement…).",
        },
    )

    def clean_population(self) -> int:
        value = _parse_population(self.cleaned_data["population"])
        if value > 100_000_000:
            raise forms.ValidationError("Ce nombre d’habitants est trop élevé.")
        return value


class NoteForm(forms.Form):
    note = forms.CharField(
        label="Note privée (jamais visible par le porteur)",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Écrivez la note."},
    )


class AssignForm(forms.Form):
    """A programme manager gives the dossier to a reviewer, or to another arrondissement."""

    reviewer = forms.ChoiceField(label="Instructeur", required=False)
    arrondissement = forms.ChoiceField(label="Arrondissement", required=False)
    reason = forms.CharField(
        label="Motif",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Indiquez le motif de l’affectation."},
    )

    def __init__(
        self,
        *args: Any,
        reviewers: list[tuple[str, str]],
        arrondissements: list[tuple[str, str]],
        current_arrondissement: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].choices = [("", "Aucun instructeur nommé"), *reviewers]
        self.fields["arrondissement"].choices = [
            (KEEP, f"Inchangé ({current_arrondissement})"),
            *arrondissements,
            (PREFECTURE, "Préfecture (tout le département)"),
        ]
        self.fields["reviewer"].error_messages["invalid_choice"] = (
            "Choisissez un instructeur de l’appel dans la liste."
        )
        self.fields["arrondissement"].error_messages["invalid_choice"] = (
            "Choisissez un arrondissement dans la liste."
        )

    def arrondissement_code(self) -> str | None:
        value = self.cleaned_data.get("arrondissement") or KEEP
        if value == KEEP:
            return None
        return "" if value == PREFECTURE else value


# ---------------------------------------------------------------- the call's agents


class ScopeForm(forms.Form):
    """Which dossiers a reviewer covers: some arrondissements, or the whole département."""

    whole = forms.BooleanField(
        label="Tout le département",
        required=False,
        help_text="Y compris les dossiers des départements et régions, traités par la préfecture.",
    )
    arrondissements = forms.MultipleChoiceField(
        label="Arrondissements",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "« %(value)s » n’est pas un arrondissement de l’appel."},
    )

    def __init__(self, *args: Any, call: Call, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.call = call
        self.names = agents.arrondissements_of(call)
        self.fields["arrondissements"].choices = [
            (code, f"{name} ({code})") for code, name in self.names.items()
        ]

    def role_value(self) -> str:
        return Role.REVIEWER

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        whole, chosen = data.get("whole"), data.get("arrondissements") or []
        if "arrondissements" in self.errors:
            return data
        if self.role_value() == Role.REVIEWER:
            if whole and chosen:
                self.add_error(
                    "arrondissements",
                    "Cochez des arrondissements ou « Tout le département », pas les deux.",
                )
            elif not whole and not chosen:
                self.add_error(
                    "arrondissements",
                    "Choisissez les arrondissements que couvre cet instructeur, ou « Tout le "
                    "département ».",
                )
        elif chosen:
            self.add_error(
                "arrondissements",
                "Ce rôle porte sur tout l’appel : ne cochez pas d’arrondissement (ils ne "
                "concernent que les instructeurs).",
            )
        data["scope"] = sorted(chosen) if not whole else []
        return data


class InviteForm(ScopeForm):
    email = email_field(
        "Adresse électronique",
        "Indiquez l’adresse électronique de la personne à inviter.",
        "prenom.nom@puy-de-dome.gouv.fr",
    )
    role = forms.ChoiceField(
        label="Rôle",
        choices=Role.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choisissez un rôle.",
            "invalid_choice": "Choisissez un des rôles proposés.",
        },
    )

    field_order = ["email", "role", "whole", "arrondissements"]

    def role_value(self) -> str:
        return self.cleaned_data.get("role", "")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        return email

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        email, role = data.get("email"), data.get("role")
        if email and role and agents.holds_role(self.call, email, role):
            self.add_error(
                "email",
                f"Cette personne est déjà « {Role(role).label} » de cet appel : modifiez "
                "ses arrondissements dans la liste des agents.",
            )
        return data


class NewAgentForm(forms.Form):
    """A new person's account, made on the invitation's page."""

    first_name = forms.CharField(
        label="Prénom", max_length=150, error_messages={"required": "Indiquez votre prénom."}
    )
    last_name = forms.CharField(
        label="Nom", max_length=150, error_messages={"required": "Indiquez votre nom."}
    )
    password1 = new_password_field()
    password2 = password_confirmation_field()

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        password1, password2 = data.get("password1"), data.get("password2")
        if password1:
            candidate = User(
                email=self.email,
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
            )
            try:
                password_validation.validate_password(password1, candidate)
            except ValidationError as error:
                self.add_error("password1", error)
            if password2 and password1 != password2:
                self.add_error("password2", "Les deux mots de passe ne sont pas identiques.")
        return data
