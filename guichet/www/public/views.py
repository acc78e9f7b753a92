"""Public pages: the calls, a call's page, the simulator. Views parse, call a service, render."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.db import connections, router
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from guichet import clock
from guichet.calls.models import Call, CallStatus
from guichet.calls.services import CallNotFound, get_call
from guichet.grants import opendata
from guichet.grants import results as call_results
from guichet.rules.applicant import ApplicantKind
from guichet.rules.eligibility import Status
from guichet.simulator.inputs import InputError
from guichet.simulator.services import simulate
from guichet.territories import services as territories
from guichet.territories.text import normalize_name

from . import prefill
from .forms import SimulatorForm

MAX_QUERY = 100


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


# The calls shown by the call page and the simulator, by slug, with the version they were read
# at. Calls change only through load_calls or the admin, and both save the call, which updates
# its loaded_at: one small query per request tells whether the copy in memory is current.
_calls: dict[str, tuple[tuple[Any, ...], Call]] = {}
_CALL_VERSION_SQL = "SELECT {id}, {loaded_at} FROM {table} WHERE {slug} = %s"


def _call_version(slug: str) -> tuple[Any, ...] | None:
    # Plain SQL: the ORM would spend more time building this query than the database running it.
    connection = connections[router.db_for_read(Call)]
    meta, quote = Call._meta, connection.ops.quote_name
    sql = _CALL_VERSION_SQL.format(
        table=quote(meta.db_table),
        **{name: quote(meta.get_field(name).column) for name in ("id", "loaded_at", "slug")},
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [slug])
        row = cursor.fetchone()
    return tuple(row) if row else None


def _call_or_404(slug: str) -> Call:
    """The call, read from the database only when it changed since this process last read it.

    The instance is shared by the requests: views only read it (its fund and axis are not
    shown by these pages, and are not part of the version).
    """
    version = _call_version(slug)
    if version is None:
        raise Http404(f"Aucun appel « {slug} ».")
    cached = _calls.get(slug)
    if cached is not None and cached[0] == version:
        return cached[1]
    try:
        call = get_call(slug)
    except CallNotFound:
        raise Http404(f"Aucun appel « {slug} ».") from None
    if len(_calls) > 256:
        _calls.clear()
    _calls[slug] = (version, call)
    return call


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    today = clock.today()
    calls = list(Call.objects.select_related("fund_axis__fund").open_first())
    for call in calls:
        call.current_status = call.status(today)
    return render(request, "public/home.html", {"calls": calls, "title": "Appels à projets"})


def _calendar(call: Call) -> list[dict[str, Any]]:
    """The call's dates in date order: a collection session may fall after the deadline (the
    Puy-de-Dôme's second one did)."""
    rules = call.rules
    steps = [
        {"label": "Ouverture du dépôt", "date": rules.opens_on, "suffix": ""},
        *(
            {"label": f"{s.label} de relevé des candidatures", "date": s.date, "suffix": ""}
            for s in rules.sessions
        ),
        {"label": "Date limite de dépôt", "date": rules.deadline, "suffix": " à 23 h 59"},
        {
            "label": "Engagement du projet (signature du devis ou du marché) au plus tard",
            "date": rules.engagement_deadline,
            "suffix": "",
        },
    ]
    return sorted(steps, key=lambda step: step["date"])  # stable: the opening first on a tie


@require_GET
def call_detail(request: HttpRequest, slug: str) -> HttpResponse:
    call = _call_or_404(slug)
    return render(
        request,
        "public/call.html",
        {
            "call": call,
            "calendar": _calendar(call),
            "rules": call.rules,
            "status": call.status(),
            "eligible_kinds": [k.label for k in ApplicantKind if k in call.rules.eligible_kinds],
            "title": call.title,
            "breadcrumb": [
                {"url": reverse("public:home"), "title": "Accueil"},
                {"title": call.title},
            ],
        },
    )


def _apply_url(call: Call, form: SimulatorForm) -> str:
    """« Déposer un dossier » after a positive verdict: the simulation goes along, signed."""
    request = form.simulation_request()
    signed = prefill.sign(
        prefill.Prefill(
            call=call.slug,
            applicant=str(request.applicant).lower(),
            cost=request.cost,
            category=request.category or "",
        )
    )
    return reverse("public:apply", args=[call.slug]) + "?" + urlencode({prefill.PARAMETER: signed})


def _choice_url(request: HttpRequest, applicant: str, label: str) -> str:
    params = request.GET.copy()
    params["applicant"] = applicant
    params["q"] = label
    return "?" + urlencode(sorted(params.items()))


@require_GET
def simulator(request: HttpRequest, slug: str) -> HttpResponse:
    call = _call_or_404(slug)
    form = SimulatorForm(request.GET if request.GET else None)
    verdict = None
    candidates: list[dict[str, str]] = []
    if form.is_bound and form.is_valid():
        if not form.cleaned_data["applicant"]:
            query = form.cleaned_data["q"][:MAX_QUERY]
            found = territories.search(
                query, call.reference_vintage, limit=8, departements=[call.departement_code]
            )
            # The name as written first (« Billom » is the commune, not « CC Billom
            # Communauté »), then as said (« Communauté de communes Billom »).
            exact = [r for r in found if normalize_name(r.name) == normalize_name(query)] or [
                r for r in found if territories.same_name(r, query)
            ]
            if len(found) == 1 or len(exact) == 1:
                chosen = found[0] if len(found) == 1 else exact[0]
                form.cleaned_data["applicant"] = f"{chosen.kind}:{chosen.code}"
            elif not found:
                form.add_error(
                    "q",
                    f"Aucune collectivité ne correspond à « {query} ». Seules les communes, EPCI, "
                    "métropoles, départements et régions peuvent candidater.",
                )
            else:
                candidates = [
                    {"label": r.label, "url": _choice_url(request, f"{r.kind}:{r.code}", r.name)}
                    for r in found
                ]
        if form.cleaned_data.get("applicant") and not form.errors:
            try:
                verdict = simulate(call, form.simulation_request())
            except InputError as exc:
                form.add_error("q", exc.message)
    context = {
        "call": call,
        "rules": call.rules,
        "form": form,
        # What the fields show: what was typed (as the form's widgets would), and the errors.
        "values": form.data,
        "errors": form.errors,
        "verdict": verdict,
        "candidates": candidates,
        "Status": Status,
        "share_url": request.build_absolute_uri() if verdict else "",
        "apply_url": (
            _apply_url(call, form)
            if verdict and verdict.eligible and call.status() is CallStatus.OPEN
            else ""
        ),
        "simulator_url": reverse("public:simulator", args=[call.slug]),
        "suggest_url": reverse("public:collectivity-search"),
        "title": "Suis-je éligible ? Combien puis-je recevoir ?",
        "breadcrumb": [
            {"url": reverse("public:home"), "title": "Accueil"},
            {"url": reverse("public:call", args=[call.slug]), "title": call.title},
            {"title": "Simulateur"},
        ],
    }
    template = "public/_simulator_result.html" if _is_htmx(request) else "public/simulator.html"
    return render(request, template, context)


@require_GET
def apply(request: HttpRequest, slug: str) -> HttpResponse:
    """« Déposer un dossier », from the call's page or a positive verdict.

    Signed out: sign in (or create an account) first, then back here (``next``). Signed in: the
    collectivité the dossier will be for and the cost the simulation carried, and the button
    that starts it (the applicant's ``dossier_create``, which reads the same simulation).
    """
    call = _call_or_404(slug)
    is_open = call.status() is CallStatus.OPEN
    if is_open and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    token = request.GET.get(prefill.PARAMETER, "")
    simulation = prefill.read(token, call)
    collectivity = getattr(request.user, "collectivity", None)
    simulated_name = ""
    if simulation is not None:
        try:
            simulated_name = territories.to_applicant(
                simulation.kind, simulation.code, call.reference_vintage
            ).name
        except territories.UnknownCollectivity:
            simulation = None
    return render(
        request,
        "public/apply.html",
        {
            "call": call,
            "is_open": is_open,
            "simulation": simulation,
            "simulation_token": token if simulation else "",
            "simulated_name": simulated_name,
            "collectivity": collectivity,
            "other_collectivity": bool(
                simulation
                and collectivity
                and not prefill.matches(simulation, collectivity.kind, collectivity.code)
            ),
            "profile_url": reverse("accounts:complete-profile")
            + "?"
            + urlencode({"next": request.get_full_path()}),
            "title": "Déposer un dossier",
            "breadcrumb": [
                {"url": reverse("public:home"), "title": "Accueil"},
                {"url": reverse("public:call", args=[call.slug]), "title": call.title},
                {"title": "Déposer un dossier"},
            ],
        },
    )


@require_GET
def collectivity_search(request: HttpRequest) -> HttpResponse:
    query = (request.GET.get("q") or "")[:MAX_QUERY].strip()
    vintage = request.GET.get("vintage") or ""
    if vintage not in territories.vintages():
        vintage = max(territories.vintages(), default="")
    near = [d for d in request.GET.getlist("departement") if d.isalnum() and len(d) <= 3]
    results = (
        territories.search(query, vintage, limit=10, departements=near) if len(query) >= 2 else []
    )
    return render(request, "public/_suggestions.html", {"results": results, "query": query})


@require_GET
def open_data(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    """The call's granted subsidies in the SCDL Subventions 2.1.1 format, built at each request
    (always current; caches may keep it five minutes). 404 for a call without ``open_data:``."""
    call = _call_or_404(slug)
    try:
        table = opendata.rows(call)
    except opendata.NoOpenData:
        raise Http404("Cet appel ne publie pas de données ouvertes.") from None
    if fmt == "json":
        response = HttpResponse(opendata.as_json(table), content_type="application/json")
    else:
        response = HttpResponse(opendata.as_csv(table), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="subventions-{call.slug}.{fmt}"'
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_GET
def results(request: HttpRequest, slug: str) -> HttpResponse:
    """The call's results: the retained projects, their totals, the envelopes, the map."""
    call = _call_or_404(slug)
    return render(
        request,
        "public/results.html",
        {
            "call": call,
            "results": call_results.results(call),
            "open_data": call.rules.open_data is not None,
            "schema_name": opendata.SCHEMA_NAME,
            "schema_url": opendata.SCHEMA_URL,
            "title": f"Résultats — {call.title}",
            "breadcrumb": [
                {"url": reverse("public:home"), "title": "Accueil"},
                {"url": reverse("public:call", args=[call.slug]), "title": call.title},
                {"title": "Résultats"},
            ],
        },
    )


@require_GET
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "public/accessibility.html", {"title": "Accessibilité"})
