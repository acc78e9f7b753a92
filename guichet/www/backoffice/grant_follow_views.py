"""The préfecture's side of one grant, after its decision.

The grant's page (``backoffice:grant``): the decision and its documents, the money
(``postaward.position``), the deadlines, the engagement proofs with « Valider » / « Refuser »,
the engagements juridiques and their form, the payment requests, the grant's ledger lines and
every step of the dossier's history since the decision. A request's page
(``backoffice:payment-request``): its statement of expenses, pieces and history, and the
actions its state and the agent's role allow: « Vérifier », « Demander des pièces »,
« Refuser », « Certifier le service fait », « Enregistrer le paiement ».

Whoever may see the dossier (``Do.VIEW``) sees the pages and downloads the files; the actions
need ``Do.FOLLOW``, ``Do.CERTIFY`` or ``Do.ACCOUNT``: anybody else gets a 404, as for a dossier
they may not see. These views only translate: ``guichet.grants.postaward`` checks the right
again, the money and the states, and its refusals (``PostAwardRefused``) are shown at the field
they name, with everything typed kept (status 422).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from guichet.accounts.models import User
from guichet.committee.decisions import documents_of as decision_documents
from guichet.documents.http import file_response
from guichet.dossiers.models import Dossier, EventKind
from guichet.dossiers.workflow import Action
from guichet.grants import postaward
from guichet.grants.models import (
    ENGAGEMENT_BADGES,
    REQUEST_BADGES,
    EngagementProof,
    EngagementStatus,
    Grant,
    GrantStatus,
    PaymentRequest,
    RequestStatus,
)
from guichet.review.permissions import Do, can
from guichet.rules import postaward as rules
from guichet.rules.money import format_euros

from .grant_follow_forms import (
    CertifyForm,
    LegalCommitmentForm,
    PaymentForm,
    RefuseEngagementForm,
    RefuseRequestForm,
    ReturnRequestForm,
)
from .views import _dossier

GRANT_TEMPLATE = "backoffice/grant/grant.html"
REQUEST_TEMPLATE = "backoffice/grant/request.html"
# The dossier's history lines that tell the grant's life.
GRANT_EVENT_KINDS = (
    EventKind.DECISION,
    EventKind.ENGAGEMENT,
    EventKind.PAYMENT,
    EventKind.TRANSITION,
)
PAYMENT_ACTIONS = (Action.PAY_PART.value, Action.PAY_OFF.value)


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _grant(request: HttpRequest, uuid: Any) -> tuple[Dossier, Grant]:
    """The dossier (visible to the agent, 404 otherwise) and its grant (404 without one)."""
    dossier = _dossier(request, uuid)
    grant = postaward.current_grant(dossier)
    if grant is None:
        raise Http404("Subvention introuvable")
    grant.dossier = dossier
    return dossier, grant


def _payment_request(grant: Grant, request_uuid: Any) -> PaymentRequest:
    found = grant.payment_requests.filter(uuid=request_uuid).first()
    if found is None:
        raise Http404("Demande introuvable")
    found.grant = grant
    return found


def _require(request: HttpRequest, action: Do, dossier: Dossier) -> None:
    if not can(_user(request), action, dossier):
        raise Http404("Page introuvable")


def grant_url(dossier: Dossier, anchor: str = "") -> str:
    return reverse("backoffice:grant", args=[dossier.uuid]) + anchor


def request_url(dossier: Dossier, payment_request: PaymentRequest, anchor: str = "") -> str:
    return reverse("backoffice:payment-request", args=[dossier.uuid, payment_request.uuid]) + anchor


def _show_refusal(form: forms.Form, exc: postaward.PostAwardRefused) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, str(exc))


def _shown_or_flashed(request: HttpRequest, form: forms.Form, shown: bool) -> None:
    """When the grant moved on and the form is no longer on the page, its general errors go to
    the top of the page."""
    if not shown:
        for error in form.non_field_errors():
            messages.error(request, error)


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class ProofRow:
    proof: EngagementProof
    in_time: bool
    badge: str


def _events(dossier: Dossier, grant: Grant) -> list[Any]:
    return list(
        dossier.events.filter(at__gte=grant.decided_at, kind__in=GRANT_EVENT_KINDS)
        .select_related("actor")
        .order_by("at", "pk")
    )


def _may(request: HttpRequest, dossier: Dossier, grant: Grant) -> dict[str, bool]:
    user = _user(request)
    active = grant.status == GrantStatus.ACTIVE
    return {
        "follow": active and can(user, Do.FOLLOW, dossier),
        "certify": active and can(user, Do.CERTIFY, dossier),
        "account": active and can(user, Do.ACCOUNT, dossier),
        "issue": can(user, Do.ISSUE, dossier),  # the decisions' page, from the documents
    }


def _grant_context(request: HttpRequest, dossier: Dossier, grant: Grant, **extra: Any) -> dict:
    deadline = grant.engagement_deadline
    proofs = [
        ProofRow(p, rules.engaged_in_time(deadline, p.signed_on, "Europe/Paris"),
                 ENGAGEMENT_BADGES.get(p.status, ""))
        for p in grant.engagement_proofs.order_by("uploaded_at", "pk")
    ]  # fmt: skip
    pending = next((r for r in proofs if r.proof.status == EngagementStatus.SUBMITTED), None)
    may = _may(request, dossier, grant)
    requests = list(grant.payment_requests.order_by("number"))
    for r in requests:
        r.badge = REQUEST_BADGES.get(r.status, "")  # type: ignore[attr-defined]
    title = f"Subvention du dossier {dossier.number}"
    context = {
        "title": title,
        "dossier": dossier,
        "grant": grant,
        "position": postaward.position(grant),
        "engagement_deadline": deadline,
        "proofs": proofs,
        "pending": pending,
        "commitments": list(grant.legal_commitments.order_by("year")),
        "requests": requests,
        "ledger": list(grant.ledger.order_by("at", "pk")),
        "events": _events(dossier, grant),
        "decision_documents": decision_documents(dossier),
        "may": may,
        "refuse_form": extra.pop("refuse_form", None) or RefuseEngagementForm(),
        "ej_form": extra.pop("ej_form", None)
        or LegalCommitmentForm(
            initial={"year": grant.envelope.year, "amount": format_euros(grant.amount)}
        ),
        "breadcrumb": [
            {"url": reverse("backoffice:dossiers"), "title": "Instruction"},
            {"url": reverse("backoffice:dossier", args=[dossier.uuid]), "title": f"Dossier {dossier.number}"},
            {"title": "Subvention"},
        ],
    }  # fmt: skip
    context.update(extra)
    return context


def _request_history(dossier: Dossier, grant: Grant, number: int) -> list[Any]:
    """The payment lines that name this request (« demande … n° 2 », not « n° 21 »): its deposit,
    answers, check, certification and payment."""
    named = re.compile(rf"n°\s{number}(?!\d)")
    return [
        e
        for e in _events(dossier, grant)
        if (e.kind == EventKind.PAYMENT or e.action in PAYMENT_ACTIONS) and named.search(e.summary)
    ]


def _request_context(
    request: HttpRequest, dossier: Dossier, grant: Grant, payment: PaymentRequest, **extra: Any
) -> dict:
    user = _user(request)
    may = _may(request, dossier, grant)
    status = payment.status
    open_ = status in (RequestStatus.SUBMITTED, RequestStatus.CHECKED)
    is_balance = payment.kind_enum is rules.PaymentKind.BALANCE
    ceiling = postaward.due_ceiling(payment) if open_ else None
    actual_cost = (
        postaward.actual_cost(payment)
        if payment.kind_enum is not rules.PaymentKind.ADVANCE
        else None
    )
    cost_cap = (
        rules.cost_cap(postaward.money(grant, excluding=payment), actual_cost)
        if is_balance and actual_cost is not None
        else None
    )
    due = payment.amount_due
    title = f"Demande de versement n° {payment.number} — dossier {dossier.number}"
    context = {
        "title": title,
        "dossier": dossier,
        "grant": grant,
        "payment_request": payment,
        "badge": REQUEST_BADGES.get(status, ""),
        "expenses": list(payment.expenses.all()),
        "pieces": list(payment.pieces.all()),
        "payment": getattr(payment, "payment", None) if status == RequestStatus.PAID else None,
        "events": _request_history(dossier, grant, payment.number),
        "is_balance": is_balance,
        "ceiling": ceiling,
        "cost_cap": cost_cap,
        "actual_cost": actual_cost,
        "may": may,
        "can_check": may["follow"] and status == RequestStatus.SUBMITTED,
        "can_answer": may["follow"] and open_,
        "can_certify": may["certify"] and status == RequestStatus.CHECKED,
        "checked_by_me": payment.checked_by_id == user.pk,
        "can_pay": may["account"] and status == RequestStatus.CERTIFIED,
        "has_commitment": grant.legal_commitments.exists(),
        "return_form": extra.pop("return_form", None) or ReturnRequestForm(),
        "refuse_form": extra.pop("refuse_form", None) or RefuseRequestForm(),
        "certify_form": extra.pop("certify_form", None)
        or CertifyForm(initial={"amount_due": format_euros(ceiling) if ceiling else ""}),
        "payment_form": extra.pop("payment_form", None)
        or PaymentForm(initial={"amount": format_euros(due) if due is not None else ""}),
        "breadcrumb": [
            {"url": reverse("backoffice:dossiers"), "title": "Instruction"},
            {"url": reverse("backoffice:dossier", args=[dossier.uuid]), "title": f"Dossier {dossier.number}"},
            {"url": grant_url(dossier), "title": "Subvention"},
            {"title": f"Demande n° {payment.number}"},
        ],
    }  # fmt: skip
    context["can_certify_here"] = context["can_certify"] and not context["checked_by_me"]
    context.update(extra)
    return context


# ---------------------------------------------------------------- the grant's page


@login_required
def grant_detail(request: HttpRequest, uuid: Any) -> HttpResponse:
    dossier, grant = _grant(request, uuid)
    return render(request, GRANT_TEMPLATE, _grant_context(request, dossier, grant))


@login_required
@xframe_options_sameorigin
def engagement_file(request: HttpRequest, uuid: Any, proof_id: int) -> HttpResponse:
    _, grant = _grant(request, uuid)
    proof = grant.engagement_proofs.filter(pk=proof_id).first()
    if proof is None:
        raise Http404("Pièce introuvable")
    return file_response(proof, inline=request.GET.get("apercu") == "1")


def grant_action(
    action: Do,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A POST on one grant: signed in, the dossier visible, ``action`` allowed (404 otherwise);
    the view gets the dossier, the grant and the path's other arguments; ``NotAllowed`` from the
    service is a 404 too."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @require_POST
        @functools.wraps(view)
        def wrapper(request: HttpRequest, uuid: Any, **kwargs: Any) -> HttpResponse:
            dossier, grant = _grant(request, uuid)
            _require(request, action, dossier)
            try:
                return view(request, dossier, grant, **kwargs)
            except postaward.NotAllowed:
                raise Http404("Page introuvable") from None

        return wrapper

    return decorate


def _pending_proof(grant: Grant, proof_id: int) -> EngagementProof:
    proof = grant.engagement_proofs.filter(pk=proof_id).first()
    if proof is None:
        raise Http404("Pièce introuvable")
    proof.grant = grant
    return proof


@grant_action(Do.FOLLOW)
def engagement_validate(
    request: HttpRequest, dossier: Dossier, grant: Grant, proof_id: int
) -> HttpResponse:
    proof = _pending_proof(grant, proof_id)
    try:
        postaward.validate_engagement(proof, _user(request))
    except postaward.NotAllowed:
        raise
    except postaward.PostAwardRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "L’engagement est validé : le porteur en est informé.")
    return redirect(grant_url(dossier, "#engagement"))


@grant_action(Do.FOLLOW)
def engagement_refuse(
    request: HttpRequest, dossier: Dossier, grant: Grant, proof_id: int
) -> HttpResponse:
    proof = _pending_proof(grant, proof_id)
    form = RefuseEngagementForm(request.POST)
    if form.is_valid():
        try:
            postaward.refuse_engagement(proof, _user(request), form.cleaned_data["reason"])
        except postaward.NotAllowed:
            raise
        except postaward.PostAwardRefused as exc:
            _show_refusal(form, exc)
        else:
            messages.success(request, "La preuve est refusée : le porteur en connaît le motif.")
            return redirect(grant_url(dossier, "#engagement"))
    context = _grant_context(request, dossier, grant, refuse_form=form)
    _shown_or_flashed(request, form, context["pending"] is not None and context["may"]["follow"])
    return render(request, GRANT_TEMPLATE, context, status=422)


@grant_action(Do.ACCOUNT)
def legal_commitment(request: HttpRequest, dossier: Dossier, grant: Grant) -> HttpResponse:
    form = LegalCommitmentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            commitment = postaward.record_legal_commitment(
                grant, _user(request), data["number"], data["year"], data["amount"]
            )
        except postaward.NotAllowed:
            raise
        except postaward.PostAwardRefused as exc:
            _show_refusal(form, exc)
        else:
            messages.success(
                request,
                f"L’engagement juridique n° {commitment.number} est enregistré "
                f"({commitment.year}, {format_euros(commitment.amount)}).",
            )
            return redirect(grant_url(dossier, "#ej"))
    context = _grant_context(request, dossier, grant, ej_form=form)
    _shown_or_flashed(request, form, context["may"]["account"])
    return render(request, GRANT_TEMPLATE, context, status=422)


# ---------------------------------------------------------------- a request's page


@login_required
def request_detail(request: HttpRequest, uuid: Any, request_uuid: Any) -> HttpResponse:
    dossier, grant = _grant(request, uuid)
    payment = _payment_request(grant, request_uuid)
    return render(request, REQUEST_TEMPLATE, _request_context(request, dossier, grant, payment))


@login_required
@xframe_options_sameorigin
def request_piece(
    request: HttpRequest, uuid: Any, request_uuid: Any, piece_id: int
) -> HttpResponse:
    _, grant = _grant(request, uuid)
    piece = _payment_request(grant, request_uuid).pieces.filter(pk=piece_id).first()
    if piece is None:
        raise Http404("Pièce introuvable")
    return file_response(piece, inline=request.GET.get("apercu") == "1")


def _request_form_failed(
    request: HttpRequest,
    dossier: Dossier,
    grant: Grant,
    payment: PaymentRequest,
    name: str,
    form: forms.Form,
    shown_by: str,
) -> HttpResponse:
    payment.refresh_from_db()
    context = _request_context(request, dossier, grant, payment, **{name: form})
    _shown_or_flashed(request, form, context[shown_by])
    return render(request, REQUEST_TEMPLATE, context, status=422)


@grant_action(Do.FOLLOW)
def request_check(
    request: HttpRequest, dossier: Dossier, grant: Grant, request_uuid: Any
) -> HttpResponse:
    payment = _payment_request(grant, request_uuid)
    try:
        postaward.check_request(payment, _user(request))
    except postaward.NotAllowed:
        raise
    except postaward.PostAwardRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            "La demande est vérifiée : un autre agent peut maintenant certifier le service fait.",
        )
    return redirect(request_url(dossier, payment))


def _answer(
    request: HttpRequest,
    dossier: Dossier,
    grant: Grant,
    request_uuid: Any,
    form_class: type[forms.Form],
    name: str,
) -> HttpResponse:
    payment = _payment_request(grant, request_uuid)
    form = form_class(request.POST)
    returning = form_class is ReturnRequestForm
    if form.is_valid():
        service = postaward.return_request if returning else postaward.refuse_request
        try:
            service(payment, _user(request), form.cleaned_data["reason"])
        except postaward.NotAllowed:
            raise
        except postaward.PostAwardRefused as exc:
            _show_refusal(form, exc)
        else:
            messages.success(
                request,
                "Les pièces sont demandées au porteur."
                if returning
                else "La demande est refusée : le porteur en connaît le motif.",
            )
            return redirect(request_url(dossier, payment))
    return _request_form_failed(request, dossier, grant, payment, name, form, "can_answer")


@grant_action(Do.FOLLOW)
def request_return(
    request: HttpRequest, dossier: Dossier, grant: Grant, request_uuid: Any
) -> HttpResponse:
    return _answer(request, dossier, grant, request_uuid, ReturnRequestForm, "return_form")


@grant_action(Do.FOLLOW)
def request_refuse(
    request: HttpRequest, dossier: Dossier, grant: Grant, request_uuid: Any
) -> HttpResponse:
    return _answer(request, dossier, grant, request_uuid, RefuseRequestForm, "refuse_form")


@grant_action(Do.CERTIFY)
def request_certify(
    request: HttpRequest, dossier: Dossier, grant: Grant, request_uuid: Any
) -> HttpResponse:
    payment = _payment_request(grant, request_uuid)
    form = CertifyForm(request.POST)
    if form.is_valid():
        amount: Decimal = form.cleaned_data["amount_due"]
        try:
            certified = postaward.certify(
                payment, _user(request), amount, form.cleaned_data["note"]
            )
        except postaward.NotAllowed:
            raise
        except postaward.PostAwardRefused as exc:
            _show_refusal(form, exc)
        else:
            messages.success(
                request,
                f"Le service fait est certifié : {format_euros(certified.amount_due or 0)} dus.",
            )
            return redirect(request_url(dossier, payment))
    return _request_form_failed(
        request, dossier, grant, payment, "certify_form", form, "can_certify_here"
    )


@grant_action(Do.ACCOUNT)
def request_pay(
    request: HttpRequest, dossier: Dossier, grant: Grant, request_uuid: Any
) -> HttpResponse:
    payment = _payment_request(grant, request_uuid)
    form = PaymentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            paid = postaward.record_payment(
                payment, _user(request), data["number"], data["paid_on"], data["amount"]
            )
        except postaward.NotAllowed:
            raise
        except postaward.PostAwardRefused as exc:
            _show_refusal(form, exc)
        else:
            messages.success(
                request,
                f"Le paiement de {format_euros(paid.amount)} est enregistré (DP {paid.number}).",
            )
            return redirect(request_url(dossier, payment))
    return _request_form_failed(request, dossier, grant, payment, "payment_form", form, "can_pay")


# ---------------------------------------------------------------- the dossier page's summary

WAITING = {
    RequestStatus.SUBMITTED: "à vérifier",
    RequestStatus.CHECKED: "service fait à certifier",
    RequestStatus.CERTIFIED: "paiement à enregistrer",
}


def summary(dossier: Dossier) -> dict[str, Any] | None:
    """What the back-office dossier page says of its grant (``#subvention``), or None."""
    grant = postaward.current_grant(dossier)
    if grant is None:
        return None
    waiting = [
        (r, WAITING[RequestStatus(r.status)])
        for r in grant.payment_requests.filter(status__in=list(WAITING)).order_by("number")
    ]
    return {
        "grant": grant,
        "position": postaward.position(grant),
        "pending": postaward.pending_engagement(grant),
        "waiting": waiting,
    }
