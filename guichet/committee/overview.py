"""What the programme manager watches on a call: each envelope year, the dossiers by state, by
arrondissement and by category, the amounts proposed and retained, and a drawing of the
envelopes' consumption (SVG made here, with the same figures in a table beside it)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum

from guichet.calls.models import Call
from guichet.dossiers.models import Dossier
from guichet.dossiers.workflow import STATE_LABELS, State
from guichet.grants.models import Grant, GrantStatus
from guichet.grants.services import EnvelopePosition, positions
from guichet.review.agents import arrondissements_of

ZERO = Decimal(0)


@dataclass(frozen=True)
class Row:
    label: str
    dossiers: int
    proposed: Decimal
    granted: Decimal


@dataclass(frozen=True)
class Bar:
    """One envelope year drawn as a bar: committed, then what the open meetings would commit is
    not drawn (not yet decided), then what is left; widths in per cent of the envelope."""

    position: EnvelopePosition
    committed_pct: Decimal
    remaining_pct: Decimal


@dataclass(frozen=True)
class Overview:
    positions: list[EnvelopePosition]
    bars: list[Bar]
    by_state: list[tuple[str, str, int]]
    by_arrondissement: list[Row]
    by_category: list[Row]
    proposed_total: Decimal
    granted_total: Decimal


def _pct(part: Decimal, whole: Decimal) -> Decimal:
    if not whole:
        return ZERO
    return (part * 100 / whole).quantize(Decimal("0.1"))


def _rows(call: Call, field: str, labels: dict[str, str]) -> list[Row]:
    submitted = Dossier.objects.filter(call=call, submitted_at__isnull=False)
    granted = dict(
        Grant.objects.filter(envelope__call=call, status=GrantStatus.ACTIVE)
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
                label=labels.get(key, key or "Préfecture (sans arrondissement)"),
                dossiers=r["n"],
                proposed=r["p"] or ZERO,
                granted=granted.get(key, ZERO),
            )
        )
    return rows


def overview(call: Call) -> Overview:
    years = positions(call)
    counts = dict(
        Dossier.objects.filter(call=call, submitted_at__isnull=False)
        .values_list("state")
        .annotate(n=Count("pk"))
    )
    categories = {c.code: c.title for c in call.rules.categories}
    arrondissements = {code: f"{name} ({code})" for code, name in arrondissements_of(call).items()}
    by_arrondissement = _rows(call, "arrondissement_code", arrondissements)
    return Overview(
        positions=years,
        bars=[Bar(p, _pct(p.net_committed, p.amount), _pct(p.remaining, p.amount)) for p in years],
        by_state=[
            (s.value, STATE_LABELS[s], counts.get(s.value, 0)) for s in State if s != State.DRAFT
        ],
        by_arrondissement=by_arrondissement,
        by_category=_rows(call, "category", categories),
        proposed_total=sum((r.proposed for r in by_arrondissement), ZERO),
        granted_total=sum((r.granted for r in by_arrondissement), ZERO),
    )
