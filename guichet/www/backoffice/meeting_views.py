"""The committee's pages: the call's committee and envelopes, a meeting from its preparation to
its minutes. Views parse the request, call one service of ``guichet.committee.services`` and
render; a refusal is shown at its field (or above the form) with what was typed kept.
Anybody without a role on the call gets a 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from guichet.calls.models import Call
from guichet.committee import programming, waiting
from guichet.committee import services as committee
from guichet.committee.models import AgendaItem, Meeting, MeetingDocumentKind, MeetingStatus
from guichet.committee.overview import overview
from guichet.committee.services import CommitteeError, MeetingNotFound
from guichet.documents.http import file_response
from guichet.grants import services as grants
from guichet.review.permissions import Do, can_in_call, chairs

from .committee_forms import (
    AgendaForm,
    AttendanceForm,
    ConflictForm,
    DecisionForm,
    MeetingForm,
    VoteForm,
)


def _call(request: HttpRequest, slug: str) -> Call:
    call = Call.objects.filter(slug=slug).first()
    if call is None or not can_in_call(request.user, Do.VIEW, call):  # type: ignore[arg-type]
        raise Http404("Page introuvable")
    return call


def _meeting(request: HttpRequest, slug: str, number: int) -> Meeting:
    call = _call(request, slug)
    try:
        return committee.get_meeting(request.user, call, number)  # type: ignore[arg-type]
    except MeetingNotFound:
        raise Http404("Séance introuvable") from None


def _item(meeting: Meeting, item_id: int) -> AgendaItem:
    item = meeting.items.select_related("dossier__call").filter(pk=item_id).first()
    if item is None:
        raise Http404("Dossier introuvable")
    return item


def _crumbs(call: Call, *last: dict[str, str]) -> list[dict[str, str]]:
    return [
        {"url": reverse("backoffice:dossiers"), "title": "Instruction"},
        {"url": reverse("backoffice:committee", args=[call.slug]), "title": "Comité de sélection"},
        *last,
    ]


# ---------------------------------------------------------------- the call's committee


@login_required
def committee_home(request: HttpRequest, slug: str) -> HttpResponse:
    call = _call(request, slug)
    meetings = list(committee.meetings_for(request.user, call))  # type: ignore[arg-type]
    return render(
        request,
        "backoffice/committee.html",
        {
            "title": "Comité de sélection",
            "call": call,
            "breadcrumb": [
                {"url": reverse("backoffice:dossiers"), "title": "Instruction"},
                {"title": "Comité de sélection"},
            ],
            "overview": overview(call),
            "offers": waiting.offers_seen_by(request.user, call),  # type: ignore[arg-type]
            "upcoming": [m for m in meetings if m.status != MeetingStatus.CLOSED],
            "past": [m for m in meetings if m.status == MeetingStatus.CLOSED],
            "members": committee.members(call),
            "can_convene": can_in_call(request.user, Do.CONVENE, call),  # type: ignore[arg-type]
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_create(request: HttpRequest, slug: str) -> HttpResponse:
    call = _call(request, slug)
    if not can_in_call(request.user, Do.CONVENE, call):  # type: ignore[arg-type]
        raise Http404("Page introuvable")
    form = MeetingForm(request.POST or None, call=call)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = committee.create_meeting(
                call,
                request.user,  # type: ignore[arg-type]
                starts_at=form.starts_at(),
                place=form.cleaned_data["place"],
                video_url=form.cleaned_data["video_url"],
                sessions=list(call.sessions.filter(pk__in=form.cleaned_data["sessions"])),
            )
        except CommitteeError as exc:
            form.add_error(_field(form, exc), str(exc))
        else:
            messages.success(request, f"{meeting} créée : composez son ordre du jour.")
            return redirect("backoffice:meeting", call.slug, meeting.number)
    return render(
        request,
        "backoffice/meeting_form.html",
        {
            "title": "Préparer une séance",
            "call": call,
            "form": form,
            "breadcrumb": _crumbs(call, {"title": "Préparer une séance"}),
        },
    )


def _field(form: Any, exc: CommitteeError) -> str | None:
    field = "day" if exc.field == "starts_at" else exc.field
    return field if field in form.fields else None


# ---------------------------------------------------------------- one meeting


def _page(request: HttpRequest, meeting: Meeting, **forms_: Any) -> HttpResponse:
    user = request.user
    call = meeting.call
    items = list(
        meeting.items.select_related("dossier", "decision").prefetch_related("conflicts", "votes")
    )
    years = [p.year for p in grants.positions(call)]
    present = set(meeting.attendance.filter(present=True).values_list("member_id", flat=True))
    rows = []
    for item in items:
        conflicted = {c.member_id for c in item.conflicts.all()}
        decision = getattr(item, "decision", None)
        rows.append(
            {
                "item": item,
                "decision": decision,
                "tally": committee.tally(item) if meeting.status != MeetingStatus.DRAFT else None,
                "in_conflict": user.pk in conflicted,
                "my_vote": next((v for v in item.votes.all() if v.member_id == user.pk), None),
                "decision_form": forms_.get(f"decision-{item.pk}")
                or DecisionForm(
                    initial=_decision_initial(item, decision, call),
                    years=years,
                    ranks=len(items),
                    prefix=f"d{item.pk}",
                ),
                "conflict_form": forms_.get(f"conflict-{item.pk}")
                or ConflictForm(prefix=f"c{item.pk}"),
                "vote_form": forms_.get(f"vote-{item.pk}") or VoteForm(prefix=f"v{item.pk}"),
            }
        )
    roster = committee.members(call)
    can_convene = can_in_call(user, Do.CONVENE, call)  # type: ignore[arg-type]
    agenda_form = forms_.get("agenda")
    if agenda_form is None and meeting.status == MeetingStatus.DRAFT and can_convene:
        offered = waiting.offers_for_agenda(meeting)
        agenda_form = AgendaForm(
            initial={"dossiers": list(dict.fromkeys([*[i.dossier_id for i in items], *offered]))},
            choices=_agenda_choices(meeting, offered),
        )
    attendance_form = forms_.get("attendance") or AttendanceForm(
        initial={"present": [r.user_id for r in roster]},
        choices=[(r.user_id, _member_label(r)) for r in roster],
    )
    if meeting.status == MeetingStatus.OPEN:
        extra_context = _programming_context(meeting, user)
    else:
        extra_context = {}
    return render(
        request,
        "backoffice/meeting.html",
        {
            "title": str(meeting),
            "call": call,
            "meeting": meeting,
            "rows": rows,
            "positions": grants.positions(call),
            "left": committee.left_by_year(meeting),
            "roster": roster,
            "attendance": list(meeting.attendance.all()),
            "documents": {d.kind: d for d in meeting.documents.all()},
            "is_chair": chairs(user, call),  # type: ignore[arg-type]
            "is_present": user.pk in present,
            "can_convene": can_convene,
            "can_decide": can_in_call(user, Do.DECIDE, call),  # type: ignore[arg-type]
            "convocation_problem": committee.convocation_problem(meeting)
            if meeting.status == MeetingStatus.DRAFT
            else None,
            "agenda_form": agenda_form,
            "attendance_form": attendance_form,
            "undecided": [r["item"] for r in rows if r["decision"] is None],
            "breadcrumb": _crumbs(call, {"title": str(meeting)}),
            **extra_context,
        },
        status=forms_.get("status", 200),
    )


PROGRAMMING_ACTIONS = [("pin", "Imposer"), ("exclude", "Écarter"), ("reset", "Rétablir")]


def _programming_context(meeting: Meeting, user: Any) -> dict[str, Any]:
    from guichet.rules.programming import priority_weight

    return {
        "programming": programming.programming(meeting),
        "actions": PROGRAMMING_ACTIONS,
        "years": [p.year for p in grants.positions(meeting.call)],
        "weight": priority_weight(meeting.call.rules),
        "can_decide": can_in_call(user, Do.DECIDE, meeting.call),
        "change_error": "",
    }


def _programming_fragment(request: HttpRequest, meeting: Meeting, error: str = "") -> HttpResponse:
    context = {"call": meeting.call, "meeting": meeting,
               **_programming_context(meeting, request.user)}  # fmt: skip
    context["change_error"] = error
    return render(request, "backoffice/_programming.html", context, status=400 if error else 200)


@login_required
@require_POST
def item_programming(request: HttpRequest, slug: str, number: int, item_id: int) -> HttpResponse:
    meeting = _meeting(request, slug, number)
    item = _item(meeting, item_id)
    what = request.POST.get("what", "")
    error = ""
    try:
        amount = _parse_amount(request.POST.get("amount", "")) if what == "amount" else None
        year = _parse_year(request.POST.get("year", "")) if what == "year" else None
        programming.change(
            item, request.user, what, amount=amount,  # type: ignore[arg-type]
            reason=request.POST.get("reason", "")[:500], year=year,
        )  # fmt: skip
    except CommitteeError as exc:
        error = f"{item.dossier.number} : {exc}"
    meeting.refresh_from_db()
    if request.headers.get("HX-Request"):
        return _programming_fragment(request, meeting, error)
    if error:
        messages.error(request, error)
    url = reverse("backoffice:meeting", args=[meeting.call.slug, meeting.number])
    return redirect(url + "#programming")


def _parse_amount(text: str) -> Any:
    from guichet.rules.money import AmountError, parse_euros

    try:
        return parse_euros(text) if text.strip() else None
    except AmountError as exc:
        raise CommitteeError(str(exc), "amount") from None


def _parse_year(text: str) -> int | None:
    if not text.strip():
        return None
    if not (text.isascii() and text.isdigit() and len(text) == 4):
        raise CommitteeError("Choisissez une année d’enveloppe.", "year")
    return int(text)


@login_required
@require_POST
def meeting_adopt(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    meeting = _meeting(request, slug, number)
    raw = request.POST.getlist("items")
    ids = [int(v) for v in raw if v.isascii() and v.isdigit() and len(v) < 12] if raw else None
    try:
        decisions = programming.adopt(meeting, request.user, ids)  # type: ignore[arg-type]
    except CommitteeError as exc:
        return _refused(request, meeting, exc)
    return _done(request, meeting, f"Proposition adoptée : {len(decisions)} décision(s) "
                 "enregistrée(s).", "programming")  # fmt: skip


def _member_label(role: Any) -> str:
    name = role.user.get_full_name()
    label = f"{name} <{role.user.email}>" if name else role.user.email
    return f"{label} (président)" if role.chair else label


def _agenda_choices(
    meeting: Meeting, offered: dict[int, Any] | None = None
) -> list[tuple[int, str]]:
    """Each candidate dossier's label; one offered after a lapse says so."""
    from guichet.rules.money import format_euros

    offered = waiting.offers_for_agenda(meeting) if offered is None else offered
    choices = []
    for d in committee.candidates(meeting).only(
        "pk", "number", "applicant_name", "title", "state", "proposed_amount", "score_average"
    ):
        amount = format_euros(d.proposed_amount) if d.proposed_amount is not None else "—"
        score = d.score_average if d.score_average is not None else "sans note"
        choices.append(
            (d.pk, f"{d.number} — {d.applicant_name} — {d.title} ({d.state_label}, proposé "
                   f"{amount}, note {score})"
                   + (f" — Proposé suite à la caducité de {offered[d.pk].lapsed_grant.dossier.number}"
                      if d.pk in offered else ""))
        )  # fmt: skip
    return choices


def _decision_initial(item: AgendaItem, decision: Any, call: Call) -> dict[str, Any]:
    if decision is not None:
        return {
            "outcome": decision.outcome,
            "amount": _typed(decision.amount),
            "year": decision.year,
            "reason": decision.reason,
            "waiting_rank": decision.waiting_rank,
            "consensus": "1" if decision.consensus else "0",
        }
    default_year = call.rules.settings.get("default_envelope_year")
    return {"amount": _typed(item.proposed_amount), "year": default_year, "consensus": "1"}


def _typed(amount: Any) -> str:
    """An amount as a person types it in the form: « 5 000 », « 4 999,50 »."""
    from guichet.rules.money import format_euros

    return "" if amount is None else format_euros(amount).removesuffix("€").strip()


@login_required
def meeting_detail(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    return _page(request, _meeting(request, slug, number))


def _refused(request: HttpRequest, meeting: Meeting, exc: CommitteeError) -> HttpResponse:
    messages.error(request, str(exc))
    return redirect("backoffice:meeting", meeting.call.slug, meeting.number)


def _done(request: HttpRequest, meeting: Meeting, text: str, anchor: str = "") -> HttpResponse:
    messages.success(request, text)
    url = reverse("backoffice:meeting", args=[meeting.call.slug, meeting.number])
    return redirect(url + (f"#{anchor}" if anchor else ""))


@login_required
@require_POST
def meeting_agenda(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    meeting = _meeting(request, slug, number)
    form = AgendaForm(request.POST, choices=_agenda_choices(meeting) + _current(meeting))
    if not form.is_valid():
        return _page(request, meeting, agenda=form, status=400)
    try:
        items = committee.set_agenda(meeting, request.user, form.cleaned_data["dossiers"])  # type: ignore[arg-type]
    except CommitteeError as exc:
        form.add_error(_field(form, exc), str(exc))
        return _page(request, meeting, agenda=form, status=400)
    return _done(request, meeting, f"Ordre du jour enregistré : {len(items)} dossier(s).")


def _current(meeting: Meeting) -> list[tuple[int, str]]:
    return [(i.dossier_id, str(i.dossier)) for i in meeting.items.select_related("dossier")]


@login_required
@require_POST
def meeting_convene(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    meeting = _meeting(request, slug, number)
    if request.POST.get("confirm") != "1":
        return _refused(request, meeting, CommitteeError("Confirmez l’envoi de la convocation."))
    url = request.build_absolute_uri(
        reverse("backoffice:meeting", args=[meeting.call.slug, meeting.number])
    )
    try:
        committee.convene(meeting, request.user, meeting_url=url)  # type: ignore[arg-type]
    except CommitteeError as exc:
        return _refused(request, meeting, exc)
    return _done(request, meeting, "Convocation envoyée à chaque membre, avec la note de synthèse.")


@login_required
@require_POST
def meeting_open(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    meeting = _meeting(request, slug, number)
    roster = committee.members(meeting.call)
    form = AttendanceForm(request.POST, choices=[(r.user_id, _member_label(r)) for r in roster])
    if not form.is_valid():
        return _page(request, meeting, attendance=form, status=400)
    try:
        committee.open_meeting(meeting, request.user, form.cleaned_data["present"])  # type: ignore[arg-type]
    except CommitteeError as exc:
        form.add_error(_field(form, exc), str(exc))
        return _page(request, meeting, attendance=form, status=400)
    return _done(
        request, meeting, "Séance ouverte. Les membres déclarent leurs conflits d’intérêts."
    )


def _item_post(
    request: HttpRequest,
    meeting: Meeting,
    item: AgendaItem,
    form: Any,
    key: str,
    act: Any,
    done: str,
) -> HttpResponse:
    """One member's form on one dossier (a conflict, a vote): shown again at its field when
    malformed, the service's refusal said above the page, the page back at the dossier."""
    if not form.is_valid():
        return _page(request, meeting, **{f"{key}-{item.pk}": form, "status": 400})
    try:
        act(form.cleaned_data)
    except CommitteeError as exc:
        return _refused(request, meeting, exc)
    return _done(request, meeting, done, f"item-{item.pk}")


@login_required
@require_POST
def item_conflict(request: HttpRequest, slug: str, number: int, item_id: int) -> HttpResponse:
    meeting = _meeting(request, slug, number)
    item = _item(meeting, item_id)
    return _item_post(
        request, meeting, item, ConflictForm(request.POST, prefix=f"c{item.pk}"), "conflict",
        lambda data: committee.declare_conflict(item, request.user, data["reason"]),  # type: ignore[arg-type]
        f"Conflit d’intérêts déclaré sur le dossier {item.dossier.number} : vous ne prenez pas "
        "part à sa décision.",
    )  # fmt: skip


@login_required
@require_POST
def item_vote(request: HttpRequest, slug: str, number: int, item_id: int) -> HttpResponse:
    meeting = _meeting(request, slug, number)
    item = _item(meeting, item_id)
    return _item_post(
        request, meeting, item, VoteForm(request.POST, prefix=f"v{item.pk}"), "vote",
        lambda data: committee.vote(item, request.user, data["choice"]),  # type: ignore[arg-type]
        f"Vote enregistré sur le dossier {item.dossier.number}.",
    )  # fmt: skip


@login_required
@require_POST
def item_decide(request: HttpRequest, slug: str, number: int, item_id: int) -> HttpResponse:
    meeting = _meeting(request, slug, number)
    item = _item(meeting, item_id)
    years = [p.year for p in grants.positions(meeting.call)]
    form = DecisionForm(
        request.POST, years=years, ranks=meeting.items.count(), prefix=f"d{item.pk}"
    )
    if form.is_valid():
        try:
            committee.decide(item, request.user, form.decision())  # type: ignore[arg-type]
        except CommitteeError as exc:
            form.add_error(_field(form, exc), str(exc))
        else:
            return _done(request, meeting, f"Décision enregistrée sur le dossier "
                         f"{item.dossier.number}.", f"item-{item.pk}")  # fmt: skip
    return _page(request, meeting, **{f"decision-{item.pk}": form, "status": 400})


@login_required
@require_POST
def meeting_close(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    meeting = _meeting(request, slug, number)
    if request.POST.get("confirm") != "1":
        return _refused(request, meeting, CommitteeError("Confirmez la clôture de la séance."))
    try:
        committee.close_meeting(meeting, request.user)  # type: ignore[arg-type]
    except CommitteeError as exc:
        return _refused(request, meeting, exc)
    return _done(
        request, meeting,
        "Séance close : les décisions ont pris effet et le procès-verbal est établi.",
    )  # fmt: skip


@login_required
def meeting_document(request: HttpRequest, slug: str, number: int, kind: str) -> HttpResponse:
    meeting = _meeting(request, slug, number)
    if kind not in MeetingDocumentKind.values:
        raise Http404("Document introuvable")
    document = meeting.documents.filter(kind=kind).first()
    if document is None:
        raise Http404("Document introuvable")
    return file_response(document, inline=True)
