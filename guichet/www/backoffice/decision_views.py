"""The decisions' documents of a closed meeting, for the call's programme managers
(``Do.ISSUE``): the list of its retained and refused dossiers with their documents (generated,
signed, notified), « Générer les documents » in the background with its progress (htmx asks
every second; without JavaScript the page refreshes itself), the signed scan's upload and
« Notifier ». Anybody else gets a 404. The documents' files are served to whoever may see the
dossier (``Do.VIEW``), 404 otherwise.

These views only translate: the rules, the numbers, the matching of a scan and the e-mails are
``guichet.committee.decisions``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from guichet.accounts.models import User
from guichet.calls.models import Call
from guichet.committee import decisions
from guichet.committee.models import DocumentStatus, Meeting
from guichet.committee.services import CommitteeError, MeetingNotFound
from guichet.documents.http import file_response
from guichet.dossiers.notifications import absolute
from guichet.review.permissions import Do, can

from .decision_forms import ScanForm


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _meeting(request: HttpRequest, slug: str, number: int) -> Meeting:
    call = Call.objects.filter(slug=slug).first()
    if call is None:
        raise Http404("Page introuvable")
    try:
        return decisions.closed_meeting(_user(request), call, number)
    except MeetingNotFound:
        raise Http404("Séance introuvable") from None


def _page_url(meeting: Meeting, anchor: str = "") -> str:
    return reverse("backoffice:decisions", args=[meeting.call.slug, meeting.number]) + anchor


def _context(meeting: Meeting, **extra: Any) -> dict[str, Any]:
    rows = decisions.rows(meeting)
    documents = [r.document for r in rows if r.document is not None]
    title = f"Décisions de la séance n° {meeting.number}"
    return {
        "title": title,
        "call": meeting.call,
        "meeting": meeting,
        "rows": rows,
        "counts": decisions.counts(rows),
        "run": decisions.latest_run(meeting),
        "scan_form": extra.pop("scan_form", None)
        or ScanForm(documents=[d for d in documents if d.status != DocumentStatus.NOTIFIED]),
        "breadcrumb": [
            {"url": reverse("backoffice:dossiers"), "title": "Instruction"},
            {"title": title},
        ],
        **extra,
    }


@login_required
def decision_list(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    meeting = _meeting(request, slug, number)
    response = render(request, "backoffice/decisions.html", _context(meeting))
    response["Cache-Control"] = "no-store"
    return response


@login_required
def decisions_progress(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """The generation's progress, polled by htmx; the table comes with it, out of band."""
    meeting = _meeting(request, slug, number)
    context = _context(meeting, oob=True)
    if request.headers.get("HX-Request") != "true":
        return redirect(_page_url(meeting, "#generation"))
    response = render(request, "backoffice/_decisions_progress.html", context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def decisions_generate(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    meeting = _meeting(request, slug, number)
    try:
        decisions.start_generation(meeting, _user(request))
    except CommitteeError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            "La génération des documents est lancée : vous pouvez suivre sa progression ici.",
        )
    return redirect(_page_url(meeting, "#generation"))


@login_required
@require_POST
def decision_scan(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    meeting = _meeting(request, slug, number)
    documents = [
        r.document
        for r in decisions.rows(meeting)
        if r.document is not None and r.document.status != DocumentStatus.NOTIFIED
    ]
    form = ScanForm(request.POST, request.FILES, documents=documents)
    if form.is_valid():
        try:
            scan = decisions.attach_signed_scan(
                meeting, _user(request), form.cleaned_data["file"], chosen=form.chosen()
            )
        except CommitteeError as exc:
            form.add_error(exc.field if exc.field in form.fields else "file", str(exc))
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            messages.success(
                request,
                f"Le scan signé du document n° {scan.document.number} est enregistré "
                f"({scan.get_matched_by_display()}). Vous pouvez le notifier.",
            )
            return redirect(_page_url(meeting, f"#document-{scan.document.uuid}"))
    return render(
        request, "backoffice/decisions.html", _context(meeting, scan_form=form), status=422
    )


def _notify_url(document: Any) -> str:
    return absolute(reverse("applicant:dossier", args=[document.decision.item.dossier.uuid]))


@login_required
@require_POST
def decision_notify(request: HttpRequest, slug: str, number: int, uuid: Any) -> HttpResponse:
    meeting = _meeting(request, slug, number)
    document = next(
        (r.document for r in decisions.rows(meeting) if r.document and r.document.uuid == uuid),
        None,
    )
    if document is None:
        raise Http404("Document introuvable")
    try:
        document = decisions.notify(document, _user(request), dossier_url=_notify_url(document))
    except CommitteeError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"Le document n° {document.number} est notifié à {', '.join(document.notified_to)}.",
        )
    return redirect(_page_url(meeting, f"#document-{uuid}"))


@login_required
@require_POST
def decisions_notify(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    meeting = _meeting(request, slug, number)
    try:
        done = decisions.notify_all(meeting, _user(request))
    except CommitteeError as exc:
        messages.error(request, str(exc))
    else:
        if done:
            messages.success(
                request,
                f"{len(done)} document{'s' if len(done) > 1 else ''} "
                f"notifié{'s' if len(done) > 1 else ''}.",
            )
        else:
            messages.info(request, "Aucun document signé n’attend sa notification.")
    return redirect(_page_url(meeting))


# ---------------------------------------------------------------- the files


def _document(request: HttpRequest, slug: str, uuid: Any) -> Any:
    try:
        document = decisions.document_for(
            _user(request), uuid, allowed=lambda user, dossier: can(user, Do.VIEW, dossier)
        )
    except LookupError:
        raise Http404("Document introuvable") from None
    if document.call.slug != slug:
        raise Http404("Document introuvable")
    return document


@login_required
@xframe_options_sameorigin
def decision_file(request: HttpRequest, slug: str, uuid: Any) -> HttpResponse:
    """The document as generated, to print and sign."""
    document = _document(request, slug, uuid)
    return file_response(document, inline=request.GET.get("apercu") == "1")


@login_required
@xframe_options_sameorigin
def decision_signed_file(request: HttpRequest, slug: str, uuid: Any) -> HttpResponse:
    document = _document(request, slug, uuid)
    scan = getattr(document, "signed_scan", None)
    if scan is None:
        raise Http404("Document introuvable")
    return file_response(scan, inline=request.GET.get("apercu") == "1")
