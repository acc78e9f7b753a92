"""The demo's living window: about sixty dossiers of real Puy-de-Dôme collectivités, in every state,
and the selection committee at work on them.

``create()`` deletes the dossiers that demo accounts (``@demo.guichet.fr``) made on the demo call,
with the committee's meetings, grants (and their proofs, requests, payments) and ledger lines that
the previous demo wrote for them,
then builds them again through the services, as the applicants, the reviewer, the programme
manager and the committee would have, with the clock moved back to the moment of each step:
between the call's opening and now, never after the deadline. A first meeting of the committee,
a few days ago, decided ten dossiers (retained, one with a reduced amount, refused, postponed,
on the waiting list) and committed their grants in the envelopes' ledger when it was closed; a
second one, convened for the coming days, has the postponed dossier and the dossiers proposed
since on its frozen agenda. The first meeting's grants have lived since (``Builder.post_award``):
engagements validated, a proof waiting, an advance paid, a balance checked and awaiting its
certification, a grant paid off and closed. No grant lapses: the demo call's engagement deadline
is moved with its dates, always ahead. The same seed gives the same collectivités, projects,
marks, decisions and amounts.

The e-mails of this made-up history (convocations included) are not sent. The receipts follow
the tasks backend: rendered when the transaction commits with the immediate backend, queued for
``db_worker`` with the database backend.

The prose (names, functions, projects, messages, the documents' lines, the committee's reasons)
is data, in ``texts.yaml`` beside this file; this module only decides who gets what, and when.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import random
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils.text import slugify
from PIL import Image, ImageDraw

from guichet import clock
from guichet.accounts.models import User
from guichet.calls.models import Call, Envelope
from guichet.committee import services as committee
from guichet.committee.models import Meeting, MeetingDocument, MeetingStatus, Outcome, VoteChoice
from guichet.committee.services import DecisionInput
from guichet.dossiers import services
from guichet.dossiers.attachments import add_piece
from guichet.dossiers.models import (
    Attachment,
    Dossier,
    Membership,
    MessageAttachment,
    PartnerRole,
    PieceKind,
    SubmissionCounter,
)
from guichet.dossiers.workflow import Actor, State
from guichet.grants import postaward
from guichet.grants import services as grants
from guichet.grants.models import (
    EngagementProof,
    EntryKind,
    Grant,
    GrantDocument,
    GrantStatus,
    LedgerEntry,
    LegalCommitment,
    Payment,
    PaymentRequest,
    RequestPiece,
)
from guichet.grants.postaward import ExpenseInput
from guichet.review import services as review
from guichet.review.models import OpinionKind, Role
from guichet.review.services import ScoreInput
from guichet.rules import postaward as post_award_rules
from guichet.rules.money import format_euros
from guichet.rules.postaward import PaymentKind
from guichet.rules.siret import establishment_siret
from guichet.territories.models import Commune, Departement, Epci

DEMO_CALL = "demo-fitn7-axe3-puy-de-dome"
DEMO_DOMAIN = "demo.guichet.fr"
PASSWORD = "Demo-guichet-2026!"
REVIEWER_EMAIL = f"instructrice@{DEMO_DOMAIN}"
SEED = 63

# How many dossiers end in each state (61 in all, one per collectivité of ``pick_targets``).
PLAN: tuple[tuple[State, int], ...] = (
    (State.DRAFT, 10),
    (State.SUBMITTED, 18),
    (State.IN_REVIEW, 9),
    (State.CORRECTION_REQUESTED, 6),
    (State.PROPOSED, 5),
    (State.ACCEPTED, 5),
    (State.REFUSED, 2),
    (State.POSTPONED, 1),
    (State.WAITING_LIST, 2),
    (State.WITHDRAWN, 3),
)
# The states the first (closed) meeting of the committee leaves its dossiers in; the dossiers
# still « proposés » are on the second (convened) meeting's agenda, with the postponed one.
DECIDED = frozenset({State.ACCEPTED, State.REFUSED, State.POSTPONED, State.WAITING_LIST})
PROPOSED_OR_DECIDED = DECIDED | {State.PROPOSED}
REVIEWED = PROPOSED_OR_DECIDED | {State.IN_REVIEW, State.CORRECTION_REQUESTED}

# The chief towns of the five arrondissements, then how many other communes each one gets.
CHIEF_TOWNS = (
    "63003",
    "63113",
    "63178",
    "63300",
    "63430",
)  # Ambert, Clermont, Issoire, Riom, Thiers
COMMUNES_PER_ARRONDISSEMENT = {"631": 8, "632": 12, "633": 10, "634": 11, "635": 7}
EPCIS = (
    ("metropole", "246300701"),  # Clermont Auvergne Métropole
    ("epci", "200070407"),  # CA Agglo Pays d'Issoire
    ("epci", "200070753"),  # CA Riom Limagne et Volcans
    ("epci", "200070761"),  # CC Ambert Livradois Forez
    ("epci", "200070712"),  # CC Thiers Dore et Montagne
    ("epci", "200067627"),  # CC Billom Communauté
    ("epci", "200069169"),  # CC Dômes Sancy Artense
)

PARIS = ZoneInfo("Europe/Paris")
TEXTS = Path(__file__).with_name("texts.yaml")


@functools.cache
def texts() -> dict[str, Any]:
    """The demo's prose (``texts.yaml``), read once."""
    return yaml.safe_load(TEXTS.read_text(encoding="utf-8"))


class DemoError(Exception):
    """The demo cannot be built (``str`` is French)."""


@dataclass
class Target:
    """A collectivité of the reference data that applies in the demo."""

    kind: str
    code: str
    name: str
    population: int
    arrondissement: str = ""
    epci_siren: str = ""

    @property
    def is_commune(self) -> bool:
        return self.kind == "commune"

    @property
    def large(self) -> bool:
        return not self.is_commune or self.population >= 5000


@dataclass
class Result:
    counts: dict[str, int]
    accounts: list[tuple[str, str]]  # (e-mail, what the account is)
    password: str = PASSWORD
    receipts: int = 0  # submitted dossiers, each with a receipt rendered or queued
    unsent_emails: int = 0
    deleted: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    meetings: list[str] = field(default_factory=list)  # a line per meeting of the committee
    envelopes: list[str] = field(default_factory=list)  # a line per envelope year
    grants: list[str] = field(default_factory=list)  # a line per followed grant


# ---------------------------------------------------------------- the collectivités


def pick_targets(rng: random.Random, vintage: str) -> list[Target]:
    """Real collectivités of the Puy-de-Dôme: communes of every size in the five arrondissements,
    seven intercommunalités, the département."""
    communes = list(
        Commune.objects.filter(vintage=vintage, departement_code="63")
        .exclude(population=None)
        .order_by("insee_code")
        .values_list("insee_code", "name", "population", "arrondissement_code", "epci_siren")
    )
    if not communes:
        raise DemoError(
            f"Aucune commune du Puy-de-Dôme dans le référentiel {vintage} : lancez load_territories."
        )
    targets = [Target("commune", *row) for row in communes if row[0] in CHIEF_TOWNS]
    for arrondissement, n in COMMUNES_PER_ARRONDISSEMENT.items():
        pool = [row for row in communes if row[3] == arrondissement and row[0] not in CHIEF_TOWNS]
        big = [r for r in pool if r[2] >= 5000]
        mid = [r for r in pool if 1000 <= r[2] < 5000]
        small = [r for r in pool if r[2] < 1000]
        chosen = rng.sample(big, min(len(big), 2 if arrondissement in {"632", "634"} else 1))
        chosen += rng.sample(mid, min(len(mid), (n - len(chosen)) // 2))
        chosen += rng.sample(small, min(len(small), n - len(chosen)))
        rest = [r for r in pool if r not in chosen]
        chosen += rng.sample(rest, min(len(rest), n - len(chosen)))
        targets += [Target("commune", *row) for row in sorted(chosen)]
    for kind, siren in EPCIS:
        epci = Epci.objects.filter(vintage=vintage, siren=siren).first()
        if epci is not None:
            targets.append(Target(kind, siren, epci.name, epci.population or 0))
    departement = Departement.objects.filter(vintage=vintage, code="63").first()
    if departement is not None:
        targets.append(Target("departement", "63", departement.name, departement.population or 0))
    return targets


def _elide(word: str, name: str) -> str:
    """« de Billom », « d’Issoire », « du Cendre », « des Martres-de-Veyre »."""
    if word == "de" and name.startswith(("Le ", "le ")):
        return f"du {name[3:]}"
    if word == "de" and name.startswith(("Les ", "les ")):
        return f"des {name[4:]}"
    return f"{word[:-1]}’{name}" if name[:1].lower() in "aeiouyhéèêâîôû" else f"{word} {name}"


def phrases(target: Target) -> dict[str, str]:
    """How the projects' texts name the collectivité, its people, its services and its acts."""
    words = dict(texts()["phrases"]["epci" if target.kind not in PHRASE_KINDS else target.kind])
    if isinstance(words["services"], dict):  # a commune: « la mairie » below 5 000 inhabitants
        words["services"] = words["services"]["small" if target.population < 5000 else "large"]
    article = "la " if target.name.startswith(("CC ", "CA ")) else ""
    slots = {"name": target.name, "de_name": _elide("de", target.name), "article": article}
    return {key: text.format(**slots) for key, text in words.items()}


# Not looked up in SIRENE: a valid (Luhn) number standing for the département's SIREN, which the
# reference data (INSEE's COG) does not hold.
DEPARTEMENT_SIREN_STANDIN = "226300010"

PHRASE_KINDS = {"commune", "departement", "epci", "metropole"}


# ---------------------------------------------------------------- the people


def first_names() -> list[str]:
    names = texts()["people"]["first_names"]
    return names["feminine"] + names["masculine"]


def last_names() -> list[str]:
    return texts()["people"]["last_names"]


def _gendered(entry: str | dict[str, str], feminine: bool) -> str:
    """A function's title: one text, or its feminine and masculine forms."""
    if isinstance(entry, str):
        return entry
    return entry["feminine" if feminine else "masculine"]


def function_for(target: Target, first_name: str, rng: random.Random) -> str:
    functions = texts()["people"]["functions"]
    feminine = first_name in texts()["people"]["first_names"]["feminine"]
    if target.kind == "departement":
        return _gendered(functions["departement"], feminine)
    if target.kind == "commune" and target.population < 2000:
        choices = functions["small_commune"]
    elif target.kind == "commune" and target.population < 10000:
        choices = functions["commune"]
    else:
        choices = functions["intercommunality"]
    return _gendered(rng.choice(choices), feminine)


def email_for(target: Target) -> str:
    slug = slugify(target.name)
    if target.kind == "commune":
        return f"mairie-{slug}@{DEMO_DOMAIN}"
    if target.kind == "departement":
        return f"departement-{slugify(target.name)}@{DEMO_DOMAIN}"
    return f"{slug}@{DEMO_DOMAIN}"


# ---------------------------------------------------------------- the projects


@dataclass(frozen=True)
class Project:
    category: str
    title: str
    summary: str
    description: str
    effect: str
    innovation: str
    solution: str
    governance: str
    pooling: str
    participatory: str  # how, or "" when the need did not come from a participatory process
    lines: tuple[tuple[str, str, int, bool], ...]  # nature, supplier, weight, with VAT
    examples: tuple[int, ...] = ()  # indexes in the call's examples


@functools.cache
def projects() -> tuple[Project, ...]:
    return tuple(
        Project(
            **{k: v for k, v in p.items() if k not in {"lines", "examples"}},
            lines=tuple(
                (line["nature"], line["supplier"], line["weight"], line["vat"])
                for line in p["lines"]
            ),
            examples=tuple(p["examples"]),
        )
        for p in texts()["projects"]
    )


def messages() -> dict[str, Any]:
    return texts()["messages"]


# ---------------------------------------------------------------- files


def pdf_document(title: str, lines: list[str]) -> bytes:
    """A small real one-page PDF with a title and lines of text."""

    def text(s: str) -> str:
        raw = s.encode("cp1252", errors="replace").decode("latin-1")
        return raw.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    ops = [f"BT /F1 16 Tf 56 780 Td ({text(title)}) Tj ET"]
    for i, line in enumerate(lines):
        ops.append(f"BT /F1 11 Tf 56 {745 - 18 * i} Td ({text(line)}) Tj ET")
    stream = "\n".join(ops).encode("latin-1")
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</Font<</F1 5 0 R>>>>/Contents 4 0 R>>",
        b"<</Length %d>>stream\n" % len(stream) + stream + b"\nendstream",
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding>>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def png_document(lines: list[str]) -> bytes:
    """A small PNG « scan » with a few lines of text."""
    image = Image.new("RGB", (480, 40 + 22 * len(lines)), "white")
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((20, 20 + 22 * i), line, fill="black")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _upload(name: str, content: bytes) -> SimpleUploadedFile:
    mime = "application/pdf" if name.endswith(".pdf") else "image/png"
    return SimpleUploadedFile(name, content, content_type=mime)


# ---------------------------------------------------------------- time


@dataclass(frozen=True)
class Sittings:
    """The moments of the committee's two meetings."""

    created: dt.datetime  # the first meeting planned by the manager
    convened: dt.datetime  # its agenda frozen, the convocation sent
    first: dt.datetime  # it sits (opened by the chair a few minutes later)
    closed: dt.datetime
    second_created: dt.datetime
    second_convened: dt.datetime
    second: dt.datetime  # in the future


def _at(day: dt.date, hour: int, minute: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=PARIS)


def _weekday_before(day: dt.date) -> dt.date:
    """``day``, or the Friday before when it falls on a weekend."""
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def _weekday_after(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


class Timeline:
    """The call's dates as moments, and random moments in office hours between two bounds."""

    def __init__(self, call: Call, rng: random.Random) -> None:
        self.rng = rng
        self.now = clock.now()
        sessions = list(call.sessions.order_by("date"))
        if not sessions:
            raise DemoError("L’appel de démonstration n’a pas de session de relevé.")
        self.opens = dt.datetime.combine(call.opens_on, dt.time(8, 30), tzinfo=PARIS)
        deadline = dt.datetime.combine(call.deadline, dt.time(18, 0), tzinfo=PARIS)
        self.end = min(self.now - dt.timedelta(minutes=5), deadline)
        if self.end <= self.opens + dt.timedelta(hours=1):
            raise DemoError(
                "L’appel de démonstration n’est pas encore ouvert : rechargez-le (load_calls) avant "
                "de créer ses dossiers."
            )
        first = dt.datetime.combine(sessions[0].date, dt.time(18, 0), tzinfo=PARIS)
        self.first_session_end = min(first, self.end)
        # Reviewers start the day after the first collection session.
        review = dt.datetime.combine(
            sessions[0].date + dt.timedelta(days=1), dt.time(9, 0), tzinfo=PARIS
        )
        self.review_from = review if review < self.now - dt.timedelta(hours=2) else None
        self.engagement_deadline = call.engagement_deadline
        self.sittings = self._sittings()

    def _sittings(self) -> Sittings:
        """When the committee met and when it meets next: the first meeting a few days ago, on a
        weekday, convened two working days before; the second in a week or more, convened on the
        last working day before today. The reviews of the dossiers each one decides end before
        its agenda is frozen."""
        today = self.now.astimezone(PARIS).date()
        review = self.review_from
        if review is None or (today - review.astimezone(PARIS).date()).days < 5:
            raise DemoError(
                "L’appel de démonstration n’a pas assez de passé pour ses séances du comité : sa "
                "première session de relevé doit dater d’au moins cinq jours (rechargez-le avec "
                "load_calls)."
            )
        started = review.astimezone(PARIS).date()
        first_day = max(
            _weekday_before(today - dt.timedelta(days=3)), started + dt.timedelta(days=3)
        )
        first = _at(first_day, 10, 0)
        convened = max(
            _at(_weekday_before(first_day - dt.timedelta(days=2)), 16, 0),
            review + dt.timedelta(days=1, hours=7),
        )
        created = min(
            max(_at(_weekday_after(started), 11, 0), review + dt.timedelta(hours=1)),
            convened - dt.timedelta(hours=2),
        )
        closed = first + dt.timedelta(hours=1, minutes=50)
        second_created = closed + dt.timedelta(hours=2)
        second_convened = max(
            _at(_weekday_before(today - dt.timedelta(days=1)), 16, 0),
            second_created + dt.timedelta(hours=1),
        )
        if second_convened > self.now - dt.timedelta(minutes=10):
            raise DemoError("Les séances du comité de démonstration ne tiennent pas dans le passé.")
        second = _at(_weekday_after(today + dt.timedelta(days=8)), 10, 0)
        return Sittings(created, convened, first, closed, second_created, second_convened, second)

    def submission_window(self, session: int) -> tuple[dt.datetime, dt.datetime]:
        if session == 2 and self.end > self.first_session_end + dt.timedelta(hours=16):
            return self.first_session_end + dt.timedelta(hours=15), self.end
        return self.opens + dt.timedelta(days=1), self.first_session_end

    def review_window(
        self, after: dt.datetime, state: State | None = None
    ) -> tuple[dt.datetime, dt.datetime]:
        """When the reviewer works on a dossier: before the agenda of the meeting that decided
        it was frozen, for a dossier of the first meeting; until now for the others."""
        lo = max(after + dt.timedelta(hours=1), self.review_from or after)
        if state in DECIDED:
            return lo, self.sittings.convened - dt.timedelta(hours=3)
        if state is State.PROPOSED:
            return lo, self.sittings.second_convened - dt.timedelta(hours=2)
        return lo, self.now - dt.timedelta(minutes=30)

    def moments(self, lo: dt.datetime, hi: dt.datetime, n: int) -> list[dt.datetime]:
        """``n`` increasing moments between ``lo`` and ``hi``, on weekdays in office hours when
        the span allows it."""
        if hi <= lo:
            hi = lo + dt.timedelta(minutes=n + 1)
        found = sorted(self._moment(lo, hi) for _ in range(n))
        for i in range(1, n):
            if found[i] <= found[i - 1]:
                found[i] = found[i - 1] + dt.timedelta(minutes=1)
        if found and found[-1] > hi:
            step = (hi - lo) / (n + 1)
            found = [lo + step * (i + 1) for i in range(n)]
        return [moment.replace(microsecond=0) for moment in found]

    def _moment(self, lo: dt.datetime, hi: dt.datetime) -> dt.datetime:
        rng = self.rng
        first, last = lo.astimezone(PARIS).date(), hi.astimezone(PARIS).date()
        days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
        weekdays = [d for d in days if d.weekday() < 5] or days
        for _ in range(6):
            day = rng.choice(weekdays)
            minutes = rng.randrange(8 * 60 + 30, 18 * 60 + 30)
            moment = dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), tzinfo=PARIS)
            if lo <= moment <= hi:
                return moment
        return lo + (hi - lo) * rng.random()


# ---------------------------------------------------------------- building


class Builder:
    def __init__(self, call: Call, rng: random.Random) -> None:
        self.call = call
        self.rng = rng
        self.time = Timeline(call, rng)
        self.password_hash = make_password(PASSWORD)
        self.accounts: list[tuple[str, str]] = []
        self.emails: set[str] = set()
        self.reviewer = self._reviewer()
        self.examples = [e for e in call.definition.get("examples", [])]
        self.project_index = {"1": 0, "2": 0, "3": 0}
        self.favourable = 0  # the favourable opinions' justifications are taken in turn

    # ---- accounts

    def _user(self, email: str, **fields: Any) -> User:
        user = User.objects.filter(email=email).first() or User(email=email)
        for name, value in fields.items():
            setattr(user, name, value)
        user.is_active = True
        validate_password(PASSWORD, user)
        user.password = self.password_hash
        user.save()
        return user

    def _reviewer(self) -> User:
        person = texts()["people"]["reviewer"]
        user = self._user(
            REVIEWER_EMAIL,
            first_name=person["first_name"],
            last_name=person["last_name"],
            function=person["function"],
            is_staff=False,
            email_confirmed_at=self.time.opens - dt.timedelta(days=10),
        )
        from guichet.review.models import AgentRole, Role

        AgentRole.objects.get_or_create(user=user, call=self.call, role=Role.REVIEWER)
        self.accounts.append((REVIEWER_EMAIL, person["account"]))
        return user

    def applicant(self, target: Target, joined: dt.datetime) -> User:
        first = self.rng.choice(first_names())
        last = self.rng.choice(last_names())
        email = email_for(target)
        if email in self.emails:  # two collectivités of the same name
            email = email.replace("@", f"-{target.code}@")
        self.emails.add(email)
        user = self._user(
            email,
            first_name=first,
            last_name=last,
            function=function_for(target, first, self.rng),
            phone=self.phone(),
            is_staff=False,
            email_confirmed_at=joined,
        )
        user.set_collectivity(target.kind, target.code, target.name, self.call.reference_vintage)
        user.save()
        User.objects.filter(pk=user.pk).update(date_joined=joined - dt.timedelta(minutes=7))
        self.accounts.append((user.email, f"{user.function}, {target.name}"))
        return user

    def phone(self) -> str:
        return "04 73 " + " ".join(f"{self.rng.randrange(100):02d}" for _ in range(3))

    # ---- content

    def project_for(self, target: Target) -> Project:
        category = self.rng.choices(["1", "2", "3"], weights=[1, 1, 2])[0]
        candidates = [p for p in projects() if p.category == category]
        i = self.project_index[category]
        self.project_index[category] += 1
        return candidates[(i + self.rng.randrange(2)) % len(candidates)]

    def cost_for(self, target: Target, *, under_floor: bool = False) -> Decimal:
        if under_floor:
            return Decimal(self.rng.randrange(2400, 4800, 50))
        if target.kind == "commune" and target.population < 2000:
            lo, hi = 5200, 16000
        elif target.kind == "commune" and target.population < 10000:
            lo, hi = 8000, 32000
        elif target.kind == "commune":
            lo, hi = 15000, 48000
        else:
            lo, hi = 20000, 60000
        return Decimal(self.rng.randrange(lo, hi, 10))

    def cost_lines(self, project: Project, total: Decimal) -> list[dict[str, Any]]:
        weights = sum(w for _, _, w, _ in project.lines)
        lines, left = [], total
        for i, (nature, supplier, weight, vat) in enumerate(project.lines):
            if i == len(project.lines) - 1:
                amount = left
            else:
                amount = (total * weight / weights).quantize(Decimal("10"))
                left -= amount
            incl = (amount * Decimal("1.2")).quantize(Decimal("0.01")) if vat else amount
            lines.append(
                {
                    "nature": nature,
                    "supplier": supplier,
                    "amount_excl_vat": amount,
                    "amount_incl_vat": incl,
                }
            )
        return lines

    def values(self, target: Target, user: User, project: Project) -> dict[str, Any]:
        words = phrases(target)
        for key in ("nom", "collectivite", "services"):
            words[f"de_{key}"] = _elide("de", words[key])
        words["Habitants"] = words["habitants"][:1].upper() + words["habitants"][1:]

        def fill(text: str) -> str:
            return text.format(**words)

        agents = self._agents(target, project)
        return {
            "contact_name": user.get_full_name(),
            "contact_function": user.function,
            "contact_email": user.email,
            "contact_phone": user.phone,
            "title": fill(project.title),
            "summary": fill(project.summary),
            "category": project.category,
            "examples": [self.examples[i] for i in project.examples if i < len(self.examples)],
            "description": fill(project.description),
            "daily_life_effect": fill(project.effect),
            "participatory": bool(project.participatory),
            "participatory_how": fill(project.participatory),
            "innovation": fill(project.innovation),
            "solution_choice": fill(project.solution),
            "agents_reached": agents,
            "users_reached": self._users(target, project),
            "governance": fill(project.governance),
            "pooling": fill(project.pooling),
        }

    def _agents(self, target: Target, project: Project) -> int:
        if target.kind == "commune":
            staff = max(2, target.population // 120)
        elif target.kind == "departement":
            staff = 3200
        else:
            staff = max(40, target.population // 150)
        if project.category == "2":
            share = (
                self.rng.uniform(0.6, 1)
                if target.kind == "commune"
                else self.rng.uniform(0.05, 0.25)
            )
        else:
            share = self.rng.uniform(0.1, 0.5)
        return max(1, min(staff, int(staff * share)))

    def _users(self, target: Target, project: Project) -> int:
        if project.category == "2":
            return int(target.population * self.rng.uniform(0.2, 0.6))
        return int(target.population * self.rng.uniform(0.4, 0.95))

    def engagement(self) -> tuple[dt.date, dt.date]:
        opens = self.time.opens.date()
        latest = self.time.engagement_deadline - dt.timedelta(days=20)
        engaged = opens + dt.timedelta(days=self.rng.randrange(-20, max(1, (latest - opens).days)))
        return engaged, engaged + dt.timedelta(days=self.rng.randrange(60, 330))

    def pieces(
        self, dossier: Dossier, user: User, target: Target, lines: list[dict[str, Any]]
    ) -> None:
        words = phrases(target)
        docs = texts()["documents"]
        footer = docs["footer"]
        supplier = lines[0]["supplier"]
        total = sum((line["amount_excl_vat"] for line in lines), Decimal(0))
        quote = docs["quote"]
        add_piece(
            dossier, user, PieceKind.QUOTE,
            _upload(
                f"devis-{slugify(supplier)[:40]}.pdf",
                pdf_document(quote["title"].format(supplier=supplier), [
                    quote["client"].format(name=target.name),
                    quote["object"].format(title=dossier.title),
                    *(quote["line"].format(nature=line["nature"], amount=format_euros(line["amount_excl_vat"])) for line in lines),
                    quote["total"].format(total=format_euros(total)), quote["signed"], footer,
                ]),
            ),
        )  # fmt: skip
        deliberation = docs["deliberation"]
        add_piece(
            dossier, user, PieceKind.DELIBERATION,
            _upload(
                "deliberation.pdf",
                pdf_document(words["acte"], [
                    target.name, deliberation["object"].format(title=dossier.title),
                    *deliberation["lines"], footer,
                ]),
            ),
        )  # fmt: skip
        iban = f"FR76 1007 1630 0000 {self.rng.randrange(10**4):04d} {self.rng.randrange(10**4):04d} {self.rng.randrange(100):02d}"
        if self.rng.random() < 0.5:
            scan = [
                line.format(holder=slugify(target.name).upper(), iban=iban)
                for line in docs["bank_details_scan"]
            ]
            add_piece(dossier, user, PieceKind.BANK_DETAILS, _upload("rib.png", png_document(scan)))  # fmt: skip
        else:
            rib = docs["bank_details"]
            add_piece(dossier, user, PieceKind.BANK_DETAILS, _upload("rib-tresor-public.pdf", pdf_document(
                rib["title"], [*(line.format(name=target.name, iban=iban) for line in rib["lines"]), footer]
            )))  # fmt: skip

    # ---- one dossier

    def dossier(self, target: Target, state: State, index: int, extras: dict[str, Any]) -> Dossier:
        rng, time = self.rng, self.time
        reviewed = state in REVIEWED
        withdraw_from = extras.get("withdraw_from")
        never_submitted = state is State.DRAFT or withdraw_from is State.DRAFT
        if never_submitted:
            submit_at = None
            created, filled = time.moments(time.opens, time.end, 2)
        else:
            session = (
                1 if reviewed or withdraw_from is State.IN_REVIEW else extras.get("session", 1)
            )
            lo, hi = time.submission_window(session)
            submit_at = time.moments(lo, hi, 1)[0]
            created = time.moments(max(time.opens, submit_at - dt.timedelta(days=12)), submit_at - dt.timedelta(hours=2), 1)[0]  # fmt: skip
            filled = time.moments(
                created + dt.timedelta(minutes=20), submit_at - dt.timedelta(minutes=30), 1
            )[0]

        user = self.applicant(target, created - dt.timedelta(days=rng.randrange(1, 20)))
        project = self.project_for(target)
        extras["project"] = project
        with clock.frozen(created):
            dossier = services.create_draft(user, self.call, kind=target.kind, code=target.code)
        fill = extras.get("fill", "full")
        total = self.cost_for(target, under_floor=fill == "under_floor")
        with clock.frozen(filled):
            values = self.values(target, user, project)
            # The demo's SIRET: the collectivité's SIREN, NIC 0001 and its Luhn digit; the
            # reference data has no SIREN for a département, which gets a stand-in.
            siren = services.applicant_siren(dossier) or DEPARTEMENT_SIREN_STANDIN
            values["siret"] = establishment_siret(siren)
            if fill == "bare":
                values = {
                    k: values[k] for k in ("contact_name", "contact_email", "title", "category")
                }
            elif fill == "project":
                values = {k: v for k, v in values.items() if k != "contact_phone"}
            services.update(dossier, user, Actor.APPLICANT, values)
            lines = self.cost_lines(project, total)
            if fill not in {"bare", "project"}:
                services.replace_cost_lines(dossier, user, Actor.APPLICANT, lines)
                if extras.get("partners"):
                    services.replace_partners(dossier, user, Actor.APPLICANT, extras["partners"])
                maximum = services.maximum_for(dossier) or Decimal(5000)
                requested = maximum
                if rng.random() < 0.25:
                    requested = max(
                        Decimal(1000), (maximum * Decimal("0.8")).quantize(Decimal("100"))
                    )
                engaged, ends = self.engagement()
                services.update(dossier, user, Actor.APPLICANT, {
                    "requested_amount": requested, "engagement_date": engaged, "end_date": ends,
                    "other_funding": Decimal(0) if target.large else None,
                })  # fmt: skip
            if fill in {"full", "under_floor"}:
                self.pieces(dossier, user, target, lines)
            if fill == "full":
                services.update(dossier, user, Actor.APPLICANT, {"sworn_statement": True})
        last = filled

        if submit_at is not None:
            with clock.frozen(submit_at):
                services.submit(dossier, user)
            dossier.refresh_from_db()
            last = submit_at
            if extras.get("colleague"):
                last = self._colleague(dossier, user, target, last)
            last = self._after_submission(dossier, user, state, last, extras)
        if state is State.WITHDRAWN:
            hi = time.now - dt.timedelta(minutes=10)
            lo = last + min(dt.timedelta(hours=2), (hi - last) / 2)
            last = time.moments(lo, hi, 1)[0]
            with clock.frozen(last):
                services.withdraw(
                    dossier, user, _nth(messages()["withdrawals"], extras["withdrawal"])
                )
        Dossier.objects.filter(pk=dossier.pk).update(created_at=created, saved_at=last)
        Membership.objects.filter(dossier=dossier, user=user).update(added_at=created)
        return dossier

    def _after_submission(
        self, dossier: Dossier, user: User, state: State, last: dt.datetime, extras: dict[str, Any]
    ) -> dt.datetime:
        rng, time = self.rng, self.time
        steps: list[tuple[str, Any]] = []
        if (
            state in PROPOSED_OR_DECIDED | {State.IN_REVIEW}
            or extras.get("withdraw_from") is State.IN_REVIEW
        ):
            steps.append(("start_review", None))
            if extras.get("corrected"):
                steps += [
                    ("request_correction", extras["correction"]),
                    ("correct", None),
                    ("resubmit", None),
                ]
            if extras.get("question") is not None:
                steps += [("question", extras["question"]), ("answer", extras["question"])]
            if state in PROPOSED_OR_DECIDED or extras.get("scored"):
                steps.append(("score", (state, extras)))
            if state in PROPOSED_OR_DECIDED:
                steps.append(("propose", extras))
        if state is State.CORRECTION_REQUESTED:
            if rng.random() < 0.5:
                steps.append(("start_review", None))
            steps.append(("request_correction", extras["correction"]))
            if extras.get("question") is not None:
                steps.append(("answer_correction", None))
        if not steps:
            return last
        lo, hi = time.review_window(last, state)
        moments = time.moments(lo, hi, len(steps))
        if state is State.PROPOSED:
            # Proposed after the first meeting's agenda was frozen: on the second one's.
            floor = time.sittings.convened + dt.timedelta(hours=1)
            if moments[-1] < floor:
                moments[-1] = time.moments(floor, hi, 1)[0]
        for (step, arg), moment in zip(steps, moments, strict=True):
            with clock.frozen(moment):
                self._step(dossier, user, step, arg)
            last = moment
        return last

    def _step(self, dossier: Dossier, user: User, step: str, arg: Any) -> None:
        reviewer = self.reviewer
        said = messages()
        if step == "start_review":
            services.start_review(dossier, reviewer)
        elif step == "request_correction":
            services.request_correction(dossier, reviewer, _nth(said["corrections"], arg))
        elif step == "correct":
            dossier.refresh_from_db()
            signed = texts()["documents"]["signed_quote"]
            add_piece(dossier, user, PieceKind.QUOTE, _upload("devis-signe-et-date.pdf", pdf_document(
                signed["title"], [*(line.format(title=dossier.title) for line in signed["lines"]),
                                  texts()["documents"]["footer"]]
            )))  # fmt: skip
            services.post_message(dossier, user, said["correction_sent"])
        elif step == "resubmit":
            services.resubmit(dossier, user)
        elif step == "question":
            services.post_message(dossier, reviewer, _nth(said["questions"], arg)["question"])
        elif step == "answer":
            services.post_message(dossier, user, _nth(said["questions"], arg)["answer"])
        elif step == "answer_correction":
            services.post_message(dossier, user, said["correction_awaited"])
        elif step == "score":
            state, extras = arg
            review.score(dossier, reviewer, self.marks(extras["project"], state))
        elif step == "propose":
            self._propose(dossier, arg)
        dossier.refresh_from_db()

    # ---- the review's marks and opinion

    def marks(self, project: Project, state: State) -> dict[str, ScoreInput]:
        """The reviewer's marks on every criterion of the call's grid: what the project says of
        itself (a participatory need, pooling, a service to the inhabitants), a little judgement,
        and the committee's later choice (the dossiers it retained were the better ones)."""
        grid = self.call.rules.scoring
        leaning = {State.ACCEPTED: 1, State.REFUSED: -1}.get(state, 0)
        said = texts()["review"]["comments"]
        base = {
            "daily_life": 3 if project.category == "3" else 2,
            "participatory_need": 2 if project.participatory else 0,
            "innovation": 1,
            "solution_choice": 2,
            "beneficiaries": 2,
            "governance": 2,
            "pooling": 2 if project.pooling or project.category == "2" else 1,
        }
        marks = {}
        for criterion in grid.criteria:
            value = base.get(criterion.code, 2) + self.rng.choice((-1, 0, 0, 1))
            if criterion.weight > 1 or self.rng.random() < 0.5:
                value += leaning
            value = max(grid.scale_min, min(grid.scale_max, value))
            comment = said.get(criterion.code, {}).get(value, "")
            marks[criterion.code] = ScoreInput(value, comment)
        return marks

    def _propose(self, dossier: Dossier, extras: dict[str, Any]) -> None:
        said = texts()["review"]
        kind, key = extras["opinion"]
        maximum = services.verdict(dossier).amount
        requested = dossier.requested_amount or maximum
        amount = Decimal(0) if kind == OpinionKind.UNFAVOURABLE else min(requested, maximum)
        if key is None:
            justification = _nth(said["favourable"], self.favourable)
            self.favourable += 1
        else:
            justification = said["opinions"][key]
        if Decimal(0) < amount < maximum:
            justification += " " + said["requested_below"].format(amount=format_euros(amount))
        review.propose(
            dossier, self.reviewer, kind=kind, amount=amount, justification=justification
        )

    # ---- the committee

    def committee_members(self) -> tuple[User, User, list[User]]:
        """The demo's programme manager, the committee's chair and its other members."""
        roster = [
            r for r in committee.members(self.call) if r.user.email.endswith("@" + DEMO_DOMAIN)
        ]
        chair = next((r.user for r in roster if r.chair), None)
        others = [r.user for r in roster if not r.chair]
        manager = (
            User.objects.filter(
                is_active=True,
                email__iendswith="@" + DEMO_DOMAIN,
                agent_roles__call=self.call,
                agent_roles__role=Role.MANAGER,
            )
            .order_by("email")
            .first()
        )
        if chair is None or len(others) < 2 or manager is None:
            raise DemoError(
                "Le comité de sélection de démonstration n’est pas en place (un gestionnaire de "
                "l’appel, un président et deux membres au moins) : lancez « manage.py "
                "create_demo_accounts » avant create_demo_dossiers."
            )
        return manager, chair, others

    def meetings(self, made: list[tuple[Dossier, State]]) -> list[Meeting]:
        """The committee's two meetings, through its services: the first convened, held and
        closed (its decisions take effect then: grants committed in the ledger, dossiers moved,
        minutes written); the second convened, its agenda frozen with its summary note."""
        manager, chair, others = self.committee_members()
        call, when = self.call, self.time.sittings
        words = texts()["committee"]
        session = call.sessions.order_by("date").first()
        decided = sorted(((d, s) for d, s in made if s in DECIDED), key=lambda row: row[0].number)
        proposed = sorted((d for d, s in made if s is State.PROPOSED), key=lambda d: d.number)

        with clock.frozen(when.created):
            first = committee.create_meeting(
                call, manager, starts_at=when.first, place=words["first_place"],
                sessions=[session] if session else [],
            )  # fmt: skip
        with clock.frozen(when.convened - dt.timedelta(hours=1)):
            committee.set_agenda(first, manager, [d.pk for d, _ in decided])
        with clock.frozen(when.convened):
            first = committee.convene(first, manager)
        # One member is excused; the chair and the others sit.
        present = [chair, *others[:-1]]
        with clock.frozen(when.first + dt.timedelta(minutes=3)):
            first = committee.open_meeting(first, chair, [u.pk for u in present])
        items = {i.dossier_id: i for i in first.items.select_related("dossier__call")}
        choices = self._decisions(decided, {pk: i.proposed_amount for pk, i in items.items()})
        conflicted = next(
            (d for d, s in decided if s is State.ACCEPTED and d.applicant_kind == "commune"
             and choices[d.pk].amount == items[d.pk].proposed_amount),
            decided[0][0],
        )  # fmt: skip
        member = present[1]
        # The member who stands aside is left out of the count: the committee votes on it.
        choices[conflicted.pk] = replace(choices[conflicted.pk], consensus=False)
        with clock.frozen(when.first + dt.timedelta(minutes=6)):
            committee.declare_conflict(
                items[conflicted.pk], member,
                words["conflict"].format(de_name=_elide("de", conflicted.applicant_name)),
            )  # fmt: skip
        step = (when.closed - when.first - dt.timedelta(minutes=15)) / max(1, len(decided))
        for i, (dossier, _) in enumerate(decided):
            at = when.first + dt.timedelta(minutes=12) + step * i
            item, choice = items[dossier.pk], choices[dossier.pk]
            if not choice.consensus:
                voters = [u for u in present if not (dossier == conflicted and u == member)]
                for n, voter in enumerate(voters):
                    with clock.frozen(at + dt.timedelta(minutes=n + 1)):
                        committee.vote(item, voter, self._vote(choice, n, len(voters)))
            with clock.frozen(at + dt.timedelta(minutes=len(present) + 2)):
                committee.decide(item, chair, choice)
        with clock.frozen(when.closed):
            first = committee.close_meeting(first, chair)
        # What closing saved was stamped with the real time: the dossiers changed at the close.
        Dossier.objects.filter(pk__in=[d.pk for d, _ in decided]).update(saved_at=when.closed)

        postponed = [d for d, s in decided if s is State.POSTPONED]
        with clock.frozen(when.second_created):
            second = committee.create_meeting(
                call, manager, starts_at=when.second, place=words["second_place"],
                video_url=words["video_url"], sessions=[session] if session else [],
            )  # fmt: skip
        with clock.frozen(when.second_convened - dt.timedelta(minutes=30)):
            committee.set_agenda(second, manager, [d.pk for d in [*postponed, *proposed]])
        with clock.frozen(when.second_convened):
            second = committee.convene(second, manager)
        return [first, second]

    # ---- after the decision

    # What happens to the first meeting's retained dossiers since (in the order of their numbers).
    FOLLOW_UP = ("engaged", "proof_pending", "advance_paid", "balance_checked", "closed")

    def post_award(self, made: list[tuple[Dossier, State]]) -> list[str]:
        """The grants of the first meeting since it closed, through the services: the teams
        prove their engagement and the reviewer validates it; one proof still waits; one grant
        has its legal commitment (EJ) and its advance paid; one its balance asked, with invoices
        and the statement of expenses, checked by the reviewer and awaiting the manager's
        certification; one is paid off and closed. The engagement deadline is ahead: no grant
        lapses in the demo. Returns a line per grant for the command's report."""
        manager, _, _ = self.committee_members()
        reviewer = self.reviewer
        retained = sorted((d for d, s in made if s is State.ACCEPTED), key=lambda d: d.number)
        plan = list(zip(retained, self.FOLLOW_UP, strict=False))
        steps: list[tuple[str, Dossier]] = []
        for dossier, fate in plan:
            if fate != "proof_pending":
                steps += [("prove", dossier), ("validate", dossier)]
            if fate == "advance_paid":
                steps += [("commit", dossier), ("advance", dossier), ("check", dossier),
                          ("certify", dossier), ("pay", dossier)]  # fmt: skip
            if fate in {"balance_checked", "closed"}:
                steps += [("balance", dossier), ("check", dossier)]
            if fate == "closed":
                steps += [("certify", dossier), ("commit", dossier), ("pay", dossier)]
        steps += [("prove", d) for d, fate in plan if fate == "proof_pending"]
        # Each step at its own moment, in office hours, after the close and before now: the
        # first step of every dossier, then the second of every dossier… so that each dossier's
        # steps keep their order.
        rank: dict[int, int] = {}
        ranked = []
        for i, (action, dossier) in enumerate(steps):
            ranked.append((rank.get(dossier.pk, 0), i, action, dossier))
            rank[dossier.pk] = rank.get(dossier.pk, 0) + 1
        ranked.sort(key=lambda row: row[:2])
        lo = self.time.sittings.closed + dt.timedelta(hours=1)
        hi = self.time.now - dt.timedelta(minutes=20)
        requests: dict[int, Any] = {}
        for (_, _, action, dossier), moment in zip(
            ranked, self.time.moments(lo, hi, len(ranked)), strict=True
        ):
            grant = Grant.objects.select_related("dossier__call", "envelope").get(
                dossier=dossier, status=GrantStatus.ACTIVE
            )
            with clock.frozen(moment):
                requests[dossier.pk] = self._follow(
                    action, grant, requests.get(dossier.pk), manager, reviewer, moment
                )
        lines: list[str] = []
        for dossier, fate in plan:
            grant = Grant.objects.filter(dossier=dossier).latest("pk")
            lines.append(
                f"{dossier.number} : {POST_AWARD_WORDS[fate]} (subvention de "
                f"{format_euros(grant.decided_amount)}, versé {format_euros(grant.paid)})."
            )
        return lines

    def _follow(
        self, action: str, grant: Grant, request: Any, manager: User, reviewer: User,
        moment: dt.datetime,
    ) -> Any:  # fmt: skip
        """One step of a grant's life, by the person who takes it; returns the payment request
        it made or acted on."""
        dossier = grant.dossier
        owner = dossier.memberships.select_related("user").order_by("pk").first().user
        words = texts()["post_award"]
        day = moment.astimezone(PARIS).date()
        seq = grant.pk % 10_000
        lines = list(dossier.cost_lines.order_by("pk"))
        name = dossier.applicant_name
        if action == "prove":
            signed = min(dossier.engagement_date or day, day)
            proof = words["engagement_proof"]
            total = sum((line.amount_excl_vat for line in lines), Decimal(0))
            supplier = lines[0].supplier if lines else name
            content = pdf_document(
                proof["title"].format(supplier=supplier),
                [line.format(name=name, title=dossier.title, total=format_euros(total),
                             signed=signed.strftime("%d/%m/%Y")) for line in proof["lines"]],
            )  # fmt: skip
            postaward.submit_engagement(
                grant, owner, _upload(f"bon-de-commande-{slugify(supplier)[:40]}.pdf", content),
                signed,
            )  # fmt: skip
            return request
        if action == "validate":
            postaward.validate_engagement(postaward.pending_engagement(grant), reviewer)
            return request
        if action == "commit":
            year = grant.envelope.year
            postaward.record_legal_commitment(
                grant, manager, f"99{year}{seq:04d}", year, grant.amount
            )
            return request
        if action == "advance":
            top = post_award_rules.ceiling(
                postaward.post_award_rules(grant), PaymentKind.ADVANCE, postaward.money(grant)
            )
            return postaward.request_payment(
                grant, owner, PaymentKind.ADVANCE, top.quantize(Decimal(1), ROUND_FLOOR)
            )
        if action == "balance":
            invoice = words["invoice"]
            certificate = words["completion_certificate"]
            expenses, pieces = [], []
            for i, line in enumerate(lines):
                invoiced = max(grant.engaged_on or day, day - dt.timedelta(days=len(lines) - i))
                expenses.append(ExpenseInput(
                    supplier=line.supplier or name, invoiced_on=invoiced, nature=line.nature,
                    amount_excl_vat=line.amount_excl_vat, amount_incl_vat=line.amount_incl_vat,
                    invoice_number=f"F-{invoiced:%y%m}-{seq:04d}{i + 1}",
                ))  # fmt: skip
                content = pdf_document(
                    invoice["title"].format(supplier=line.supplier or name),
                    [text.format(name=name, nature=line.nature,
                                 amount=format_euros(line.amount_excl_vat))
                     for text in invoice["lines"]],
                )  # fmt: skip
                pieces.append(("invoice", _upload(f"facture-{i + 1}.pdf", content)))
            content = pdf_document(
                certificate["title"],
                [text.format(name=name, title=dossier.title) for text in certificate["lines"]],
            )
            pieces.append(("completion_certificate", _upload("certificat-achevement.pdf", content)))
            return postaward.request_payment(
                grant, owner, PaymentKind.BALANCE, grant.amount - grant.certified, expenses, pieces
            )
        if action == "check":
            return postaward.check_request(request, reviewer)
        if action == "certify":
            return postaward.certify(request, manager, request.amount_requested)
        if action == "pay":
            year = grant.envelope.year
            postaward.record_payment(
                request, manager, f"99{year}{seq:04d}{request.number:02d}", day,
                request.amount_due,
            )  # fmt: skip
            return request
        raise ValueError(action)

    def _decisions(
        self, decided: list[tuple[Dossier, State]], proposed: dict[int, Decimal | None]
    ) -> dict[int, DecisionInput]:
        """What the committee decides on each dossier of the first meeting: retained at the
        proposed amount on the envelope of the meeting's year (next year's for the project
        engaged last; the largest amount reduced, with its reason), refused with the reason the applicant will read, postponed,
        or put on the waiting list in the order of the agenda. Votes are recorded where the
        committee was divided or a member stood aside; the rest is by consensus."""
        words = texts()["committee"]
        years = [p.year for p in grants.positions(self.call)]
        retained = [d for d, s in decided if s is State.ACCEPTED]
        # The amount reduced: the largest one of a collectivité that is not small (PRIORITY-SIZE).
        larger = [d for d in retained if not committee.is_small(d)] or retained
        reduced = max(larger, key=lambda d: (proposed[d.pk] or 0, -d.pk), default=None)
        # The year of the meeting; the project engaged last, next year's envelope.
        year_of = {d.pk: years[0] for d in retained}
        if len(years) > 1 and len(retained) > 1:
            latest = max(retained, key=lambda d: (d.engagement_date or dt.date.min, d.pk))
            year_of[latest.pk] = years[1]
        choices: dict[int, DecisionInput] = {}
        refusals = 0
        for dossier, state in decided:
            amount = proposed[dossier.pk]
            if state is State.ACCEPTED and amount:
                if dossier == reduced:
                    lower = (amount * Decimal("0.75") / 500).to_integral_value(ROUND_FLOOR) * 500
                    choices[dossier.pk] = DecisionInput(
                        Outcome.RETAINED, amount=max(lower, Decimal(500)),
                        year=year_of[dossier.pk], reason=words["reduced"], consensus=False,
                    )  # fmt: skip
                else:
                    choices[dossier.pk] = DecisionInput(
                        Outcome.RETAINED, amount=amount, year=year_of[dossier.pk]
                    )
            elif state is State.REFUSED:
                choices[dossier.pk] = DecisionInput(
                    Outcome.REFUSED, reason=_nth(messages()["refusals"], refusals),
                    consensus=refusals > 0,
                )  # fmt: skip
                refusals += 1
            elif state is State.POSTPONED:
                choices[dossier.pk] = DecisionInput(Outcome.POSTPONED, reason=words["postponed"])
            else:
                choices[dossier.pk] = DecisionInput(
                    Outcome.WAITING_LIST, reason=words["waiting_list"]
                )
        return choices

    @staticmethod
    def _vote(choice: DecisionInput, n: int, voters: int) -> str:
        """Each present member's vote on the decision put to them: for, but for the last one
        on a reduced amount (abstains) or a refusal (against)."""
        if n == voters - 1 and choice.outcome == Outcome.RETAINED and choice.reason:
            return VoteChoice.ABSTAIN
        if n == voters - 1 and choice.outcome == Outcome.REFUSED:
            return VoteChoice.AGAINST
        return VoteChoice.FOR

    def _colleague(
        self, dossier: Dossier, owner: User, target: Target, last: dt.datetime
    ) -> dt.datetime:
        invited, joined = self.time.moments(
            last + dt.timedelta(minutes=30), last + dt.timedelta(days=2), 2
        )
        joined = min(joined, self.time.now - dt.timedelta(minutes=40))
        invited = min(invited, joined - dt.timedelta(minutes=5))
        email = f"informatique-{slugify(target.name)}@{DEMO_DOMAIN}"
        with clock.frozen(invited):
            invitation = services.invite(dossier, owner, email)
        person = texts()["people"]["colleague"]
        colleague = self._user(
            email,
            first_name=person["first_name"],
            last_name=person["last_name"],
            function=person["function"].format(name=target.name),
            phone=self.phone(),
            is_staff=False,
            email_confirmed_at=invited + dt.timedelta(minutes=3),
        )
        colleague.set_collectivity(
            target.kind, target.code, target.name, self.call.reference_vintage
        )
        colleague.save()
        with clock.frozen(joined):
            services.accept_invitation(invitation.token, colleague)
        Membership.objects.filter(dossier=dossier, user=colleague).update(added_at=joined)
        account = person["account"].format(function=colleague.function, number=dossier.number)
        self.accounts.append((email, account))
        return joined


# The reviewer's opinion where it is not favourable, and the justification's key in texts.yaml:
# (final state, rank in that state) → (opinion, key). The others are favourable, justified in turn.
OPINIONS = {
    (State.PROPOSED, 3): (OpinionKind.RESERVED, "governance"),
    (State.POSTPONED, 0): (OpinionKind.RESERVED, "financing"),
    (State.REFUSED, 0): (OpinionKind.RESERVED, "impact"),
    (State.REFUSED, 1): (OpinionKind.UNFAVOURABLE, "funded"),
}


def _nth(items: list[Any], n: int) -> Any:
    return items[n % len(items)]


def _assign(
    targets: list[Target], rng: random.Random
) -> list[tuple[Target, State, dict[str, Any]]]:
    """Which collectivité ends in which state, and what happens to its dossier on the way."""
    states = [state for state, n in PLAN for _ in range(n)]
    order = targets[:]
    rng.shuffle(order)
    plan: list[tuple[Target, State, dict[str, Any]]] = []
    counters: Counter[str] = Counter()
    for target, state in zip(order, states, strict=False):
        extras: dict[str, Any] = {}
        n = counters[state]
        counters[state] += 1
        if state is State.DRAFT:
            extras["fill"] = (
                "bare",
                "project",
                "budget",
                "under_floor",
                "under_floor",
                "full",
                "budget",
                "full",
            )[n % 8]
        if state is State.SUBMITTED:
            extras["session"] = 1 if n % 5 < 2 else 2  # 40 % in the first session
        if state in {State.IN_REVIEW, State.CORRECTION_REQUESTED}:
            extras["correction"] = n
        if state is State.IN_REVIEW:
            extras["corrected"] = n in {1, 4, 7}
            extras["question"] = n if n in {0, 2} else None
        if state is State.CORRECTION_REQUESTED and n in {0, 3}:
            extras["question"] = n
        if state is State.IN_REVIEW:
            extras["scored"] = n % 3 == 0  # scored, the opinion still to give
        if state is State.PROPOSED and n == 1:
            extras["question"] = 2
        if state in PROPOSED_OR_DECIDED:
            extras["opinion"] = OPINIONS.get((state, n), (OpinionKind.FAVOURABLE, None))
        if state is State.REFUSED:
            extras["refusal"] = n
        if state is State.WITHDRAWN:
            extras["withdraw_from"] = (State.DRAFT, State.SUBMITTED, State.IN_REVIEW)[n % 3]
            extras["withdrawal"] = n
            if extras["withdraw_from"] is State.SUBMITTED:
                extras["session"] = 1
        plan.append((target, state, extras))
    return plan


def _add_partners(
    plan: list[tuple[Target, State, dict[str, Any]]],
    targets: list[Target],
    vintage: str,
    rng: random.Random,
) -> None:
    """Two joint projects: an intercommunalité with member communes, a commune with neighbours."""
    by_kind_state = [(t, s, e) for t, s, e in plan if s in {State.SUBMITTED, State.IN_REVIEW}]
    epci = next(((t, e) for t, s, e in by_kind_state if t.kind == "epci"), None)
    commune = next(((t, e) for t, s, e in by_kind_state if t.is_commune and t.epci_siren and 1000 <= t.population < 5000), None)  # fmt: skip
    for found, roles in ((epci, (PartnerRole.BENEFICIARY, PartnerRole.BENEFICIARY, PartnerRole.CO_FUNDER)),
                         (commune, (PartnerRole.CO_OWNER, PartnerRole.CO_FUNDER))):  # fmt: skip
        if found is None:
            continue
        target, extras = found
        siren = target.code if target.kind == "epci" else target.epci_siren
        members = list(
            Commune.objects.filter(vintage=vintage, epci_siren=siren)
            .exclude(insee_code=target.code)
            .order_by("insee_code")
            .values_list("insee_code", flat=True)
        )
        chosen = rng.sample(members, min(len(members), len(roles)))
        extras["partners"] = [
            {"kind": "commune", "code": code, "role": role}
            for code, role in zip(chosen, roles, strict=False)
        ]
        extras["fill"] = "full"


# ---------------------------------------------------------------- entry point


def demo_dossiers(call: Call):  # -> QuerySet[Dossier]
    return Dossier.objects.filter(call=call, created_by__email__iendswith="@" + DEMO_DOMAIN)


def _delete_previous(call: Call) -> int:
    """Delete the previous demo: its dossiers, the meetings that had them on their agenda (or
    that demo accounts created), their grants and ledger lines; the envelopes' sums are those of
    the lines left."""
    previous = demo_dossiers(call)
    ids = set(previous.values_list("pk", flat=True))
    meetings = list(
        Meeting.objects.filter(call=call)
        .filter(Q(items__dossier__in=ids) | Q(created_by__email__iendswith="@" + DEMO_DOMAIN))
        .values_list("pk", flat=True)
        .distinct()
    )
    files = [
        (Attachment, name)
        for name in Attachment.objects.filter(dossier__in=ids).values_list("file", flat=True)
    ]
    files += [
        (MessageAttachment, name)
        for name in MessageAttachment.objects.filter(message__dossier__in=ids).values_list(
            "file", flat=True
        )
    ]
    files += [
        (MeetingDocument, name)
        for name in MeetingDocument.objects.filter(meeting__in=meetings).values_list(
            "file", flat=True
        )
    ]
    previous_grants = Grant.objects.filter(dossier__in=ids)
    # The grants' life after the decision: proofs, requests (their lines and pieces), the
    # State's numbers, payments, documents; reminders go with their grant.
    for model, rows in (
        (EngagementProof, EngagementProof.objects.filter(grant__in=previous_grants)),
        (RequestPiece, RequestPiece.objects.filter(request__grant__in=previous_grants)),
        (GrantDocument, GrantDocument.objects.filter(grant__in=previous_grants)),
    ):
        files += [(model, name) for name in rows.values_list("file", flat=True)]
    Meeting.objects.filter(pk__in=meetings).delete()  # agendas, attendance, votes, decisions
    Payment.objects.filter(request__grant__in=previous_grants).delete()
    PaymentRequest.objects.filter(grant__in=previous_grants).delete()
    LegalCommitment.objects.filter(grant__in=previous_grants).delete()
    EngagementProof.objects.filter(grant__in=previous_grants).delete()
    GrantDocument.objects.filter(grant__in=previous_grants).delete()
    _delete_ledger_lines(LedgerEntry.objects.filter(grant__in=previous_grants))
    previous_grants.delete()
    _sum_envelopes_again(call)
    previous.delete()
    _drop_queued_receipts(ids)
    # Numbers start again after the last one still given in the call (none left: from 1).
    last = 0
    for number in (
        Dossier.objects.filter(call=call).exclude(number=None).values_list("number", flat=True)
    ):
        suffix = number.rsplit("-", 1)[-1]
        if suffix.isdigit():
            last = max(last, int(suffix))
    SubmissionCounter.objects.filter(call=call).update(last=last)

    def remove_files() -> None:
        for model, name in files:
            model._meta.get_field("file").storage.delete(name)

    transaction.on_commit(remove_files)
    return len(ids)


# The trigger of grants' migration 0002 that refuses to change or delete a ledger line.
LEDGER_TRIGGER = "grants_ledger_no_update"


def _delete_ledger_lines(lines: Any) -> None:
    """Delete the previous demo's ledger lines, and only those.

    The ledger is append-only: the model refuses ``delete()`` and a trigger refuses a DELETE on
    PostgreSQL. The demo's lines record made-up money; the demo alone deletes them, to write its
    history again. On PostgreSQL the trigger is disabled for the demo's transaction only (ALTER
    TABLE is transactional there: enabled again below, and by a rollback should anything fail).
    """
    if not lines.exists():
        return
    table = LedgerEntry._meta.db_table
    if connection.vendor != "postgresql":
        lines.delete()
        return
    with connection.cursor() as cursor:
        # The foreign keys' checks still pending (lines written in this same transaction, as in
        # a test) forbid ALTER TABLE: run them now, and defer them again afterwards (Django's
        # foreign keys are all INITIALLY DEFERRED; the project has no other deferrable
        # constraint).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER {LEDGER_TRIGGER}')
        lines.delete()
        cursor.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER {LEDGER_TRIGGER}')
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _sum_envelopes_again(call: Call) -> None:
    """Each envelope's maintained sums, from the ledger lines it still has."""
    field_of = {
        EntryKind.COMMITMENT: "committed",
        EntryKind.RELEASE: "released",
        EntryKind.PAYMENT: "paid",
    }
    for envelope in Envelope.objects.select_for_update(of=("self",)).filter(call=call):
        sums = dict(
            LedgerEntry.objects.filter(envelope=envelope)
            .order_by()
            .values_list("kind")
            .annotate(total=Sum("amount"))
        )
        Envelope.objects.filter(pk=envelope.pk).update(
            **{f: sums.get(kind.value, Decimal(0)) for kind, f in field_of.items()}
        )


def _drop_queued_receipts(ids: set[int]) -> None:
    """Receipts still waiting for the worker would fail on the deleted dossiers: drop them."""
    if not ids or not apps.is_installed("django_tasks_db"):
        return
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from guichet.dossiers.tasks import send_receipt

    queued = DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, task_path=send_receipt.module_path
    ).values_list("pk", "args_kwargs")
    stale = [pk for pk, call in queued if (call.get("args") or [None])[0] in ids]
    DBTaskResult.objects.filter(pk__in=stale).delete()


@contextmanager
def _unsent_emails() -> Iterator[list[Any]]:
    """The e-mails of the made-up history stay in memory (counted, never sent).

    The e-mail backend is switched to Django's in-memory one for the duration, and switched back
    afterwards even on an error. This is a management command's single thread; the e-mails are
    handed to the backend when the demo's transaction commits, inside this block.
    """
    from django.conf import settings
    from django.core import mail

    backend = settings.EMAIL_BACKEND
    outbox = getattr(mail, "outbox", None)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    sent: list[Any] = []
    try:
        yield sent
        sent.extend(mail.outbox)
    finally:
        settings.EMAIL_BACKEND = backend
        if outbox is None:
            del mail.outbox
        else:
            outbox.extend(mail.outbox)  # a test's outbox sees them, as it did
            mail.outbox = outbox


def delete() -> int:
    """Delete the demo dossiers of the demo call and their history, without building them again
    (0 when the call is not loaded). ``load_calls`` moves the demo call's dates and envelope
    years every day it runs; the sessions and years the previous demo used must be free."""
    call = Call.objects.filter(slug=DEMO_CALL).first()
    if call is None:
        return 0
    with transaction.atomic():
        return _delete_previous(call)


def create(*, seed: int = SEED, progress: Callable[[int, int], None] | None = None) -> Result:
    """Delete the demo dossiers of the demo call and build them again. Returns what was made."""
    call = Call.objects.filter(slug=DEMO_CALL).first()
    if call is None:
        raise DemoError(
            f"L’appel de démonstration « {DEMO_CALL} » n’est pas chargé : lancez load_calls."
        )
    rng = random.Random(seed)
    with _unsent_emails() as sent, transaction.atomic():
        deleted = _delete_previous(call)
        builder = Builder(call, rng)
        targets = pick_targets(rng, call.reference_vintage)
        plan = _assign(targets, rng)
        _add_partners(plan, targets, call.reference_vintage, rng)
        submitted = [(t, e) for t, s, e in plan if s is State.SUBMITTED and t.is_commune]
        if submitted:
            max(submitted, key=lambda pair: pair[0].population)[1]["colleague"] = True
        builder.committee_members()  # before anything is built: the accounts are there
        made: list[tuple[Dossier, State]] = []
        for i, (target, state, extras) in enumerate(plan, start=1):
            made.append((builder.dossier(target, state, i, extras), state))
            if progress:
                progress(i, len(plan))
        meetings = builder.meetings(made)
        followed = builder.post_award(made)
        pks = [d.pk for d, _ in made]
        counts = Counter(Dossier.objects.filter(pk__in=pks).values_list("state", flat=True))
        receipts = sum(1 for d in Dossier.objects.filter(pk__in=pks) if d.submitted_at)
        by_kind = Counter(t.kind for t, _, _ in plan)
        sittings = [_sitting(m) for m in meetings]
        envelopes = [
            f"Enveloppe {p.year} : {format_euros(p.amount)}, dont {format_euros(p.net_committed)} "
            f"engagés ; reste {format_euros(p.remaining)}."
            for p in grants.positions(call)
        ]
    return Result(
        counts={state.value: counts.get(state.value, 0) for state in State},
        accounts=builder.accounts,
        receipts=receipts,
        unsent_emails=len(sent),
        deleted=deleted,
        by_kind=dict(by_kind),
        meetings=sittings,
        envelopes=envelopes,
        grants=followed,
    )


POST_AWARD_WORDS = {
    "engaged": "engagement validé",
    "proof_pending": "preuve d’engagement à vérifier",
    "advance_paid": "engagement juridique enregistré, avance versée",
    "balance_checked": "solde demandé (factures, état des dépenses), vérifié, service fait à certifier",
    "closed": "solde versé, subvention soldée",
}

OUTCOME_WORDS = {
    Outcome.RETAINED: ("retenu", "retenus"),
    Outcome.REFUSED: ("refusé", "refusés"),
    Outcome.POSTPONED: ("ajourné", "ajournés"),
    Outcome.WAITING_LIST: ("en liste complémentaire", "en liste complémentaire"),
}


def _sitting(meeting: Meeting) -> str:
    """One line of the command's report on a meeting of the committee."""
    at = meeting.starts_at.astimezone(PARIS)
    head = f"{meeting} le {at:%d/%m/%Y} à {at:%H} h {at:%M}"
    items = list(meeting.items.select_related("decision"))
    if meeting.status == MeetingStatus.CLOSED:
        outcomes = Counter(i.decision.outcome for i in items)
        said = ", ".join(
            f"{outcomes[o]} {OUTCOME_WORDS[o][outcomes[o] > 1]}" for o in Outcome if outcomes[o]
        )
        return f"{head} : close, {len(items)} dossiers décidés ({said}), procès-verbal."
    return f"{head} : convoquée, {len(items)} dossiers à l’ordre du jour, note de synthèse."
