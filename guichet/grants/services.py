"""The one place that commits, releases and pays an envelope's money (rule ENVELOPE).

Each function locks the envelope's row (``select_for_update(of=("self",))``; on SQLite the
IMMEDIATE transactions serialise writers), reads its sums again, checks, then writes the ledger
line, the grant and the maintained sums in the same transaction. The database's constraint
``envelope_never_overcommitted`` is the last guard: should anything write around this module,
the remainder still cannot go below zero, and a refusal is the same French message.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum

from guichet import clock
from guichet.accounts import history
from guichet.accounts.models import User
from guichet.calls.models import Call, Envelope
from guichet.dossiers.models import Dossier
from guichet.rules.money import format_euros
from guichet.rules.postaward import completion_deadline
from guichet.rules.timing import local_date

from .models import ZERO, EntryKind, Grant, GrantStatus, LedgerEntry, ReleaseCause


class EnvelopeRefused(Exception):
    """A commitment, a release or a payment the envelope refuses; ``str`` is French."""

    def __init__(self, message: str, remaining: Decimal | None = None) -> None:
        super().__init__(message)
        self.remaining = remaining


@dataclass(frozen=True)
class EnvelopePosition:
    """One envelope year, summed from its ledger."""

    year: int
    amount: Decimal
    committed: Decimal
    released: Decimal
    paid: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.committed + self.released

    @property
    def net_committed(self) -> Decimal:
        return self.committed - self.released

    def as_json(self) -> dict[str, object]:
        return {
            "year": self.year,
            "amount": float(self.amount),
            "committed": float(self.committed),
            "released": float(self.released),
            "paid": float(self.paid),
            "remaining": float(self.remaining),
        }


@dataclass(frozen=True)
class Bar:
    """One envelope year drawn as a bar: committed, then what the open meetings would commit is
    not drawn (not yet decided), then what is left; widths in per cent of the envelope. Drawn by
    the committee's home and by the public results page."""

    position: EnvelopePosition
    committed_pct: Decimal
    remaining_pct: Decimal


def _pct(part: Decimal, whole: Decimal) -> Decimal:
    if not whole:
        return ZERO
    return (part * 100 / whole).quantize(Decimal("0.1"))


def bars(years: list[EnvelopePosition]) -> list[Bar]:
    """Each envelope year as a bar."""
    return [Bar(p, _pct(p.net_committed, p.amount), _pct(p.remaining, p.amount)) for p in years]


def positions(call: Call) -> list[EnvelopePosition]:
    """Every envelope year of the call with its sums, from the ledger (one query)."""
    rows = (
        Envelope.objects.filter(call=call)
        .order_by("year")
        .annotate(
            l_committed=Sum("ledger__amount", filter=Q(ledger__kind=EntryKind.COMMITMENT)),
            l_released=Sum("ledger__amount", filter=Q(ledger__kind=EntryKind.RELEASE)),
            l_paid=Sum("ledger__amount", filter=Q(ledger__kind=EntryKind.PAYMENT)),
        )
    )
    return [
        EnvelopePosition(
            year=e.year,
            amount=e.amount,
            committed=e.l_committed or ZERO,
            released=e.l_released or ZERO,
            paid=e.l_paid or ZERO,
        )
        for e in rows
    ]


def position(call: Call, year: int) -> EnvelopePosition | None:
    return next((p for p in positions(call) if p.year == year), None)


def refusal(year: int, amount: Decimal, remaining: Decimal) -> str:
    return (
        f"L’enveloppe {year} ne permet pas d’engager {format_euros(amount)} : "
        f"il reste {format_euros(remaining)}."
    )


def _locked_envelope(call_id: int, year: int) -> Envelope:
    try:
        return Envelope.objects.select_for_update(of=("self",)).get(call_id=call_id, year=year)
    except Envelope.DoesNotExist:
        raise EnvelopeRefused(f"L’appel n’a pas d’enveloppe pour l’année {year}.") from None


def _write(
    envelope: Envelope,
    grant: Grant,
    kind: EntryKind,
    amount: Decimal,
    actor: User | None,
    *,
    cause: str = "",
    note: str = "",
    remaining_after: Decimal,
) -> LedgerEntry:
    field = {
        EntryKind.COMMITMENT: "committed",
        EntryKind.RELEASE: "released",
        EntryKind.PAYMENT: "paid",
    }[kind]
    entry = LedgerEntry.objects.create(
        envelope=envelope,
        grant=grant,
        kind=kind,
        cause=cause,
        amount=amount,
        remaining_after=remaining_after,
        note=note,
        at=clock.now(),
        actor=actor,
        actor_label=history.label(actor, with_email=False),
    )
    Envelope.objects.filter(pk=envelope.pk).update(**{field: F(field) + amount})
    return entry


def _positive(amount: Decimal) -> Decimal:
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
        raise EnvelopeRefused("Le montant doit être un nombre d’euros supérieur à zéro.")
    if amount != amount.quantize(Decimal("0.01")):
        raise EnvelopeRefused("Le montant s’exprime en euros et en centimes au plus.")
    return amount


def commit(dossier: Dossier, year: int, amount: Decimal, actor: User | None) -> Grant:
    """Grant ``amount`` to ``dossier`` on the call's envelope of ``year``: the grant and its
    commitment line, or ``EnvelopeRefused`` saying how much is left."""
    amount = _positive(amount)
    try:
        with transaction.atomic():
            envelope = _locked_envelope(dossier.call_id, year)
            remaining = envelope.remaining
            if amount > remaining:
                raise EnvelopeRefused(refusal(year, amount, remaining), remaining)
            if Grant.objects.filter(dossier=dossier, status=GrantStatus.ACTIVE).exists():
                raise EnvelopeRefused("Ce dossier a déjà une subvention attribuée.")
            now = clock.now()
            call_rules = dossier.call.rules
            grant = Grant.objects.create(
                dossier=dossier,
                envelope=envelope,
                amount=amount,
                decided_amount=amount,
                engagement_deadline=call_rules.engagement_deadline,
                completion_deadline=completion_deadline(
                    local_date(now, call_rules.timezone),
                    call_rules.post_award.completion_months,
                ),
                decided_at=now,
                decided_by=actor,
                decided_by_label=history.label(actor, with_email=False),
            )
            _write(
                envelope,
                grant,
                EntryKind.COMMITMENT,
                amount,
                actor,
                remaining_after=remaining - amount,
            )
    except IntegrityError:
        # Only reached if something wrote around the lock: the database's constraint refused it.
        fresh = Envelope.objects.get(call_id=dossier.call_id, year=year)
        raise EnvelopeRefused(refusal(year, amount, fresh.remaining), fresh.remaining) from None
    return grant


def release(
    grant: Grant,
    amount: Decimal,
    cause: ReleaseCause,
    actor: User | None,
    note: str = "",
) -> LedgerEntry:
    """Give back ``amount`` of ``grant`` to its envelope (a reduction, or the whole of it for a
    lapse or a withdrawal, which also ends the grant)."""
    amount = _positive(amount)
    with transaction.atomic():
        envelope = _locked_envelope(grant.envelope.call_id, grant.envelope.year)
        locked = Grant.objects.select_for_update(of=("self",)).get(pk=grant.pk)
        if locked.status != GrantStatus.ACTIVE:
            raise EnvelopeRefused("Cette subvention n’est plus en cours : rien à libérer.")
        # What is certified (paid or about to be) stays granted: only the rest can go back.
        free = locked.amount - locked.certified
        if amount > free:
            raise EnvelopeRefused(
                f"On ne peut libérer plus que ce qui reste à verser sur la subvention, hors "
                f"service fait certifié ({format_euros(free)})."
            )
        ends = cause in (ReleaseCause.LAPSE, ReleaseCause.WITHDRAWAL)
        if ends and amount != free:
            raise EnvelopeRefused(
                "Une caducité ou un retrait libère tout ce qui reste à verser "
                f"({format_euros(free)})."
            )
        if cause == ReleaseCause.REDUCTION and amount == locked.amount:
            raise EnvelopeRefused(
                "Une réduction laisse un montant attribué : pour tout libérer, prononcez la "
                "caducité ou le retrait."
            )
        entry = _write(
            envelope,
            locked,
            EntryKind.RELEASE,
            amount,
            actor,
            cause=cause,
            note=note,
            remaining_after=envelope.remaining + amount,
        )
        locked.amount -= amount
        if ends:
            locked.status = (
                GrantStatus.LAPSED if cause == ReleaseCause.LAPSE else GrantStatus.WITHDRAWN
            )
        locked.save(update_fields=["amount", "status"])
    grant.refresh_from_db()
    return entry


def pay(grant: Grant, amount: Decimal, actor: User | None, note: str = "") -> LedgerEntry:
    """Record that ``amount`` of ``grant`` was paid: a payment line, within what was certified
    (``grants.postaward.record_payment`` certifies first, under the same locks)."""
    amount = _positive(amount)
    with transaction.atomic():
        envelope = _locked_envelope(grant.envelope.call_id, grant.envelope.year)
        locked = Grant.objects.select_for_update(of=("self",)).get(pk=grant.pk)
        if locked.status != GrantStatus.ACTIVE:
            raise EnvelopeRefused("Cette subvention n’est plus en cours : rien à verser.")
        if locked.paid + amount > locked.certified:
            raise EnvelopeRefused(
                f"On ne peut verser plus que le service fait certifié "
                f"({format_euros(locked.certified - locked.paid)} restent à verser)."
            )
        entry = _write(
            envelope, locked, EntryKind.PAYMENT, amount, actor,
            note=note, remaining_after=envelope.remaining,
        )  # fmt: skip
        Grant.objects.filter(pk=locked.pk).update(paid=F("paid") + amount)
    grant.refresh_from_db()
    return entry
