"""The applicant's space: their dossiers, the guided application in steps, the dossier's life.

Views translate requests into calls of ``guichet.dossiers.services`` and render the result.
Anybody outside a dossier's team gets a 404 for it, its files and its messages.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from guichet import clock
from guichet.calls.models import Call, CallStatus
from guichet.dossiers import services
from guichet.dossiers.models import Dossier
from guichet.dossiers.workflow import EDITABLE_BY_APPLICANT, Actor, State, TransitionRefused
from guichet.rules.eligibility import Status
from guichet.rules.money import format_euros
from guichet.rules.timing import french_date
from guichet.simulator.inputs import InputError, parse_applicant_ref
from guichet.territories.services import UnknownCollectivity, search, to_applicant
from guichet.www.public import prefill as simulation_prefill

from . import forms

STEPS: tuple[tuple[str, str], ...] = (
    ("porteur", "Porteur du projet"),
    ("projet", "Projet"),
    ("budget", "Budget"),
    ("calendrier", "Calendrier"),
    ("pieces", "Pièces justificatives"),
    ("recapitulatif", "Récapitulatif et dépôt"),
)
STEP_TITLES = dict(STEPS)
STEP_SLUGS = [s for s, _ in STEPS]

FORMS: dict[str, type[forms.StepForm]] = {
    "porteur": forms.PorteurForm,
    "projet": forms.ProjetForm,
    "budget": forms.BudgetForm,
    "calendrier": forms.CalendrierForm,
}


def _dossier(request: HttpRequest, uuid: Any) -> tuple[Dossier, Actor]:
    try:
        dossier, actor = services.get_for(request.user, uuid)  # type: ignore[arg-type]
    except services.DossierNotFound:
        raise Http404("Dossier introuvable") from None
    if actor is not Actor.APPLICANT:
        raise Http404("Dossier introuvable")  # reviewers use the back-office
    return dossier, actor


def _editable(dossier: Dossier) -> bool:
    return dossier.state_enum in EDITABLE_BY_APPLICANT


# ---------------------------------------------------------------- list and creation


@login_required
def dossier_list(request: HttpRequest) -> HttpResponse:
    dossiers = list(services.visible_dossiers(request.user).order_by("-saved_at"))  # type: ignore[arg-type]
    open_calls = [c for c in Call.objects.open_first() if c.status() is CallStatus.OPEN]
    return render(
        request,
        "applicant/dossier_list.html",
        {
            "title": "Mes dossiers",
            "drafts": [d for d in dossiers if d.state == State.DRAFT],
            "submitted": [d for d in dossiers if d.state != State.DRAFT],
            "open_calls": open_calls,
            "collectivity": request.user.collectivity,  # type: ignore[union-attr]
        },
    )


@login_required
@require_POST
def dossier_create(request: HttpRequest, slug: str) -> HttpResponse:
    call = Call.objects.filter(slug=slug).first()
    if call is None:
        raise Http404("Appel introuvable")
    if call.status() is not CallStatus.OPEN:
        messages.error(request, f"L’appel « {call.title} » n’est pas ouvert aux dépôts.")
        return redirect("applicant:dossiers")
    collectivity = request.user.collectivity  # type: ignore[union-attr]
    if collectivity is None:
        messages.error(
            request,
            "Indiquez d’abord, dans votre compte, la collectivité pour laquelle vous agissez.",
        )
        return redirect("applicant:dossiers")
    try:
        dossier = services.create_draft(
            request.user,  # type: ignore[arg-type]
            call,
            kind=collectivity.kind,
            code=collectivity.code,
        )
    except services.NotEditable as exc:
        messages.error(request, str(exc))
        return redirect("applicant:dossiers")
    _fill_from_simulation(request, dossier, call)
    return redirect("applicant:step", dossier.uuid, "porteur")


def _fill_from_simulation(request: HttpRequest, dossier: Dossier, call: Call) -> None:
    """A dossier started from a simulation (« Déposer un dossier » after a positive verdict)
    takes its cost and category: see ``guichet.www.public.prefill``."""
    simulation = simulation_prefill.read(request.POST.get(simulation_prefill.PARAMETER), call)
    if simulation is None:
        return
    simulation_prefill.fill(dossier, request.user, simulation)  # type: ignore[arg-type]
    if simulation.cost is not None:
        messages.info(
            request,
            f"Le coût de votre simulation ({format_euros(simulation.cost)}) est repris à l’étape "
            "« Budget », en une ligne à détailler.",
        )


# ---------------------------------------------------------------- the steps


def _step_nav(dossier: Dossier, current: str) -> dict[str, Any]:
    index = STEP_SLUGS.index(current)
    return {
        "steps": [
            {
                "slug": s,
                "title": t,
                "url": reverse("applicant:step", args=[dossier.uuid, s]),
                "current": s == current,
            }
            for s, t in STEPS
        ],
        "step": current,
        "step_title": STEP_TITLES[current],
        "step_number": index + 1,
        "step_count": len(STEPS),
        "next_step": STEPS[index + 1] if index + 1 < len(STEPS) else None,
        "previous_step": STEPS[index - 1] if index > 0 else None,
    }


def _initial(dossier: Dossier, form_class: type[forms.StepForm]) -> dict[str, Any]:
    initial: dict[str, Any] = {}
    for name in form_class.base_fields:
        value = getattr(dossier, name)
        if name == "participatory":
            value = {True: "oui", False: "non"}.get(value, "")
        elif name in {"other_funding", "requested_amount"} and value is not None:
            value = _amount_text(value)
        elif name in {"engagement_date", "end_date"} and value is not None:
            value = value.isoformat()
        initial[name] = value
    return initial


def _cost_formset(dossier: Dossier, data: Any = None) -> forms.BaseCostLineFormSet:
    initial = [
        {
            "nature": line.nature,
            "supplier": line.supplier,
            "amount_excl_vat": _amount_text(line.amount_excl_vat),
            "amount_incl_vat": _amount_text(line.amount_incl_vat),
        }
        for line in dossier.cost_lines.all()
    ]
    return forms.CostLineFormSet(data, initial=initial, prefix="lines")


def _amount_text(amount: Any) -> str:
    """8000.00 → « 8 000 », 4964.40 → « 4 964,40 »: as the amounts are written on every page."""
    return format_euros(amount).removesuffix("\u00a0€").removesuffix(" €")


def _budget_box(dossier: Dossier) -> dict[str, Any]:
    """The total cost and the maximum the rules allow, shown live on the budget step."""
    verdict = services.verdict(dossier)
    cost = dossier.total_cost
    maximum = services.maximum_for(dossier)
    floor = dossier.call.rules.cost_floor
    return {
        "total_cost": cost,
        "total_cost_incl_vat": dossier.total_cost_incl_vat,
        "maximum": maximum,
        "flat_amount": verdict.flat_amount if verdict.flat_tier else None,
        "flat_label": verdict.flat_tier.label if verdict.flat_tier else "",
        "below_floor": cost is not None and cost < floor,
        "cost_floor": floor,
    }


def _engagement_warning(dossier: Dossier) -> str:
    call = dossier.call.rules
    if dossier.engagement_date and dossier.engagement_date > call.engagement_deadline:
        return (
            f"Le projet doit être engagé (signature du devis ou du marché) au plus tard le "
            f"{french_date(call.engagement_deadline)}. Avec une date d’engagement au "
            f"{french_date(dossier.engagement_date)}, il ne serait pas éligible."
        )
    return ""


def _save(request: HttpRequest, dossier: Dossier, actor: Actor, step: str) -> tuple[Any, Any]:
    """Save every valid value of the posted step; return the bound form (and cost formset)."""
    extra = {"applicant_siren": services.applicant_siren(dossier)} if step == "porteur" else {}
    form = FORMS[step](request.POST, call_rules=dossier.call.rules, **extra)
    form.is_valid()
    values = {
        name: form.cleaned_data[name] for name in form.cleaned_data if name not in form.errors
    }
    for name, value in values.items():
        if value is None and name not in {
            "participatory",
            "other_funding",
            "requested_amount",
            "engagement_date",
            "end_date",
            "agents_reached",
            "users_reached",
        }:
            values[name] = ""
    if "examples" in values:
        values["examples"] = list(values["examples"])
    formset = None
    if step == "budget":
        formset = _cost_formset(dossier, request.POST)
        if formset.tampered():  # never save what it says: it would wipe the saved lines
            formset, lines = _cost_formset(dossier), None
            form.add_error(
                None, "Les lignes de dépense envoyées sont illisibles ; rechargez la page."
            )
        else:
            lines = formset.valid_lines()
        if lines is not None and formset.complete():
            services.replace_cost_lines(dossier, request.user, actor, lines)  # type: ignore[arg-type]
    if step == "calendrier":
        # A date refused, the other one saved, must not contradict the date already saved
        # (the database refuses an end before the engagement).
        start = values.get("engagement_date", dossier.engagement_date)
        end = values.get("end_date", dossier.end_date)
        if start and end and end < start:
            values.pop("engagement_date", None)
            values.pop("end_date", None)
    services.update(dossier, request.user, actor, values)  # type: ignore[arg-type]
    if step == "budget" and "requested_amount" not in form.errors:
        _check_requested(dossier, form)
    return form, formset


def _check_requested(dossier: Dossier, form: forms.StepForm) -> None:
    """A requested amount above the maximum is kept (the maximum moves with the cost lines) and
    said at its field every time the step is shown; the submission refuses it."""
    requested = dossier.requested_amount
    maximum = services.maximum_for(dossier)
    if requested is not None and maximum is not None and requested > maximum:
        form.add_error(
            "requested_amount",
            "Le montant demandé dépasse le maximum permis par l’appel pour ce projet : "
            f"{format_euros(maximum)}.",
        )


def _with_blank_line(data: Any) -> forms.BaseCostLineFormSet:
    """The lines as typed (errors included, nothing lost) and one more, blank."""
    data = data.copy()
    total = int(data.get("lines-TOTAL_FORMS") or 0)
    data["lines-TOTAL_FORMS"] = str(min(total + 1, forms.CostLineFormSet.max_num))
    formset = forms.CostLineFormSet(data, prefix="lines")
    formset.is_valid()
    return formset


@login_required
def step(request: HttpRequest, uuid: Any, step: str) -> HttpResponse:
    if step not in STEP_TITLES:
        raise Http404("Étape inconnue")
    dossier, actor = _dossier(request, uuid)
    if not _editable(dossier) and step != "recapitulatif":
        return redirect("applicant:dossier", dossier.uuid)
    if step == "pieces":
        from . import attachments_views

        return attachments_views.pieces_step(request, dossier, actor, _step_nav(dossier, step))
    if step == "recapitulatif":
        return summary_step(request, dossier, actor)

    form_class = FORMS[step]
    formset = None
    saved_now = False
    if request.method == "POST":
        try:
            form, formset = _save(request, dossier, actor, step)
        except services.NotEditable as exc:
            messages.error(request, str(exc))
            return redirect("applicant:dossier", dossier.uuid)
        saved_now = True
        has_errors = bool(form.errors) or (formset is not None and not formset.complete())
        if request.headers.get("HX-Request") and request.POST.get("_autosave"):
            return render(
                request,
                "applicant/_autosave.html",
                {"dossier": dossier, "form": form, "formset": formset, "has_errors": has_errors,
                 "budget": _budget_box(dossier) if step == "budget" else None,
                 "engagement_warning": _engagement_warning(dossier) if step == "calendrier" else None,
                 "step": step},
            )  # fmt: skip
        action = request.POST.get("_action", "next")
        if not has_errors and action == "next":
            nav = _step_nav(dossier, step)
            return redirect("applicant:step", dossier.uuid, nav["next_step"][0])
        if action == "add_line" and formset is not None and not formset.tampered():
            # Whatever else the page says (a line to complete, an amount too high), the line is
            # added and what was typed stays on the page.
            if formset.total_form_count() >= forms.CostLineFormSet.max_num:
                form.add_error(
                    None,
                    f"Un dossier compte au plus {forms.CostLineFormSet.max_num} lignes de dépense.",
                )
            formset = _with_blank_line(request.POST)
        if not has_errors and action == "save":
            messages.success(request, "Vos modifications sont enregistrées.")
            return redirect("applicant:step", dossier.uuid, step)
    else:
        form = form_class(initial=_initial(dossier, form_class), call_rules=dossier.call.rules)
        if step == "budget":
            formset = _cost_formset(dossier)
            if dossier.requested_amount is not None:  # bound to its saved values, to say why
                form = form_class(_initial(dossier, form_class), call_rules=dossier.call.rules)
                form.is_valid()
                _check_requested(dossier, form)
    context = {
        "title": f"{STEP_TITLES[step]} — {dossier.title or 'Nouveau dossier'}",
        "dossier": dossier,
        "form": form,
        "formset": formset,
        "saved_now": saved_now,
        "call_rules": dossier.call.rules,
        "budget": _budget_box(dossier) if step == "budget" else None,
        "engagement_warning": _engagement_warning(dossier) if step == "calendrier" else "",
        **_step_nav(dossier, step),
    }
    if step == "porteur":
        context["partner_form"] = forms.PartnerForm()
        context["partners"] = list(dossier.partners.all())
    return render(request, f"applicant/steps/{step}.html", context)


@login_required
@require_POST
def partner_add(request: HttpRequest, uuid: Any) -> HttpResponse:
    dossier, actor = _dossier(request, uuid)
    form = forms.PartnerForm(request.POST)
    vintage = dossier.call.reference_vintage
    ref = None
    if form.is_valid():
        ref = _resolve_collectivity(form, vintage)
    if form.is_valid() and ref is not None:
        kind, code = ref
        if (kind, code) == (dossier.applicant_kind, dossier.applicant_code):
            form.add_error(
                "collectivity", "Le porteur du projet ne peut pas être son propre partenaire."
            )
        elif dossier.partners.filter(kind=kind, code=code).exists():
            form.add_error("collectivity", "Cette collectivité est déjà partenaire du projet.")
        else:
            partners = [
                {"kind": p.kind, "code": p.code, "role": p.role} for p in dossier.partners.all()
            ]
            partners.append({"kind": kind, "code": code, "role": form.cleaned_data["role"]})
            try:
                services.replace_partners(dossier, request.user, actor, partners)  # type: ignore[arg-type]
            except services.NotEditable as exc:
                messages.error(request, str(exc))
                return redirect("applicant:dossier", dossier.uuid)
            messages.success(request, "Partenaire ajouté.")
            return redirect(
                reverse("applicant:step", args=[dossier.uuid, "porteur"]) + "#partenaires"
            )
    form_class = FORMS["porteur"]
    context = {
        "title": f"{STEP_TITLES['porteur']} — {dossier.title or 'Nouveau dossier'}",
        "dossier": dossier,
        "form": form_class(initial=_initial(dossier, form_class), call_rules=dossier.call.rules),
        "partner_form": form,
        "partners": list(dossier.partners.all()),
        "call_rules": dossier.call.rules,
        **_step_nav(dossier, "porteur"),
    }
    return render(request, "applicant/steps/porteur.html", context, status=200)


def _resolve_collectivity(form: forms.PartnerForm, vintage: str) -> tuple[str, str] | None:
    """The partner picked from the suggestions (kind:code) or found by what was typed."""
    raw = form.cleaned_data.get("collectivity_ref") or ""
    text = form.cleaned_data["collectivity"]
    try:
        ref = parse_applicant_ref(raw or text, "collectivity") if (raw or ":" in text) else None
    except InputError:
        ref = None
    if ref is not None:
        try:
            to_applicant(ref.kind, ref.code, vintage)
        except UnknownCollectivity as exc:
            form.add_error("collectivity", str(exc))
            return None
        return ref.kind, ref.code
    results = search(text, vintage, limit=2)
    if len(results) == 1 or (results and results[0].name.lower() == text.strip().lower()):
        return results[0].kind, results[0].code
    if not results:
        form.add_error("collectivity", f"Aucune collectivité ne correspond à « {text} ».")
    else:
        form.add_error(
            "collectivity",
            f"Plusieurs collectivités correspondent à « {text} » : choisissez-la dans les suggestions "
            f"ou tapez son code INSEE ou SIREN.",
        )
    return None


@login_required
@require_POST
def partner_remove(request: HttpRequest, uuid: Any, partner_id: int) -> HttpResponse:
    dossier, actor = _dossier(request, uuid)
    partners = [
        {"kind": p.kind, "code": p.code, "role": p.role}
        for p in dossier.partners.all()
        if p.pk != partner_id
    ]
    try:
        services.replace_partners(dossier, request.user, actor, partners)  # type: ignore[arg-type]
    except services.NotEditable as exc:
        messages.error(request, str(exc))
        return redirect("applicant:dossier", dossier.uuid)
    messages.success(request, "Partenaire retiré.")
    return redirect(reverse("applicant:step", args=[dossier.uuid, "porteur"]) + "#partenaires")


# ---------------------------------------------------------------- summary and submission


def _problems_by_step(dossier: Dossier, problems: list[services.Problem]) -> list[dict[str, Any]]:
    grouped: dict[str, list[str]] = {}
    for p in problems:
        grouped.setdefault(p.step, []).append(p.message)
    return [
        {
            "step": s,
            "title": STEP_TITLES[s],
            "url": reverse("applicant:step", args=[dossier.uuid, s]),
            "messages": grouped[s],
        }
        for s in STEP_SLUGS
        if s in grouped
    ]


def summary_step(request: HttpRequest, dossier: Dossier, actor: Actor) -> HttpResponse:
    form = forms.SubmitForm(initial={"sworn_statement": dossier.sworn_statement})
    status = 200
    refused: list[services.Problem] = []
    if request.method == "POST":
        form = forms.SubmitForm(request.POST)
        form.is_valid()
        sworn = form.cleaned_data.get("sworn_statement", False)
        try:
            if not sworn and dossier.state == State.SUBMITTED:  # a submitted dossier stays sworn
                raise services.SubmissionRefused(
                    [
                        services.Problem(
                            "recapitulatif",
                            "sworn_statement",
                            "Cochez la déclaration sur l’honneur.",
                        )
                    ]
                )
            if _editable(dossier):
                services.update(dossier, request.user, actor, {"sworn_statement": sworn})  # type: ignore[arg-type]
            if dossier.state == State.CORRECTION_REQUESTED:
                services.resubmit(dossier, request.user)  # type: ignore[arg-type]
                messages.success(
                    request, "Votre dossier corrigé a été renvoyé au service instructeur."
                )
                return redirect("applicant:dossier", dossier.uuid)
            submitted = services.submit(dossier, request.user)  # type: ignore[arg-type]
        except services.SubmissionRefused as exc:
            refused = exc.problems
            status = 422
            for p in refused:
                if p.field in form.fields:
                    form.add_error(p.field, p.message)
        except (TransitionRefused, services.NotEditable) as exc:
            messages.error(request, str(exc))
            return redirect("applicant:dossier", dossier.uuid)
        else:
            messages.success(
                request,
                f"Votre dossier est déposé sous le numéro {submitted.number}. "
                "Son accusé de réception est en préparation : il s’affichera sur cette page et "
                "vous sera envoyé par courriel.",
            )
            return redirect("applicant:dossier", submitted.uuid)
    verdict = services.verdict(dossier, submitted_at=dossier.submitted_at or clock.now())
    problems = refused or (services.problems(dossier) if _editable(dossier) else [])
    grouped = _problems_by_step(dossier, problems)
    call = dossier.call.rules
    late = any(p.field == "submit" for p in problems) or any(
        c.rule == "DEADLINE" and c.status is Status.FAILED for c in verdict.checks
    )
    return render(
        request,
        "applicant/steps/recapitulatif.html",
        {
            "title": f"Récapitulatif — {dossier.title or 'Nouveau dossier'}",
            "dossier": dossier,
            "form": form,
            "verdict": verdict,
            "problems": grouped,
            "problem_count": len(problems),
            "late": late,
            "deadline": french_date(call.deadline),
            "call_rules": call,
            "editable": _editable(dossier),
            "partners": list(dossier.partners.all()),
            "cost_lines": list(dossier.cost_lines.all()),
            "budget": _budget_box(dossier),
            "attachments": list(dossier.attachments.all())
            if hasattr(dossier, "attachments")
            else [],
            "category": call.category(dossier.category) if dossier.category else None,
            **_step_nav(dossier, "recapitulatif"),
        },
        status=status,
    )
