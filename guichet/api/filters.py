"""The query parameters of each list, validated: a wrong value is a 400 naming the parameter."""

from __future__ import annotations

from rest_framework import serializers

from guichet.committee.models import MeetingStatus
from guichet.dossiers.workflow import State
from guichet.grants.models import EntryKind, GrantStatus

from .pagination import MAX_PAGE_SIZE


class WholeNumber(serializers.IntegerField):
    """Digits 0 to 9 only (``int()`` reads « ٣ » as 3: ``rules.numbers``' reason)."""

    def to_internal_value(self, data: object) -> int:
        if not (isinstance(data, str) and data.isascii() and data.strip().isdigit()):
            self.fail("invalid")
        return super().to_internal_value(data)


def _choice(choices: list[str], what: str, help_text: str) -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=choices,
        required=False,
        help_text=help_text,
        error_messages={
            "invalid_choice": f"« {{input}} » n’est pas {what} : {', '.join(choices)}."
        },
    )


def _year(help_text: str) -> serializers.IntegerField:
    return WholeNumber(
        required=False,
        min_value=2000,
        max_value=2100,
        help_text=help_text,
        error_messages={
            "invalid": "Une année en chiffres est attendue (par exemple 2021).",
            "min_value": "Une année entre 2000 et 2100 est attendue.",
            "max_value": "Une année entre 2000 et 2100 est attendue.",
            "max_string_length": "Une année en chiffres est attendue (par exemple 2021).",
        },
    )


class Page(serializers.Serializer):
    cursor = serializers.CharField(
        required=False,
        max_length=500,
        help_text="Le curseur d’une page, repris du lien « next » ou « previous ».",
    )
    page_size = WholeNumber(
        required=False,
        min_value=1,
        max_value=MAX_PAGE_SIZE,
        help_text=f"Nombre de résultats par page (50 par défaut, {MAX_PAGE_SIZE} au plus).",
        error_messages={
            "invalid": f"Un nombre entier entre 1 et {MAX_PAGE_SIZE} est attendu.",
            "min_value": f"Un nombre entier entre 1 et {MAX_PAGE_SIZE} est attendu.",
            "max_value": f"Un nombre entier entre 1 et {MAX_PAGE_SIZE} est attendu.",
            "max_string_length": f"Un nombre entier entre 1 et {MAX_PAGE_SIZE} est attendu.",
        },
    )


class DossierFilters(Page):
    state = _choice(
        [s.value for s in State if s != State.DRAFT], "un état de dossier", "État du dossier."
    )
    arrondissement = serializers.RegexField(
        r"^[0-9AB]{3,4}$",
        required=False,
        help_text="Code de l’arrondissement où le dossier est instruit (par exemple 632).",
        error_messages={"invalid": "Un code d’arrondissement est attendu (par exemple 632)."},
    )
    year = _year("Année du dépôt (heure de Paris).")
    updated_since = serializers.DateTimeField(
        required=False,
        help_text="Dossiers modifiés depuis ce moment (ISO 8601, par exemple "
        "2021-06-30T00:00:00+02:00 ; sans décalage, l’heure de Paris).",
        error_messages={
            "invalid": "Une date et heure ISO 8601 est attendue (par exemple "
            "2021-06-30T00:00:00+02:00).",
            "overflow": "Cette date et heure est hors des limites.",
        },
    )


class GrantFilters(Page):
    year = _year("Année de l’enveloppe sur laquelle la subvention est engagée.")
    status = _choice(
        [s.value for s in GrantStatus], "un état de subvention", "État de la subvention."
    )


class LedgerFilters(Page):
    kind = _choice([k.value for k in EntryKind], "une nature de ligne", "Nature de la ligne.")


class MeetingFilters(Page):
    status = _choice([s.value for s in MeetingStatus], "un état de séance", "État de la séance.")
