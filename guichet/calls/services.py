"""Loading definitions into the database, and finding calls."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.db import transaction

from guichet import clock
from guichet.rules.money import format_euros

from .definitions import CALLS_DIR, FUNDS_DIR, LoadedCall, load_all_calls, load_all_funds
from .models import Call, CollectionSession, Envelope, Fund, FundAxis


class CallNotFound(LookupError):
    def __init__(self, slug: str) -> None:
        super().__init__(f"Aucun appel à projets « {slug} ».")
        self.slug = slug


@transaction.atomic
def load_definitions(
    calls_dir: Path = CALLS_DIR, funds_dir: Path = FUNDS_DIR, today: dt.date | None = None
) -> list[Call]:
    """Load every fund and call definition (idempotent: a call is updated in place by slug).

    All files are validated before anything is written: one bad file changes nothing.
    """
    funds = load_all_funds(funds_dir)
    loaded = load_all_calls(calls_dir, today=today or clock.today())
    axes = {}
    for data in funds:
        fund, _ = Fund.objects.update_or_create(
            slug=data.slug, defaults={"name": data.name, "total": data.total}
        )
        for a in data.axes:
            axes[(data.slug, a.number)], _ = FundAxis.objects.update_or_create(
                fund=fund, number=a.number, defaults={"title": a.title, "amount": a.amount}
            )
    return [_save_call(item, axes) for item in loaded]


def _save_call(item: LoadedCall, axes: dict[tuple[str, int], FundAxis]) -> Call:
    from .definitions import CallDefinitionError

    r = item.rules
    axis = axes.get((r.fund, r.axis))
    if axis is None:
        raise CallDefinitionError(
            item.path, f"fonds « {r.fund} », axe {r.axis} inconnu.", field="fund"
        )
    call, _ = Call.objects.update_or_create(
        slug=r.slug,
        defaults={
            "fund_axis": axis,
            "title": r.title,
            "service": r.service,
            "departement_code": r.departement,
            "reference_vintage": r.reference_vintage,
            "opens_on": r.opens_on,
            "deadline": r.deadline,
            "engagement_deadline": r.engagement_deadline,
            "is_demo": r.is_demo,
            "definition": item.data,
            "source_file": item.path.name,
        },
    )
    _save_envelopes(item, call)
    call.sessions.exclude(date__in=[s.date for s in r.sessions]).delete()
    for s in r.sessions:
        CollectionSession.objects.update_or_create(
            call=call, date=s.date, defaults={"label": s.label}
        )
    return call


def _save_envelopes(item: LoadedCall, call: Call) -> None:
    """A definition may change an envelope's amount, never below what its ledger committed, and
    may drop a year only when nothing was ever written on it."""
    from .definitions import CallDefinitionError

    years = {e.year: e.amount for e in item.rules.envelopes}
    for envelope in call.envelopes.select_for_update(of=("self",)):
        if envelope.year not in years:
            if envelope.committed or envelope.paid:
                raise CallDefinitionError(
                    item.path,
                    f"l’enveloppe {envelope.year} a déjà des engagements : elle ne peut pas être "
                    "retirée de la définition.",
                    field="envelopes",
                )
            envelope.delete()
        elif years[envelope.year] < envelope.committed - envelope.released:
            raise CallDefinitionError(
                item.path,
                f"l’enveloppe {envelope.year} ne peut pas descendre sous ce qui est déjà engagé "
                f"({format_euros(envelope.committed - envelope.released)}).",
                field="envelopes",
            )
    for year, amount in years.items():
        Envelope.objects.update_or_create(call=call, year=year, defaults={"amount": amount})


def get_call(slug: str) -> Call:
    try:
        # The definition is parsed once per process (Call.rules); skip loading its JSON again.
        return Call.objects.select_related("fund_axis__fund").defer("definition").get(slug=slug)
    except Call.DoesNotExist:
        raise CallNotFound(slug) from None
