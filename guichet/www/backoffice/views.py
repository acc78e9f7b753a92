"""The reviewers' space (first slice): the submitted dossiers, a dossier with its history and
messages, starting the review and requesting corrections.

Agents see what their roles in each call allow (``guichet.review.permissions``). Anybody else
gets a 404 here, as for a dossier they may not see.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from guichet.documents.http import file_response
from guichet.dossiers import services
from guichet.dossiers.models import Attachment, Dossier, MessageAttachment, PieceKind
from guichet.dossiers.workflow import Action, Actor, TransitionRefused, available
from guichet.review.permissions import Do, calls_of, can
from guichet.www.applicant.follow_views import MessageWithFilesForm

from .forms import CorrectionForm


def _agent_only(request: HttpRequest) -> None:
    if not calls_of(request.user).exists():  # type: ignore[arg-type]
        raise Http404("Page introuvable")


def _dossier(request: HttpRequest, uuid: Any) -> Dossier:
    dossier = Dossier.objects.select_related("call", "session").filter(uuid=uuid).first()
    if dossier is None or not can(request.user, Do.VIEW, dossier):  # type: ignore[arg-type]
        raise Http404("Dossier introuvable")
    return dossier


def _page(dossier: Dossier, **extra: Any) -> dict[str, Any]:
    actions = {t.action for t in available(dossier.state_enum, Actor.REVIEWER)}
    return {
        "title": f"Dossier {dossier.number}",
        "dossier": dossier,
        "verdict": services.verdict(dossier),
        "partners": list(dossier.partners.all()),
        "cost_lines": list(dossier.cost_lines.all()),
        "attachments": list(dossier.attachments.all()),
        "receipt": dossier.attachments.filter(kind=PieceKind.RECEIPT).first(),
        "category": dossier.call.rules.category(dossier.category) if dossier.category else None,
        "events": list(dossier.events.select_related("actor")),
        "thread": list(dossier.messages.select_related("author").prefetch_related("attachments")),
        "can_start": Action.START_REVIEW in actions,
        "can_request_correction": Action.REQUEST_CORRECTION in actions,
        "message_form": extra.pop("message_form", None) or MessageWithFilesForm(),
        "correction_form": extra.pop("correction_form", None) or CorrectionForm(),
        **extra,
    }


@login_required
def dossier_detail(request: HttpRequest, uuid: Any) -> HttpResponse:
    dossier = _dossier(request, uuid)
    return render(request, "backoffice/dossier.html", _page(dossier))


@login_required
@require_POST
def start_review(request: HttpRequest, uuid: Any) -> HttpResponse:
    dossier = _dossier(request, uuid)
    try:
        services.start_review(dossier, request.user)  # type: ignore[arg-type]
    except TransitionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, "L’instruction du dossier est commencée : le porteur ne peut plus le modifier."
        )
    return redirect("backoffice:dossier", dossier.uuid)


@login_required
@require_POST
def request_correction(request: HttpRequest, uuid: Any) -> HttpResponse:
    dossier = _dossier(request, uuid)
    form = CorrectionForm(request.POST)
    if form.is_valid():
        try:
            services.request_correction(dossier, request.user, form.cleaned_data["message"])  # type: ignore[arg-type]
        except TransitionRefused as exc:
            form.add_error("message", str(exc))
        else:
            messages.success(request, "La demande de corrections est envoyée au porteur.")
            return redirect("backoffice:dossier", dossier.uuid)
    return render(
        request, "backoffice/dossier.html", _page(dossier, correction_form=form), status=422
    )


@login_required
@require_POST
def message_post(request: HttpRequest, uuid: Any) -> HttpResponse:
    dossier = _dossier(request, uuid)
    form = MessageWithFilesForm(request.POST, request.FILES)
    if form.is_valid():
        files = [form.cleaned_data["file"]] if form.cleaned_data.get("file") else []
        try:
            services.post_message(dossier, request.user, form.cleaned_data["body"], files)  # type: ignore[arg-type]
        except (services.NotEditable, ValidationError) as exc:
            form.add_error("body", exc.messages if isinstance(exc, ValidationError) else str(exc))
        else:
            messages.success(request, "Votre message est envoyé au porteur.")
            return redirect(reverse("backoffice:dossier", args=[dossier.uuid]) + "#messages")
    return render(request, "backoffice/dossier.html", _page(dossier, message_form=form), status=422)


@login_required
def attachment_download(request: HttpRequest, uuid: Any, attachment_id: int) -> HttpResponse:
    dossier = _dossier(request, uuid)
    attachment = Attachment.objects.filter(dossier=dossier, pk=attachment_id).first()
    if attachment is None:
        raise Http404("Fichier introuvable")
    return file_response(attachment, inline=request.GET.get("apercu") == "1")


@login_required
def message_attachment_download(
    request: HttpRequest, uuid: Any, attachment_id: int
) -> HttpResponse:
    dossier = _dossier(request, uuid)
    attachment = MessageAttachment.objects.filter(
        message__dossier=dossier, pk=attachment_id
    ).first()
    if attachment is None:
        raise Http404("Fichier introuvable")
    return file_response(attachment, inline=request.GET.get("apercu") == "1")
