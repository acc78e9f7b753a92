"""What the programme manager watches on a call: each envelope year, the dossiers by state, by
arrondissement and by category, the amounts proposed and retained, and a drawing of the
envelopes' consumption (SVG made here, with the same figures in a table beside it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum

from guichet import clock
from guichet.calls.models import Call
from guichet.dossiers.models import Dossier
from guichet.dossiers.workflow import STATE_LABELS, State
from guichet.grants.models import Grant, GrantStatus
from guichet.grants.services import Bar, EnvelopePosition, bars, positions
from guichet.review.agents import NO_ARRONDISSEMENT, arrondissement_labels
from guichet.rules.money import format_euros

ZERO = Decimal(0)


@dataclass(frozen=True)
class Row:
    label: str
    dossiers: int
    proposed: Decimal
    granted: Decimal


@dataclass(frozen=True)
class Alert:
    level: str  # « warning » or « info », the DSFR alert's kind
    text: str


def envelope_alert(year: int, not_committed: Decimal, today: dt.date) -> Alert | None:
    """What the manager is told about a year's money not yet committed: from 1 November to
    31 December of that year, that it will be lost on 31 December; once the year is over, that
    it was not committed. Nothing when everything is committed, nor before November."""
    if not_committed <= 0:
        return None
    left = format_euros(not_committed)
    if today.year == year and today.month >= 11:
        return Alert(
            "warning",
            f"Il reste {left} non engagés sur l’enveloppe {year} : ils seront perdus le "
            "31 décembre.",
        )
    if today.year > year:
        return Alert(
            "info",
            f"L’année {year} est terminée : {left} de l’enveloppe {year} n’ont pas été engagés.",
        )
    return None


@dataclass(frozen=True)
class EnvelopeLife:
    """One envelope year's life: committed, released, paid, left to pay on the grants, and the
    money not yet committed, with its alert."""

    position: EnvelopePosition
    alert: Alert | None

    @property
    def year(self) -> int:
        return self.position.year

    @property
    def left_to_pay(self) -> Decimal:
        p = self.position
        return p.committed - p.released - p.paid

    @property
    def not_committed(self) -> Decimal:
        return self.position.remaining


def lives(years: list[EnvelopePosition], today: dt.date) -> list[EnvelopeLife]:
    return [EnvelopeLife(p, envelope_alert(p.year, p.remaining, today)) for p in years]


@dataclass(frozen=True)
class Overview:
    positions: list[EnvelopePosition]
    lives: list[EnvelopeLife]
    bars: list[Bar]
    by_state: list[tuple[str, str, int]]
    by_arrondissement: list[Row]
    by_category: list[Row]
    proposed_total: Decimal
    granted_total: Decimal


def _rows(call: Call, field: str, labels: dict[str, str]) -> list[Row]:
    submitted = Dossier.objects.filter(call=call, submitted_at__isnull=False)
    granted = dict(
        # A grant paid off (closed) stays granted, at what it came to; a lapsed one does not.
        Grant.objects.filter(
            envelope__call=call, status__in=[GrantStatus.ACTIVE, GrantStatus.CLOSED]
        )
        .values_list(f"dossier__{field}")
        .annotate(s=Sum("amount"))
    )
    rows = []
    for r in (
        submitted.values(field)
        .annotate(n=Count("pk"), p=Sum("proposed_amount", filter=~Q(proposed_amount=None)))
        .order_by(field)
    ):
        key = r[field] or ""
        rows.append(
            Row(
                label=labels.get(key, key or NO_ARRONDISSEMENT),
                dossiers=r["n"],
                proposed=r["p"] or ZERO,
                granted=granted.get(key, ZERO),
            )
        )
    return rows


def overview(call: Call, today: dt.date | None = None) -> Overview:
    years = positions(call)
    counts = dict(
        Dossier.objects.filter(call=call, submitted_at__isnull=False)
        .values_list("state")
        .annotate(n=Count("pk"))
    )
    categories = {c.code: c.title for c in call.rules.categories}
    by_arrondissement = _rows(call, "arrondissement_code", arrondissement_labels(call))
    return Overview(
        positions=years,
        lives=lives(years, today or clock.today()),
        bars=bars(years),
        by_state=[
            (s.value, STATE_LABELS[s], counts.get(s.value, 0)) for s in State if s != State.DRAFT
        ],
        by_arrondissement=by_arrondissement,
        by_category=_rows(call, "category", categories),
        proposed_total=sum((r.proposed for r in by_arrondissement), ZERO),
        granted_total=sum((r.granted for r in by_arrondissement), ZERO),
    )
