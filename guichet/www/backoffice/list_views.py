"""The reviewers' list of a call's dossiers, and the bulk actions taken from it.

The list is per call (a selector when the agent has roles in several calls; the first open call by
default) and shows only what ``review.permissions.visible_dossiers`` allows. Tabs by state, filters,
search, columns and sorting come from ``guichet.review.listing`` (which exports reuse): this module
only reads the request, pages the result and renders it. The filters are a GET form (the URL is
shareable); htmx replaces ``#list-results`` only (the form and its open panels stay), pushes the
URL, and out-of-band swaps bring the heading, the title and the form's hidden tab and sort.

The columns a reviewer chose are remembered in their session (key ``COLUMNS_SESSION_KEY``): there
is no per-user preference model yet, so a new sign-in starts from the default columns.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Hashable, Iterable
from html import escape  # what django.utils.html.escape does, without its lazy-string wrapper
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_POST

from guichet.accounts.models import User
from guichet.calls.models import Call
from guichet.review import listing as lists
from guichet.review.models import AgentRole, Role
from guichet.review.permissions import Do, calls_open_first, can_in_call, visible_dossiers
from guichet.review.services import bulk

from .list_forms import ACTIONS, NOBODY, BulkForm

COLUMNS_SESSION_KEY = "backoffice_list_columns"


class KnownCountPaginator(Paginator):
    """A paginator told its count: the tab's count, already in the tabs' one query."""

    def __init__(self, object_list: Any, per_page: int, count: int) -> None:
        super().__init__(object_list, per_page)
        self._known_count = count

    @property
    def count(self) -> int:  # type: ignore[override]
        return self._known_count


def remembered_columns(request: HttpRequest) -> list[str] | None:
    """The columns this reviewer last chose (for exports called without a column choice)."""
    value = request.session.get(COLUMNS_SESSION_KEY)
    return [str(v) for v in value] if isinstance(value, list) else None


def _calls(request: HttpRequest) -> list[Call]:
    calls = calls_open_first(request.user)  # type: ignore[arg-type]
    if not calls:
        raise Http404("Page introuvable")
    return calls


def _pick(calls: list[Call], slug: str | None) -> Call | None:
    if not slug:
        return calls[0]
    return next((c for c in calls if c.slug == slug), None)


def _url(params: QueryDict, **changes: Any) -> str:
    query = params.copy()
    for key, value in changes.items():
        query.pop(key, None)
        if value not in (None, ""):
            query[key] = str(value)
    encoded = query.urlencode()
    return "?" + encoded if encoded else "?"


def _pages(page: Page, params: QueryDict) -> list[tuple[int | None, str]]:
    """Page numbers to link: the first, the last and two around the current one (None: « … »)."""
    last = page.paginator.num_pages
    wanted = sorted({1, last, *range(max(1, page.number - 2), min(last, page.number + 2) + 1)})
    links: list[tuple[int | None, str]] = []
    for n in wanted:
        if links and links[-1][0] is not None and n - links[-1][0] > 1:  # type: ignore[operator]
            links.append((None, ""))
        links.append((n, _url(params, page=n)))
    return links


def bulk_reviewers(user: User, call: Call) -> list[tuple[str, str]]:
    """Whom this agent may give dossiers to: anyone reviewing the call for a manager, oneself
    for a reviewer, nobody for the other roles (no bulk action at all)."""
    if can_in_call(user, Do.ASSIGN, call):
        agents = (
            AgentRole.objects.filter(call=call, role__in=[Role.REVIEWER, Role.MANAGER])
            .select_related("user")
            .order_by("user__last_name", "user__first_name", "user_id")
        )
        choices: dict[str, str] = {}
        for r in agents:
            scope = ", ".join(r.arrondissements) if r.arrondissements else "tout le département"
            choices.setdefault(
                str(r.user_id), f"{r.user.get_full_name() or r.user.email} ({scope})"
            )
        return list(choices.items())
    if can_in_call(user, Do.START_REVIEW, call):
        return [(str(user.pk), f"Moi-même ({user.get_full_name() or user.email})")]
    return []


# What every row reads besides its columns: the link, the checkbox and its label.
ROW_FIELDS = ("uuid", "number")
_NO_WRAP = frozenset({"number", "state"})  # short values kept on one line


def render_rows(
    dossiers: Iterable[Any], columns: list[lists.Column], *, selectable: bool
) -> SafeString:
    """The table's rows, written here rather than by the template engine.

    50 rows × 8 columns through ``{% for %}``, ``{% if %}`` and ``{% url %}`` per cell were the
    largest part of the first page's time outside SQL at 100 000 dossiers (docs/benchmarks.md);
    one f-string per cell, the URL reversed once, costs a small part of it. Every value is
    escaped.
    """
    zero = str(uuid.UUID(int=0))
    before, after = reverse("backoffice:dossier", args=[zero]).split(zero)
    cells = []
    for column in columns:
        classes = []
        if column.numeric:
            classes.append("fr-cell--right")
        elif column.kind == "text" and column.key not in _NO_WRAP:
            classes.append("fr-cell--multiline")
        cells.append((column, f' class="{" ".join(classes)}"' if classes else ""))
    first = columns[0] if columns else None
    out = []
    for d in dossiers:
        number = escape(d.number or "")
        row = ["<tr>"]
        if selectable:
            row.append(
                f'<td class="fr-cell--fixed"><div class="fr-checkbox-group fr-checkbox-group--sm">'
                f'<input type="checkbox" id="select-{d.uuid}" name="dossiers" value="{d.uuid}" '
                f'data-fr-row-select="true"><label class="fr-label" for="select-{d.uuid}">'
                f"Sélectionner le dossier {number}</label></div></td>"
            )
        for column, attrs in cells:
            text = escape(column.text(d) or "")
            if column is first:
                title = "" if column.key == "number" else f' title="Dossier {number}"'
                text = f'<a href="{before}{d.uuid}{after}"{title}>{text or number}</a>'
            elif column.key == "state":
                badge = f" fr-badge--{d.state_badge}" if d.state_badge else ""
                text = f'<span class="fr-badge fr-badge--sm{badge}">{text}</span>'
            row.append(f"<td{attrs}>{text}</td>")
        row.append("</tr>")
        out.append("".join(row))
    return mark_safe("\n".join(out))  # every value above is escaped


_RENDERED: OrderedDict[Hashable, SafeString] = OrderedDict()
_RENDERED_MAX = 256
_rendered_lock = threading.Lock()


def render_cached(template: str, key: Hashable, context: dict[str, Any]) -> SafeString:
    """``template`` rendered with ``context``, kept per process under ``key``, which must name
    everything the rendering depends on (the 256 most recent renderings are kept).

    The filter form is the same for every request with the same criteria, choices and columns,
    and drawing its eleven DSFR fields costs a quarter of the list's time in Python.
    """
    with _rendered_lock:
        html = _RENDERED.get(key)
        if html is not None:
            _RENDERED.move_to_end(key)
            return html
    html = mark_safe(render_to_string(template, context))  # the engine escaped it
    with _rendered_lock:
        _RENDERED[key] = html
        while len(_RENDERED) > _RENDERED_MAX:
            _RENDERED.popitem(last=False)
    return html


def _filters_key(result: lists.Listing, call: Call, params: QueryDict, keys: list[str]) -> tuple:
    """Everything the filter form's markup depends on: the call (and its reload), the choices
    offered to this agent, what was asked (every parameter), the columns shown."""
    choices = tuple(
        (name, tuple(map(tuple, result.form.fields[name].choices)))  # type: ignore[attr-defined]
        for name in ("session", "arrondissement", "categorie")
    )
    return (
        "filters",
        call.pk,
        call.loaded_at,
        choices,
        tuple(sorted((k, tuple(v)) for k, v in params.lists())),
        tuple(keys),
        result.tab.key,
    )


@login_required
def dossier_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    calls = _calls(request)
    call = _pick(calls, request.GET.get("appel"))
    if call is None:
        messages.error(request, "Cet appel à projets est inconnu : voici le premier appel ouvert.")
        call = calls[0]
    result = lists.listing(request.GET, user, call, remembered_columns=remembered_columns(request))
    keys = [c.key for c in result.columns]
    if result.columns_chosen and keys != remembered_columns(request):
        request.session[COLUMNS_SESSION_KEY] = keys

    params = request.GET.copy()
    params["appel"] = call.slug
    counts = result.counts()
    # Only what the shown columns and the rows' links read (lists.narrow).
    rows = lists.narrow(result.queryset, result.columns, also=ROW_FIELDS)
    page = KnownCountPaginator(rows, result.page_size, counts[result.tab.key]).get_page(
        request.GET.get("page")
    )
    reviewers = bulk_reviewers(user, call)
    headers = []
    for column in result.columns:
        sorted_on = result.sort.removeprefix("-") == column.key
        descending = result.sort.startswith("-")
        next_sort = f"-{column.key}" if sorted_on and not descending else column.key
        headers.append(
            {
                "column": column,
                "url": _url(params, tri=next_sort, page=None) if column.sort else "",
                "aria_sort": ("descending" if descending else "ascending") if sorted_on else "",
            }
        )
    context = {
        "title": f"{result.tab.heading} — {call.title}",
        "heading": result.tab.heading,
        "sort_param": result.form.cleaned_data.get("tri") or "",
        "call": call,
        "calls": calls,
        "can_manage_agents": can_in_call(request.user, Do.MANAGE_AGENTS, call),  # type: ignore[arg-type]
        "form": result.form,
        "errors": [e for errors in result.form.errors.values() for e in errors],
        "tab": result.tab,
        "tabs": [
            {
                "tab": t,
                "count": counts[t.key],
                "url": _url(params, onglet=t.key, page=None),
                "current": t.key == result.tab.key,
            }
            for t in lists.TABS
        ],
        "headers": headers,
        "columns": result.columns,
        "page": page,
        "rows": render_rows(page.object_list, result.columns, selectable=bool(reviewers)),
        "page_links": _pages(page, params),
        "previous_url": _url(params, page=page.previous_page_number())
        if page.has_previous()
        else "",
        "next_url": _url(params, page=page.next_page_number()) if page.has_next() else "",
        "first_url": _url(params, page=1),
        "last_url": _url(params, page=page.paginator.num_pages),
        "list_url": reverse("backoffice:dossiers"),
        "here": params.urlencode(),
        "chosen_columns": keys,
        "can_bulk": bool(reviewers),
        "bulk_form": BulkForm(None, reviewers=reviewers),
    }
    # htmx swaps only the results (the filters' panels stay as the reviewer left them, open or
    # closed); the page's title, its heading and the form's hidden tab and sort follow.
    partial = (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Target") == "list-results"
        and not request.headers.get("HX-History-Restore-Request")
    )
    context["partial"] = partial
    if reviewers:
        context["bulk_html"] = render_cached(
            "backoffice/_list_bulk.html", ("bulk", tuple(reviewers)), context
        )
    if not partial:
        context["filters_html"] = render_cached(
            "backoffice/_list_filters.html", _filters_key(result, call, params, keys), context
        )
    template = "backoffice/_list_results.html" if partial else "backoffice/dossier_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


def _back(call: Call, query: str) -> str:
    params = QueryDict(query.lstrip("?"), mutable=True)
    params["appel"] = call.slug
    params.pop("page", None)
    return reverse("backoffice:dossiers") + "?" + params.urlencode()


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n > 1 else ''}"


@login_required
@require_POST
def bulk_action(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    call = _pick(_calls(request), request.POST.get("appel") or "-")
    if call is None:
        raise Http404("Appel introuvable")
    back = _back(call, request.POST.get("retour", ""))
    reviewers = bulk_reviewers(user, call)
    if not reviewers:
        messages.error(request, "Votre rôle dans cet appel ne permet pas d’actions groupées.")
        return redirect(back)
    form = BulkForm(request.POST, reviewers=reviewers)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    data = form.cleaned_data
    asked = len(set(request.POST.getlist("dossiers")))
    dossiers = list(
        visible_dossiers(user, call)
        .filter(submitted_at__isnull=False, uuid__in=data["dossiers"])
        .select_related("call", "session", "assignee")
        .order_by("number", "pk")
    )
    missing = asked - len(dossiers)
    reviewer = None
    if data["action"] == "assign" and data["instructeur"] != NOBODY:
        reviewer = User.objects.filter(pk=int(data["instructeur"])).first()
    if not request.POST.get("confirmer"):
        return render(
            request,
            "backoffice/_list_confirm.html",
            {
                "title": "Confirmer l’action groupée",
                "call": call,
                "action_label": ACTIONS[data["action"]],
                "data": data,
                "reviewer_label": dict(form.fields["instructeur"].choices).get(
                    data.get("instructeur") or ""
                ),
                "dossiers": dossiers,
                "missing": missing,
                "retour": request.POST.get("retour", ""),
                "back": back,
            },
        )
    kwargs: dict[str, Any] = {}
    if data["action"] == "assign":
        kwargs["reviewer"] = reviewer
    if data["action"] == "request_correction":
        kwargs["message"] = data["message"].strip()
    result = bulk(dossiers, user, data["action"], **kwargs)
    refused = [f"{d.number} : {reason}" for d, reason in result.refused]
    if missing:
        refused.append(
            f"{_plural(missing, 'dossier')} introuvable{'s' if missing > 1 else ''} "
            "ou hors de votre périmètre"
        )
    summary = f"{_plural(len(result.done), 'dossier')} traité{'s' if len(result.done) > 1 else ''}"
    if refused:
        count = len(result.refused) + missing
        summary += f", {count} refusé{'s' if count > 1 else ''} : " + " ; ".join(refused) + "."
        messages.warning(request, summary)
    else:
        messages.success(request, summary + ".")
    return redirect(back)
