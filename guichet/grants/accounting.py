"""The files for the accounting service, in CSV, XLSX or ODS (``exports.writers``).

- **Requests to pay**: one row per payment request whose service done is certified and not yet
  paid (« Service fait certifié »): the dossier, the collectivité and its code, the grant's
  engagement(s) juridique(s), the request's number and kind, the amount due, when and by whom
  it was certified.
- **A year's statement**: one row per grant of an envelope year: committed (the decided
  amount), released (the lapse shown apart), paid, left to pay, status.

A call has at most a few hundred grants: the file is written by the request, to a temporary
file, not through the list's background ``Export`` (which reads dossiers only). What an agent
may export is the permission matrix's ``Do.EXPORT``, a reviewer limited to their
arrondissements (``listing.visible_grants``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db.models import Prefetch

from guichet import clock
from guichet.dossiers.models import Dossier
from guichet.exports.writers import ExportFormat, Field, Kind, write_table
from guichet.review.permissions import Do, can_in_call
from guichet.territories.models import Commune

from .listing import visible_grants
from .models import Grant, LegalCommitment, PaymentRequest, RequestStatus
from .postaward import position

if TYPE_CHECKING:
    from guichet.accounts.models import User
    from guichet.calls.models import Call


class ExportRefused(Exception):
    """``str`` is French; ``field`` the form's field."""

    def __init__(self, message: str, field: str = "__all__") -> None:
        super().__init__(message)
        self.field = field


REQUEST_FIELDS = [
    Field("N° de dossier", Kind.TEXT, 16),
    Field("Collectivité", Kind.TEXT, 36),
    Field("SIREN", Kind.TEXT, 11),
    Field("Code de la collectivité", Kind.TEXT, 11),
    Field("N° d’engagement juridique", Kind.TEXT, 24),
    Field("N° de la demande", Kind.INTEGER),
    Field("Nature de la demande", Kind.TEXT, 14),
    Field("Montant dû", Kind.MONEY),
    Field("Service fait certifié le", Kind.DATETIME),
    Field("Certifié par", Kind.TEXT, 30),
]

STATEMENT_FIELDS = [
    Field("N° de dossier", Kind.TEXT, 16),
    Field("Collectivité", Kind.TEXT, 36),
    Field("SIREN", Kind.TEXT, 11),
    Field("Code de la collectivité", Kind.TEXT, 11),
    Field("Enveloppe", Kind.INTEGER),
    Field("Engagé (décidé)", Kind.MONEY),
    Field("Libéré", Kind.MONEY),
    Field("Dont caducité", Kind.MONEY),
    Field("Versé", Kind.MONEY),
    Field("Reste à verser", Kind.MONEY),
    Field("État", Kind.TEXT, 14),
]


def siren_of(dossier: Dossier, cache: dict[tuple[str, str], str]) -> str:
    """The collectivité's SIREN: an EPCI's code is its SIREN; a commune's comes from the
    reference data of the dossier's vintage (read once per commune)."""
    if dossier.applicant_kind != "commune":
        code = dossier.applicant_code
        return code if len(code) == 9 and code.isdigit() else ""
    key = (dossier.applicant_vintage, dossier.applicant_code)
    if key not in cache:
        cache[key] = (
            Commune.objects.filter(vintage=key[0], insee_code=key[1])
            .values_list("siren", flat=True)
            .first()
            or ""
        )
    return cache[key]


def may_export(user: User, call: Call) -> bool:
    return can_in_call(user, Do.EXPORT, call)


def certified_requests(user: User, call: Call) -> Iterator[list[Any]]:
    grants = visible_grants(user, call, Do.EXPORT)
    requests = (
        PaymentRequest.objects.filter(grant__in=grants.values("pk"), status=RequestStatus.CERTIFIED)
        .select_related("grant__dossier")
        .prefetch_related(
            Prefetch("grant__legal_commitments", queryset=LegalCommitment.objects.order_by("year"))
        )
        .order_by("grant__dossier__number", "number")
    )
    sirens: dict[tuple[str, str], str] = {}
    for r in requests:
        d = r.grant.dossier
        yield [
            d.number, d.applicant_name, siren_of(d, sirens), d.applicant_code,
            "; ".join(c.number for c in r.grant.legal_commitments.all()),
            r.number, r.get_kind_display(), r.amount_due, r.certified_at, r.certified_by_label,
        ]  # fmt: skip


def year_statement(user: User, call: Call, year: int) -> Iterator[list[Any]]:
    grants = (
        visible_grants(user, call, Do.EXPORT)
        .filter(envelope__year=year)
        .select_related("dossier", "envelope")
        .order_by("dossier__number", "decided_at", "pk")
    )
    sirens: dict[tuple[str, str], str] = {}
    for g in grants:
        p = position(g)
        d = g.dossier
        yield [
            d.number, d.applicant_name, siren_of(d, sirens), d.applicant_code, g.envelope.year,
            p.decided, p.released, p.lapsed, p.paid, p.left_to_pay, g.get_status_display(),
        ]  # fmt: skip


@dataclass(frozen=True)
class AccountingFile:
    name: str
    mime_type: str
    content: bytes
    rows: int


def build(
    user: User, call: Call, what: str, fmt: ExportFormat | str, year: int | None = None
) -> AccountingFile:
    """The file ``what`` (« paiements » or « annee ») for ``call`` in ``fmt``."""
    if not may_export(user, call):
        raise ExportRefused("Vous ne pouvez pas exporter les subventions de cet appel.")
    fmt = ExportFormat(fmt)
    day = clock.today().isoformat()
    if what == "paiements":
        fields, rows = REQUEST_FIELDS, certified_requests(user, call)
        name = f"demandes-a-payer-{call.slug}-{day}.{fmt.value}"
    elif what == "annee":
        years = set(call.envelopes.values_list("year", flat=True))
        if year not in years:
            raise ExportRefused("Choisissez une année d’enveloppe de l’appel.", "enveloppe")
        fields, rows = STATEMENT_FIELDS, year_statement(user, call, year)
        name = f"etat-enveloppe-{year}-{call.slug}-{day}.{fmt.value}"
    else:
        raise ExportRefused("Choisissez le fichier à exporter.", "quoi")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        count = write_table(fmt, path, fields, rows)
        content = path.read_bytes()
    return AccountingFile(name=name, mime_type=fmt.mime_type, content=content, rows=count)


__all__ = ["AccountingFile", "ExportRefused", "Grant", "build"]
