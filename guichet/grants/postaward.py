"""After the decision: the engagement's proof, the payment requests, the State's numbers, the lapse.

Every change of a grant's money goes through here, in one transaction that locks the grant's row
(after its envelope's when the envelope's sums change: a payment, a lapse; the order ``services``
uses too, so two of them never wait on each other in a cycle), reads the sums again and asks the
rules core (``guichet.rules.postaward``) what is allowed. The
grant's maintained ``certified`` and ``paid`` carry the database's last guard: never paid beyond
what was certified, never certified beyond the grant.

Who may do what is the permission matrix's (``review.permissions``): the dossier's team gives the
proofs and the requests; a reviewer of its arrondissement checks them (``Do.FOLLOW``); the
manager certifies the service done (``Do.CERTIFY``, never the agent who checked the same
request), records the State's accounting numbers (``Do.ACCOUNT``) and pronounces the lapse
(``Do.LAPSE``). A refusal is ``PostAwardRefused``, whose ``str`` is French and whose ``field``
names the form field it belongs to.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet, Sum

from guichet import clock
from guichet.documents.storage import private_storage
from guichet.dossiers import services as dossier_services
from guichet.dossiers.models import Dossier, EventKind, actor_label
from guichet.dossiers.permissions import actor_for
from guichet.dossiers.workflow import Action, Actor
from guichet.review.permissions import Do, can
from guichet.rules import postaward as rules
from guichet.rules.money import format_euros
from guichet.rules.postaward import GrantMoney, PaymentKind, PieceKind, PostAwardRules
from guichet.rules.timing import french_date, local_date

from . import services
from .models import (
    ZERO,
    EngagementProof,
    EngagementStatus,
    ExpenseLine,
    Grant,
    GrantStatus,
    LegalCommitment,
    Payment,
    PaymentRequest,
    ReleaseCause,
    RequestPiece,
    RequestStatus,
)

if TYPE_CHECKING:
    from guichet.accounts.models import User


class PostAwardRefused(Exception):
    """An action the grant's rules or its state refuse; ``str`` is French, ``field`` the form's
    field it belongs to (``__all__`` for the whole form)."""

    def __init__(self, message: str, field: str = "__all__") -> None:
        super().__init__(message)
        self.field = field


class NotAllowed(PostAwardRefused):
    """The user may not take this action on this grant (the pages answer 404)."""


# ---------------------------------------------------------------- reading


def post_award_rules(grant: Grant) -> PostAwardRules:
    return grant.dossier.call.rules.post_award


def current_grant(dossier: Dossier) -> Grant | None:
    """The dossier's grant that is followed now: the active one, else the last one that ended."""
    grants = dossier.grants.select_related("envelope", "dossier__call")
    return (
        grants.filter(status=GrantStatus.ACTIVE).first()
        or grants.order_by("-decided_at", "-pk").first()
    )


def pending_engagement(grant: Grant) -> EngagementProof | None:
    return grant.engagement_proofs.filter(status=EngagementStatus.SUBMITTED).first()


def money(grant: Grant, *, excluding: PaymentRequest | None = None) -> GrantMoney:
    """The grant's money as the rules core sees it: what is certified or paid (the requests not
    yet certified are not counted: only certification engages an amount), the advances and
    other requests already made (refused ones left out), and whether the balance was asked."""
    live = grant.payment_requests.exclude(status=RequestStatus.REFUSED)
    if excluding is not None:
        live = live.exclude(pk=excluding.pk)
    rows = list(live.values_list("kind", "status", "expenses_total"))
    kinds = [kind for kind, _, _ in rows]
    engaged = grant.certified
    if excluding is not None and excluding.amount_due is not None:
        engaged -= excluding.amount_due
    return GrantMoney(
        amount=grant.amount,
        engaged=engaged,
        rate=None,  # every grant of the FITN axe 3 is flat (rule FLAT-RATE)
        advances=kinds.count(PaymentKind.ADVANCE),
        other_requests=len(kinds) - kinds.count(PaymentKind.ADVANCE),
        balance_asked=PaymentKind.BALANCE in kinds,
        justified=sum((total for _, _, total in rows), ZERO),
        open_requests=sum(1 for _, status, _ in rows if status != RequestStatus.PAID),
    )


def actual_cost(request: PaymentRequest) -> Decimal:
    """The project's cost justified with this request: its expenses and those of the grant's
    other requests not refused."""
    return rules.total_cost(money(request.grant, excluding=request), request.expenses_total)


@dataclass(frozen=True)
class GrantPosition:
    """One grant's money: decided, granted now, certified, paid, left to pay, released."""

    decided: Decimal
    amount: Decimal
    certified: Decimal
    paid: Decimal
    released: Decimal
    lapsed: Decimal
    status: str

    left_to_pay: Decimal


def position(grant: Grant) -> GrantPosition:
    """The one place that says what a grant has decided, paid, left to pay and released."""
    released = grant.decided_amount - grant.amount
    return GrantPosition(
        decided=grant.decided_amount,
        amount=grant.amount,
        certified=grant.certified,
        paid=grant.paid,
        released=released,
        lapsed=released if grant.status == GrantStatus.LAPSED else ZERO,
        status=grant.status,
        left_to_pay=grant.left_to_pay,
    )


# ---------------------------------------------------------------- locking and checks


def _locked(grant: Grant, *, envelope: bool = False) -> Grant:
    """Lock the grant (after its envelope's row when ``envelope``: for what changes the
    envelope's sums, a payment or a release, in the order ``grants.services`` takes them), and
    read it again. The rest (proofs, requests, checks, certifications) changes the grant only:
    grants of one envelope year move in parallel."""
    if envelope:
        services._locked_envelope(grant.envelope.call_id, grant.envelope.year)
    return (
        Grant.objects.select_for_update(of=("self",))
        .select_related("envelope", "dossier", "dossier__call")
        .get(pk=grant.pk)
    )


def _applicant(user: User, grant: Grant) -> None:
    if actor_for(user, grant.dossier) is not Actor.APPLICANT:
        raise NotAllowed("Seule l’équipe du dossier peut faire cette démarche.")


def _agent(user: User, action: Do, grant: Grant) -> None:
    if not can(user, action, grant.dossier):
        raise NotAllowed("Cette action ne vous revient pas.")


def _active(grant: Grant) -> None:
    if grant.status != GrantStatus.ACTIVE:
        raise PostAwardRefused(
            f"La subvention est « {grant.get_status_display()} » : plus aucune démarche n’est "
            "possible."
        )


def _reason(text: str, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise PostAwardRefused(f"Expliquez {what}.", "reason")
    if len(text) > 2000:
        raise PostAwardRefused("2 000 caractères au plus.", "reason")
    return text


def _event(grant: Grant, user: User | None, kind: str, summary: str, message: str = "") -> None:
    dossier_services.post_award_event(grant.dossier, user, kind, summary[:300], message)


# ---------------------------------------------------------------- engagement (rule ENGAGEMENT)


def submit_engagement(
    grant: Grant, user: User, upload: IO[bytes], signed_on: dt.date
) -> EngagementProof:
    """The team gives its signed quote or contract and the signature date, checked against the
    call's engagement deadline (Europe/Paris)."""
    from . import notifications

    _applicant(user, grant)
    deadline = grant.engagement_deadline
    problem = rules.engagement_problem(deadline, signed_on, "Europe/Paris", clock.today())
    if problem:
        raise PostAwardRefused(problem, "signed_on")
    proof = EngagementProof(grant=grant, signed_on=signed_on)
    proof.store_checked(upload, folder="grants/engagements")
    try:
        with transaction.atomic():
            locked = _locked(grant)
            _active(locked)
            if locked.engaged_on is not None:
                raise PostAwardRefused("L’engagement est déjà validé.")
            if pending_engagement(locked):
                raise PostAwardRefused(
                    "Une preuve d’engagement attend déjà sa vérification par la préfecture."
                )
            proof.submitted_by = user
            proof.submitted_by_label = actor_label(user)
            proof.save()
            _event(
                locked, user, EventKind.ENGAGEMENT,
                f"Preuve d’engagement déposée (signée le {french_date(signed_on)})",
            )  # fmt: skip
            notifications.engagement_submitted(locked, proof)
    except BaseException as error:
        proof.file.storage.delete(proof.file.name)  # nothing refers to it: no orphan file
        if isinstance(error, IntegrityError):
            raise PostAwardRefused(
                "Une preuve d’engagement attend déjà sa vérification par la préfecture."
            ) from None
        raise
    return proof


def _reviewable(proof: EngagementProof) -> EngagementProof:
    locked = EngagementProof.objects.select_for_update(of=("self",)).get(pk=proof.pk)
    if locked.status != EngagementStatus.SUBMITTED:
        raise PostAwardRefused(f"Cette preuve est déjà « {locked.get_status_display()} ».")
    return locked


def validate_engagement(proof: EngagementProof, user: User) -> EngagementProof:
    """A reviewer validates the proof: the grant is engaged, the dossier « Engagé »."""
    from . import notifications

    _agent(user, Do.FOLLOW, proof.grant)
    with transaction.atomic():
        grant = _locked(proof.grant)
        _active(grant)
        locked = _reviewable(proof)
        deadline = grant.engagement_deadline
        if not rules.engaged_in_time(deadline, locked.signed_on, "Europe/Paris"):
            raise PostAwardRefused("La date de signature dépasse la date limite d’engagement.")
        locked.status = EngagementStatus.VALIDATED
        locked.reviewed_at = clock.now()
        locked.reviewed_by = user
        locked.reviewed_by_label = actor_label(user)
        locked.save()
        grant.engaged_on = locked.signed_on
        grant.save(update_fields=["engaged_on"])
        dossier_services.record_post_award(
            grant.dossier, user, Action.VALIDATE_ENGAGEMENT,
            f"Engagement validé (signé le {french_date(locked.signed_on)})",
        )  # fmt: skip
        notifications.engagement_reviewed(grant, locked)
    return locked


def refuse_engagement(proof: EngagementProof, user: User, reason: str) -> EngagementProof:
    """A reviewer refuses the proof with a reason; the team may give another."""
    from . import notifications

    _agent(user, Do.FOLLOW, proof.grant)
    reason = _reason(reason, "au porteur pourquoi cette preuve ne convient pas")
    with transaction.atomic():
        grant = _locked(proof.grant)
        _active(grant)
        locked = _reviewable(proof)
        locked.status = EngagementStatus.REFUSED
        locked.reviewed_at = clock.now()
        locked.reviewed_by = user
        locked.reviewed_by_label = actor_label(user)
        locked.reason = reason
        locked.save()
        _event(grant, user, EventKind.ENGAGEMENT, "Preuve d’engagement refusée", reason)
        notifications.engagement_reviewed(grant, locked)
    return locked


# ---------------------------------------------------------------- payment requests


@dataclass(frozen=True)
class ExpenseInput:
    supplier: str
    invoiced_on: dt.date
    nature: str
    amount_excl_vat: Decimal
    amount_incl_vat: Decimal
    invoice_number: str = ""


# The columns hold twelve digits, cents included.
MAX_TOTAL = Decimal("9999999999.99")


def _invoice_key(supplier: str, number: str) -> tuple[str, str] | None:
    """An invoice as (supplier, number), read without case, spaces nor punctuation."""
    number = re.sub(r"[\W_]", "", number).casefold()
    return (" ".join(supplier.split()).casefold(), number) if number else None


def _expense_problems(lines: Sequence[ExpenseInput], today_: dt.date) -> str | None:
    if sum((line.amount_incl_vat for line in lines), ZERO) > MAX_TOTAL:
        return "Le total de l’état des dépenses dépasse ce que guichet peut enregistrer."
    seen: set[tuple[str, str]] = set()
    for i, line in enumerate(lines, start=1):
        key = _invoice_key(line.supplier, line.invoice_number)
        if key is not None and key in seen:
            return f"Ligne {i} : la facture n° {line.invoice_number.strip()} figure deux fois."
        if key is not None:
            seen.add(key)
        if not line.supplier.strip() or not line.nature.strip():
            return f"Ligne {i} : indiquez le fournisseur et la nature de la dépense."
        if line.amount_excl_vat <= 0:
            return f"Ligne {i} : le montant HT doit être supérieur à zéro."
        if line.amount_incl_vat < line.amount_excl_vat:
            return f"Ligne {i} : le montant TTC ne peut être inférieur au montant HT."
        if line.invoiced_on > today_:
            return f"Ligne {i} : la date de la facture ne peut pas être dans le futur."
    return None


def _missing_pieces(
    rules_: PostAwardRules, kind: PaymentKind, present: set[str]
) -> list[PieceKind]:
    return [p for p in rules_.pieces.get(kind, ()) if p.value not in present]


def _store_pieces(
    request: PaymentRequest, user: User, pieces: Sequence[tuple[str, IO[bytes]]]
) -> list[RequestPiece]:
    stored = []
    known = {k.value for k in PieceKind}
    for kind, upload in pieces:
        if kind not in known:
            raise PostAwardRefused("Choisissez la nature de la pièce.", "pieces")
        piece = RequestPiece(request=request, kind=kind, uploaded_by=user)
        piece.store_checked(upload, folder="grants/requests")
        stored.append(piece)
    return stored


def _drop(stored: Sequence[RequestPiece]) -> None:
    for piece in stored:
        piece.file.storage.delete(piece.file.name)


def request_payment(
    grant: Grant,
    user: User,
    kind: PaymentKind | str,
    amount: Decimal,
    expenses: Sequence[ExpenseInput] = (),
    pieces: Sequence[tuple[str, IO[bytes]]] = (),
) -> PaymentRequest:
    """The team asks for an advance, an instalment or the balance, with its pieces and, for
    instalments and the balance, its statement of expenses line by line."""
    from . import notifications

    _applicant(user, grant)
    try:
        kind = PaymentKind(kind)
    except ValueError:
        raise PostAwardRefused("Choisissez la nature de la demande.", "kind") from None
    rules_ = post_award_rules(grant)
    if kind not in rules_.kinds():
        raise PostAwardRefused("Cet appel ne prévoit pas d’avance.", "kind")
    problem = _expense_problems(expenses, clock.today())
    if problem:
        raise PostAwardRefused(problem, "expenses")
    if not rules.needs_expenses(kind) and expenses:
        raise PostAwardRefused("Une avance ne s’accompagne pas d’un état des dépenses.", "expenses")
    total = sum((line.amount_excl_vat for line in expenses), ZERO)
    missing = _missing_pieces(rules_, kind, {k for k, _ in pieces})
    if missing:
        names = ", ".join(f"« {rules.PIECE_LABELS[p]} »" for p in missing)
        raise PostAwardRefused(f"Joignez : {names}.", "pieces")
    request = PaymentRequest(grant=grant, kind=kind, amount_requested=amount, expenses_total=total)
    stored = _store_pieces(request, user, pieces)
    try:
        with transaction.atomic():
            locked = _locked(grant)
            _active(locked)
            if locked.engaged_on is None:
                raise PostAwardRefused(
                    "Le versement se demande une fois l’engagement validé par la préfecture."
                )
            found = rules.request_problems(rules_, kind, amount, money(locked), total)
            if found:
                raise PostAwardRefused(found[0][1], found[0][0])
            _already_stated(locked, expenses)
            number = (
                locked.payment_requests.order_by("-number").values_list("number", flat=True).first()
                or 0
            ) + 1
            request.grant = locked
            request.number = number
            request.submitted_at = clock.now()
            request.submitted_by = user
            request.submitted_by_label = actor_label(user)
            request.save()
            ExpenseLine.objects.bulk_create(
                ExpenseLine(
                    request=request,
                    supplier=line.supplier.strip()[:200],
                    invoice_number=line.invoice_number.strip()[:60],
                    invoiced_on=line.invoiced_on,
                    nature=line.nature.strip()[:200],
                    amount_excl_vat=line.amount_excl_vat,
                    amount_incl_vat=line.amount_incl_vat,
                )
                for line in expenses
            )
            for piece in stored:
                piece.request = request
                piece.save()
            _event(
                locked, user, EventKind.PAYMENT,
                f"Demande de versement n° {number} déposée : {request.get_kind_display().lower()} "
                f"de {format_euros(amount)}",
            )  # fmt: skip
            notifications.request_submitted(locked, request)
    except IntegrityError:
        _drop(stored)
        raise PostAwardRefused(
            f"Une demande « {rules.PAYMENT_KIND_LABELS[kind]} » est déjà en cours sur cette "
            "subvention.",
            "kind",
        ) from None
    except BaseException:
        _drop(stored)  # nothing refers to them: no orphan files
        raise
    return request


def _already_stated(grant: Grant, expenses: Sequence[ExpenseInput]) -> None:
    """An invoice justifies one request only: refuse a line whose supplier and invoice number
    are already on one of the grant's requests not refused."""
    stated = {
        _invoice_key(supplier, number): n
        for supplier, number, n in ExpenseLine.objects.filter(request__grant=grant)
        .exclude(request__status=RequestStatus.REFUSED)
        .exclude(invoice_number="")
        .values_list("supplier", "invoice_number", "request__number")
    }
    for i, line in enumerate(expenses, start=1):
        n = stated.get(_invoice_key(line.supplier, line.invoice_number))
        if n is not None:
            raise PostAwardRefused(
                f"Ligne {i} : la facture n° {line.invoice_number.strip()} de "
                f"{line.supplier.strip()} figure déjà dans la demande n° {n}.",
                "expenses",
            )


def _request_locked(
    request: PaymentRequest, *, envelope: bool = False
) -> tuple[Grant, PaymentRequest]:
    grant = _locked(request.grant, envelope=envelope)
    locked = (
        PaymentRequest.objects.select_for_update(of=("self",))
        .select_related("grant")
        .get(pk=request.pk)
    )
    locked.grant = grant
    return grant, locked


def _status(request: PaymentRequest, *allowed: RequestStatus) -> None:
    if request.status not in allowed:
        raise PostAwardRefused(
            f"La demande est à l’état « {request.get_status_display()} » : cette action n’est "
            "plus possible."
        )


def complete_request(
    request: PaymentRequest, user: User, pieces: Sequence[tuple[str, IO[bytes]]], note: str = ""
) -> PaymentRequest:
    """The team adds the pieces the préfecture asked for and sends the request back."""
    from . import notifications

    _applicant(user, request.grant)
    if not pieces:
        raise PostAwardRefused("Joignez au moins une pièce.", "pieces")
    stored = _store_pieces(request, user, pieces)
    try:
        with transaction.atomic():
            grant, locked = _request_locked(request)
            _active(grant)
            _status(locked, RequestStatus.RETURNED)
            for piece in stored:
                piece.request = locked
                piece.save()
            locked.status = RequestStatus.SUBMITTED
            locked.save(update_fields=["status"])
            _event(
                grant, user, EventKind.PAYMENT,
                f"Demande de versement n° {locked.number} complétée", note.strip()[:2000],
            )  # fmt: skip
            notifications.request_submitted(grant, locked)
    except BaseException:
        _drop(stored)
        raise
    return locked


def return_request(request: PaymentRequest, user: User, reason: str) -> PaymentRequest:
    """A reviewer asks the team for more pieces, with the reason."""
    return _answer(request, user, reason, RequestStatus.RETURNED)


def refuse_request(request: PaymentRequest, user: User, reason: str) -> PaymentRequest:
    """A reviewer (or the certifying agent) refuses the request, with the reason."""
    return _answer(request, user, reason, RequestStatus.REFUSED)


def _answer(
    request: PaymentRequest, user: User, reason: str, status: RequestStatus
) -> PaymentRequest:
    from . import notifications

    _agent(user, Do.FOLLOW, request.grant)
    what = (
        "au porteur quelles pièces manquent"
        if status == RequestStatus.RETURNED
        else "au porteur pourquoi la demande est refusée"
    )
    reason = _reason(reason, what)
    with transaction.atomic():
        grant, locked = _request_locked(request)
        _status(locked, RequestStatus.SUBMITTED, RequestStatus.CHECKED)
        locked.status = status
        locked.reason = reason
        locked.save(update_fields=["status", "reason"])
        summary = (
            f"Pièces demandées pour la demande de versement n° {locked.number}"
            if status == RequestStatus.RETURNED
            else f"Demande de versement n° {locked.number} refusée"
        )
        _event(grant, user, EventKind.PAYMENT, summary, reason)
        notifications.request_answered(grant, locked)
    return locked


def check_request(request: PaymentRequest, user: User) -> PaymentRequest:
    """A reviewer has checked the pieces and the statement of expenses: the request awaits the
    certification of the service done."""
    _agent(user, Do.FOLLOW, request.grant)
    with transaction.atomic():
        grant, locked = _request_locked(request)
        _active(grant)
        _status(locked, RequestStatus.SUBMITTED)
        locked.status = RequestStatus.CHECKED
        locked.checked_at = clock.now()
        locked.checked_by = user
        locked.checked_by_label = actor_label(user)
        locked.save(update_fields=["status", "checked_at", "checked_by", "checked_by_label"])
        _event(grant, user, EventKind.PAYMENT, f"Demande de versement n° {locked.number} vérifiée")
    return locked


def due_ceiling(request: PaymentRequest) -> Decimal:
    """The most an agent may certify on this request now (never above what was asked)."""
    grant = request.grant
    top = rules.ceiling(
        post_award_rules(grant),
        request.kind_enum,
        money(grant, excluding=request),
        request.expenses_total,
    )
    return min(top, request.amount_requested)


def certify(
    request: PaymentRequest, user: User, amount_due: Decimal, note: str = ""
) -> PaymentRequest:
    """A named agent certifies the service done, with the amount due: never above the grant less
    what was certified or paid, a flat grant capped by the actual cost for the balance."""
    from . import notifications

    _agent(user, Do.CERTIFY, request.grant)
    note = (note or "").strip()
    if len(note) > 2000:
        raise PostAwardRefused("2 000 caractères au plus.", "note")
    try:
        with transaction.atomic():
            grant, locked = _request_locked(request)
            _active(grant)
            _status(locked, RequestStatus.CHECKED)
            if locked.checked_by_id == user.pk:
                raise PostAwardRefused(
                    "Le service fait est certifié par un autre agent que celui qui a vérifié la "
                    "demande."
                )
            problem = rules.certification_problem(
                post_award_rules(grant),
                locked.kind_enum,
                locked.amount_requested,
                amount_due,
                money(grant, excluding=locked),
                locked.expenses_total,
            )
            if problem:
                raise PostAwardRefused(problem, "amount_due")
            if amount_due < locked.amount_requested and not note:
                raise PostAwardRefused(
                    "Un montant dû inférieur à la demande se justifie dans les observations.",
                    "note",
                )
            locked.status = RequestStatus.CERTIFIED
            locked.amount_due = amount_due
            locked.certified_at = clock.now()
            locked.certified_by = user
            locked.certified_by_label = actor_label(user)
            locked.certification_note = note
            locked.save()
            # Added in the database (not written back from here): should anything write around
            # the lock, the constraint still sees every certification.
            Grant.objects.filter(pk=grant.pk).update(certified=F("certified") + amount_due)
            grant.refresh_from_db(fields=["certified"])
            _event(
                grant, user, EventKind.PAYMENT,
                f"Service fait certifié pour la demande n° {locked.number} : "
                f"{format_euros(amount_due)} dus",
                note,
            )  # fmt: skip
            notifications.request_certified(grant, locked)
    except IntegrityError:
        # Only reached if something wrote around the lock: the database's constraint refused it.
        raise PostAwardRefused(
            "Ce montant dépasse ce que la subvention permet encore.", "amount_due"
        ) from None
    return locked


# ---------------------------------------------------------------- the State's accounting numbers

EJ_RE = re.compile(r"^\d{10}$")
DP_RE = re.compile(r"^\d{1,20}$")


def record_legal_commitment(
    grant: Grant, user: User, number: str, year: int, amount: Decimal
) -> LegalCommitment:
    """The engagement juridique of the grant for a budget year (Chorus Cœur: ten digits)."""
    _agent(user, Do.ACCOUNT, grant)
    number = (number or "").strip().replace(" ", "")
    if not EJ_RE.match(number):
        raise PostAwardRefused(
            "Le numéro d’engagement juridique compte dix chiffres (ex. 2103456789).", "number"
        )
    if amount <= 0:
        raise PostAwardRefused("Le montant doit être supérieur à zéro.", "amount")
    if year < 2000 or year > 2100:
        raise PostAwardRefused("Indiquez l’exercice sur quatre chiffres (ex. 2021).", "year")
    try:
        with transaction.atomic():
            locked = _locked(grant)
            _active(locked)
            recorded = locked.legal_commitments.aggregate(s=Sum("amount"))["s"] or ZERO
            if recorded + amount > locked.amount:
                raise PostAwardRefused(
                    f"Les engagements juridiques dépasseraient la subvention "
                    f"({format_euros(locked.amount)}, déjà {format_euros(recorded)}).",
                    "amount",
                )
            commitment = LegalCommitment.objects.create(
                grant=locked,
                number=number,
                year=year,
                amount=amount,
                recorded_at=clock.now(),
                recorded_by=user,
                recorded_by_label=actor_label(user),
            )
            _event(
                locked, user, EventKind.PAYMENT,
                f"Engagement juridique n° {number} enregistré ({year}, {format_euros(amount)})",
            )  # fmt: skip
    except IntegrityError:
        raise PostAwardRefused(
            "Ce numéro est déjà enregistré, ou la subvention a déjà un engagement juridique pour "
            "cet exercice.",
            "number",
        ) from None
    return commitment


def record_payment(
    request: PaymentRequest, user: User, number: str, paid_on: dt.date, amount: Decimal
) -> Payment:
    """The State paid a certified request (its demande de paiement): a ledger line. The balance
    closes the grant, and what it did not pay goes back to the envelope."""
    from . import notifications

    _agent(user, Do.ACCOUNT, request.grant)
    number = (number or "").strip().replace(" ", "")
    if not DP_RE.match(number):
        raise PostAwardRefused(
            "Le numéro de la demande de paiement s’écrit en chiffres (20 au plus).", "number"
        )
    if paid_on > clock.today():
        raise PostAwardRefused("La date du paiement ne peut pas être dans le futur.", "paid_on")
    try:
        with transaction.atomic():
            grant, locked = _request_locked(request, envelope=True)
            _active(grant)
            _status(locked, RequestStatus.CERTIFIED)
            if paid_on < local_date(locked.certified_at, "Europe/Paris"):
                raise PostAwardRefused(
                    "Le paiement ne peut précéder la certification du service fait.", "paid_on"
                )
            if amount != locked.amount_due:
                raise PostAwardRefused(
                    f"Le paiement est du montant certifié : {format_euros(locked.amount_due)}.",
                    "amount",
                )
            committed = grant.legal_commitments.aggregate(s=Sum("amount"))["s"]
            if committed is None:
                raise PostAwardRefused(
                    "Enregistrez d’abord l’engagement juridique de la subvention."
                )
            if grant.paid + amount > committed:
                raise PostAwardRefused(
                    f"Les paiements dépasseraient les engagements juridiques enregistrés "
                    f"({format_euros(committed)}, déjà payé {format_euros(grant.paid)}).",
                    "amount",
                )
            closes = locked.kind_enum is PaymentKind.BALANCE
            if closes and grant.certified > grant.paid + amount:
                raise PostAwardRefused(
                    "Un autre versement certifié attend son paiement : enregistrez-le avant le "
                    "solde."
                )
            entry = services.pay(grant, amount, user, note=f"DP {number}")
            payment = Payment.objects.create(
                request=locked,
                number=number,
                paid_on=paid_on,
                amount=amount,
                ledger_entry=entry,
                recorded_at=clock.now(),
                recorded_by=user,
                recorded_by_label=actor_label(user),
            )
            locked.status = RequestStatus.PAID
            locked.save(update_fields=["status"])
            grant.refresh_from_db()
            if closes:
                left = grant.amount - grant.paid
                if left > 0:
                    services.release(
                        grant, left, ReleaseCause.CLOSING, user,
                        note=f"Solde de la demande n° {locked.number}",
                    )  # fmt: skip
                    grant.refresh_from_db()
                grant.status = GrantStatus.CLOSED
                grant.ended_at = clock.now()
                grant.save(update_fields=["status", "ended_at"])
            dossier_services.record_post_award(
                grant.dossier, user, Action.PAY_OFF if closes else Action.PAY_PART,
                f"Versement de {format_euros(amount)} enregistré (demande n° {locked.number}, "
                f"DP {number}, payé le {french_date(paid_on)})",
            )  # fmt: skip
            notifications.payment_recorded(grant, payment)
    except IntegrityError:
        raise PostAwardRefused(
            "Ce numéro de demande de paiement est déjà enregistré.", "number"
        ) from None
    except services.EnvelopeRefused as refused:
        raise PostAwardRefused(str(refused)) from None
    return payment


# ---------------------------------------------------------------- the lapse (caducité)


def lapse_candidates(call_id: int | None, on: dt.date | None = None) -> QuerySet[Grant]:
    """The call's active grants (every call's: None) whose engagement deadline has passed
    without a validated engagement: the manager pronounces their lapse."""
    day = on or clock.today()
    grants = (
        Grant.objects.all() if call_id is None else Grant.objects.filter(envelope__call_id=call_id)
    )
    return (
        grants.filter(
            status=GrantStatus.ACTIVE,
            engaged_on__isnull=True,
            engagement_deadline__lt=day,
        )
        # A proof given in time and not yet checked is the préfecture's to review first.
        .exclude(engagement_proofs__status=EngagementStatus.SUBMITTED)
        .select_related("dossier", "envelope")
        .order_by("engagement_deadline", "dossier__number")
    )


def lapse(grant: Grant, user: User, note: str = "") -> Grant:
    """The manager pronounces the lapse: the grant ends, its money goes back to the envelope (a
    release line), the dossier is « Caduc », a notice is written and e-mailed, and the first of
    the waiting list that the freed money can fund is offered to the next meeting."""
    from . import lapses

    _agent(user, Do.LAPSE, grant)
    written: list[str] = []  # the notice's file, deleted if the lapse rolls back
    try:
        with transaction.atomic():
            locked = _locked(grant, envelope=True)
            _active(locked)
            if locked.engaged_on is not None:
                raise PostAwardRefused("L’engagement de ce projet est validé : il n’est pas caduc.")
            deadline = locked.engagement_deadline
            if clock.today() <= deadline:
                raise PostAwardRefused(
                    f"La date limite d’engagement ({french_date(deadline)}) n’est pas passée."
                )
            if locked.certified > locked.paid:
                raise PostAwardRefused("Un versement certifié attend son paiement.")
            if pending_engagement(locked) is not None:
                raise PostAwardRefused(
                    "Une preuve d’engagement attend sa vérification : validez-la ou refusez-la d’abord."
                )
            services.release(
                locked, locked.amount - locked.paid, ReleaseCause.LAPSE, user,
                note=note.strip()[:500] or "Engagement non prouvé dans le délai",
            )  # fmt: skip
            locked.refresh_from_db()
            locked.ended_at = clock.now()
            locked.save(update_fields=["ended_at"])
            dossier_services.record_post_award(
                locked.dossier, user, Action.LAPSE,
                f"Subvention caduque : engagement non prouvé au {french_date(deadline)}",
                note.strip()[:2000],
            )  # fmt: skip
            lapses.after_lapse(locked, user, written)
    except BaseException:
        for name in written:
            private_storage().delete(name)
        raise
    return locked


__all__ = [
    "ExpenseInput",
    "NotAllowed",
    "PostAwardRefused",
    "certify",
    "check_request",
    "complete_request",
    "lapse",
    "lapse_candidates",
    "record_legal_commitment",
    "record_payment",
    "refuse_engagement",
    "refuse_request",
    "request_payment",
    "return_request",
    "submit_engagement",
    "validate_engagement",
]
