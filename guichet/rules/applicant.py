"""Who applies: the plain description of a collectivité (or of anything else) that the rules judge.

The rules never look anything up: the caller (the territories app, a test, the CLI) builds an
Applicant from the reference data and hands it over.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ApplicantKind(StrEnum):
    """Kinds of structures. Only the first five are collectivités; OTHER covers everything else."""

    COMMUNE = "commune"
    EPCI = "epci"
    METROPOLE = "metropole"
    DEPARTEMENT = "departement"
    REGION = "region"
    OTHER = "other"

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


KIND_LABELS: dict[ApplicantKind, str] = {
    ApplicantKind.COMMUNE: "commune",
    ApplicantKind.EPCI: "établissement public de coopération intercommunale (EPCI)",
    ApplicantKind.METROPOLE: "métropole",
    ApplicantKind.DEPARTEMENT: "département",
    ApplicantKind.REGION: "région",
    ApplicantKind.OTHER: "structure",
}


@dataclass(frozen=True)
class Applicant:
    """A structure as the rules see it.

    ``departements`` lists the codes of the départements the structure is located in or covers:
    a commune's own; an EPCI's seat and members' départements; a département itself; a région's
    départements. ``population`` is the INSEE municipal population of the reference ``vintage``.
    ``other_label`` names what an OTHER structure is ("association", "entreprise", …).
    """

    kind: ApplicantKind
    code: str
    name: str
    population: int | None = None
    vintage: str | None = None
    departements: frozenset[str] = field(default_factory=frozenset)
    epci_type: str | None = None  # CC, CA, CU, METRO for EPCI à fiscalité propre
    other_label: str | None = None

    @property
    def kind_label(self) -> str:
        if self.kind is ApplicantKind.OTHER and self.other_label:
            return self.other_label
        return self.kind.label
