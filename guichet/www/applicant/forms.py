"""The dossier's steps as forms.

Every field is optional while the dossier is being written: what is required is decided when it is
submitted (``guichet.dossiers.services.problems``). These forms only refuse what is malformed, with
a French message at the field, so that a save keeps every valid value and the page keeps the rest.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django import forms

from guichet.dossiers.models import PartnerRole
from guichet.rules.money import AmountError, parse_euros
from guichet.rules.numbers import TOO_HIGH_MESSAGE, NumberError, parse_whole_number
from guichet.rules.parameters import CallRules
from guichet.rules.siret import SiretError, parse_siret
from guichet.simulator.inputs import InputError, parse_date

MAX_AMOUNT = Decimal("9999999999.99")


def _count(number: int) -> str:
    """12000 → « 12 000 » (a no-break space between thousands, as on every page)."""
    return f"{number:,}".replace(",", "\u00a0")


class TextField(forms.CharField):
    """Text as the user typed it, whichever way it was sent.

    Line ends are stored as ``\\n``: a browser submitting the form sends a textarea's line ends
    as ``\\r\\n``, htmx's autosave as ``\\n``; without this, every other save of an unchanged text
    was a change (and a line of the dossier's history), and a text at the limit counted each line
    end twice. Too long a text is refused in French with its length, at the field; the page gives
    the same limit to the browser (``maxlength``).
    """

    def to_python(self, value: Any) -> str:
        if isinstance(value, str):
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        return super().to_python(value)

    def run_validators(self, value: Any) -> None:
        _check_length(self, value)
        super().run_validators(value)


class EmailField(forms.EmailField):
    """An e-mail address, too long said in French like any text."""

    def run_validators(self, value: Any) -> None:
        _check_length(self, value)
        super().run_validators(value)


def _check_length(field: forms.CharField, value: Any) -> None:
    if field.max_length is not None and value and len(value) > field.max_length:
        raise forms.ValidationError(
            f"{_count(field.max_length)} caractères au plus "
            f"(vous en avez saisi {_count(len(value))}).",
            code="max_length",
        )


class EurosField(forms.CharField):
    """An amount in euros as the French write it: « 12 000,50 € »."""

    def __init__(self, *args: Any, allow_zero: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)
        self.allow_zero = allow_zero

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        try:
            amount = parse_euros(text, allow_zero=self.allow_zero)
        except AmountError as exc:
            raise forms.ValidationError(str(exc), code="amount") from None
        if amount > MAX_AMOUNT:  # the amounts' columns hold 12 digits, cents included
            raise forms.ValidationError("Le montant est trop élevé.", code="amount")
        return amount


class FrenchDateField(forms.CharField):
    """A date typed as JJ/MM/AAAA or given by a date picker as AAAA-MM-JJ."""

    def to_python(self, value: Any) -> dt.date | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        try:
            day = parse_date(text, self.label or "date")
        except InputError as exc:
            raise forms.ValidationError(exc.message, code="date") from None
        if day is not None and not (2000 <= day.year <= 2100):
            raise forms.ValidationError(
                f"« {text} » : l’année doit être comprise entre 2000 et 2100.", code="date"
            )
        return day


class CountField(forms.CharField):
    """A whole number of people; spaces as thousands separators are accepted."""

    def to_python(self, value: Any) -> int | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        try:
            return parse_whole_number(text, separators=" \t\u00a0\u202f", maximum=100_000_000)
        except NumberError as exc:
            if str(exc) == TOO_HIGH_MESSAGE:
                raise forms.ValidationError(str(exc), code="count") from None
            raise forms.ValidationError(
                f"« {text} » n’est pas un nombre entier positif. {exc}", code="count"
            ) from None


PHONE = re.compile(r"^(?:\+33|0033|0)([1-9]\d{8})$", re.ASCII)  # 0 to 9, not « ٠٦ »


def normalize_phone(text: str) -> str:
    """'06 12 34 56 78', '+33 6 12 34 56 78' → '06 12 34 56 78'; ValidationError otherwise."""
    digits = re.sub(r"[\s.\-()\u00a0]", "", text)
    match = PHONE.match(digits)
    if not match:
        raise forms.ValidationError(
            f"« {text} » n’est pas un numéro de téléphone français (10 chiffres, ex. 04 73 12 34 56).",
            code="phone",
        )
    national = "0" + match.group(1)
    return " ".join(national[i : i + 2] for i in range(0, 10, 2))


class StepForm(forms.Form):
    """Fields are optional; blank text is stored as ''."""

    def __init__(self, *args: Any, call_rules: CallRules, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.call_rules = call_rules
        for field in self.fields.values():
            field.required = False


def _text(label: str, max_length: int, **kwargs: Any) -> forms.CharField:
    return TextField(label=label, max_length=max_length, required=False, **kwargs)


def _area(label: str, max_length: int = 5000) -> forms.CharField:
    return TextField(
        label=label, max_length=max_length, required=False, widget=forms.Textarea(attrs={"rows": 5})
    )


class PorteurForm(StepForm):
    siret = _text("SIRET de l’établissement", 20)
    contact_name = _text("Nom et prénom", 150)
    contact_function = _text("Fonction", 150)
    contact_email = EmailField(
        label="Adresse électronique",
        required=False,
        max_length=254,
        error_messages={"invalid": "Saisissez une adresse électronique valide, ex. nom@mairie.fr."},
    )
    contact_phone = _text("Téléphone", 30)

    def __init__(self, *args: Any, applicant_siren: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.applicant_siren = applicant_siren

    def clean_siret(self) -> str:
        try:
            return parse_siret(self.cleaned_data["siret"], self.applicant_siren)
        except SiretError as exc:
            raise forms.ValidationError(exc.message) from None

    def clean_contact_phone(self) -> str:
        value = self.cleaned_data["contact_phone"].strip()
        return normalize_phone(value) if value else ""


class ProjetForm(StepForm):
    title = _text("Intitulé du projet", 200)
    summary = _area("Résumé du projet", 1000)
    category = forms.ChoiceField(
        label="Catégorie du projet", required=False, widget=forms.RadioSelect
    )
    examples = forms.MultipleChoiceField(
        label="Le projet correspond-il à l’un des exemples de l’appel ?",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    description = _area("Description du projet", 10000)
    daily_life_effect = _area("Effet attendu sur la vie quotidienne des habitants")
    participatory = forms.ChoiceField(
        label="Le besoin a-t-il été identifié par une démarche participative ?",
        required=False,
        choices=[("oui", "Oui"), ("non", "Non")],
        widget=forms.RadioSelect,
    )
    participatory_how = _area("Comment ? (consultation, atelier, questionnaire…)")
    innovation = _area("En quoi le projet est-il innovant ?")
    solution_choice = _area("Pourquoi cette solution numérique ?")
    agents_reached = CountField(label="Nombre d’agents formés ou équipés", required=False)
    users_reached = CountField(label="Nombre d’usagers touchés", required=False)
    governance = _area("Gouvernance du projet")
    pooling = _area("Mutualisation avec d’autres collectivités")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rules = self.call_rules
        self.fields["category"].choices = [(c.code, c.title) for c in rules.categories]
        self.fields["examples"].choices = [(e, e[:1].upper() + e[1:]) for e in rules.examples]
        self.fields["category"].error_messages["invalid_choice"] = (
            "Choisissez l’une des catégories de l’appel."
        )
        self.fields["examples"].error_messages["invalid_choice"] = (
            "Choisissez parmi les exemples de l’appel."
        )

    def clean_participatory(self) -> bool | None:
        return {"oui": True, "non": False}.get(self.cleaned_data["participatory"])


class BudgetForm(StepForm):
    other_funding = EurosField(label="Autres financements obtenus ou sollicités", allow_zero=True)
    requested_amount = EurosField(label="Montant demandé à l’État")


class CostLineForm(forms.Form):
    nature = _text("Nature de la dépense", 200)
    supplier = _text("Fournisseur", 200)
    amount_excl_vat = EurosField(label="Montant HT")
    amount_incl_vat = EurosField(label="Montant TTC")

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        raw = [self.data.get(self.add_prefix(n), "") for n in self.fields]
        return not any(str(v).strip() for v in raw) and not any(data.values())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.is_blank():
            return data
        if not data.get("nature") and "nature" not in self.errors:
            self.add_error("nature", "Indiquez la nature de la dépense.")
        ht, ttc = data.get("amount_excl_vat"), data.get("amount_incl_vat")
        if ht is None and "amount_excl_vat" not in self.errors:
            self.add_error("amount_excl_vat", "Indiquez le montant hors taxes.")
        if ttc is None and "amount_incl_vat" not in self.errors:
            self.add_error("amount_incl_vat", "Indiquez le montant toutes taxes comprises.")
        if ht is not None and ttc is not None and ttc < ht:
            self.add_error(
                "amount_incl_vat", "Le montant TTC ne peut pas être inférieur au montant HT."
            )
        return data


class BaseCostLineFormSet(forms.BaseFormSet):
    def valid_lines(self) -> list[dict[str, Any]]:
        return [
            {
                k: f.cleaned_data[k]
                for k in ("nature", "supplier", "amount_excl_vat", "amount_incl_vat")
            }
            for f in self.forms
            if f.is_valid() and not f.is_blank()
        ]

    def tampered(self) -> bool:
        """True when the management form was altered: no line can then be trusted nor saved."""
        if not self.management_form.is_valid():
            return True
        total = self.management_form.cleaned_data["TOTAL_FORMS"]
        return total < 0 or total > self.absolute_max or bool(self.non_form_errors())

    def complete(self) -> bool:
        """True when no line has an error (blank lines are ignored)."""
        return all(f.is_valid() for f in self.forms)


CostLineFormSet = forms.formset_factory(
    CostLineForm, formset=BaseCostLineFormSet, extra=1, max_num=50, absolute_max=60
)


class CalendrierForm(StepForm):
    engagement_date = FrenchDateField(
        label="Date d’engagement (signature du devis ou du marché), prévue ou réelle",
        required=False,
    )
    end_date = FrenchDateField(label="Date de fin du projet", required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("engagement_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error(
                "end_date",
                forms.ValidationError(
                    "La date de fin ne peut pas précéder la date d’engagement.", code="order"
                ),
            )
        return data


class PartnerForm(forms.Form):
    collectivity = TextField(
        label="Collectivité partenaire",
        max_length=200,
        error_messages={"required": "Choisissez la collectivité partenaire."},
    )
    collectivity_ref = forms.CharField(required=False, widget=forms.HiddenInput)
    role = forms.ChoiceField(
        label="Rôle dans le projet",
        choices=PartnerRole.choices,
        error_messages={
            "required": "Choisissez le rôle du partenaire.",
            "invalid_choice": "Choisissez l’un des rôles proposés.",
        },
    )


class SubmitForm(forms.Form):
    sworn_statement = forms.BooleanField(
        label=(
            "Je certifie sur l’honneur l’exactitude des informations du dossier et que la "
            "collectivité a autorité pour engager ce projet."
        ),
        required=False,
    )


class MessageForm(forms.Form):
    body = TextField(
        label="Votre message",
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Écrivez un message."},
    )


class InvitationForm(forms.Form):
    email = EmailField(
        label="Adresse électronique de votre collègue",
        max_length=254,
        error_messages={
            "required": "Indiquez l’adresse électronique de votre collègue.",
            "invalid": "Saisissez une adresse électronique valide, ex. nom@mairie.fr.",
        },
    )


class WithdrawForm(forms.Form):
    reason = TextField(
        label="Motif (facultatif)",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
