"""The reviewers' space: the submitted dossiers, and a dossier's page with everything submitted, the
rules' verdict recomputed now, the population used, scores, the opinion and proposal, private notes,
assignment, messages, correction requests and the full history.

Every action checks its own right (``guichet.review.permissions.can``) and the page shows only the
forms the agent may use. Each form posts to its own view; a refusal re-renders the page with the
message at the field and everything typed kept (status 422).

Agents see what their roles in each call allow (``guichet.review.permissions``). Anybody else
gets a 404 here, as for a dossier they may not see.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from guichet.accounts.models import User
from guichet.committee.decisions import documents_of as decision_documents
from guichet.dossiers import services
from guichet.dossiers.models import Dossier, PieceKind
from guichet.dossiers.workflow import (
    FINAL,
    GRANTED,
    Action,
    Actor,
    State,
    TransitionRefused,
    available,
)
from guichet.review import services as review
from guichet.review.models import AgentRole, Assignment, Role
from guichet.review.permissions import Do, calls_of, can, covers_everything
from guichet.rules.money import format_euros
from guichet.territories.models import Arrondissement
from guichet.www.applicant.follow_views import MessageWithFilesForm
from guichet.www.dossier_pages import send_message, serve_message_attachment, serve_piece

from .forms import (
    AssignForm,
    ContactInvitationForm,
    CorrectionForm,
    NoteForm,
    PopulationForm,
    ProposalForm,
    ScoreForm,
)


def _agent_only(request: HttpRequest) -> None:
    if not calls_of(request.user).exists():  # type: ignore[arg-type]
        raise Http404("Page introuvable")


def _dossier(request: HttpRequest, uuid: Any) -> Dossier:
    dossier = Dossier.objects.select_related("call", "session").filter(uuid=uuid).first()
    if dossier is None or not can(request.user, Do.VIEW, dossier):  # type: ignore[arg-type]
        raise Http404("Dossier introuvable")
    return dossier


TEMPLATE = "backoffice/dossier.html"
# States in which reviewers score, and in which the population may still be corrected.
SCORABLE = frozenset({State.SUBMITTED, State.IN_REVIEW, State.PROPOSED})
POPULATION_CORRECTABLE = frozenset({State.SUBMITTED, State.IN_REVIEW, State.CORRECTION_REQUESTED})
REFUSED_FOR_ROLE = "Votre rôle ne permet pas cette action sur ce dossier."


def _arrondissements(dossier: Dossier) -> dict[str, str]:
    call = dossier.call
    return {
        a.code: a.name
        for a in Arrondissement.objects.filter(
            vintage=call.reference_vintage, departement_code=call.departement_code
        )
    }


def _arrondissement_label(code: str, names: dict[str, str]) -> str:
    if not code:
        return "Préfecture (tout le département)"
    return f"{names[code]} ({code})" if code in names else code


def _reviewer_choices(dossier: Dossier, names: dict[str, str]) -> list[tuple[str, str]]:
    """The call's reviewers and managers, each with what they cover."""
    choices: dict[int, tuple[str, str]] = {}
    roles = AgentRole.objects.filter(
        call_id=dossier.call_id, role__in=[Role.REVIEWER, Role.MANAGER], user__is_active=True
    ).select_related("user")
    for r in roles.order_by("user__last_name", "user__first_name", "user__email"):
        if covers_everything(r):
            covers = "tout le département"
        else:
            covers = ", ".join(names.get(code, code) for code in r.arrondissements)
        label = f"{r.user} — {covers}"
        if r.user_id not in choices or covers == "tout le département":
            choices[r.user_id] = (str(r.user_id), label)
    return list(choices.values())


def _assign_form(dossier: Dossier, names: dict[str, str], data: Any = None) -> AssignForm:
    return AssignForm(
        data,
        reviewers=_reviewer_choices(dossier, names),
        arrondissements=[(code, f"{name} ({code})") for code, name in names.items()],
        current_arrondissement=_arrondissement_label(dossier.arrondissement_code, names),
        initial={"reviewer": str(dossier.assignee_id or "")},
    )


def _score_form(dossier: Dossier, user: Any, data: Any = None) -> ScoreForm:
    initial: dict[str, Any] = {}
    for s in dossier.scores.filter(reviewer=user):
        initial[s.criterion] = str(s.value)
        initial[f"{s.criterion}_comment"] = s.comment
    rules = dossier.call.rules
    return ScoreForm(rules.scoring, data, initial=initial, quotes=rules.rules)


def _score_table(dossier: Dossier) -> dict[str, Any]:
    """Every reviewer's marks and comments per criterion, their weighted averages and the mean."""
    rules = dossier.call.rules
    scores = list(dossier.scores.select_related("reviewer").order_by("scored_at", "id"))
    reviewers: dict[int, Any] = {}
    by_key = {}
    for s in scores:
        reviewers.setdefault(s.reviewer_id, s.reviewer)
        by_key[s.reviewer_id, s.criterion] = s
    averages = review.reviewer_averages(dossier)
    rows = []
    for c in rules.scoring.criteria:
        text = rules.rules.get(c.rule) if c.rule else None
        rows.append(
            {
                "criterion": c,
                "quote": text.quote if text is not None else "",
                "scores": [by_key.get((rid, c.code)) for rid in reviewers],
            }
        )
    labels = {c.code: c.label for c in rules.scoring.criteria}
    versions = [
        {"version": v, "criterion": labels.get(v.criterion, v.criterion)}
        for v in dossier.score_versions.all()
    ]
    return {
        "reviewers": [(user, averages.get(rid)) for rid, user in reviewers.items()],
        "rows": rows,
        "grid": rules.scoring,
        "versions": versions,
    }


def _page(request: HttpRequest, dossier: Dossier, **extra: Any) -> dict[str, Any]:
    # The verdict, the budget, the summary and the scores all read these: once each.
    prefetch_related_objects([dossier], "cost_lines", "partners", "attachments", "scores")
    user = request.user
    may = {action.value: can(user, action, dossier) for action in Do}  # type: ignore[arg-type]
    state = dossier.state_enum
    actions = {t.action for t in available(state, Actor.REVIEWER)}
    verdict = services.verdict(dossier)
    names = _arrondissements(dossier)
    context = {
        "title": f"Dossier {dossier.number}",
        "dossier": dossier,
        "verdict": verdict,
        "max_text": format_euros(verdict.amount),
        "partners": list(dossier.partners.all()),
        "cost_lines": list(dossier.cost_lines.all()),
        "attachments": list(dossier.attachments.all()),
        "receipt": dossier.attachments.filter(kind=PieceKind.RECEIPT).first(),
        "category": dossier.call.rules.category(dossier.category) if dossier.category else None,
        "events": list(dossier.events.select_related("actor")),
        "thread": list(dossier.messages.select_related("author").prefetch_related("attachments")),
        "notes": list(dossier.private_notes.select_related("author")),
        "opinions": list(dossier.opinions.select_related("reviewer")),
        "assignments": [
            (a, _arrondissement_label(a.arrondissement_code, names))
            for a in Assignment.objects.filter(dossier=dossier).select_related(
                "reviewer", "assigned_by"
            )
        ],
        "arrondissement": _arrondissement_label(dossier.arrondissement_code, names),
        "scores": _score_table(dossier),
        "may": may,
        "can_start": may[Do.START_REVIEW] and Action.START_REVIEW in actions,
        "can_request_correction": may[Do.REQUEST_CORRECTION]
        and Action.REQUEST_CORRECTION in actions,
        "can_message": may[Do.MESSAGE],
        # A dossier without a team on guichet (imported from Démarches Simplifiées): its contact
        # may be invited to join it, while it can still be followed.
        "can_invite_contact": may[Do.MESSAGE]
        and state not in FINAL
        and not dossier.memberships.exists(),
        "can_note": may[Do.NOTE],
        "can_score": may[Do.SCORE] and state in SCORABLE,
        "can_propose": may[Do.PROPOSE] and state == State.IN_REVIEW,
        "can_correct_population": may[Do.CORRECT_POPULATION] and state in POPULATION_CORRECTABLE,
        "can_assign": may[Do.ASSIGN] and state not in FINAL,
        "can_take": may[Do.START_REVIEW] and state not in FINAL and dossier.assignee_id != user.pk,
        "decision_documents": decision_documents(dossier),
        "grant_summary": _grant_summary(dossier),
    }
    context["message_form"] = extra.pop("message_form", None) or MessageWithFilesForm()
    context["correction_form"] = extra.pop("correction_form", None) or CorrectionForm()
    context["note_form"] = extra.pop("note_form", None) or NoteForm()
    context["invitation_form"] = extra.pop("invitation_form", None) or ContactInvitationForm(
        initial={"email": dossier.contact_email}
    )
    context["pending_invitations"] = list(
        dossier.invitations.filter(accepted_at__isnull=True).order_by("-created_at")[:3]
    )
    context["score_form"] = extra.pop("score_form", None) or _score_form(dossier, user)
    context["proposal_form"] = extra.pop("proposal_form", None) or ProposalForm(
        unscored=dossier.score_average is None
    )
    context["population_form"] = extra.pop("population_form", None) or PopulationForm(
        initial={"population": dossier.population_used}
    )
    if context["can_assign"]:
        context["assign_form"] = extra.pop("assign_form", None) or _assign_form(dossier, names)
    if context["can_propose"]:
        from guichet.grants.services import positions

        context["positions"] = positions(dossier.call)  # what is left, where an amount is decided
    context.update(extra)
    return context


def _grant_summary(dossier: Dossier) -> dict[str, Any] | None:
    # grant_follow_views imports this module (its dossier lookup): imported here, acyclic.
    from .grant_follow_views import summary

    return summary(dossier) if dossier.state_enum in GRANTED else None


def _back(dossier: Dossier, anchor: str = "") -> HttpResponse:
    return redirect(reverse("backoffice:dossier", args=[dossier.uuid]) + anchor)


def _not_allowed(request: HttpRequest, dossier: Dossier) -> HttpResponse:
    messages.error(request, REFUSED_FOR_ROLE)
    return _back(dossier)


# Which flag of the page shows each form.
_SHOWN_BY = {
    "score_form": "can_score",
    "proposal_form": "can_propose",
    "population_form": "can_correct_population",
    "note_form": "can_note",
    "assign_form": "can_assign",
    "correction_form": "can_request_correction",
    "message_form": "can_message",
    "invitation_form": "can_invite_contact",
}


def _refused(
    request: HttpRequest,
    dossier: Dossier,
    name: str,
    form: Any,
    exc: Exception,
    fields: dict[str, str] | None = None,
) -> HttpResponse:
    """The page again, with the refusal at the field it names and everything typed kept."""
    field = getattr(exc, "field", None)
    field = (fields or {}).get(field or "", field)
    form.add_error(field if field in form.fields else None, str(exc))
    return _invalid(request, dossier, name, form)


def _invalid(request: HttpRequest, dossier: Dossier, name: str, form: Any) -> HttpResponse:
    """The page with the form's errors. When the dossier moved on meanwhile and the form is no
    longer shown, its general errors are shown at the top of the page instead."""
    context = _page(request, dossier, **{name: form})
    if not context[_SHOWN_BY[name]]:
        for error in form.non_field_errors():
            messages.error(request, error)
    return render(request, TEMPLATE, context, status=422)


def dossier_action(
    action: Do,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A POST on one dossier: signed in, the dossier visible (404 otherwise) and ``action``
    allowed by the agent's role (a refusal on the page otherwise); the view gets the dossier."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @require_POST
        @functools.wraps(view)
        def wrapper(request: HttpRequest, uuid: Any) -> HttpResponse:
            dossier = _dossier(request, uuid)
            if not can(request.user, action, dossier):  # type: ignore[arg-type]
                return _not_allowed(request, dossier)
            return view(request, dossier)

        return wrapper

    return decorate


@login_required
def dossier_detail(request: HttpRequest, uuid: Any) -> HttpResponse:
    dossier = _dossier(request, uuid)
    return render(request, TEMPLATE, _page(request, dossier))


@dossier_action(Do.START_REVIEW)
def start_review(request: HttpRequest, dossier: Dossier) -> HttpResponse:
    try:
        services.start_review(dossier, request.user)  # type: ignore[arg-type]
    except TransitionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, "L’instruction du dossier est commencée : le porteur ne peut plus le modifier."
        )
    return _back(dossier)


@dossier_action(Do.REQUEST_CORRECTION)
def request_correction(request: HttpRequest, dossier: Dossier) -> HttpResponse:
    form = CorrectionForm(request.POST)
    if form.is_valid():
        try:
            services.request_correction(dossier, request.user, form.cleaned_data["message"])  # type: ignore[arg-type]
        except TransitionRefused as exc:
            form.add_error("message", str(exc))
        else:
            messages.success(request, "La demande de corrections est envoyée au porteur.")
            return _back(dossier)
    return _invalid(request, dossier, "correction_form", form)


@dossier_action(Do.MESSAGE)
def message_post(request: HttpRequest, dossier: Dossier) -> HttpResponse:
    form = MessageWithFilesForm(request.POST, request.FILES)
    if send_message(request, dossier, form):
        messages.success(request, "Votre message est envoyé au porteur.")
        return _back(dossier, "#messages")
    return _invalid(request, dossier, "message_form", form)


@dossier_action(Do.MESSAGE)
def invite_contact(request: HttpRequest, dossier: Dossier) -> HttpResponse:
    form = ContactInvitationForm(request.POST)
    if form.is_valid():
        try:
            services.invite_contact(dossier, request.user, form.cleaned_data["email"])  # type: ignore[arg-type]
        except services.NotEditable as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                f"L’invitation est envoyée à {form.cleaned_data['email']} : valable 14 jours.",
            )
            return _back(dossier, "#equipe")
    return _invalid(request, dossier, "invitation_form", form)


@dossier_action(Do.SCORE)
def score_post(request: HttpRequest, dossier: Dossier) -> HttpResponse:
    form = _score_form(dossier, request.user, request.POST)
    if not form.is_valid():
        return _invalid(request, dossier, "score_form", form)
    marks = {code: review.ScoreInput(v, c) for code, (v, c) in form.marks().items()}
    try:
        review.score(dossier, request.user, marks)  # type: ignore[arg-type]
    except review.ReviewRefused as exc:
        return _refused(request, dossier, "score_form", form, exc)
    messages.success(request, "Votre notation est enregistrée.")
    return _back(dossier, "#notation")


@dossier_action(Do.PROPOSE)
def propose(request: HttpRequest, dossier: Dossier) -> HttpResponse:
    form = ProposalForm(request.POST, unscored=dossier.score_average is None)
    if not form.is_valid():
        return _invalid(request, dossier, "proposal_form", form)
    try:
        review.propose(
            dossier,
            request.user,  # type: ignore[arg-type]
            kind=form.cleaned_data["kind"],
            amount=form.cleaned_data["amount"],
            justification=form.cleaned_data["justification"],
            without_scores=form.cleaned_data.get("without_scores", False),
        )
    except (review.ReviewRefused, TransitionRefused) as exc:
        return _refused(request, dossier, "proposal_form", form, exc)
    messages.success(request, "Le dossier est proposé au comité.")
    return _back(dossier, "#proposition")


@dossier_action(Do.CORRECT_POPULATION)
def correct_population(request: HttpRequest, dossier: Dossier) -> HttpResponse:
    form = PopulationForm(request.POST)
    if dossier.state_enum not in POPULATION_CORRECTABLE:
        form.add_error(
            None,
            f"La population ne se corrige plus à l’état « {dossier.state_label} ».",
        )
    if not form.is_valid():
        return _invalid(request, dossier, "population_form", form)
    try:
        corrected = review.correct_population(
            dossier,
            request.user,  # type: ignore[arg-type]
            form.cleaned_data["population"],
            form.cleaned_data["population_justification"],
        )
    except review.ReviewRefused as exc:
        return _refused(
            request,
            dossier,
            "population_form",
            form,
            exc,
            {"justification": "population_justification"},
        )
    messages.success(
        request,
        f"Population corrigée : forfait {format_euros(corrected.flat_amount or 0)}, "
        f"montant maximal {format_euros(corrected.maximum_amount or 0)}.",
    )
    return _back(dossier, "#population")


@dossier_action(Do.NOTE)
def note_post(request: HttpRequest, dossier: Dossier) -> HttpResponse:
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _invalid(request, dossier, "note_form", form)
    try:
        review.add_note(dossier, request.user, form.cleaned_data["note"])  # type: ignore[arg-type]
    except review.ReviewRefused as exc:
        return _refused(request, dossier, "note_form", form, exc, {"body": "note"})
    messages.success(request, "Votre note privée est enregistrée.")
    return _back(dossier, "#notes")


@dossier_action(Do.ASSIGN)
def assign(request: HttpRequest, dossier: Dossier) -> HttpResponse:
    """A programme manager gives the dossier to a reviewer and/or another arrondissement."""
    form = _assign_form(dossier, _arrondissements(dossier), request.POST)
    if not form.is_valid():
        return _invalid(request, dossier, "assign_form", form)
    reviewer_id = form.cleaned_data.get("reviewer")
    reviewer = User.objects.filter(pk=reviewer_id).first() if reviewer_id else None
    if reviewer_id and reviewer is None:
        form.add_error("reviewer", "Cet agent n’existe plus : choisissez-en un autre.")
        return _invalid(request, dossier, "assign_form", form)
    try:
        review.assign(
            dossier,
            request.user,  # type: ignore[arg-type]
            reviewer=reviewer,
            arrondissement_code=form.arrondissement_code(),
            reason=form.cleaned_data["reason"],
        )
    except review.ReviewRefused as exc:
        return _refused(request, dossier, "assign_form", form, exc)
    messages.success(request, "L’affectation du dossier est enregistrée.")
    return _back(dossier, "#affectation")


@dossier_action(Do.START_REVIEW)
def take(request: HttpRequest, dossier: Dossier) -> HttpResponse:
    """« Me l’attribuer »: a reviewer takes the dossier for themselves."""
    try:
        review.assign(dossier, request.user, reviewer=request.user)  # type: ignore[arg-type]
    except review.ReviewRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Le dossier vous est attribué.")
    return _back(dossier, "#affectation")


@login_required
@xframe_options_sameorigin
def attachment_download(request: HttpRequest, uuid: Any, attachment_id: int) -> HttpResponse:
    return serve_piece(request, _dossier(request, uuid), attachment_id)


@login_required
@xframe_options_sameorigin
def message_attachment_download(
    request: HttpRequest, uuid: Any, attachment_id: int
) -> HttpResponse:
    return serve_message_attachment(request, _dossier(request, uuid), attachment_id)
