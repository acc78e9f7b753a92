"""After submission: the dossier's page (status, history, messages, team), withdrawal, invitations."""

from __future__ import annotations

from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from guichet.committee.decisions import notified_decision
from guichet.documents.http import content_disposition, file_response
from guichet.documents.uploads import DocumentField
from guichet.dossiers import services
from guichet.dossiers.models import Event, EventKind, PieceKind
from guichet.dossiers.workflow import (
    GRANTED,
    Action,
    Actor,
    State,
    TransitionRefused,
    available,
)
from guichet.www.dossier_pages import send_message

from . import forms, views


class MessageWithFilesForm(forms.MessageForm):
    file = DocumentField(label="Pièce jointe (facultative)", required=False)


def applicant_history(dossier: Any) -> list[Event]:
    """The history as the team sees it: without the préfecture's internal work (assignments,
    scores, population checks, the committee's agenda, conflicts and deliberation until the
    meeting is closed) and without the reviewer's proposal, which is the committee's to
    decide; the move to « Proposé au comité » itself stays visible."""
    events = list(
        dossier.events.select_related("actor").exclude(
            kind__in=[EventKind.ASSIGNMENT, EventKind.REVIEW, EventKind.COMMITTEE]
        )
    )
    for event in events:
        if event.action == Action.PROPOSE:
            event.message = ""
    return events


def _page(request: HttpRequest, dossier: Any, **extra: Any) -> dict[str, Any]:
    from . import grant_views  # it reads applicant_history from this module

    actions = {t.action for t in available(dossier.state_enum, Actor.APPLICANT)}
    return {
        "title": f"Dossier {dossier.number or dossier.title or 'brouillon'}",
        "dossier": dossier,
        "events": applicant_history(dossier),
        "thread": list(dossier.messages.select_related("author").prefetch_related("attachments")),
        "members": list(dossier.memberships.select_related("user")),
        "invitations": list(dossier.invitations.filter(accepted_at__isnull=True)),
        "receipt": dossier.attachments.filter(kind=PieceKind.RECEIPT).first(),
        "pieces": list(dossier.attachments.exclude(kind=PieceKind.RECEIPT)),
        "correction": dossier.events.filter(action=Action.REQUEST_CORRECTION).last()
        if dossier.state == State.CORRECTION_REQUESTED
        else None,
        "decision": notified_decision(dossier),
        "grant_summary": grant_views.summary(dossier) if dossier.state in GRANTED else None,
        "can_withdraw": Action.WITHDRAW in actions,
        "can_edit": views._editable(dossier),
        "message_form": extra.pop("message_form", None) or MessageWithFilesForm(),
        "invitation_form": extra.pop("invitation_form", None) or forms.InvitationForm(),
        **extra,
    }


@login_required
def dossier_detail(request: HttpRequest, uuid: Any) -> HttpResponse:
    dossier, _ = views._dossier(request, uuid)
    return render(request, "applicant/dossier.html", _page(request, dossier))


@login_required
def decision_download(request: HttpRequest, uuid: Any, document: Any) -> HttpResponse:
    """The signed decision notified to the team (arrêté or refusal letter); 404 before."""
    dossier, _ = views._dossier(request, uuid)
    notified = notified_decision(dossier)
    if notified is None or notified.uuid != document:
        raise Http404("Document introuvable")
    inline = request.GET.get("apercu") == "1"
    response = file_response(notified.signed_scan, inline=inline)
    # Named for the decision (as the e-mail's attachment), not for the scanner's file.
    response["Content-Disposition"] = content_disposition(notified.file_name, inline=inline)
    return response


@login_required
def receipt_status(request: HttpRequest, uuid: Any) -> HttpResponse:
    """The receipt's place on the dossier's page: « en préparation » while the background task
    renders it (htmx asks again every few seconds), the download link once it exists."""
    dossier, _ = views._dossier(request, uuid)
    return render(
        request,
        "applicant/_receipt.html",
        {"dossier": dossier, "receipt": dossier.attachments.filter(kind=PieceKind.RECEIPT).first()},
    )


@login_required
@require_POST
def message_post(request: HttpRequest, uuid: Any) -> HttpResponse:
    dossier, _ = views._dossier(request, uuid)
    if dossier.state == State.DRAFT:  # nobody reads a draft's thread; the page shows no form
        messages.error(
            request, "Vous pourrez écrire au service instructeur une fois le dossier déposé."
        )
        return redirect("applicant:dossier", dossier.uuid)
    form = MessageWithFilesForm(request.POST, request.FILES)
    if send_message(request, dossier, form):
        messages.success(request, "Votre message est envoyé.")
        return redirect(reverse("applicant:dossier", args=[dossier.uuid]) + "#messages")
    return render(
        request, "applicant/dossier.html", _page(request, dossier, message_form=form), status=422
    )


@login_required
@require_POST
def invitation_create(request: HttpRequest, uuid: Any) -> HttpResponse:
    dossier, _ = views._dossier(request, uuid)
    form = forms.InvitationForm(request.POST)
    if form.is_valid():
        try:
            services.invite(dossier, request.user, form.cleaned_data["email"])  # type: ignore[arg-type]
        except services.NotEditable as exc:
            form.add_error("email", str(exc))
        else:
            messages.success(request, f"Une invitation est envoyée à {form.cleaned_data['email']}.")
            return redirect("applicant:dossier", dossier.uuid)
    return render(
        request, "applicant/dossier.html", _page(request, dossier, invitation_form=form), status=422
    )


@login_required
def invitation_accept(request: HttpRequest, token: Any) -> HttpResponse:
    if request.method != "POST":
        return render(
            request, "applicant/invitation.html", {"title": "Rejoindre un dossier", "token": token}
        )
    try:
        dossier = services.accept_invitation(token, request.user)  # type: ignore[arg-type]
    except services.DossierNotFound:
        raise Http404("Invitation introuvable") from None
    except services.NotEditable as exc:
        return render(
            request,
            "applicant/invitation.html",
            {"title": "Rejoindre un dossier", "token": token, "error": str(exc)},
            status=422,
        )
    messages.success(request, "Vous faites maintenant partie de l’équipe du dossier.")
    return redirect("applicant:dossier", dossier.uuid)


class ConfirmWithdrawForm(forms.WithdrawForm):
    confirm = django_forms.BooleanField(
        label="Je confirme retirer ce dossier : il ne sera pas instruit et ne pourra pas être redéposé.",
        error_messages={"required": "Cochez la case pour confirmer le retrait."},
    )


@login_required
def withdraw(request: HttpRequest, uuid: Any) -> HttpResponse:
    dossier, _ = views._dossier(request, uuid)
    form = ConfirmWithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.withdraw(dossier, request.user, form.cleaned_data["reason"])  # type: ignore[arg-type]
        except TransitionRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Le dossier est retiré.")
        return redirect("applicant:dossier", dossier.uuid)
    return render(
        request,
        "applicant/withdraw.html",
        {"title": "Retirer le dossier", "dossier": dossier, "form": form},
        status=422 if request.method == "POST" else 200,
    )
