"""The demo's living window: about sixty dossiers of real Puy-de-Dôme collectivités, in every state.

``create()`` deletes the dossiers that demo accounts (``@demo.guichet.fr``) made on the demo call,
then builds them again through the services, as the applicants and the reviewer would have, with
the clock moved back to the moment of each step: between the call's opening and now, never after
the deadline. The same seed gives the same collectivités, projects and amounts.

The e-mails of this made-up history are not sent. The receipts follow the tasks backend: rendered
when the transaction commits with the immediate backend, queued for ``db_worker`` with the
database backend.

The prose (names, functions, projects, messages, the documents' lines) is data, in
``texts.yaml`` beside this file; this module only decides who gets what, and when.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import random
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils.text import slugify
from PIL import Image, ImageDraw

from guichet import clock
from guichet.accounts.models import User
from guichet.calls.models import Call
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
from guichet.dossiers.workflow import Action, Actor, State
from guichet.rules.money import format_euros
from guichet.territories.models import Commune, Departement, Epci

DEMO_CALL = "demo-fitn7-axe3-puy-de-dome"
DEMO_DOMAIN = "demo.guichet.fr"
PASSWORD = "Demo-guichet-2026!"
REVIEWER_EMAIL = f"instructrice@{DEMO_DOMAIN}"
SEED = 63

# How many dossiers end in each state (61 in all).
PLAN: tuple[tuple[State, int], ...] = (
    (State.DRAFT, 10),
    (State.SUBMITTED, 20),
    (State.IN_REVIEW, 10),
    (State.CORRECTION_REQUESTED, 6),
    (State.PROPOSED, 5),
    (State.ACCEPTED, 4),
    (State.REFUSED, 3),
    (State.WITHDRAWN, 3),
)

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

    def submission_window(self, session: int) -> tuple[dt.datetime, dt.datetime]:
        if session == 2 and self.end > self.first_session_end + dt.timedelta(hours=16):
            return self.first_session_end + dt.timedelta(hours=15), self.end
        return self.opens + dt.timedelta(days=1), self.first_session_end

    def review_window(self, after: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
        lo = max(after + dt.timedelta(hours=1), self.review_from or after)
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
        reviewed = state in {
            State.IN_REVIEW,
            State.CORRECTION_REQUESTED,
            State.PROPOSED,
            State.ACCEPTED,
            State.REFUSED,
        }
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
        with clock.frozen(created):
            dossier = services.create_draft(user, self.call, kind=target.kind, code=target.code)
        fill = extras.get("fill", "full")
        total = self.cost_for(target, under_floor=fill == "under_floor")
        with clock.frozen(filled):
            values = self.values(target, user, project)
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
            state in {State.IN_REVIEW, State.PROPOSED, State.ACCEPTED, State.REFUSED}
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
            if state in {State.PROPOSED, State.ACCEPTED, State.REFUSED}:
                steps.append(("propose", None))
            if state is State.ACCEPTED:
                steps.append(("accept", None))
            if state is State.REFUSED:
                steps.append(("refuse", extras["refusal"]))
        if state is State.CORRECTION_REQUESTED:
            if rng.random() < 0.5:
                steps.append(("start_review", None))
            steps.append(("request_correction", extras["correction"]))
            if extras.get("question") is not None:
                steps.append(("answer_correction", None))
        if not steps:
            return last
        lo, hi = time.review_window(last)
        for (step, arg), moment in zip(steps, time.moments(lo, hi, len(steps)), strict=True):
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
        elif step == "propose":
            services.propose(dossier, reviewer, said["proposal"])
        elif step == "accept":
            dossier.refresh_from_db()
            amount = format_euros(dossier.requested_amount)
            services.record_committee_decision(
                dossier, reviewer, Action.ACCEPT, "Dossier retenu par le comité",
                said["acceptance"].format(amount=amount),
            )  # fmt: skip
        elif step == "refuse":
            services.record_committee_decision(
                dossier, reviewer, Action.REFUSE, "Dossier refusé par le comité",
                _nth(said["refusals"], arg),
            )  # fmt: skip
        dossier.refresh_from_db()

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
        if state is State.PROPOSED and n == 1:
            extras["question"] = 2
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
    previous = demo_dossiers(call)
    names = list(Attachment.objects.filter(dossier__in=previous).values_list("file", flat=True))
    names += list(
        MessageAttachment.objects.filter(message__dossier__in=previous).values_list(
            "file", flat=True
        )
    )
    ids = set(previous.values_list("pk", flat=True))
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
        storage = Attachment._meta.get_field("file").storage
        for name in names:
            storage.delete(name)

    transaction.on_commit(remove_files)
    return len(ids)


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
        made: list[Dossier] = []
        for i, (target, state, extras) in enumerate(plan, start=1):
            made.append(builder.dossier(target, state, i, extras))
            if progress:
                progress(i, len(plan))
        counts = Counter(
            Dossier.objects.filter(pk__in=[d.pk for d in made]).values_list("state", flat=True)
        )
        receipts = sum(
            1 for d in Dossier.objects.filter(pk__in=[d.pk for d in made]) if d.submitted_at
        )
        by_kind = Counter(t.kind for t, _, _ in plan)
    return Result(
        counts={state.value: counts.get(state.value, 0) for state in State},
        accounts=builder.accounts,
        receipts=receipts,
        unsent_emails=len(sent),
        deleted=deleted,
        by_kind=dict(by_kind),
    )
