"""The programme manager's grants of a call: the list with its filters and totals, the grants
to declare lapsed and the lapse's confirmation, the lapse notices, the accounting exports.

Views parse the request, call one service (``grants.listing``, ``grants.postaward.lapse``,
``grants.accounting``) and render; a refusal is shown at its field with what was typed kept.
Anybody without the right on the call (or on the grant's dossier) gets a 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from guichet.calls.models import Call
from guichet.committee import waiting
from guichet.documents.http import file_response
from guichet.exports.writers import ExportFormat
from guichet.grants import accounting, lapses, listing, postaward
from guichet.grants import services as grants
from guichet.grants.models import Grant, GrantStatus
from guichet.review.permissions import Do, can, can_in_call

from .grant_forms import AccountingExportForm, GrantFilterForm, LapseForm


def _call(request: HttpRequest, slug: str, action: Do = Do.VIEW) -> Call:
    call = Call.objects.filter(slug=slug).first()
    if call is None or not can_in_call(request.user, action, call):  # type: ignore[arg-type]
        raise Http404("Page introuvable")
    return call


def _grant(request: HttpRequest, call: Call, grant_id: int, action: Do) -> Grant:
    grant = (
        Grant.objects.select_related("dossier__call", "envelope")
        .filter(pk=grant_id, envelope__call=call)
        .first()
    )
    if grant is None or not can(request.user, action, grant.dossier):  # type: ignore[arg-type]
        raise Http404("Subvention introuvable")
    return grant


def _crumbs(call: Call, *last: dict[str, str]) -> list[dict[str, str]]:
    return [
        {"url": reverse("backoffice:dossiers"), "title": "Instruction"},
        {"url": reverse("backoffice:committee", args=[call.slug]), "title": "Comité de sélection"},
        *last,
    ]


def _years(call: Call) -> list[int]:
    return [p.year for p in grants.positions(call)]


def _lapsed_without_offer(call: Call, user: Any) -> list[Grant]:
    return list(
        listing.visible_grants(user, call)
        .filter(status=GrantStatus.LAPSED, waiting_list_offer__isnull=True)
        .select_related("dossier", "envelope")
        .order_by("-ended_at", "pk")
    )


def _page(request: HttpRequest, call: Call, export_form: AccountingExportForm | None = None,
          status: int = 200) -> HttpResponse:  # fmt: skip
    user = request.user
    years = _years(call)
    form = GrantFilterForm(request.GET or None, years=years)
    year = status_filter = None
    if form.is_valid():
        year, status_filter = form.cleaned_data["annee"], form.cleaned_data["etat"] or None
    can_lapse = can_in_call(user, Do.LAPSE, call)  # type: ignore[arg-type]
    can_export = accounting.may_export(user, call)  # type: ignore[arg-type]
    if export_form is None and can_export:
        export_form = AccountingExportForm(
            initial={
                "quoi": "paiements",
                "format": "xlsx",
                "enveloppe": years[0] if years else None,
            },
            years=years,
        )
    return render(
        request,
        "backoffice/grants.html",
        {
            "title": "Subventions de l’appel",
            "call": call,
            "form": form,
            "table": listing.grant_table(user, call, year=year, status=status_filter),  # type: ignore[arg-type]
            "filtered": bool(year or status_filter),
            "can_lapse": can_lapse,
            "candidates": list(postaward.lapse_candidates(call.pk)) if can_lapse else [],
            "offers": waiting.offers_seen_by(user, call),  # type: ignore[arg-type]
            "lapsed_without_offer": _lapsed_without_offer(call, user),
            "export_form": export_form,
            "breadcrumb": _crumbs(call, {"title": "Subventions"}),
        },
        status=status,
    )


@login_required
@require_GET
def grant_list(request: HttpRequest, slug: str) -> HttpResponse:
    return _page(request, _call(request, slug))


@login_required
@require_http_methods(["GET", "POST"])
def grant_lapse(request: HttpRequest, slug: str, grant_id: int) -> HttpResponse:
    call = _call(request, slug, Do.LAPSE)
    grant = _grant(request, call, grant_id, Do.LAPSE)
    form = LapseForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            postaward.lapse(grant, request.user, note=form.cleaned_data["note"])  # type: ignore[arg-type]
        except postaward.PostAwardRefused as exc:
            if isinstance(exc, postaward.NotAllowed):
                raise Http404("Subvention introuvable") from None
            error = str(exc)
        else:
            messages.success(
                request,
                f"La caducité de la subvention du dossier {grant.dossier.number} est prononcée : "
                "son montant revient à l’enveloppe et la notification est envoyée au porteur.",
            )
            return redirect("backoffice:grants", call.slug)
    if error:
        form.add_error(None, error)
    return render(
        request,
        "backoffice/grant_lapse.html",
        {
            "title": "Prononcer la caducité",
            "call": call,
            "grant": grant,
            "position": postaward.position(grant),
            "deadline": grant.engagement_deadline,
            "pending": postaward.pending_engagement(grant),
            "form": form,
            "breadcrumb": _crumbs(
                call,
                {"url": reverse("backoffice:grants", args=[call.slug]), "title": "Subventions"},
                {"title": "Prononcer la caducité"},
            ),
        },
        status=400 if form.errors else 200,
    )


@login_required
def lapse_notice(request: HttpRequest, slug: str, grant_id: int) -> HttpResponse:
    call = _call(request, slug)
    grant = _grant(request, call, grant_id, Do.VIEW)
    notice = lapses.notice_of(grant)
    if notice is None:
        raise Http404("Notification introuvable")
    return file_response(notice, inline=True)


@login_required
@require_GET
def grants_export(request: HttpRequest, slug: str) -> HttpResponse:
    call = _call(request, slug, Do.EXPORT)
    form = AccountingExportForm(request.GET, years=_years(call))
    if not form.is_valid():
        return _page(request, call, export_form=form, status=400)
    try:
        made = accounting.build(
            request.user,  # type: ignore[arg-type]
            call,
            form.cleaned_data["quoi"],
            ExportFormat(form.cleaned_data["format"]),
            form.cleaned_data["enveloppe"],
        )
    except accounting.ExportRefused as exc:
        form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        return _page(request, call, export_form=form, status=400)
    response = HttpResponse(made.content, content_type=made.mime_type)
    response["Content-Disposition"] = f'attachment; filename="{made.name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
