"""A simulation: the rules core applied to a collectivité from the reference data.

The CLI and the web simulator both call ``simulate`` and render its ``Verdict``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from guichet.calls.models import Call
from guichet.rules.applicant import Applicant
from guichet.rules.eligibility import Project, Verdict, evaluate
from guichet.territories.services import UnknownCollectivity, to_applicant

from .inputs import ApplicantRef, InputError


@dataclass(frozen=True)
class SimulationRequest:
    applicant: ApplicantRef
    cost: Decimal | None = None
    category: str | None = None
    submitted_at: dt.datetime | None = None
    engaged_on: dt.date | None = None
    partners: tuple[ApplicantRef, ...] = ()


def resolve(ref: ApplicantRef, vintage: str, field: str) -> Applicant:
    try:
        return to_applicant(ref.kind, ref.code, vintage)
    except UnknownCollectivity as exc:
        raise InputError(field, str(exc)) from None


def simulate(call: Call, request: SimulationRequest) -> Verdict:
    vintage = call.reference_vintage
    applicant = resolve(request.applicant, vintage, "applicant")
    partners = tuple(
        resolve(ref, vintage, f"partner-{i}") for i, ref in enumerate(request.partners)
    )
    project = Project(
        cost=request.cost,
        category=request.category,
        submitted_at=request.submitted_at,
        engaged_on=request.engaged_on,
        partners=partners,
    )
    return evaluate(call.rules, applicant, project)


def _number(amount: Decimal) -> int | float:
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def verdict_as_json(call: Call, verdict: Verdict) -> dict[str, Any]:
    """The stable JSON contract of ``guichet simulate --json``."""
    a = verdict.applicant
    return {
        "call": call.slug,
        "eligible": verdict.eligible,
        "amount": _number(verdict.amount),
        "flat_amount": _number(verdict.flat_amount),
        "applicant": {
            "name": a.name,
            "kind": a.kind.value if a.other_label is None else a.other_label,
            "code": a.code,
            "population": a.population,
            "population_vintage": a.vintage,
        },
        "session": verdict.session.date.isoformat() if verdict.session else None,
        "checks": [
            {"rule": c.rule, "status": c.status.value, "message": c.message, "quote": c.quote}
            for c in verdict.checks
        ],
        "notes": list(verdict.notes),
    }
