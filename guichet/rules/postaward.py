"""After the decision: the engagement's deadline, the payment requests' ceilings and the amount due.

Pure functions over the call's ``PostAwardRules`` (décret n° 2018-514, art. 12, and the call's own
rules ENGAGEMENT and FLAT-RATE). No Django here: the services in ``guichet.grants.postaward`` lock
the rows, sum what was already asked, certified and paid, and ask these functions what is allowed.

Words (docs/glossary.md): an *advance* (avance) is paid when the project starts, at most
``advance_max_share`` of the grant; *instalments* (acomptes) follow the expenses, and everything
paid before the balance stays within ``instalments_max_share`` of the grant and within the
expenses justified so far; the *balance* (solde) is the last request, and a flat grant is then
capped by the project's actual cost (« dans la limite du coût du projet »). Each request states
its own invoices; the project's cost justified is the sum over the grant's requests not refused
(``GrantMoney.justified`` plus the request's own).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum

from .money import format_euros
from .timing import french_date, local_date

CENT = Decimal("0.01")
ZERO = Decimal(0)


class PaymentKind(StrEnum):
    ADVANCE = "advance"
    INSTALMENT = "instalment"
    BALANCE = "balance"


PAYMENT_KIND_LABELS: dict[PaymentKind, str] = {
    PaymentKind.ADVANCE: "Avance",
    PaymentKind.INSTALMENT: "Acompte",
    PaymentKind.BALANCE: "Solde",
}


class PieceKind(StrEnum):
    """The pieces of a payment request."""

    INVOICE = "invoice"
    EXPENSE_STATEMENT = "expense_statement"
    COMPLETION_CERTIFICATE = "completion_certificate"
    OTHER = "other"


PIECE_LABELS: dict[PieceKind, str] = {
    PieceKind.INVOICE: "Factures acquittées",
    PieceKind.EXPENSE_STATEMENT: "État récapitulatif des dépenses signé",
    PieceKind.COMPLETION_CERTIFICATE: "Certificat d’achèvement de l’opération",
    PieceKind.OTHER: "Autre pièce",
}


def _default_pieces() -> dict[PaymentKind, tuple[PieceKind, ...]]:
    return {
        PaymentKind.ADVANCE: (),
        PaymentKind.INSTALMENT: (PieceKind.INVOICE,),
        PaymentKind.BALANCE: (PieceKind.INVOICE, PieceKind.COMPLETION_CERTIFICATE),
    }


@dataclass(frozen=True)
class PostAwardRules:
    """What the call says of the life of a grant after its decision.

    The defaults are décret n° 2018-514's art. 12 (advance at most 30 %, 80 % in all before the
    balance). ``completion_months`` counts from the decision to the planned latest completion,
    shown on the grant (informative: nothing is refused after it);
    ``reminder_days`` are the days before the engagement deadline when the beneficiaries whose
    engagement is not validated get an e-mail. ``pieces`` lists the pieces each kind of request
    must carry; the statement of expenses' lines are asked in the form for instalments and the
    balance.
    """

    advance_allowed: bool = True
    advance_max_share: Decimal = Decimal("0.30")
    instalments_max_share: Decimal = Decimal("0.80")
    completion_months: int = 48
    reminder_days: tuple[int, ...] = (60, 30, 7)
    pieces: dict[PaymentKind, tuple[PieceKind, ...]] = field(default_factory=_default_pieces)

    def kinds(self) -> tuple[PaymentKind, ...]:
        """The kinds of payment request the call allows."""
        return tuple(k for k in PaymentKind if k is not PaymentKind.ADVANCE or self.advance_allowed)


def needs_expenses(kind: PaymentKind) -> bool:
    """Instalments and the balance come with a statement of expenses, line by line."""
    return kind is not PaymentKind.ADVANCE


# --- engagement (rule ENGAGEMENT) ------------------------------------------------------------


def engagement_day(signed: dt.date | dt.datetime, timezone: str) -> dt.date:
    """The calendar day of a signature in the call's time zone (a date is taken as it is; an
    electronic signature's aware timestamp is read in Europe/Paris)."""
    if isinstance(signed, dt.datetime):
        return local_date(signed, timezone)
    return signed


def engaged_in_time(deadline: dt.date, signed: dt.date | dt.datetime, timezone: str) -> bool:
    """Rule ENGAGEMENT: signed on or before the engagement deadline (« avant fin 2021 »:
    31 December 2021 at 23:59:59 Paris time is in time, 1 January 2022 at 00:00 is not)."""
    return engagement_day(signed, timezone) <= deadline


def engagement_problem(
    deadline: dt.date, signed: dt.date | dt.datetime, timezone: str, today: dt.date
) -> str | None:
    """Why a signature date cannot prove the engagement (French), or None."""
    day = engagement_day(signed, timezone)
    if day > today:
        return "La date de signature ne peut pas être dans le futur."
    if not engaged_in_time(deadline, signed, timezone):
        return (
            f"Signé le {french_date(day)}, après la date limite d’engagement du "
            f"{french_date(deadline)} : l’engagement est hors délai (règle ENGAGEMENT)."
        )
    return None


def reminders_due(
    deadline: dt.date, today: dt.date, reminder_days: tuple[int, ...]
) -> tuple[int, ...]:
    """The reminders (days before the deadline) whose day has come by ``today`` and before the
    deadline has passed; the caller sends each one once."""
    if today > deadline:
        return ()
    left = (deadline - today).days
    return tuple(sorted((d for d in reminder_days if left <= d), reverse=True))


# --- payments (décret 2018-514, art. 12; rule FLAT-RATE) ---------------------------------------


def share_of(amount: Decimal, share: Decimal) -> Decimal:
    """``share`` of ``amount``, rounded down to the cent (a ceiling is never exceeded)."""
    return (amount * share).quantize(CENT, rounding=ROUND_DOWN)


@dataclass(frozen=True)
class GrantMoney:
    """One grant's money when a request is made or certified.

    ``amount`` is the grant now (after reductions); ``engaged`` what is already certified or paid
    on it (certified requests count before they are paid, so that two certifications never add
    up to more than the grant); ``rate`` is None for a flat grant (capped by the actual cost), or
    the share of the actual cost a rate-based grant pays (DETR, DSIL).
    """

    amount: Decimal
    engaged: Decimal = ZERO
    rate: Decimal | None = None
    advances: int = 0  # advances already asked (not refused) or paid
    other_requests: int = 0  # instalments and balances already asked (not refused) or paid
    balance_asked: bool = False
    # The expenses stated on the grant's other requests (not refused): each request states its
    # own invoices, and the project's cost is their sum.
    justified: Decimal = ZERO
    open_requests: int = 0  # other requests not yet paid nor refused

    @property
    def left(self) -> Decimal:
        return self.amount - self.engaged


def total_cost(money: GrantMoney, expenses: Decimal) -> Decimal:
    """The project's cost justified so far: the other requests' expenses and this one's."""
    return money.justified + expenses


def cost_cap(money: GrantMoney, actual_cost: Decimal) -> Decimal:
    """What the grant can pay in all for a project that cost ``actual_cost``: a flat grant
    « dans la limite du coût du projet », a rate-based one its rate of the cost."""
    if money.rate is None:
        return min(money.amount, actual_cost)
    return min(money.amount, share_of(actual_cost, money.rate))


def ceiling(
    rules: PostAwardRules, kind: PaymentKind, money: GrantMoney, expenses: Decimal = ZERO
) -> Decimal:
    """The most a request of ``kind`` may ask, given what is already engaged on the grant and,
    for instalments and the balance, the expenses stated in the request (never below zero)."""
    cost = total_cost(money, expenses)
    if kind is PaymentKind.ADVANCE:
        top = share_of(money.amount, rules.advance_max_share) - money.engaged
    elif kind is PaymentKind.INSTALMENT:
        top = min(
            share_of(money.amount, rules.instalments_max_share) - money.engaged,
            cost_cap(money, cost) - money.engaged,
        )
    else:
        top = cost_cap(money, cost) - money.engaged
    return max(top, ZERO)


def request_problems(
    rules: PostAwardRules,
    kind: PaymentKind,
    amount: Decimal,
    money: GrantMoney,
    expenses: Decimal = ZERO,
) -> list[tuple[str, str]]:
    """Why a payment request cannot be made, as (field, French message) pairs; empty when it can."""
    if money.balance_asked:
        return [("kind", "Le solde a déjà été demandé : la subvention n’attend plus de demande.")]
    if kind is PaymentKind.ADVANCE:
        if not rules.advance_allowed:
            return [("kind", "Cet appel ne prévoit pas d’avance.")]
        if money.advances or money.other_requests:
            return [
                (
                    "kind",
                    "L’avance se demande une seule fois, au commencement du projet, "
                    "avant tout acompte.",
                )
            ]
    if kind is PaymentKind.BALANCE and money.open_requests:
        return [
            (
                "kind",
                "Une autre demande de versement est en cours : le solde se demande une fois "
                "les précédentes versées ou refusées.",
            )
        ]
    if needs_expenses(kind) and expenses <= 0:
        return [("expenses", "Détaillez les dépenses réalisées, ligne par ligne.")]
    if amount <= 0:
        return [("amount", "Le montant demandé doit être supérieur à zéro.")]
    top = ceiling(rules, kind, money, expenses)
    if amount <= top:
        return []
    if kind is PaymentKind.ADVANCE:
        share = format_share(rules.advance_max_share)
        return [
            (
                "amount",
                f"L’avance est d’au plus {share} de la subvention, soit {format_euros(top)} "
                f"(décret n° 2018-514, art. 12).",
            )
        ]
    if kind is PaymentKind.INSTALMENT:
        share = format_share(rules.instalments_max_share)
        return [
            (
                "amount",
                f"Avant le solde, les versements ne dépassent pas {share} de la subvention ni "
                f"les dépenses justifiées : {format_euros(top)} au plus pour cet acompte.",
            )
        ]
    cost = total_cost(money, expenses)
    if top == 0 and cost_cap(money, cost) < money.engaged:
        return [
            (
                "amount",
                f"Le coût réel justifié ({format_euros(cost)}) est inférieur à ce qui a déjà "
                f"été versé ou certifié ({format_euros(money.engaged)}) : aucun solde n’est dû.",
            )
        ]
    return [
        (
            "amount",
            f"Le solde est d’au plus {format_euros(top)} : la subvention, dans la limite du "
            f"coût réel justifié du projet ({format_euros(cost)}, toutes demandes comprises), "
            f"moins ce qui a déjà été versé ou certifié ({format_euros(money.engaged)}).",
        )
    ]


def certification_problem(
    rules: PostAwardRules,
    kind: PaymentKind,
    requested: Decimal,
    due: Decimal,
    money: GrantMoney,
    expenses: Decimal = ZERO,
) -> str | None:
    """Why an agent may not certify ``due`` on a request of ``requested`` (French), or None.

    ``money.engaged`` excludes this request. The amount due is never above what was asked, nor
    above the request's ceiling (the grant less what was paid or certified, capped by the cost)."""
    if due <= 0:
        return "Le montant dû doit être supérieur à zéro (sinon, refusez la demande)."
    if due > requested:
        return f"Le montant dû ne peut dépasser le montant demandé ({format_euros(requested)})."
    top = ceiling(rules, kind, money, expenses)
    if due > top:
        return (
            f"Le montant dû dépasse ce que la subvention permet encore : {format_euros(top)} au "
            f"plus (subvention de {format_euros(money.amount)}, déjà versé ou certifié "
            f"{format_euros(money.engaged)})."
        )
    return None


def format_share(share: Decimal) -> str:
    """0.30 → « 30 % »."""
    percent = (share * 100).normalize()
    text = f"{percent:f}".replace(".", ",")
    return f"{text}\u00a0%"


def completion_deadline(decided_on: dt.date, months: int) -> dt.date:
    """The decision's date plus ``months`` (the last day of a shorter month when needed)."""
    month = decided_on.month - 1 + months
    year = decided_on.year + month // 12
    month = month % 12 + 1
    for day in range(decided_on.day, 27, -1):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    return dt.date(year, month, min(decided_on.day, 28))
