"""Everything that changes a dossier goes through these functions.

Each one checks who is asking, changes the dossier in one transaction, writes its history line and
queues its e-mails for after the commit. Views only translate requests into these calls.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from guichet import clock
from guichet.calls.models import Call, CollectionSession
from guichet.rules.applicant import Applicant
from guichet.rules.eligibility import Project, Status, Verdict, evaluate
from guichet.rules.money import format_euros
from guichet.rules.timing import french_date
from guichet.territories.services import UnknownCollectivity, to_applicant

from . import notifications
from .models import (
    CostLine,
    Dossier,
    Event,
    EventKind,
    Invitation,
    MemberRole,
    Membership,
    Message,
    Partner,
    SubmissionCounter,
)
from .permissions import actor_for
from .workflow import EDITABLE_BY_APPLICANT, Action, Actor, State, TransitionRefused, find

if TYPE_CHECKING:
    from guichet.accounts.models import User


class DossierNotFound(Exception):
    """The dossier does not exist or this user may not see it (shown as a 404)."""


class NotEditable(Exception):
    """The dossier can no longer be changed by its team. ``str`` is French."""


@dataclass(frozen=True)
class Problem:
    """Something that prevents submission, at a step and a field of the form."""

    step: str
    field: str
    message: str


class SubmissionRefused(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


# ---------------------------------------------------------------- reading


def visible_dossiers(user: User) -> QuerySet[Dossier]:
    """The dossiers of the teams ``user`` belongs to."""
    if not user.is_authenticated:
        return Dossier.objects.none()
    return Dossier.objects.filter(memberships__user=user).select_related("call", "session")


def get_for(user: User, dossier_uuid: Any) -> tuple[Dossier, Actor]:
    """The dossier and the role ``user`` has on it; DossierNotFound for anybody else."""
    try:
        dossier = Dossier.objects.select_related("call", "session").get(uuid=dossier_uuid)
    except (Dossier.DoesNotExist, ValueError, TypeError, ValidationError):
        raise DossierNotFound from None
    actor = actor_for(user, dossier)
    if actor is None:
        raise DossierNotFound
    return dossier, actor


# ---------------------------------------------------------------- the rules core


def applicant_of(dossier: Dossier) -> Applicant:
    """The lead collectivité as the rules see it, with the population a reviewer corrected."""
    applicant = to_applicant(
        dossier.applicant_kind, dossier.applicant_code, dossier.call.reference_vintage
    )
    if dossier.population_justification and dossier.population_used is not None:
        applicant = dataclasses.replace(applicant, population=dossier.population_used)
    return applicant


def partners_of(dossier: Dossier) -> tuple[Applicant, ...]:
    vintage = dossier.call.reference_vintage
    return tuple(to_applicant(p.kind, p.code, vintage) for p in dossier.partners.all())


def verdict(dossier: Dossier, *, submitted_at: dt.datetime | None = None) -> Verdict:
    """The rules core's verdict on the dossier as it stands (at ``submitted_at`` when given)."""
    project = Project(
        cost=dossier.total_cost,
        category=dossier.category or None,
        submitted_at=submitted_at or dossier.submitted_at,
        engaged_on=dossier.engagement_date,
        partners=partners_of(dossier),
    )
    return evaluate(dossier.call.rules, applicant_of(dossier), project)


def maximum_for(dossier: Dossier) -> Decimal | None:
    """The largest amount the rules allow for the dossier's current cost, or None if unknown."""
    v = verdict(dossier, submitted_at=None)
    cost = dossier.total_cost
    if cost is None or v.flat_tier is None:
        return None
    return min(v.flat_amount, cost)


# ---------------------------------------------------------------- creating and editing


def create_draft(user: User, call: Call, *, kind: str, code: str) -> Dossier:
    """A new draft for the collectivité ``kind:code``, with ``user`` as its owner."""
    try:
        applicant = to_applicant(kind, code, call.reference_vintage)
    except UnknownCollectivity as exc:
        raise NotEditable(str(exc)) from None
    with transaction.atomic():
        dossier = Dossier.objects.create(
            call=call,
            created_by=user,
            applicant_kind=kind,
            applicant_code=code,
            applicant_name=applicant.name,
            applicant_vintage=call.reference_vintage,
            population_used=applicant.population,
            contact_name=user.get_full_name(),
            contact_email=user.email,
        )
        Membership.objects.create(dossier=dossier, user=user, role=MemberRole.OWNER)
        _event(dossier, user, EventKind.CREATED, "Dossier créé")
    return dossier


def _require_editable(dossier: Dossier, actor: Actor) -> None:
    if actor is not Actor.APPLICANT:
        raise NotEditable("Seule l’équipe du dossier peut le modifier.")
    if dossier.state_enum not in EDITABLE_BY_APPLICANT:
        raise NotEditable(
            f"Le dossier est à l’état « {dossier.state_label} » : il ne peut plus être modifié."
        )


def _display(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, Decimal):
        return format_euros(value)
    if isinstance(value, dt.date):
        return french_date(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    return str(value)


def update(
    dossier: Dossier, user: User, actor: Actor, values: dict[str, Any]
) -> dict[str, list[str]]:
    """Save these field values. After submission, every change is recorded in the history.

    Returns the changes as {field label: [before, after]}.
    """
    _require_editable(dossier, actor)
    changes: dict[str, list[str]] = {}
    with transaction.atomic():
        locked = Dossier.objects.select_for_update().get(pk=dossier.pk)
        _require_editable(locked, actor)
        for name, value in values.items():
            before = getattr(locked, name)
            if before != value:
                label = str(Dossier._meta.get_field(name).verbose_name)
                changes[label[:1].upper() + label[1:]] = [_display(before), _display(value)]
                setattr(locked, name, value)
                setattr(dossier, name, value)
        locked.save()
        dossier.saved_at = locked.saved_at
        if changes and locked.state != State.DRAFT:
            _event(locked, user, EventKind.EDITED, "Dossier modifié après dépôt", changes=changes)
    return changes


def replace_cost_lines(
    dossier: Dossier, user: User, actor: Actor, lines: list[dict[str, Any]]
) -> None:
    """The budget's cost lines become exactly ``lines`` (dicts of CostLine fields)."""
    _require_editable(dossier, actor)
    with transaction.atomic():
        locked = Dossier.objects.select_for_update().get(pk=dossier.pk)
        _require_editable(locked, actor)
        before = [_line_text(line.__dict__) for line in locked.cost_lines.all()]
        after = [_line_text(line) for line in lines]
        if before == after:
            return
        locked.cost_lines.all().delete()
        CostLine.objects.bulk_create(CostLine(dossier=locked, **line) for line in lines)
        locked.save(update_fields=["saved_at"])
        if locked.state != State.DRAFT:
            _event(
                locked, user, EventKind.EDITED, "Budget modifié après dépôt",
                changes={"Lignes de dépense": ["; ".join(before) or "—", "; ".join(after) or "—"]},
            )  # fmt: skip
    if hasattr(dossier, "_prefetched_objects_cache"):
        dossier._prefetched_objects_cache.pop("cost_lines", None)


def _line_text(line: dict[str, Any]) -> str:
    supplier = f" ({line['supplier']})" if line.get("supplier") else ""
    return f"{line['nature']}{supplier} : {format_euros(Decimal(line['amount_excl_vat']))} HT"


def replace_partners(
    dossier: Dossier, user: User, actor: Actor, partners: list[dict[str, str]]
) -> None:
    """The joint project's partners become exactly ``partners`` (kind, code, role)."""
    _require_editable(dossier, actor)
    vintage = dossier.call.reference_vintage
    rows = []
    for p in partners:
        applicant = to_applicant(p["kind"], p["code"], vintage)
        rows.append(
            Partner(
                dossier=dossier, kind=p["kind"], code=p["code"], name=applicant.name, role=p["role"]
            )
        )
    with transaction.atomic():
        locked = Dossier.objects.select_for_update().get(pk=dossier.pk)
        _require_editable(locked, actor)
        before = [f"{p.name} ({p.get_role_display()})" for p in locked.partners.all()]
        after = [f"{p.name} ({p.get_role_display()})" for p in rows]
        if before == after:
            return
        locked.partners.all().delete()
        Partner.objects.bulk_create(rows)
        locked.save(update_fields=["saved_at"])
        if locked.state != State.DRAFT:
            _event(
                locked, user, EventKind.EDITED, "Partenaires modifiés après dépôt",
                changes={"Partenaires": ["; ".join(before) or "—", "; ".join(after) or "—"]},
            )  # fmt: skip
    if hasattr(dossier, "_prefetched_objects_cache"):
        dossier._prefetched_objects_cache.pop("partners", None)


# ---------------------------------------------------------------- submission

# Fields the team must fill before submitting, by step, with the message shown at the field.
REQUIRED: tuple[tuple[str, str, str], ...] = (
    (
        "porteur",
        "siret",
        "Indiquez le SIRET de l’établissement de la collectivité (il est publié avec la "
        "subvention).",
    ),
    ("porteur", "contact_name", "Indiquez le nom du contact opérationnel."),
    ("porteur", "contact_function", "Indiquez la fonction du contact opérationnel."),
    ("porteur", "contact_email", "Indiquez le courriel du contact opérationnel."),
    ("porteur", "contact_phone", "Indiquez le téléphone du contact opérationnel."),
    ("projet", "title", "Donnez un intitulé au projet."),
    ("projet", "summary", "Résumez le projet."),
    ("projet", "category", "Choisissez la catégorie du projet."),
    ("projet", "description", "Décrivez le projet."),
    (
        "projet",
        "daily_life_effect",
        "Décrivez l’effet attendu sur la vie quotidienne des habitants.",
    ),
    (
        "projet",
        "participatory",
        "Dites si le besoin a été identifié par une démarche participative.",
    ),
    ("projet", "innovation", "Dites ce que le projet a d’innovant."),
    ("projet", "solution_choice", "Expliquez le choix de cette solution numérique."),
    ("projet", "agents_reached", "Indiquez le nombre d’agents formés ou équipés."),
    ("projet", "users_reached", "Indiquez le nombre d’usagers touchés."),
    ("projet", "governance", "Décrivez la gouvernance du projet."),
    ("budget", "requested_amount", "Indiquez le montant demandé."),
    ("calendrier", "engagement_date", "Indiquez la date d’engagement, prévue ou réelle."),
    ("calendrier", "end_date", "Indiquez la date de fin du projet."),
)

# Rules whose failure is shown at a field of the form rather than as a general refusal.
RULE_FIELDS: dict[str, tuple[str, str]] = {
    "CAT": ("projet", "category"),
    "COST-FLOOR": ("budget", "cost_lines"),
    "ENGAGEMENT": ("calendrier", "engagement_date"),
    "DEADLINE": ("recapitulatif", "submit"),
    "SESSIONS": ("recapitulatif", "submit"),
}


def applicant_siren(dossier: Dossier) -> str:
    """The collectivité's SIREN: an EPCI's (or any non-commune's 9-digit) code is its SIREN; a
    commune's comes from the reference data of the dossier's vintage; '' when unknown (the
    SIRET's first nine digits are then not checked)."""
    from guichet.territories.models import Commune

    code = dossier.applicant_code
    if dossier.applicant_kind != "commune":
        return code if len(code) == 9 and code.isdigit() else ""
    return (
        Commune.objects.filter(vintage=dossier.applicant_vintage, insee_code=code)
        .values_list("siren", flat=True)
        .first()
        or ""
    )


def problems(dossier: Dossier, *, at: dt.datetime | None = None) -> list[Problem]:
    """Everything that prevents submitting the dossier now (or at ``at``)."""
    found: list[Problem] = []
    for step, name, message in REQUIRED:
        value = getattr(dossier, name)
        if value is None or value == "":
            found.append(Problem(step, name, message))
    if dossier.participatory and not dossier.participatory_how.strip():
        found.append(Problem("projet", "participatory_how", "Décrivez la démarche participative."))
    if dossier.total_cost is None:
        found.append(Problem("budget", "cost_lines", "Ajoutez au moins une ligne de dépense."))
    found.extend(attachment_problems(dossier))
    if not dossier.sworn_statement:
        found.append(
            Problem("recapitulatif", "sworn_statement", "Cochez la déclaration sur l’honneur.")
        )
    v = verdict(dossier, submitted_at=at or clock.now())
    for check in v.checks:
        if check.status is Status.FAILED:
            step, name = RULE_FIELDS.get(
                check.rule.split("-")[0] if check.rule.startswith("CAT") else check.rule,
                ("recapitulatif", "verdict"),
            )
            found.append(Problem(step, name, check.message))
    maximum = maximum_for(dossier)
    if (
        dossier.requested_amount is not None
        and maximum is not None
        and dossier.requested_amount > maximum
    ):
        found.append(
            Problem(
                "budget", "requested_amount",
                f"Le montant demandé dépasse le maximum permis par l’appel : {format_euros(maximum)}.",
            )
        )  # fmt: skip
    return found


def attachment_problems(dossier: Dossier) -> list[Problem]:
    from .attachments import missing_required_pieces

    return [Problem("pieces", kind, message) for kind, message in missing_required_pieces(dossier)]


def _next_number(call: Call) -> str:
    SubmissionCounter.objects.get_or_create(call=call)
    counter = SubmissionCounter.objects.select_for_update().get(call=call)
    counter.last += 1
    counter.save(update_fields=["last"])
    prefix = "DEMO-" if call.is_demo else ""
    return f"{prefix}{call.departement_code}-{call.opens_on.year}-{counter.last:04d}"


def submit(dossier: Dossier, user: User) -> Dossier:
    """Submit a draft: checked, numbered, attached to its collection session, receipt sent.

    Idempotent: a second click, or a second tab, finds the dossier already submitted and returns it
    as it is, without a second number nor a second receipt.
    """
    with transaction.atomic():
        locked = (
            Dossier.objects.select_for_update(of=("self",))
            .select_related("call")
            .get(pk=dossier.pk)
        )
        actor = actor_for(user, locked)
        if actor is None:
            raise DossierNotFound
        if locked.state != State.DRAFT and locked.submitted_at is not None:
            return locked
        find(Action.SUBMIT, locked.state_enum, actor)
        now = clock.now()
        found = problems(locked, at=now)
        if found:
            raise SubmissionRefused(found)
        v = verdict(locked, submitted_at=now)
        assert v.session is not None  # guaranteed by the SESSIONS check passing
        _record_submission(locked, user, actor, v, now, "Dossier déposé")
        notifications.dossier_submitted(locked)
    return locked


def _record_submission(
    locked: Dossier,
    user: User | None,
    actor: Actor,
    v: Verdict,
    now: dt.datetime,
    summary: str,
    **event_fields: Any,
) -> None:
    """Number, session, verdict, arrondissement, the state and routing: what every submission
    records, whether typed here (``submit``) or deposited elsewhere (``submit_imported``)."""
    assert v.session is not None
    locked.session = CollectionSession.objects.get(call=locked.call, date=v.session.date)
    locked.number = _next_number(locked.call)
    locked.submitted_at = now
    locked.eligible_at_submission = v.eligible
    locked.maximum_amount = v.amount
    locked.flat_amount = v.flat_amount
    locked.population_used = v.applicant.population
    locked.arrondissement_code = _arrondissement(locked)
    _apply(locked, user, Action.SUBMIT, actor, summary, **event_fields)
    # Upwards: routing belongs to the review app, which imports this module.
    from guichet.review.services import route

    route(locked)


def submit_imported(
    dossier: Dossier, *, submitted_at: dt.datetime, summary: str, actor_label: str
) -> Dossier:
    """Submit a dossier deposited on another platform (Démarches Simplifiées), as of the date it
    was deposited there: the same number, session, verdict, arrondissement and routing as
    ``submit``, so it is reviewed like the others.

    No team stands behind it (the import creates it), so nobody's rights are checked here: the
    import command is the préfecture's. The submission's gate (``problems``) is not applied: the
    other platform's form had its own required champs, and what guichet's rules say (late,
    ineligible) is kept in the verdict for the reviewers, as for any dossier. No receipt is sent:
    the applicant got the other platform's. Raises ``SubmissionRefused`` only when no collection
    session follows the deposit (a submitted dossier must belong to one).
    """
    with transaction.atomic():
        locked = (
            Dossier.objects.select_for_update(of=("self",))
            .select_related("call")
            .get(pk=dossier.pk)
        )
        if locked.state != State.DRAFT:
            return locked
        v = verdict(locked, submitted_at=submitted_at)
        if v.session is None:
            message = next(c.message for c in v.checks if c.rule == "SESSIONS")
            raise SubmissionRefused([Problem("recapitulatif", "submit", message)])
        _record_submission(
            locked, None, Actor.APPLICANT, v, submitted_at, summary, actor_label=actor_label
        )
    return locked


def withdraw_imported(dossier: Dossier, *, summary: str, reason: str, actor_label: str) -> Dossier:
    """An imported dossier deleted on its platform: withdrawn (never deleted), with the reason.
    ``TransitionRefused`` once the committee has it (the state table decides)."""
    with transaction.atomic():
        locked = (
            Dossier.objects.select_for_update(of=("self",))
            .select_related("call")
            .get(pk=dossier.pk)
        )
        if locked.state == State.WITHDRAWN:
            return locked
        locked.withdrawn_at = clock.now()
        _apply(
            locked, None, Action.WITHDRAW, Actor.APPLICANT, summary, reason,
            actor_label=actor_label,
        )  # fmt: skip
    return locked


def _arrondissement(dossier: Dossier) -> str:
    """The arrondissement whose reviewers instruct the dossier ('' for the préfecture's team)."""
    from guichet.territories.models import Commune, Epci

    vintage = dossier.call.reference_vintage
    insee = None
    if dossier.applicant_kind == "commune":
        insee = dossier.applicant_code
    elif dossier.applicant_kind in {"epci", "metropole"}:
        epci = Epci.objects.filter(vintage=vintage, siren=dossier.applicant_code).first()
        insee = epci.seat_insee if epci else None
    if not insee:
        return ""
    commune = Commune.objects.filter(vintage=vintage, insee_code=insee).first()
    return commune.arrondissement_code if commune else ""


# ---------------------------------------------------------------- the other transitions


def _apply(
    dossier: Dossier,
    user: User | None,
    action: Action,
    actor: Actor,
    summary: str,
    message: str = "",
    **event_fields: Any,
) -> None:
    transition = find(action, dossier.state_enum, actor)
    before = dossier.state
    dossier.state = transition.target
    dossier.save()
    _event(
        dossier, user, EventKind.TRANSITION, summary, message=message,
        action=action.value, from_state=before, to_state=transition.target.value, **event_fields,
    )  # fmt: skip


def _transition(
    dossier: Dossier, user: User, action: Action, summary: str, message: str = ""
) -> Dossier:
    with transaction.atomic():
        locked = (
            Dossier.objects.select_for_update(of=("self",))
            .select_related("call")
            .get(pk=dossier.pk)
        )
        actor = actor_for(user, locked)
        if actor is None:
            raise DossierNotFound
        now = clock.now()
        if action is Action.WITHDRAW:
            locked.withdrawn_at = now
        if action is Action.START_REVIEW:
            locked.review_started_at = now
        if action is Action.REQUEST_CORRECTION and locked.review_started_at is None:
            locked.review_started_at = now
        _apply(locked, user, action, actor, summary, message)
    return locked


def withdraw(dossier: Dossier, user: User, reason: str = "") -> Dossier:
    locked = _transition(dossier, user, Action.WITHDRAW, "Dossier retiré par le porteur", reason)
    if locked.submitted_at:
        transaction.on_commit(lambda: notifications.dossier_withdrawn(locked))
    return locked


def start_review(dossier: Dossier, user: User) -> Dossier:
    return _transition(dossier, user, Action.START_REVIEW, "Instruction commencée")


def request_correction(dossier: Dossier, user: User, message: str) -> Dossier:
    if not message.strip():
        raise TransitionRefused("Expliquez au porteur ce qu’il doit corriger.")
    locked = _transition(dossier, user, Action.REQUEST_CORRECTION, "Corrections demandées", message)
    notifications.correction_requested(locked, message)
    return locked


def resubmit(dossier: Dossier, user: User) -> Dossier:
    def check(locked: Dossier) -> Actor:
        found = [p for p in problems(locked, at=locked.submitted_at) if p.field != "submit"]
        if found:
            raise SubmissionRefused(found)
        actor = actor_for(user, locked)
        if actor is None:
            raise DossierNotFound
        return actor

    return _resubmit(dossier, user, check, "Dossier corrigé renvoyé")


def resubmit_imported(dossier: Dossier, *, summary: str, actor_label: str) -> Dossier:
    """An imported dossier corrected on its platform (Démarches Simplifiées) goes back to its
    reviewers, as ``resubmit`` does. As for ``submit_imported``, no gate (``problems``) and no
    rights are checked: the import is the préfecture's, and the other platform's form had its
    own required champs. The reviewers are told; the team, if one joined, too."""
    return _resubmit(
        dossier, None, lambda locked: Actor.APPLICANT, summary, actor_label=actor_label
    )


def _resubmit(
    dossier: Dossier,
    user: User | None,
    check: Callable[[Dossier], Actor],
    summary: str,
    **event_fields: Any,
) -> Dossier:
    """What every resubmission does: locked, idempotent (a second click finds it in review),
    checked (``check`` gives the actor or raises), the transition, the e-mails."""
    with transaction.atomic():
        locked = (
            Dossier.objects.select_for_update(of=("self",))
            .select_related("call")
            .get(pk=dossier.pk)
        )
        if locked.state == State.IN_REVIEW:
            return locked  # a second click
        actor = check(locked)
        _apply(locked, user, Action.RESUBMIT, actor, summary, **event_fields)
        notifications.dossier_resubmitted(locked)
    return locked


# ---------------------------------------------------------------- team and messages


def post_message(dossier: Dossier, user: User, body: str, files: list[Any] = ()) -> Message:  # type: ignore[assignment]
    actor = actor_for(user, dossier)
    if actor is None:
        raise DossierNotFound
    body = body.strip()
    if not body:
        raise NotEditable("Écrivez un message.")
    from .attachments import attach_to_message

    with transaction.atomic():
        message = Message.objects.create(
            dossier=dossier,
            author=user,
            from_applicant=actor is Actor.APPLICANT,
            body=body,
            sent_at=clock.now(),
        )
        for f in files:
            attach_to_message(message, f, user)
        _event(dossier, user, EventKind.MESSAGE, "Message envoyé")
        notifications.message_posted(message)
    return message


def invite(dossier: Dossier, user: User, email: str) -> Invitation:
    actor = actor_for(user, dossier)
    if actor is not Actor.APPLICANT:
        raise DossierNotFound
    email = email.strip().lower()
    if dossier.memberships.filter(user__email__iexact=email).exists():
        raise NotEditable("Cette personne fait déjà partie de l’équipe du dossier.")
    with transaction.atomic():
        invitation = Invitation.objects.create(dossier=dossier, email=email, invited_by=user)
        _event(dossier, user, EventKind.INVITATION, f"Invitation envoyée à {email}")
        notifications.invitation_sent(invitation)
    return invitation


def invite_contact(dossier: Dossier, agent: User, email: str) -> Invitation:
    """An agent invites the contact of a dossier that has no team on guichet (one imported from
    Démarches Simplifiées) to join it: the first to accept becomes its owner, and can then follow
    the dossier, answer corrections, prove the engagement and ask for payments. The caller checks
    the agent's right (``Do.MESSAGE``: who may write to the applicant)."""
    email = email.strip().lower()
    with transaction.atomic():
        locked = Dossier.objects.select_for_update(of=("self",)).get(pk=dossier.pk)
        if locked.memberships.exists():
            raise NotEditable(
                "Ce dossier a déjà son équipe sur guichet : c’est à elle d’inviter ses collègues."
            )
        invitation = Invitation.objects.create(dossier=locked, email=email, invited_by=agent)
        _event(
            locked, agent, EventKind.INVITATION,
            f"Invitation à rejoindre le dossier envoyée au porteur ({email})",
        )  # fmt: skip
        notifications.invitation_sent(invitation)
    return invitation


INVITATION_DAYS = 14


def accept_invitation(token: Any, user: User) -> Dossier:
    """Join the dossier's team. The invitation is for one e-mail address, valid 14 days, once."""
    with transaction.atomic():
        try:
            invitation = (
                Invitation.objects.select_for_update(of=("self",))
                .select_related("dossier")
                .get(token=token)
            )
        except (Invitation.DoesNotExist, ValueError, TypeError, ValidationError):
            raise DossierNotFound from None
        if invitation.email.lower() != user.email.lower():
            raise NotEditable(
                "Cette invitation a été envoyée à une autre adresse électronique que la vôtre."
            )
        if invitation.accepted_at is None and clock.now() - invitation.created_at > dt.timedelta(
            days=INVITATION_DAYS
        ):
            raise NotEditable("Cette invitation a expiré : demandez-en une nouvelle.")
        dossier = invitation.dossier
        if invitation.accepted_at is None:
            invitation.accepted_at = clock.now()
            invitation.accepted_by = user
            invitation.save(update_fields=["accepted_at", "accepted_by"])
            # A dossier without a team (imported) gets its owner from the first who joins.
            role = MemberRole.COLLEAGUE if dossier.memberships.exists() else MemberRole.OWNER
            try:
                with transaction.atomic():
                    Membership.objects.create(dossier=dossier, user=user, role=role)
            except IntegrityError:
                pass  # already a member
            else:
                _event(
                    dossier, user, EventKind.MEMBER, f"{user.email} a rejoint l’équipe du dossier"
                )
    return dossier


def _event(dossier: Dossier, user: User | None, kind: str, summary: str, **fields: Any) -> Event:
    return Event.objects.create(
        dossier=dossier, actor=user, at=clock.now(), kind=kind, summary=summary, **fields
    )


# ---------------------------------------------------------------- the committee


def propose(dossier: Dossier, user: User, message: str = "") -> Dossier:
    """A reviewer puts the dossier before the selection committee."""
    return _transition(dossier, user, Action.PROPOSE, "Dossier proposé au comité", message)


def record_committee_decision(
    dossier: Dossier, user: User, action: Action, summary: str, message: str = ""
) -> Dossier:
    """The committee's decision on the dossier takes effect (retained, refused, postponed, put on
    the waiting list). Called only by ``committee.services.close_meeting``, which checks that
    ``user`` chairs the meeting, inside its transaction; the state table checks the move."""
    if action is Action.REFUSE and not message.strip():
        raise TransitionRefused("Expliquez au porteur pourquoi le dossier est refusé.")
    with transaction.atomic():
        locked = (
            Dossier.objects.select_for_update(of=("self",))
            .select_related("call")
            .get(pk=dossier.pk)
        )
        _apply(locked, user, action, Actor.COMMITTEE, summary, message)
    return locked


# ---------------------------------------------------------------- after the decision


def record_post_award(
    dossier: Dossier, user: User | None, action: Action, summary: str, message: str = ""
) -> Dossier:
    """A granted dossier moves after its decision (engagement validated, paid in part or in full,
    lapsed). Called only by ``grants.postaward``, which checks the agent's permission and the
    grant's money inside its transaction; the state table checks the move. A repeated move to
    the state the dossier is already in (a second payment in part) only records the event."""
    with transaction.atomic():
        locked = (
            Dossier.objects.select_for_update(of=("self",))
            .select_related("call")
            .get(pk=dossier.pk)
        )
        transition = find(action, locked.state_enum, Actor.REVIEWER)
        before = locked.state
        if locked.state != transition.target:
            locked.state = transition.target
            locked.save(update_fields=["state", "saved_at"])
        _event(
            locked, user, EventKind.TRANSITION, summary, message=message,
            action=action.value, from_state=before, to_state=transition.target.value,
        )  # fmt: skip
    return locked


def post_award_event(
    dossier: Dossier, user: User | None, kind: str, summary: str, message: str = ""
) -> Event:
    """A line of the grant's life in the dossier's history (a proof given, a request made…)."""
    return _event(dossier, user, kind, summary, message=message)
