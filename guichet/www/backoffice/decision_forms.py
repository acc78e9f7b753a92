"""The form of a closed meeting's decisions page: the signed scan, and which document it signs
when its QR code cannot be read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from guichet.committee.models import DecisionDocument
from guichet.documents.uploads import DocumentField

BY_QR = ""


class ScanForm(forms.Form):
    file = DocumentField(
        kinds=("pdf",),
        label="Scan signé (PDF)",
        error_messages={"required": "Choisissez le fichier du scan signé."},
    )
    document = forms.ChoiceField(
        label="Document signé",
        required=False,
        error_messages={"invalid_choice": "Ce document n’est pas une décision de cette séance."},
    )

    def __init__(
        self, *args: Any, documents: Sequence[DecisionDocument] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.documents = {d.uuid.hex: d for d in documents}
        self.fields["document"].choices = [
            (BY_QR, "Reconnu par son code QR (ou son numéro)"),
            *[
                (key, f"{d.number} — {d.decision.item.dossier.applicant_name}")
                for key, d in self.documents.items()
            ],
        ]
        self.fields["document"].help_text = (
            "Laissez « Reconnu par son code QR » : le guichet lit le code de la première page. "
            "Choisissez le document vous-même si le code est illisible."
        )

    def chosen(self) -> DecisionDocument | None:
        return self.documents.get(self.cleaned_data.get("document") or "")
