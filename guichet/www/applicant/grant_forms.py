"""The beneficiary's forms after the decision: the engagement's proof, a payment request with its
statement of expenses and its pieces, and the pieces a returned request lacked.

As the dossier's steps, these forms only refuse what is malformed (a date, an amount, a file),
at its field and in French; what the grant allows (the deadline, the ceilings, the pieces the
call asks) is the service's to say (``guichet.grants.postaward``), and the view puts its refusal
at the field it names.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from guichet.documents.uploads import DocumentField
from guichet.grants.postaward import ExpenseInput
from guichet.rules.postaward import PAYMENT_KIND_LABELS, PIECE_LABELS, PaymentKind, PieceKind

from .forms import EurosField, FrenchDateField, TextField


class EngagementForm(forms.Form):
    file = DocumentField(
        label="Devis ou marché signé",
        error_messages={"required": "Joignez le devis ou le marché signé."},
    )
    signed_on = FrenchDateField(
        label="Date de signature",
        error_messages={"required": "Indiquez la date de signature (JJ/MM/AAAA)."},
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleDocumentField(DocumentField):
    """Several files of one kind (several invoices), each checked as any piece."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:  # type: ignore[override]
        files = data if isinstance(data, list | tuple) else [data]
        files = [f for f in files if f]
        if not files:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        return [super(MultipleDocumentField, self).clean(f, initial) for f in files]


def piece_field_name(kind: PieceKind) -> str:
    return f"piece_{kind.value}"


class PiecesMixin:
    """One file input per kind of piece (several files each)."""

    piece_kinds: tuple[PieceKind, ...] = tuple(PieceKind)
    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]

    def add_piece_fields(self, kinds: tuple[PieceKind, ...]) -> None:
        self.piece_kinds = kinds
        for kind in kinds:
            self.fields[piece_field_name(kind)] = MultipleDocumentField(
                label=PIECE_LABELS[kind], required=False
            )

    def pieces(self) -> list[tuple[str, Any]]:
        """(kind, upload) pairs, in the order of the kinds."""
        return [
            (kind.value, upload)
            for kind in self.piece_kinds
            for upload in self.cleaned_data.get(piece_field_name(kind)) or []
        ]


class PaymentRequestForm(PiecesMixin, forms.Form):
    kind = forms.ChoiceField(
        label="Nature de la demande",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choisissez la nature de la demande.",
            "invalid_choice": "Choisissez l’une des natures de demande proposées.",
        },
    )
    amount = EurosField(
        label="Montant demandé",
        required=True,
        error_messages={"required": "Indiquez le montant demandé, en euros."},
    )
    confirm = forms.BooleanField(
        label=(
            "Je certifie exacts l’état des dépenses et les pièces joints, et je demande ce "
            "versement au nom de la collectivité."
        ),
        error_messages={"required": "Cochez la case pour confirmer l’envoi de la demande."},
    )

    def __init__(
        self,
        *args: Any,
        kinds: tuple[PaymentKind, ...],
        piece_kinds: tuple[PieceKind, ...],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k.value, PAYMENT_KIND_LABELS[k]) for k in kinds]
        self.add_piece_fields(piece_kinds)


class ExpenseLineForm(forms.Form):
    supplier = TextField(label="Fournisseur", max_length=200, required=False)
    invoice_number = TextField(label="N° de facture", max_length=60, required=False)
    invoiced_on = FrenchDateField(label="Date de la facture", required=False)
    nature = TextField(label="Nature de la dépense", max_length=200, required=False)
    amount_excl_vat = EurosField(label="Montant HT")
    amount_incl_vat = EurosField(label="Montant TTC")

    def __init__(self, *args: Any, today: dt.date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def is_blank(self) -> bool:
        raw = [self.data.get(self.add_prefix(n), "") for n in self.fields]
        return not any(str(v).strip() for v in raw)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.is_blank():
            return data
        required = {
            "supplier": "Indiquez le fournisseur.",
            "invoiced_on": "Indiquez la date de la facture (JJ/MM/AAAA).",
            "nature": "Indiquez la nature de la dépense.",
            "amount_excl_vat": "Indiquez le montant hors taxes.",
            "amount_incl_vat": "Indiquez le montant toutes taxes comprises.",
        }
        for name, message in required.items():
            if data.get(name) in (None, "") and name not in self.errors:
                self.add_error(name, message)
        ht, ttc = data.get("amount_excl_vat"), data.get("amount_incl_vat")
        if ht is not None and ttc is not None and ttc < ht:
            self.add_error(
                "amount_incl_vat", "Le montant TTC ne peut pas être inférieur au montant HT."
            )
        day = data.get("invoiced_on")
        if day and self.today and day > self.today and "invoiced_on" not in self.errors:
            self.add_error("invoiced_on", "La date de la facture ne peut pas être dans le futur.")
        return data

    def expense(self) -> ExpenseInput:
        data = self.cleaned_data
        return ExpenseInput(
            supplier=data["supplier"],
            invoiced_on=data["invoiced_on"],
            nature=data["nature"],
            amount_excl_vat=data["amount_excl_vat"],
            amount_incl_vat=data["amount_incl_vat"],
            invoice_number=data["invoice_number"],
        )


class BaseExpenseFormSet(forms.BaseFormSet):
    def tampered(self) -> bool:
        """The management form was altered: no line can be trusted."""
        if not self.management_form.is_valid():
            return True
        total = self.management_form.cleaned_data["TOTAL_FORMS"]
        return total < 0 or total > self.absolute_max

    def expenses(self) -> list[ExpenseInput]:
        """The lines typed (blank ones left out); call once every line is valid."""
        return [f.expense() for f in self.forms if not f.is_blank()]

    def lines_valid(self) -> bool:
        return not self.tampered() and all(f.is_valid() for f in self.forms)


ExpenseFormSet = forms.formset_factory(
    ExpenseLineForm, formset=BaseExpenseFormSet, extra=3, max_num=50, absolute_max=60
)
EXPENSES_PREFIX = "lignes"


class CompleteRequestForm(PiecesMixin, forms.Form):
    note = TextField(
        label="Message à la préfecture (facultatif)",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_piece_fields(tuple(PieceKind))
