"""The public results of a call: the retained projects, their totals by budget year and by
arrondissement, the envelopes consumed, the amounts by category and the map of the
beneficiaries (``/appels/<slug>/resultats/``).

The grants are those of the open data (``opendata.published``: active or closed; lapsed and
withdrawn ones are left out), so that the page and the files always agree. The envelopes'
consumption is the ledger's, drawn as the committee's home draws it (``services.bars``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from guichet.calls.models import Call
from guichet.grants.services import Bar, bars, positions
from guichet.review.agents import NO_ARRONDISSEMENT, arrondissement_labels
from guichet.rules.applicant import ApplicantKind
from guichet.rules.money import format_euros
from guichet.territories import contours

from . import opendata

ZERO = Decimal(0)
# The category chart: a viewBox of CHART_WIDTH units, one row of ROW_HEIGHT per category, the
# bars from LABEL_X over at most BAR_WIDTH units (the longest bar), the amount after the bar.
CHART_WIDTH = 1000
ROW_HEIGHT = 64
BAR_WIDTH = 760
BAR_HEIGHT = 22
NO_CATEGORY = "Sans catégorie"
KIND_LABELS = {
    ApplicantKind.COMMUNE: "Commune",
    ApplicantKind.EPCI: "EPCI",
    ApplicantKind.METROPOLE: "Métropole",
    ApplicantKind.DEPARTEMENT: "Département",
    ApplicantKind.REGION: "Région",
    ApplicantKind.OTHER: "Structure",
}


@dataclass(frozen=True)
class Project:
    applicant: str
    kind: str
    title: str
    amount: Decimal
    year: int
    arrondissement: str
    category: str


@dataclass(frozen=True)
class Total:
    label: str
    projects: int
    amount: Decimal


@dataclass(frozen=True)
class CategoryBar:
    label: str
    projects: int
    amount: Decimal
    y: int  # top of the row in the chart's viewBox
    width: int  # the bar's width, in viewBox units

    @property
    def text_y(self) -> int:
        return self.y + 20

    @property
    def bar_y(self) -> int:
        return self.y + 30

    @property
    def amount_x(self) -> int:
        return self.width + 10

    @property
    def amount_y(self) -> int:
        return self.bar_y + 17


@dataclass(frozen=True)
class Beneficiary:
    kind: str  # ApplicantKind value
    kind_label: str
    code: str
    name: str
    projects: int
    amount: Decimal
    on_map: bool


@dataclass(frozen=True)
class Results:
    projects: list[Project]
    total: Decimal
    by_year: list[Total]
    by_arrondissement: list[Total]
    by_category: list[CategoryBar]
    chart_height: int
    envelopes: list[Bar]
    beneficiaries: list[Beneficiary]
    map: contours.MapDrawing | None  # None: no contours shipped for the call's département

    @property
    def empty(self) -> bool:
        return not self.projects


def _totals(projects: list[Project], key: str, order: list[str] | None = None) -> list[Total]:
    counts: dict[str, int] = defaultdict(int)
    sums: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for p in projects:
        label = str(getattr(p, key))
        counts[label] += 1
        sums[label] += p.amount
    labels = [k for k in order if k in counts] if order is not None else sorted(counts)
    labels += sorted(k for k in counts if k not in labels)
    return [Total(label, counts[label], sums[label]) for label in labels]


def category_bars(totals: list[Total]) -> tuple[list[CategoryBar], int]:
    """The chart's rows (in the categories' order) and its height; the longest bar is
    BAR_WIDTH units, the others in proportion (a non-zero amount gets at least one unit)."""
    top = max((t.amount for t in totals), default=ZERO)
    rows = []
    for i, t in enumerate(totals):
        width = int(t.amount * BAR_WIDTH / top) if top else 0
        rows.append(
            CategoryBar(
                t.label, t.projects, t.amount, i * ROW_HEIGHT, max(width, 1 if t.amount else 0)
            )
        )
    return rows, len(rows) * ROW_HEIGHT + 8


def results(call: Call) -> Results:
    rules = call.rules
    categories = {c.code: f"{c.code}. {c.title}" for c in rules.categories}
    arrondissements = arrondissement_labels(call)
    grants = (
        opendata.published(call)
        .select_related("dossier", "envelope")
        .order_by("envelope__year", "dossier__applicant_name", "pk")
    )
    projects: list[Project] = []
    beneficiaries: dict[tuple[str, str], list[Project]] = defaultdict(list)
    names: dict[tuple[str, str], str] = {}
    for grant in grants:
        dossier = grant.dossier
        kind = dossier.applicant_kind
        project = Project(
            applicant=dossier.applicant_name,
            kind=_kind_label(kind),
            title=dossier.title or "Projet sans intitulé",
            amount=grant.amount,
            year=grant.envelope.year,
            arrondissement=arrondissements.get(
                dossier.arrondissement_code, dossier.arrondissement_code or NO_ARRONDISSEMENT
            ),
            category=categories.get(dossier.category, dossier.category or NO_CATEGORY),
        )
        projects.append(project)
        beneficiaries[(kind, dossier.applicant_code)].append(project)
        names[(kind, dossier.applicant_code)] = dossier.applicant_name

    by_category = _totals(projects, "category", order=[*categories.values(), NO_CATEGORY])
    chart, chart_height = category_bars(by_category)
    shapes = contours.load(call.reference_vintage, call.departement_code)
    drawing = None
    if shapes is not None:
        drawing = contours.draw(
            shapes,
            (
                (kind, code, f"{names[(kind, code)]} : {_amount_words(items)}")
                for (kind, code), items in beneficiaries.items()
            ),
        )
    drawn = (
        {(m.kind, m.code) for m in drawing.communes} | {("epci", m.code) for m in drawing.epcis}
        if drawing is not None
        else set()
    )
    listed = [
        Beneficiary(
            kind=kind,
            kind_label=_kind_label(kind),
            code=code,
            name=names[(kind, code)],
            projects=len(items),
            amount=sum((p.amount for p in items), ZERO),
            on_map=(("commune" if kind == ApplicantKind.COMMUNE else "epci"), code) in drawn,
        )
        for (kind, code), items in sorted(beneficiaries.items(), key=lambda kv: names[kv[0]])
    ]
    return Results(
        projects=projects,
        total=sum((p.amount for p in projects), ZERO),
        by_year=_totals(projects, "year"),
        by_arrondissement=_totals(projects, "arrondissement", order=list(arrondissements.values())),
        by_category=chart,
        chart_height=chart_height,
        envelopes=bars(positions(call)),
        beneficiaries=listed,
        map=drawing,
    )


def _kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


def _amount_words(items: list[Project]) -> str:
    total = format_euros(sum((p.amount for p in items), ZERO))
    n = len(items)
    return f"{total}, {n} projet{'s' if n > 1 else ''} retenu{'s' if n > 1 else ''}"
