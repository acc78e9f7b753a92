"""The granted subsidies of a call as open data, in the SCDL Subventions 2.1.1 format
(OpenDataFrance; its Table Schema is ``schemas/scdl-subventions-2.1.1.schema.json``, a verbatim
copy of ``shared/reference``).

One row per grant that stands (active or closed); lapsed and withdrawn grants are left out. The
rows are built at each call of ``rows``: the CLI (``guichet opendata``) and the public URLs
(``/appels/<slug>/donnees/subventions.csv`` and ``.json``) both read them, so the file is always
current.

Where the values come from:
- nomAttribuant, idAttribuant, dispositifAide: the call definition's ``open_data:``;
- dateConvention: the day of the decision (the grant's ``decided_at`` in the call's time zone);
  referenceDecision: the number of the award decision's document when one was generated;
- nomBeneficiaire: the collectivité; idBeneficiaire: the SIRET the applicant gave (empty when it
  gave none, see ``missing_siret``);
- objet: the project's title (256 characters at most); montant: the grant's amount now (after any
  reduction); nature « aide en numéraire »; notificationUE « non » (a collectivité's grant is no
  de minimis aid to an undertaking);
- conditionsVersement « échelonné » when the call's rules allow an advance or instalments before
  the balance, else « unique »; datesPeriodeVersement: from the first payment (or the decision
  when nothing is paid yet) to the last payment of a closed grant, or to the completion deadline;
- pourcentageSubvention: the grant ÷ the project's cost excluding VAT, rounded to two decimals
  as the schema's example writes it (« 1.00 »), kept within the schema's 0.01..1.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from guichet.calls.models import Call

from .models import Grant, GrantStatus

SCHEMA_NAME = "SCDL Subventions 2.1.1"
SCHEMA_PATH = Path(__file__).parent / "schemas" / "scdl-subventions-2.1.1.schema.json"
SCHEMA_URL = "https://schema.data.gouv.fr/scdl/subventions/2.1.1/"
COLUMNS: tuple[str, ...] = (
    "nomAttribuant",
    "idAttribuant",
    "dateConvention",
    "referenceDecision",
    "nomBeneficiaire",
    "idBeneficiaire",
    "rnaBeneficiaire",
    "objet",
    "montant",
    "nature",
    "conditionsVersement",
    "datesPeriodeVersement",
    "idRAE",
    "notificationUE",
    "pourcentageSubvention",
    "dispositifAide",
)
PUBLISHED = (GrantStatus.ACTIVE, GrantStatus.CLOSED)
CENT = Decimal("0.01")


class NoOpenData(LookupError):
    """The call's definition has no ``open_data:`` block: it publishes nothing."""

    def __init__(self, slug: str) -> None:
        super().__init__(
            f"l’appel « {slug} » ne publie pas de données ouvertes (pas de bloc open_data "
            "dans sa définition)."
        )


def share(amount: Decimal, cost: Decimal | None) -> Decimal:
    """The grant ÷ the cost, two decimals, within 0.01..1 (a grant without a known cost, or
    above it, counts as 1)."""
    if not cost or cost <= 0:
        return Decimal("1.00")
    value = (amount / cost).quantize(CENT, rounding=ROUND_HALF_UP)
    return min(max(value, CENT), Decimal("1.00"))


def published(call: Call) -> QuerySet[Grant]:
    """The call's grants that stand, as published: active or closed (paid off). The open data
    and the results page (``results.py``) both start from here."""
    return Grant.objects.filter(dossier__call=call, status__in=PUBLISHED)


def _grants(call: Call) -> Iterable[Grant]:
    return (
        published(call)
        .select_related("dossier", "decision__document")
        .prefetch_related("dossier__cost_lines", "payment_requests__payment")
        .order_by("decided_at", "pk")
    )


def _document_number(grant: Grant) -> str:
    decision = getattr(grant, "decision", None)
    document = getattr(decision, "document", None) if decision is not None else None
    return document.number if document is not None else ""


def _payment_dates(grant: Grant) -> list[dt.date]:
    dates = []
    for request in grant.payment_requests.all():
        payment = getattr(request, "payment", None)
        if payment is not None:
            dates.append(payment.paid_on)
    return sorted(dates)


def rows(call: Call) -> list[dict[str, str]]:
    """The rows of the call's SCDL Subventions file, every column of the schema in its order."""
    rules = call.rules
    if rules.open_data is None:
        raise NoOpenData(call.slug)
    od = rules.open_data
    tz = ZoneInfo(rules.timezone)
    staged = rules.post_award.advance_allowed or rules.post_award.instalments_max_share > 0
    result = []
    for grant in _grants(call):
        dossier = grant.dossier
        decided = grant.decided_at.astimezone(tz).date()
        paid = _payment_dates(grant)
        start = paid[0] if paid else decided
        if grant.status == GrantStatus.CLOSED and paid:
            end = paid[-1]
        else:
            end = max(grant.completion_deadline, start)
        period = start.isoformat() if start == end else f"{start.isoformat()}/{end.isoformat()}"
        result.append(
            {
                "nomAttribuant": od.grantor_name,
                "idAttribuant": od.grantor_siret,
                "dateConvention": decided.isoformat(),
                "referenceDecision": _document_number(grant),
                "nomBeneficiaire": dossier.applicant_name,
                "idBeneficiaire": dossier.siret,
                "rnaBeneficiaire": "",
                "objet": (dossier.title or "Projet sans intitulé")[:256],
                "montant": str(grant.amount.quantize(CENT)),
                "nature": "aide en numéraire",
                "conditionsVersement": "échelonné" if staged else "unique",
                "datesPeriodeVersement": period,
                "idRAE": "",
                "notificationUE": "non",
                "pourcentageSubvention": str(share(grant.amount, dossier.total_cost)),
                "dispositifAide": od.dispositif_aide,
            }
        )
    return result


def missing_siret(table: list[dict[str, str]]) -> list[str]:
    """The beneficiaries published without a SIRET (the schema wants idBeneficiaire or
    rnaBeneficiaire: a custom check frictionless does not run)."""
    return [r["nomBeneficiaire"] for r in table if not r["idBeneficiaire"]]


def as_csv(table: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(table)
    return out.getvalue()


def typed(row: dict[str, str]) -> dict[str, Any]:
    """The row with the schema's types: numbers for montant and pourcentageSubvention, a boolean
    for notificationUE, null for an empty optional field."""
    typed: dict[str, Any] = {k: (v if v != "" else None) for k, v in row.items()}
    typed["montant"] = float(row["montant"])
    typed["pourcentageSubvention"] = float(row["pourcentageSubvention"])
    typed["notificationUE"] = row["notificationUE"] == "oui"
    return typed


def as_json(table: list[dict[str, str]]) -> str:
    return json.dumps([typed(r) for r in table], ensure_ascii=False, indent=1)
