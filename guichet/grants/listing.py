"""The grants of a call as the programme manager follows them: one row per grant (decided,
granted now, certified, paid, left to pay, released and lapsed, status, engagement), filtered by
envelope year and status, with the totals; limited to the dossiers the agent may see (a
reviewer's arrondissements, ``review.permissions.coverage``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, QuerySet

from guichet.review.permissions import Do, coverage

from .models import ZERO, EngagementProof, EngagementStatus, Grant
from .postaward import position

if TYPE_CHECKING:
    from guichet.accounts.models import User
    from guichet.calls.models import Call


class Engagement:
    VALIDATED = "validated"
    PENDING = "pending"
    MISSING = "missing"


@dataclass(frozen=True)
class GrantRow:
    grant: Grant
    decided: Decimal
    amount: Decimal
    certified: Decimal
    paid: Decimal
    left_to_pay: Decimal
    released: Decimal
    lapsed: Decimal
    engagement: str  # Engagement.*
    engaged_on: dt.date | None

    @property
    def dossier(self):  # type: ignore[no-untyped-def]
        return self.grant.dossier

    @property
    def engagement_label(self) -> str:
        if self.engagement == Engagement.VALIDATED and self.engaged_on:
            return f"Validé (signé le {self.engaged_on:%d/%m/%Y})"
        if self.engagement == Engagement.PENDING:
            return "Preuve à vérifier"
        return "Non prouvé"


@dataclass
class Totals:
    decided: Decimal = ZERO
    amount: Decimal = ZERO
    certified: Decimal = ZERO
    paid: Decimal = ZERO
    left_to_pay: Decimal = ZERO
    released: Decimal = ZERO
    lapsed: Decimal = ZERO

    def add(self, row: GrantRow) -> None:
        for name in ("decided", "amount", "certified", "paid", "left_to_pay", "released",
                     "lapsed"):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(row, name))


@dataclass
class GrantTable:
    rows: list[GrantRow] = field(default_factory=list)
    totals: Totals = field(default_factory=Totals)


def visible_grants(user: User, call: Call, action: Do = Do.VIEW) -> QuerySet[Grant]:
    """The call's grants whose dossier ``user`` may take ``action`` on."""
    from guichet.dossiers.models import Dossier

    dossiers = Dossier.objects.filter(
        coverage(user, call, action), call=call, submitted_at__isnull=False
    )
    return Grant.objects.filter(envelope__call=call, dossier__in=dossiers.values("pk"))


def _row(grant: Grant) -> GrantRow:
    p = position(grant)
    if grant.engaged_on is not None:
        engagement = Engagement.VALIDATED
    elif getattr(grant, "has_pending_proof", False):
        engagement = Engagement.PENDING
    else:
        engagement = Engagement.MISSING
    return GrantRow(
        grant=grant,
        decided=p.decided,
        amount=p.amount,
        certified=p.certified,
        paid=p.paid,
        left_to_pay=p.left_to_pay,
        released=p.released,
        lapsed=p.lapsed,
        engagement=engagement,
        engaged_on=grant.engaged_on,
    )


def grant_table(
    user: User, call: Call, *, year: int | None = None, status: str | None = None
) -> GrantTable:
    """The rows and totals of the call's grants the agent may see, sorted by dossier number."""
    grants = (
        visible_grants(user, call)
        .select_related("dossier", "envelope")
        .annotate(
            has_pending_proof=Exists(
                EngagementProof.objects.filter(
                    grant=OuterRef("pk"), status=EngagementStatus.SUBMITTED
                )
            )
        )
        .order_by("dossier__number", "decided_at", "pk")
    )
    if year is not None:
        grants = grants.filter(envelope__year=year)
    if status:
        grants = grants.filter(status=status)
    table = GrantTable()
    for grant in grants:
        row = _row(grant)
        table.rows.append(row)
        table.totals.add(row)
    return table
