"""Exports of the reviewers' list: ask for one, follow it, download it.

The « Exporter » buttons of the list post the list's query string (``retour``) and a format. A
small export (``services.SYNC_MAX_ROWS`` dossiers or fewer) is built by the request and
downloaded at once; a larger one is queued (``tasks.build_export``) and its page shows the
progress (htmx asks every second; without JavaScript the page refreshes itself) and then the
download link. An export is seen and downloaded only by the agent who asked for it, while they
may still export the call's dossiers; anybody else gets a 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from guichet.accounts.models import User
from guichet.calls.models import Call
from guichet.documents.http import file_response
from guichet.exports import services
from guichet.exports.models import Export, ExportStatus
from guichet.exports.writers import ExportFormat
from guichet.review.listing import filtered_dossiers
from guichet.review.permissions import calls_of


def _list_url(params: QueryDict) -> str:
    query = params.copy()
    query.pop("page", None)
    encoded = query.urlencode()
    return reverse("backoffice:dossiers") + ("?" + encoded if encoded else "")


def _call(user: User, slug: str | None) -> Call:
    """The list's call (its ``appel`` parameter, else the first open call, as the list does)."""
    calls = list(calls_of(user).open_first())
    call = next((c for c in calls if c.slug == slug), None) if slug else next(iter(calls), None)
    if call is None or not services.may_export(user, call):
        raise Http404("Page introuvable")
    return call


def _remembered_columns(request: HttpRequest) -> list[str] | None:
    from .list_views import remembered_columns

    return remembered_columns(request)


@login_required
@require_POST
def export_create(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    params = QueryDict(request.POST.get("retour", "").lstrip("?")[:4000])
    call = _call(user, params.get("appel"))
    back = _list_url(params)
    try:
        fmt = ExportFormat(request.POST.get("format", ""))
    except ValueError:
        messages.error(request, "Choisissez le format de l’export : CSV, XLSX ou ODS.")
        return redirect(back)

    # The columns on screen: chosen in the query string, else remembered, else the defaults.
    _, columns = filtered_dossiers(
        params, user, call, remembered_columns=_remembered_columns(request)
    )
    keys = [c.key for c in columns]
    filters = services.clean_filters(params)
    queryset, _ = services.selection(filters, user, call, keys)
    total = queryset.count()
    if total == 0:
        messages.error(
            request, "Aucun dossier ne correspond à la liste : il n’y a rien à exporter."
        )
        return redirect(back)
    export = services.create_export(user, call, fmt, filters, keys, total)
    if total <= services.SYNC_MAX_ROWS:
        export = services.build(export.pk)
        if export.status == ExportStatus.DONE:
            return redirect("backoffice:export-download", export.uuid)
        return redirect("backoffice:export", export.uuid)
    try:
        services.enqueue(export)
    except Exception:
        services.mark_lost(export)
        raise
    return redirect("backoffice:export", export.uuid)


def _own_export(request: HttpRequest, uuid: Any) -> Export:
    export = (
        Export.objects.select_related("call")
        .filter(uuid=uuid, created_by=request.user)  # type: ignore[misc]
        .first()
    )
    if export is None or not services.may_export(request.user, export.call):  # type: ignore[arg-type]
        raise Http404("Export introuvable")
    return export


@login_required
def export_status(request: HttpRequest, uuid: Any) -> HttpResponse:
    export = _own_export(request, uuid)
    params = QueryDict(mutable=True)
    for key, values in export.filters.items():
        params.setlist(key, values)
    params["appel"] = export.call.slug
    context = {
        "title": "Export des dossiers",
        "export": export,
        "back_url": _list_url(params),
    }
    partial = request.headers.get("HX-Request") == "true" and not request.headers.get(
        "HX-History-Restore-Request"
    )
    template = "backoffice/_export_status.html" if partial else "backoffice/export.html"
    response = render(request, template, context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
def export_download(request: HttpRequest, uuid: Any) -> HttpResponse:
    export = _own_export(request, uuid)
    if export.status != ExportStatus.DONE or not export.file:
        raise Http404("Export introuvable")
    response = file_response(export, inline=False)
    # file_response knows the formats of uploads; a CSV is not one of them.
    response["Content-Type"] = export.mime_type
    return response
