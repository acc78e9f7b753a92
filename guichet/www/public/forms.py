"""The simulator's form: it only translates request fields into a SimulationRequest."""

from __future__ import annotations

from django import forms

from guichet.simulator.inputs import (
    InputError,
    parse_applicant_ref,
    parse_category,
    parse_cost,
    parse_date,
    parse_moment,
)
from guichet.simulator.services import SimulationRequest
from guichet.territories.services import COLLECTIVITY_KINDS


class SimulatorForm(forms.Form):
    q = forms.CharField(label="Votre collectivité", required=False, max_length=200)
    applicant = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
    cost = forms.CharField(label="Coût global du projet (€)", required=False, max_length=30)
    category = forms.CharField(label="Type de projet", required=False, max_length=2)
    submitted_on = forms.CharField(label="Date de dépôt prévue", required=False, max_length=30)
    engaged_on = forms.CharField(label="Date d'engagement prévue", required=False, max_length=30)

    def _parse(self, field: str, parse, *args, **kwargs):
        try:
            return parse(self.cleaned_data.get(field) or "", field, *args, **kwargs)
        except InputError as exc:
            self.add_error(field, exc.message)
            return None

    def _cost_required(self) -> bool:
        """The cost makes the amount of a collectivité; another structure cannot candidate at
        all, and its verdict needs no cost."""
        kind = (self.cleaned_data.get("applicant") or "").partition(":")[0].lower()
        return not kind or kind in COLLECTIVITY_KINDS

    def clean(self):
        data = super().clean()
        if not data.get("applicant"):
            if not (data.get("q") or "").strip():
                self.add_error("q", "Choisissez votre collectivité dans la liste.")
        else:
            try:
                parse_applicant_ref(data["applicant"], "applicant")
            except InputError as exc:
                self.add_error("q", exc.message)
        self._parse("cost", parse_cost, required=self._cost_required())
        self._parse("category", parse_category)
        self._parse("submitted_on", parse_moment)
        self._parse("engaged_on", parse_date)
        return data

    def simulation_request(self) -> SimulationRequest:
        d = self.cleaned_data
        return SimulationRequest(
            applicant=parse_applicant_ref(d["applicant"], "applicant"),
            cost=parse_cost(d["cost"], "cost", required=self._cost_required()),
            category=parse_category(d["category"], "category"),
            submitted_at=parse_moment(d["submitted_on"], "submitted_on"),
            engaged_on=parse_date(d["engaged_on"], "engaged_on"),
        )
