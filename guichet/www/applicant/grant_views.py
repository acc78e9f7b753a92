"""After the decision, the beneficiary's side of its grant: the grant's page (its money, its
deadlines, its steps), the engagement's proof, the payment requests and their pieces.

Views translate: they parse a form, call one service of ``guichet.grants.postaward`` and render
its result, or its ``PostAwardRefused`` at the field it names. Anybody outside the dossier's team
gets a 404, and so does a dossier without a grant.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse

from guichet import clock
from guichet.committee.decisions import notified_decision
from guichet.documents.http import file_response
from guichet.dossiers.models import Dossier, EventKind
from guichet.grants import postaward
from guichet.grants.models import (
    ENGAGEMENT_BADGES,
    REQUEST_BADGES,
    EngagementStatus,
    Grant,
    GrantStatus,
    Payment,
    PaymentRequest,
    RequestStatus,
)
from guichet.grants.postaward import NotAllowed, PostAwardRefused
from guichet.rules import postaward as rules
from guichet.rules.money import format_euros
from guichet.rules.postaward import PAYMENT_KIND_LABELS, PIECE_LABELS, PaymentKind, PieceKind
from guichet.rules.timing import french_date

from . import grant_forms, views
from .follow_views import applicant_history

# The request's states as DSFR badges.
KIND_MEANINGS = {
    PaymentKind.ADVANCE: "au commencement du projet, sans état des dépenses",
    PaymentKind.INSTALMENT: "au fil des dépenses réalisées, sur factures acquittées",
    PaymentKind.BALANCE: "une fois le projet achevé, sur les factures non encore présentées",
}
GRANT_HISTORY = (EventKind.DECISION, EventKind.ENGAGEMENT, EventKind.PAYMENT, EventKind.TRANSITION)


def _grant(request: HttpRequest, uuid: Any) -> tuple[Dossier, Grant]:
    dossier, _ = views._dossier(request, uuid)  # 404 outside the team
    grant = postaward.current_grant(dossier)
    if grant is None:
        raise Http404("Aucune subvention pour ce dossier")
    return dossier, grant


def _deadline(grant: Grant) -> Any:
    return grant.engagement_deadline


def next_step(grant: Grant) -> str:
    """What the team has to do now, or waits for, in one French sentence."""
    if grant.status == GrantStatus.LAPSED:
        return "La subvention est caduque : l’engagement n’a pas été prouvé dans le délai."
    if grant.status == GrantStatus.WITHDRAWN:
        return "La subvention est retirée."
    if grant.status == GrantStatus.CLOSED:
        return "La subvention est soldée : aucune démarche n’est plus attendue."
    if grant.engaged_on is None:
        if postaward.pending_engagement(grant):
            return "La préfecture vérifie votre preuve d’engagement."
        return (
            "Prouvez l’engagement du projet (devis ou marché signé) au plus tard le "
            f"{french_date(_deadline(grant))}."
        )
    live = list(
        grant.payment_requests.exclude(status__in=[RequestStatus.PAID, RequestStatus.REFUSED])
    )
    returned = [r for r in live if r.status == RequestStatus.RETURNED]
    if returned:
        return f"La préfecture demande des pièces pour la demande n° {returned[0].number}."
    if live:
        r = live[0]
        return f"Demande n° {r.number} « {r.get_status_display()} » : la préfecture la traite."
    until = (
        f" avant le {french_date(grant.completion_deadline)}" if grant.completion_deadline else ""
    )
    return f"Demandez le versement de la subvention (acompte ou solde){until}."


@dataclass(frozen=True)
class GrantSummary:
    grant: Grant
    state: str
    next_step: str


def summary(dossier: Dossier) -> GrantSummary | None:
    """The grant as the dossier's page summarises it (None when the dossier has none)."""
    grant = postaward.current_grant(dossier)
    if grant is None:
        return None
    return GrantSummary(grant, dossier.state_label, next_step(grant))


def _kind_choices(grant: Grant) -> list[dict[str, Any]]:
    """Each kind the call allows, what it means and the most it may ask now."""
    rules_ = postaward.post_award_rules(grant)
    money = postaward.money(grant)
    out = []
    for kind in rules_.kinds():
        # For instalments and the balance the ceiling also depends on the expenses stated:
        # here they are taken as covering the grant, and the page says « dans la limite ».
        top = rules.ceiling(rules_, kind, money, grant.amount)
        problems = rules.request_problems(rules_, kind, top or Decimal("0.01"), money, grant.amount)
        blocked = next((m for f, m in problems if f == "kind"), "")
        if kind is PaymentKind.ADVANCE:
            share = rules.format_share(rules_.advance_max_share)
            limit = f"au plus {share} de la subvention : {format_euros(top)} aujourd’hui"
        elif kind is PaymentKind.INSTALMENT:
            share = rules.format_share(rules_.instalments_max_share)
            limit = (
                f"avec les versements précédents, au plus {share} de la subvention et les "
                f"dépenses justifiées : {format_euros(top)} aujourd’hui"
            )
        else:
            limit = (
                "le reste de la subvention, dans la limite du coût réel du projet : "
                f"{format_euros(top)} aujourd’hui"
            )
        pieces = rules_.pieces.get(kind, ())
        out.append(
            {
                "value": kind.value,
                "label": PAYMENT_KIND_LABELS[kind],
                "meaning": KIND_MEANINGS[kind],
                "limit": limit,
                "ceiling": top,
                "blocked": blocked,
                "pieces": ", ".join(PIECE_LABELS[p] for p in pieces),
            }
        )
    return out


def _piece_kinds(grant: Grant) -> tuple[PieceKind, ...]:
    """Every kind of piece the call asks for some kind of request, then « Autre pièce »."""
    rules_ = postaward.post_award_rules(grant)
    asked = {p for kind in rules_.kinds() for p in rules_.pieces.get(kind, ())}
    return tuple(p for p in PieceKind if p in asked or p is PieceKind.OTHER)


def _required_for(grant: Grant) -> dict[str, str]:
    rules_ = postaward.post_award_rules(grant)
    out = {}
    for piece in PieceKind:
        kinds = [
            PAYMENT_KIND_LABELS[k].lower()
            for k in rules_.kinds()
            if piece in rules_.pieces.get(k, ())
        ]
        if kinds:
            out[grant_forms.piece_field_name(piece)] = (
                "Obligatoire pour : " + ", ".join(kinds) + "."
            )
    return out


def _grant_page(
    request: HttpRequest, dossier: Dossier, grant: Grant, **extra: Any
) -> dict[str, Any]:
    proofs = list(grant.engagement_proofs.order_by("uploaded_at", "pk"))
    pending = next((p for p in proofs if p.status == EngagementStatus.SUBMITTED), None)
    validated = next((p for p in proofs if p.status == EngagementStatus.VALIDATED), None)
    refused = [p for p in proofs if p.status == EngagementStatus.REFUSED]
    requests_ = list(grant.payment_requests.order_by("number"))
    for r in requests_:
        r.badge = REQUEST_BADGES.get(r.status, "")  # type: ignore[attr-defined]
    for p in proofs:
        p.badge = ENGAGEMENT_BADGES.get(p.status, "")  # type: ignore[attr-defined]
    events = [
        e
        for e in applicant_history(dossier)
        if e.kind in GRANT_HISTORY and e.at >= grant.decided_at
    ]
    active = grant.status == GrantStatus.ACTIVE
    balance_asked = any(
        r.kind == PaymentKind.BALANCE and r.status != RequestStatus.REFUSED for r in requests_
    )
    can_prove = active and validated is None and pending is None
    return {
        "title": f"Subvention — dossier {dossier.number}",
        "dossier": dossier,
        "grant": grant,
        "decision": notified_decision(dossier),
        "engagement_deadline": _deadline(grant),
        "proofs": proofs,
        "pending": pending,
        "validated": validated,
        "last_refused": refused[-1] if refused and not pending and not validated else None,
        "requests": requests_,
        "returned": next((r for r in requests_ if r.status == RequestStatus.RETURNED), None),
        "events": events,
        "next_step": next_step(grant),
        "can_prove": can_prove,
        "can_request": active and validated is not None and not balance_asked,
        "engagement_form": extra.pop("engagement_form", None) or grant_forms.EngagementForm(),
        **extra,
    }


def _at_field(form: Any, error: PostAwardRefused, fields: dict[str, str] | None = None) -> None:
    """Put the service's refusal at the form's field it names (the whole form otherwise)."""
    name = (fields or {}).get(error.field, error.field)
    form.add_error(name if name in form.fields else None, str(error))


@login_required
def grant_detail(request: HttpRequest, uuid: Any) -> HttpResponse:
    """The grant's page; its engagement form posts here."""
    dossier, grant = _grant(request, uuid)
    if request.method != "POST":
        return render(request, "applicant/grant/grant.html", _grant_page(request, dossier, grant))
    form = grant_forms.EngagementForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            postaward.submit_engagement(
                grant,
                request.user,
                form.cleaned_data["file"],
                form.cleaned_data["signed_on"],
            )
        except NotAllowed:
            raise Http404("Dossier introuvable") from None
        except PostAwardRefused as error:
            _at_field(form, error)
        else:
            messages.success(
                request,
                "Votre preuve d’engagement est envoyée : la préfecture la vérifie et vous "
                "répondra par courriel.",
            )
            return redirect(reverse("applicant:grant", args=[dossier.uuid]) + "#engagement")
    return render(
        request,
        "applicant/grant/grant.html",
        _grant_page(request, dossier, grant, engagement_form=form),
        status=422,
    )


def _with_blank_line(data: QueryDict) -> QueryDict:
    data = data.copy()
    key = f"{grant_forms.EXPENSES_PREFIX}-TOTAL_FORMS"
    try:
        total = int(data.get(key) or 0)
    except ValueError:
        total = 0
    data[key] = str(max(0, min(total + 1, grant_forms.ExpenseFormSet.max_num)))
    return data


@login_required
def payment_request(request: HttpRequest, uuid: Any) -> HttpResponse:
    """A new payment request: its kind, amount, statement of expenses, pieces and confirmation."""
    dossier, grant = _grant(request, uuid)
    if grant.status != GrantStatus.ACTIVE or grant.engaged_on is None:
        messages.info(
            request,
            "Le versement se demande une fois l’engagement validé par la préfecture."
            if grant.status == GrantStatus.ACTIVE
            else f"La subvention est « {grant.get_status_display()} » : plus aucune demande "
            "n’est possible.",
        )
        return redirect("applicant:grant", dossier.uuid)
    rules_ = postaward.post_award_rules(grant)
    kinds = rules_.kinds()
    piece_kinds = _piece_kinds(grant)
    today = clock.today()
    prefix = grant_forms.EXPENSES_PREFIX
    status = 200
    if request.method == "POST":
        adding = request.POST.get("_action") == "add_line"
        data = _with_blank_line(request.POST) if adding else request.POST
        form = grant_forms.PaymentRequestForm(
            data, request.FILES, kinds=kinds, piece_kinds=piece_kinds
        )
        formset = grant_forms.ExpenseFormSet(data, prefix=prefix, form_kwargs={"today": today})
        status = 422
        if adding:
            formset.is_valid()  # show what is wrong already, keep everything
        elif form.is_valid() and formset.lines_valid():
            try:
                made = postaward.request_payment(
                    grant, request.user, form.cleaned_data["kind"],
                    form.cleaned_data["amount"], formset.expenses(), form.pieces(),
                )  # fmt: skip
            except NotAllowed:
                raise Http404("Dossier introuvable") from None
            except PostAwardRefused as error:
                if error.field == "expenses":
                    formset.expenses_error = str(error)  # type: ignore[attr-defined]
                elif error.field == "pieces":
                    form.pieces_error = str(error)  # type: ignore[attr-defined]
                else:
                    _at_field(form, error)
            else:
                messages.success(
                    request,
                    f"Votre demande n° {made.number} est envoyée à la préfecture, qui la vérifie.",
                )
                return redirect("applicant:payment-request-detail", dossier.uuid, made.uuid)
        elif formset.tampered():
            formset = grant_forms.ExpenseFormSet(prefix=prefix, form_kwargs={"today": today})
            formset.expenses_error = (  # type: ignore[attr-defined]
                "Les lignes envoyées sont illisibles : saisissez-les à nouveau."
            )
    else:
        chosen = request.GET.get("nature", "")
        initial = {"kind": chosen} if chosen in {k.value for k in kinds} else {}
        form = grant_forms.PaymentRequestForm(initial=initial, kinds=kinds, piece_kinds=piece_kinds)
        formset = grant_forms.ExpenseFormSet(prefix=prefix, form_kwargs={"today": today})
    required = _required_for(grant)
    return render(
        request,
        "applicant/grant/payment_request.html",
        {
            "title": f"Demander un versement — dossier {dossier.number}",
            "dossier": dossier,
            "grant": grant,
            "form": form,
            "formset": formset,
            "kind_choices": _kind_choices(grant),
            "chosen_kind": str(form["kind"].value() or ""),
            "piece_fields": [
                {"field": form[name], "hint": required.get(name, "Facultatif.")}
                for name in (grant_forms.piece_field_name(k) for k in piece_kinds)
            ],
            "expenses_error": getattr(formset, "expenses_error", ""),
            "pieces_error": getattr(form, "pieces_error", ""),
            "files_dropped": request.method == "POST" and bool(request.FILES),
        },
        status=status,
    )


def _request(grant: Grant, uuid: Any) -> PaymentRequest:
    found = grant.payment_requests.filter(uuid=uuid).first()
    if found is None:
        raise Http404("Demande introuvable")
    return found


@login_required
def payment_request_detail(request: HttpRequest, uuid: Any, request_uuid: Any) -> HttpResponse:
    """One request: its lines, pieces and state; when pieces are asked, the form that adds them."""
    dossier, grant = _grant(request, uuid)
    found = _request(grant, request_uuid)
    form = grant_forms.CompleteRequestForm()
    status = 200
    if request.method == "POST":
        form = grant_forms.CompleteRequestForm(request.POST, request.FILES)
        status = 422
        if form.is_valid():
            try:
                postaward.complete_request(
                    found,
                    request.user,
                    form.pieces(),
                    form.cleaned_data["note"],
                )
            except NotAllowed:
                raise Http404("Dossier introuvable") from None
            except PostAwardRefused as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request, "Les pièces sont envoyées : la préfecture reprend la vérification."
                )
                return redirect("applicant:payment-request-detail", dossier.uuid, found.uuid)
    found.badge = REQUEST_BADGES.get(found.status, "")  # type: ignore[attr-defined]
    return render(
        request,
        "applicant/grant/payment_request_detail.html",
        {
            "title": f"Demande de versement n° {found.number} — dossier {dossier.number}",
            "dossier": dossier,
            "grant": grant,
            "payment_request": found,
            "expenses": list(found.expenses.all()),
            "pieces": list(found.pieces.all()),
            "payment": Payment.objects.filter(request=found).first(),
            "can_complete": found.status == RequestStatus.RETURNED
            and grant.status == GrantStatus.ACTIVE,
            "form": form,
            "piece_fields": [
                {"field": form[grant_forms.piece_field_name(k)], "hint": ""} for k in PieceKind
            ],
            "files_dropped": request.method == "POST" and bool(request.FILES),
        },
        status=status,
    )


@login_required
def request_piece(
    request: HttpRequest, uuid: Any, request_uuid: Any, piece_id: int
) -> HttpResponse:
    """A piece of one of the grant's requests, for the dossier's team only."""
    _, grant = _grant(request, uuid)
    piece = _request(grant, request_uuid).pieces.filter(pk=piece_id).first()
    if piece is None:
        raise Http404("Pièce introuvable")
    return file_response(piece, inline=request.GET.get("apercu") == "1")
