"""The verdict on one project for one call: every rule checked, the maximum grant computed.

``evaluate`` is pure: it takes the call's parameters, the applicant (and partners) and what is
known of the project, and returns a ``Verdict``. A check whose input is missing is
``not_evaluated``; only ``failed`` checks make a project ineligible.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from .applicant import Applicant, ApplicantKind
from .money import format_euros, format_int
from .parameters import CallRules, CollectionSessionRule, FlatAmountTier
from .timing import french_date, french_datetime, local_date, session_for


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_EVALUATED = "not_evaluated"

    @property
    def label(self) -> str:
        return {"passed": "Respecté", "failed": "Non respecté", "not_evaluated": "À vérifier"}[
            self.value
        ]


@dataclass(frozen=True, slots=True)
class Check:
    rule: str
    status: Status
    message: str
    title: str = ""
    quote: str = ""


@dataclass(frozen=True)
class Project:
    """What is known of a project. Every field may be missing, as in an early simulation."""

    cost: Decimal | None = None
    category: str | None = None
    submitted_at: dt.datetime | None = None
    engaged_on: dt.date | None = None
    partners: tuple[Applicant, ...] = ()


@dataclass(frozen=True)
class Verdict:
    call_slug: str
    applicant: Applicant
    checks: tuple[Check, ...]
    flat_amount: Decimal
    amount: Decimal
    flat_tier: FlatAmountTier | None = None
    session: CollectionSessionRule | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def eligible(self) -> bool:
        return not any(c.status is Status.FAILED for c in self.checks)

    @property
    def complete(self) -> bool:
        return not any(c.status is Status.NOT_EVALUATED for c in self.checks)

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.status is Status.FAILED)

    def check(self, rule: str) -> Check | None:
        return next((c for c in self.checks if c.rule == rule), None)


def _check(call: CallRules, rule: str, status: Status, message: str) -> Check:
    text = call.rules.get(rule)
    return Check(
        rule=rule,
        status=status,
        message=message,
        title=text.title if text else "",
        quote=text.quote if text else "",
    )


def _who(applicant: Applicant) -> str:
    """« Billom (commune) »; a name that already says its kind (« Une association ») alone."""
    named = applicant.kind_label.lower() in applicant.name.lower().split()
    if applicant.kind is ApplicantKind.OTHER and named:
        return applicant.name
    return f"{applicant.name} ({applicant.kind_label})"


def _kinds_sentence(call: CallRules) -> str:
    order = [k for k in ApplicantKind if k in call.eligible_kinds]
    labels = [k.label for k in order]
    if len(labels) == 1:
        return labels[0]
    return ", ".join(labels[:-1]) + " ou " + labels[-1]


def kind_ok(call: CallRules, applicant: Applicant) -> bool:
    return applicant.kind in call.eligible_kinds


def territory_ok(call: CallRules, applicant: Applicant) -> bool:
    return call.departement in applicant.departements


def size_ok(call: CallRules, applicant: Applicant) -> bool | None:
    if call.population_below is None:
        return True
    if applicant.population is None:
        return None
    return applicant.population < call.population_below


def check_kind(call: CallRules, applicant: Applicant) -> Check:
    if kind_ok(call, applicant):
        msg = f"{_who(applicant)} fait partie des structures pouvant candidater."
        return _check(call, "ELIG-KIND", Status.PASSED, msg)
    msg = (
        f"{_who(applicant)} ne peut pas candidater : seules une {_kinds_sentence(call)} le peuvent."
    )
    return _check(call, "ELIG-KIND", Status.FAILED, msg)


def check_size(call: CallRules, applicant: Applicant) -> Check | None:
    if call.population_below is None:
        return None
    limit = format_int(call.population_below)
    ok = size_ok(call, applicant)
    if ok is None:
        msg = f"La population de {applicant.name} n'est pas connue : plafond de {limit} habitants."
        return _check(call, "ELIG-SIZE", Status.NOT_EVALUATED, msg)
    pop = format_int(applicant.population or 0)
    if ok:
        msg = f"{applicant.name} compte {pop} habitants, moins que le plafond de {limit}."
        return _check(call, "ELIG-SIZE", Status.PASSED, msg)
    msg = f"{applicant.name} compte {pop} habitants : l'appel est réservé aux moins de {limit}."
    return _check(call, "ELIG-SIZE", Status.FAILED, msg)


def check_territory(call: CallRules, applicant: Applicant) -> Check:
    if applicant.kind is ApplicantKind.OTHER:
        msg = f"{_who(applicant)} n'est pas une collectivité du référentiel : territoire inconnu."
        return _check(call, "ELIG-TERRITORY", Status.NOT_EVALUATED, msg)
    if territory_ok(call, applicant):
        msg = f"{applicant.name} est située dans le département {call.departement} de l'appel."
        return _check(call, "ELIG-TERRITORY", Status.PASSED, msg)
    where = ", ".join(sorted(applicant.departements)) or "aucun"
    msg = (
        f"{applicant.name} n'est pas située dans le département {call.departement} "
        f"(département(s) : {where}) : cet appel est réservé aux collectivités de ce département."
    )
    return _check(call, "ELIG-TERRITORY", Status.FAILED, msg)


def check_joint(call: CallRules, partners: tuple[Applicant, ...]) -> Check | None:
    if not partners:
        return None
    problems = []
    for p in partners:
        if not kind_ok(call, p):
            problems.append(f"{_who(p)} ne peut pas être associée")
        elif not territory_ok(call, p):
            problems.append(f"{p.name} est hors du département {call.departement}")
        elif size_ok(call, p) is False:
            problems.append(f"{p.name} dépasse le plafond de population")
    if problems:
        msg = "Structures associées non éligibles : " + " ; ".join(problems) + "."
        return _check(call, "JOINT", Status.FAILED, msg)
    names = ", ".join(p.name for p in partners)
    msg = (
        f"Projet commun avec {names} : toutes les structures associées sont éligibles ; "
        "le forfait suit la structure porteuse."
    )
    return _check(call, "JOINT", Status.PASSED, msg)


def check_category(call: CallRules, category: str | None) -> Check:
    if category is None or category == "":
        titles = " ; ".join(f"{c.code}. {c.title}" for c in call.categories)
        return Check(
            rule="CAT",
            status=Status.NOT_EVALUATED,
            message=f"Type de projet non précisé. Types finançables : {titles}.",
            title="Type de projet",
        )
    found = call.category(category)
    if found is None:
        codes = ", ".join(c.code for c in call.categories)
        return Check(
            rule="CAT",
            status=Status.FAILED,
            message=f"Le type de projet « {category} » n'existe pas dans cet appel ({codes}).",
            title="Type de projet",
        )
    return _check(call, found.rule_id, Status.PASSED, f"Type {found.code} : {found.title}.")


def check_cost(call: CallRules, cost: Decimal | None) -> Check:
    floor = format_euros(call.cost_floor)
    if cost is None:
        msg = f"Coût du projet non renseigné : il doit atteindre au moins {floor}."
        return _check(call, "COST-FLOOR", Status.NOT_EVALUATED, msg)
    if cost < call.cost_floor:
        msg = f"Le coût global de {format_euros(cost)} est inférieur au plancher de {floor}."
        return _check(call, "COST-FLOOR", Status.FAILED, msg)
    if call.cost_ceiling is not None and cost > call.cost_ceiling:
        msg = (
            f"Le coût global de {format_euros(cost)} dépasse le plafond de "
            f"{format_euros(call.cost_ceiling)}."
        )
        return _check(call, "COST-FLOOR", Status.FAILED, msg)
    msg = f"Le coût global de {format_euros(cost)} atteint le plancher de {floor}."
    return _check(call, "COST-FLOOR", Status.PASSED, msg)


def check_deadline(call: CallRules, submitted_at: dt.datetime | None) -> Check:
    deadline = f"{french_date(call.deadline)} à 23:59:59 (heure de Paris)"
    if submitted_at is None:
        msg = f"Date de dépôt non renseignée : les dossiers sont reçus jusqu'au {deadline}."
        return _check(call, "DEADLINE", Status.NOT_EVALUATED, msg)
    day = local_date(submitted_at, call.timezone)
    when = french_datetime(submitted_at, call.timezone)
    if day < call.opens_on:
        msg = f"Dépôt le {when}, avant l'ouverture de l'appel le {french_date(call.opens_on)}."
        return _check(call, "DEADLINE", Status.FAILED, msg)
    if day > call.deadline:
        msg = f"Dépôt le {when}, après la date limite du {deadline}."
        return _check(call, "DEADLINE", Status.FAILED, msg)
    msg = f"Dépôt le {when}, avant la date limite du {deadline}."
    return _check(call, "DEADLINE", Status.PASSED, msg)


def check_session(
    call: CallRules, submitted_at: dt.datetime | None
) -> tuple[Check, CollectionSessionRule | None]:
    dates = " et ".join(french_date(s.date) for s in call.sessions)
    if submitted_at is None:
        msg = f"Sessions de relevé des candidatures : {dates}."
        return _check(call, "SESSIONS", Status.NOT_EVALUATED, msg), None
    session = session_for(call, submitted_at)
    if session is None:
        msg = f"Aucune session de relevé après ce dépôt (sessions : {dates})."
        return _check(call, "SESSIONS", Status.FAILED, msg), None
    msg = (
        f"Le dossier sera relevé lors de la {session.label.lower()} ({french_date(session.date)})."
    )
    return _check(call, "SESSIONS", Status.PASSED, msg), session


def check_engagement(call: CallRules, engaged_on: dt.date | None) -> Check:
    limit = french_date(call.engagement_deadline)
    if engaged_on is None:
        msg = (
            f"Date d'engagement (signature du devis ou du marché) non renseignée : "
            f"elle doit intervenir au plus tard le {limit}."
        )
        return _check(call, "ENGAGEMENT", Status.NOT_EVALUATED, msg)
    if engaged_on > call.engagement_deadline:
        msg = (
            f"Engagement prévu le {french_date(engaged_on)}, après le {limit} : "
            "le projet doit impérativement être engagé avant."
        )
        return _check(call, "ENGAGEMENT", Status.FAILED, msg)
    msg = f"Engagement le {french_date(engaged_on)}, au plus tard le {limit}."
    return _check(call, "ENGAGEMENT", Status.PASSED, msg)


def flat_tier(call: CallRules, applicant: Applicant) -> FlatAmountTier | None:
    """The first flat-amount tier that applies to the applicant (None if none, or unknown)."""
    for tier in call.flat_amounts:
        match = tier.matches(applicant.kind, applicant.population)
        if match is None:
            return None
        if match:
            return tier
    return None


def flat_amount(call: CallRules, applicant: Applicant) -> Decimal:
    tier = flat_tier(call, applicant)
    return tier.amount if tier else Decimal("0.00")


def maximum_grant(flat: Decimal, cost: Decimal | None) -> Decimal:
    """The flat amount, within the limit of the project's cost."""
    if cost is None:
        return flat
    return min(flat, cost)


def check_flat_rate(
    call: CallRules, applicant: Applicant, tier: FlatAmountTier | None, cost: Decimal | None
) -> Check:
    if tier is None:
        if kind_ok(call, applicant) and applicant.population is None:
            msg = f"Population de {applicant.name} inconnue : le forfait ne peut être déterminé."
            return _check(call, "FLAT-RATE", Status.NOT_EVALUATED, msg)
        msg = f"Aucun forfait ne s'applique à {_who(applicant)}."
        return _check(call, "FLAT-RATE", Status.NOT_EVALUATED, msg)
    pop = ""
    if applicant.population is not None:
        pop = (
            f" ({format_int(applicant.population)} habitants, population municipale INSEE "
            f"{applicant.vintage or call.reference_vintage})"
        )
    msg = f"Forfait de {format_euros(tier.amount)} : {tier.label.lower()}{pop}."
    if cost is not None and cost < tier.amount:
        msg += f" Limité au coût du projet : {format_euros(cost)}."
    return _check(call, "FLAT-RATE", Status.PASSED, msg)


def evaluate(call: CallRules, applicant: Applicant, project: Project) -> Verdict:
    """Every rule of the call applied to this applicant and project."""
    checks: list[Check] = [check_kind(call, applicant)]
    size = check_size(call, applicant)
    if size:
        checks.append(size)
    checks.append(check_territory(call, applicant))
    joint = check_joint(call, project.partners)
    if joint:
        checks.append(joint)
    checks.append(check_category(call, project.category))
    checks.append(check_cost(call, project.cost))
    checks.append(check_deadline(call, project.submitted_at))
    session_check, session = check_session(call, project.submitted_at)
    checks.append(session_check)
    checks.append(check_engagement(call, project.engaged_on))
    tier = flat_tier(call, applicant)
    checks.append(check_flat_rate(call, applicant, tier, project.cost))

    flat = tier.amount if tier else Decimal("0.00")
    eligible = not any(c.status is Status.FAILED for c in checks)
    amount = maximum_grant(flat, project.cost) if eligible else Decimal("0.00")
    notes = []
    if eligible and project.cost and amount:
        rate = (amount / project.cost * 100).quantize(Decimal("0.1"))
        notes.append(f"Taux de financement : {str(rate).replace('.', ',')} % du coût du projet.")
        if amount == project.cost and "FULL-RATE" in call.rules:
            notes.append("Le projet est financé à 100 % de son coût.")
    return Verdict(
        call_slug=call.slug,
        applicant=applicant,
        checks=tuple(checks),
        flat_amount=flat,
        amount=amount,
        flat_tier=tier,
        session=session,
        notes=tuple(notes),
    )
