"""The bulk actions of the reviewers' list: which action, on which dossiers, with what."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms

ACTIONS = {
    "assign": "Affecter à un instructeur",
    "start_review": "Commencer l’instruction",
    "request_correction": "Demander des corrections",
}
NOBODY = "personne"


class BulkForm(forms.Form):
    action = forms.ChoiceField(
        label="Action groupée",
        choices=[("", "Choisir une action"), *ACTIONS.items()],
        error_messages={
            "required": "Choisissez une action.",
            "invalid_choice": "Cette action est inconnue.",
        },
    )
    dossiers = forms.CharField(required=False)  # read with getlist in clean_dossiers
    instructeur = forms.ChoiceField(label="Instructeur", required=False)
    message = forms.CharField(
        label="Ce que le porteur doit corriger (le même message pour chaque dossier)",
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, data: Any, *, reviewers: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.fields["instructeur"].choices = [
            ("", "Choisir un instructeur"),
            *reviewers,
            (NOBODY, "Personne (retirer l’affectation)"),
        ]
        self.fields["instructeur"].error_messages["invalid_choice"] = (
            "Cet instructeur n’instruit pas les dossiers de cet appel."
        )

    def clean_dossiers(self) -> list[uuid.UUID]:
        values = self.data.getlist("dossiers") if hasattr(self.data, "getlist") else []
        uuids = []
        for value in values[:1000]:
            try:
                uuids.append(uuid.UUID(str(value)))
            except ValueError:
                continue  # a forged value: it matches no dossier and is reported as such
        if not values:
            raise forms.ValidationError("Sélectionnez au moins un dossier.")
        return list(dict.fromkeys(uuids))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        action = data.get("action")
        if action == "assign" and not data.get("instructeur"):
            self.add_error("instructeur", "Choisissez l’instructeur à qui affecter les dossiers.")
        if action == "request_correction" and not (data.get("message") or "").strip():
            self.add_error("message", "Expliquez au porteur ce qu’il doit corriger.")
        return data
