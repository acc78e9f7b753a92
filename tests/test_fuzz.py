"""Fuzzing every form and filter: whatever is typed or forged, the answer is never a 500.

Each target is a named URL that takes input. Its fields are read from the page that shows its
form (so a field added to a form is fuzzed without editing this file), plus the names a forged
request could add. Hypothesis then sends values from a list of known troublemakers (amounts
beyond Decimal's precision, digits other than 0 to 9, extreme dates, very long or control
texts), the values the page itself offers, and random text. The view must answer below 500 and
raise nothing (the test client re-raises a view's exception).

``test_every_named_url_is_fuzzed_or_said_formless`` walks the URL conf: a new named URL must be
added to TARGETS or to FORMLESS, and a form found on a fuzzed page whose action is not a target
fails the test too.

Bounded for CI: one request per troublemaker with every field set to it, then
GUICHET_FUZZ_EXAMPLES Hypothesis examples per target (20 by default), derandomized so that a
failure repeats; set GUICHET_FUZZ_SEED to explore other examples locally. Each example runs in a
transaction rolled back after it, so every one starts from the same dossiers.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.core import mail
from django.core.cache import caches
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from guichet import clock
from guichet.dossiers import services
from guichet.www.applicant.views import STEP_SLUGS
from tests.accounts.two_factor_helpers import give_totp
from tests.dossiers.factories import IN_WINDOW, REAL_CALL, agent, complete, draft, reviewer

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("GUICHET_FUZZ_EXAMPLES", "20"))
SEED = os.environ.get("GUICHET_FUZZ_SEED")

# Inputs that once reached a 500 somewhere, or that a parser may read as something else.
NASTY = [
    "", " ", "0", "-0", "-1", "1", "8000", "12 000,50 €", "1.000,50", "1e26", "9" * 27,
    "1e-30", "1e999999999", "NaN", "sNaN", "Infinity", "²", "①", "٣", "٤٧٧٧", "１２", "1_000",
    "0x10", "2021-06-30", "30/06/2021", "31/02/2021", "0001-01-01", "9999-12-31",
    "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2021-06-30T23:59:59Z",
    "commune:63040", "commune:٦٣٠٤٠", "epci:246300701", "departement:63", "autre:x", "foo",
    "//evil.example/", "https://evil.example/", "/instruction/", "x" * 5000, "a\x00b", "\t\n",
    "<script>alert(1)</script>", "' OR 1=1 --", "%", "%%", "../../etc/passwd", "𝟘𝟙", "ﷺ",
    "a@b", "claire@mairie.example.fr", "00000000-0000-0000-0000-000000000000",
]  # fmt: skip
_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)  # UTF-8 encodable


@dataclass
class World:
    applicant: object
    draft: object
    submitted: object
    in_review: object
    reviewer: object
    manager: object
    chair: object = None
    open_meeting: object = None  # with one dossier on its agenda
    draft_meeting: object = None  # with one candidate dossier

    def user(self, who: str):
        if who == "beneficiary":  # the team of the retained dossier, built on first use
            return beneficiary_grant(self).dossier.memberships.get().user
        return None if who == "anonymous" else getattr(self, who)


@dataclass(frozen=True)
class Target:
    name: str  # the URL's name
    who: str  # anonymous, applicant, reviewer or manager
    action: Callable[[World], str]
    page: Callable[[World], str] | None = None  # where its form is shown (None: not shown)
    method: str = "POST"
    extra: tuple[str, ...] = ()  # names a forged request may add
    drop_csrf: bool = False  # the test client does not check it; keep it or not, it is fuzzed
    id: str = field(default="")

    @property
    def label(self) -> str:
        return self.id or self.name


def u(name: str, *args: Callable[[World], object]) -> Callable[[World], str]:
    return lambda w: reverse(name, args=[a(w) for a in args])


def draft_uuid(w: World):
    return w.draft.uuid


def submitted_uuid(w: World):
    return w.submitted.uuid


def review_uuid(w: World):
    return w.in_review.uuid


def step(slug: str) -> Callable[[World], str]:
    return lambda w: reverse("applicant:step", args=[w.draft.uuid, slug])


def of_call(name: str) -> Callable[[World], str]:
    return lambda w: reverse(name, args=[REAL_CALL])


def with_query(url: Callable[[World], str], query: str) -> Callable[[World], str]:
    return lambda w: f"{url(w)}?{query}"


def decided(w: World):
    """A closed meeting of the real call, a retained and a refused dossier, their documents
    generated and the refusal's scan uploaded (built once per world, on first use)."""
    meeting = getattr(w, "meeting", None)
    if meeting is None:
        from django.core.files.uploadedfile import SimpleUploadedFile
        from weasyprint import HTML

        from guichet.committee import decisions
        from tests.committee.decision_factories import billom_and_arconsat, closed_meeting
        from tests.committee.factories import Committee

        billom, arconsat = billom_and_arconsat()
        meeting = closed_meeting(Committee(), [billom], [arconsat])
        made = [decisions.generate(d, w.manager)[0] for d in decisions.issuable(meeting)]
        blank = HTML(string="<p>Scan</p>").write_pdf()
        decisions.attach_signed_scan(
            meeting, w.manager, SimpleUploadedFile("scan.pdf", blank), chosen=made[-1]
        )
        w.meeting, w.documents = meeting, made  # type: ignore[attr-defined]
    return meeting


def beneficiary_grant(w: World, stage: str = "granted"):
    """The grant of the retained dossier of ``decided``: as decided, with its engagement
    validated (``engaged``), or with a balance request the préfecture returned (``returned``)."""
    import datetime as dt

    from guichet.grants import postaward
    from guichet.grants.models import Grant
    from tests.dossiers.factories import pdf_upload
    from tests.grants.factories import FOLLOW_AT, certificate, expense, invoice

    decided(w)  # its one retained dossier is the one grant
    grant = Grant.objects.select_related("dossier", "envelope").get()
    owner = grant.dossier.memberships.get().user
    with clock.frozen(FOLLOW_AT):
        if stage in ("engaged", "returned") and grant.engaged_on is None:
            proof = postaward.submit_engagement(grant, owner, pdf_upload(), dt.date(2021, 9, 1))
            postaward.validate_engagement(proof, w.reviewer)
            grant.refresh_from_db()
        if stage == "returned" and not grant.payment_requests.exists():
            request = postaward.request_payment(
                grant, owner, "balance", grant.amount, [expense(grant.amount)],
                [invoice(), certificate()],
            )  # fmt: skip
            postaward.return_request(request, w.reviewer, "La facture manque.")
    mail.outbox.clear()
    return grant


def of_grant(name: str, stage: str = "granted") -> Callable[[World], str]:
    return lambda w: reverse(name, args=[beneficiary_grant(w, stage).dossier.uuid])


def returned_request(w: World):
    return beneficiary_grant(w, "returned").payment_requests.get()


def of_meeting(name: str) -> Callable[[World], str]:
    return lambda w: reverse(name, args=[REAL_CALL, decided(w).number])


DECISIONS = of_meeting("backoffice:decisions")


def granted_grant(w: World):
    """The grant of the decided meeting's retained dossier (built with ``decided``)."""
    from guichet.grants.models import Grant

    return Grant.objects.get(decision__item__meeting=decided(w))


def reviewer_token(w: World):
    """An API token of the reviewer for the real call (made once per world)."""
    token = getattr(w, "token", None)
    if token is None:
        from guichet.api import tokens
        from guichet.calls.models import Call

        token = tokens.create(w.reviewer, call=Call.objects.get(slug=REAL_CALL), name="Fuzz")[0]
        w.token = token  # type: ignore[attr-defined]
    return token


def lapse_url(w: World) -> str:
    return reverse("backoffice:grant-lapse", args=[REAL_CALL, granted_grant(w).pk])


GRANTS = of_call("backoffice:grants")


def followed(w: World):
    """Two granted dossiers of the real call (built once per world, on first use): Billom with a
    pending engagement proof; Arconsat engaged, with a certified instalment and its EJ, a checked
    instalment and a submitted balance (checked and certified by others than w's agents)."""
    grants = getattr(w, "grants", None)
    if grants is None:
        from decimal import Decimal

        from guichet.grants import postaward
        from tests.dossiers.factories import pdf_upload
        from tests.grants.factories import (
            FOLLOW_AT,
            Followers,
            engaged,
            expense,
            granted,
            invoice,
        )

        people = Followers()
        pending, owner, _ = granted(people)
        other, other_owner, _ = granted(people, code="63008", name="Arconsat")
        engaged(other, other_owner, people)
        with clock.frozen(FOLLOW_AT):
            postaward.submit_engagement(pending, owner, pdf_upload(), FOLLOW_AT.date())
            made = [
                postaward.request_payment(
                    other, other_owner, kind, Decimal(amount), [expense(cost)], pieces
                )
                for kind, amount, cost, pieces in (
                    ("instalment", "1000", "1000", [invoice()]),
                    ("instalment", "2000", "2000", [invoice()]),
                    ("instalment", "1000", "1000", [invoice()]),
                )
            ]
            for request in made[:2]:
                postaward.check_request(request, people.reviewer)
            postaward.certify(made[0], people.certifier, Decimal("1000"))
            postaward.record_legal_commitment(
                other, people.certifier, "2103456789", 2021, Decimal("1000")
            )
        mail.outbox.clear()
        grants = w.grants = (pending, other, made)  # type: ignore[attr-defined]
    return grants


def grant_of(name: str, which: int = 0, *more: Callable[[World], object]):
    return lambda w: reverse(name, args=[followed(w)[which].dossier.uuid, *[m(w) for m in more]])


def proof_id(w: World):
    return followed(w)[0].engagement_proofs.get().pk


def request_of(index: int):
    return lambda w: followed(w)[2][index].uuid


GRANT_PAGE = grant_of("backoffice:grant")
CERTIFIED, CHECKED, SUBMITTED = request_of(0), request_of(1), request_of(2)


def request_page(which: Callable[[World], object]) -> Callable[[World], str]:
    return grant_of("backoffice:payment-request", 1, which)


def on_request(name: str, which: Callable[[World], object]) -> Callable[[World], str]:
    return grant_of(f"backoffice:{name}", 1, which)


LIST = with_query(u("backoffice:dossiers"), f"appel={REAL_CALL}")
LIST_FIELDS = ("appel", "q", "onglet", "session", "arrondissement", "categorie", "type",
               "population", "verdict", "note_min", "note_max", "montant_min", "montant_max",
               "affectation", "tri", "taille", "colonnes", "choix_colonnes", "page")  # fmt: skip
REVIEW_PAGE = u("backoffice:dossier", review_uuid)


def meeting_url(name: str, which: str) -> Callable[[World], str]:
    def url(w: World) -> str:
        meeting = getattr(w, f"{which}_meeting")
        return reverse(f"backoffice:{name}", args=[REAL_CALL, meeting.number])

    return url


def item_url(name: str) -> Callable[[World], str]:
    def url(w: World) -> str:
        m = w.open_meeting
        return reverse(f"backoffice:{name}", args=[REAL_CALL, m.number, m.items.get().pk])

    return url


SUBMITTED_PAGE = u("backoffice:dossier", submitted_uuid)

TARGETS = [
    # Public
    Target("public:simulator", "anonymous", of_call("public:simulator"),
           of_call("public:simulator"), "GET", ("applicant", "q", "cost", "category",
           "submitted_on", "engaged_on")),
    Target("public:apply", "applicant", of_call("public:apply"), None, "GET", ("simulation",)),
    Target("public:collectivity-search", "anonymous", u("public:collectivity-search"), None,
           "GET", ("q", "vintage", "departement")),
    # Accounts
    Target("accounts:signup", "anonymous", u("accounts:signup"), u("accounts:signup")),
    Target("accounts:login", "anonymous", u("accounts:login"), u("accounts:login"),
           extra=("next",)),
    Target("accounts:login-code", "anonymous", u("accounts:login-code"), None,
           extra=("code", "next")),
    Target("accounts:password_reset", "anonymous", u("accounts:password_reset"),
           u("accounts:password_reset")),
    Target("accounts:password_reset_confirm", "anonymous",
           lambda w: reverse("accounts:password_reset_confirm", args=["MQ", "set-password"]),
           None, extra=("new_password1", "new_password2")),
    Target("accounts:resend-confirmation", "anonymous", u("accounts:resend-confirmation"),
           u("accounts:resend-confirmation"), extra=("email",)),
    Target("accounts:confirm", "anonymous", lambda w: reverse("accounts:confirm", args=["x.y"]),
           None, "GET"),
    Target("accounts:account", "applicant", u("accounts:account"), u("accounts:account"),
           extra=("next",)),
    Target("accounts:complete-profile", "reviewer", u("accounts:complete-profile"),
           u("accounts:complete-profile"), extra=("next",)),
    Target("accounts:totp", "manager", u("accounts:totp"), None, extra=("code", "next")),
    Target("accounts:verify", "manager", u("accounts:verify"), None, "GET", ("next",)),
    Target("accounts:totp-recovery-codes", "manager", u("accounts:totp-recovery-codes"), None,
           extra=("code",)),
    Target("accounts:totp-disable", "manager", u("accounts:totp-disable"), None,
           extra=("password", "code")),
    Target("accounts:logout", "applicant", u("accounts:logout"), None),
    Target("accounts:api-token-create", "reviewer", u("accounts:api-token-create"),
           u("accounts:account")),
    Target("accounts:api-token-revoke", "reviewer", lambda w: reverse(
        "accounts:api-token-revoke", args=[reviewer_token(w).uuid]),
           lambda w: (reviewer_token(w), reverse("accounts:account"))[1]),
    # Applicant
    Target("applicant:create", "applicant", u("applicant:create", lambda w: w.draft.call.slug),
           None, extra=("kind", "code")),
    *[Target("applicant:step", "applicant", step(s), step(s), extra=("_action",), id=f"step-{s}")
      for s in STEP_SLUGS],
    Target("applicant:partner-add", "applicant", u("applicant:partner-add", draft_uuid),
           step("porteur")),
    Target("applicant:partner-remove", "applicant",
           lambda w: reverse("applicant:partner-remove", args=[w.draft.uuid, 999999]), None),
    Target("applicant:piece-remove", "applicant",
           lambda w: reverse("applicant:piece-remove", args=[w.draft.uuid, 999999]), None),
    Target("applicant:attachment", "applicant",
           lambda w: reverse("applicant:attachment", args=[w.submitted.uuid,
                             w.submitted.attachments.first().pk]), None, "GET", ("apercu",)),
    Target("applicant:message-post", "applicant", u("applicant:message-post", submitted_uuid),
           u("applicant:dossier", submitted_uuid), extra=("body",)),
    Target("applicant:invite", "applicant", u("applicant:invite", submitted_uuid),
           u("applicant:dossier", submitted_uuid), extra=("email",)),
    Target("applicant:withdraw", "applicant", u("applicant:withdraw", submitted_uuid),
           u("applicant:dossier", submitted_uuid), extra=("reason",)),
    Target("applicant:invitation", "applicant",
           lambda w: reverse("applicant:invitation", args=["x.y"]), None),
    Target("applicant:grant", "beneficiary", of_grant("applicant:grant"),
           of_grant("applicant:grant"), extra=("file", "signed_on")),
    Target("applicant:payment-request", "beneficiary",
           of_grant("applicant:payment-request", "engaged"),
           of_grant("applicant:payment-request", "engaged"),
           extra=("kind", "amount", "confirm", "_action", "lignes-TOTAL_FORMS",
                  "lignes-INITIAL_FORMS", "lignes-0-invoiced_on", "lignes-0-amount_excl_vat",
                  "lignes-0-amount_incl_vat", "piece_invoice")),
    Target("applicant:payment-request-detail", "beneficiary",
           lambda w: reverse("applicant:payment-request-detail",
                             args=[returned_request(w).grant.dossier.uuid,
                                   returned_request(w).uuid]),
           lambda w: reverse("applicant:payment-request-detail",
                             args=[returned_request(w).grant.dossier.uuid,
                                   returned_request(w).uuid]),
           extra=("note", "piece_invoice", "piece_other")),
    Target("applicant:request-piece", "beneficiary",
           lambda w: reverse("applicant:request-piece",
                             args=[returned_request(w).grant.dossier.uuid,
                                   returned_request(w).uuid,
                                   returned_request(w).pieces.first().pk]),
           None, "GET", ("apercu",)),
    # Back-office
    Target("backoffice:dossiers", "reviewer", LIST, LIST, "GET", LIST_FIELDS),
    Target("backoffice:bulk", "manager", u("backoffice:bulk"), LIST,
           extra=("appel", "action", "dossiers", "instructeur", "message", "confirmer", "retour")),
    Target("backoffice:export-create", "reviewer", u("backoffice:export-create"), LIST,
           extra=("format", "retour")),
    Target("backoffice:export", "reviewer",
           lambda w: reverse("backoffice:export", args=["00000000-0000-0000-0000-000000000000"]),
           None, "GET"),
    Target("backoffice:dossier", "reviewer", REVIEW_PAGE, None, "GET", ("apercu", "onglet")),
    Target("backoffice:start-review", "reviewer", u("backoffice:start-review", submitted_uuid),
           SUBMITTED_PAGE),
    Target("backoffice:take", "reviewer", u("backoffice:take", submitted_uuid), None),
    Target("backoffice:request-correction", "reviewer",
           u("backoffice:request-correction", review_uuid), REVIEW_PAGE, extra=("message",)),
    Target("backoffice:message-post", "reviewer", u("backoffice:message-post", review_uuid),
           REVIEW_PAGE, extra=("body",)),
    Target("backoffice:score", "reviewer", u("backoffice:score", review_uuid), REVIEW_PAGE),
    Target("backoffice:propose", "reviewer", u("backoffice:propose", review_uuid), REVIEW_PAGE,
           extra=("kind", "amount", "justification", "confirmer")),
    Target("backoffice:population", "reviewer", u("backoffice:population", review_uuid),
           REVIEW_PAGE, extra=("population", "population_justification")),
    Target("backoffice:note", "reviewer", u("backoffice:note", review_uuid), REVIEW_PAGE,
           extra=("note",)),
    Target("backoffice:invite-contact", "reviewer", u("backoffice:invite-contact", review_uuid),
           None, extra=("email",)),
    Target("backoffice:assign", "manager", u("backoffice:assign", review_uuid), REVIEW_PAGE,
           extra=("reviewer", "arrondissement", "reason")),
    Target("backoffice:attachment", "reviewer",
           lambda w: reverse("backoffice:attachment", args=[w.in_review.uuid,
                             w.in_review.attachments.first().pk]), None, "GET", ("apercu",)),
    # After the decision: a grant and its payment requests
    Target("backoffice:engagement-file", "reviewer", grant_of("backoffice:engagement-file", 0,
           proof_id), None, "GET", ("apercu",)),
    Target("backoffice:engagement-validate", "reviewer",
           grant_of("backoffice:engagement-validate", 0, proof_id), GRANT_PAGE),
    Target("backoffice:engagement-refuse", "reviewer",
           grant_of("backoffice:engagement-refuse", 0, proof_id), GRANT_PAGE, extra=("reason",)),
    Target("backoffice:legal-commitment", "manager", grant_of("backoffice:legal-commitment"),
           GRANT_PAGE, extra=("number", "year", "amount", "confirm")),
    Target("backoffice:request-piece", "reviewer",
           lambda w: reverse("backoffice:request-piece", args=[
               followed(w)[1].dossier.uuid, SUBMITTED(w),
               followed(w)[2][2].pieces.first().pk]), None, "GET", ("apercu",)),
    Target("backoffice:request-check", "reviewer", on_request("request-check", SUBMITTED),
           request_page(SUBMITTED)),
    Target("backoffice:request-return", "reviewer", on_request("request-return", SUBMITTED),
           request_page(SUBMITTED), extra=("pieces-reason",)),
    Target("backoffice:request-refuse", "reviewer", on_request("request-refuse", CHECKED),
           request_page(CHECKED), extra=("refus-reason",)),
    Target("backoffice:request-certify", "manager", on_request("request-certify", CHECKED),
           request_page(CHECKED), extra=("amount_due", "note", "confirm")),
    Target("backoffice:request-pay", "manager", on_request("request-pay", CERTIFIED),
           request_page(CERTIFIED), extra=("number", "paid_on", "amount", "confirm")),
    Target("backoffice:agents", "manager", of_call("backoffice:agents"), None, "GET"),
    Target("backoffice:decisions-generate", "manager", of_meeting("backoffice:decisions-generate"),
           DECISIONS),
    Target("backoffice:decision-scan", "manager", of_meeting("backoffice:decision-scan"),
           DECISIONS, extra=("file", "document")),
    Target("backoffice:decisions-notify", "manager", of_meeting("backoffice:decisions-notify"),
           DECISIONS),
    Target("backoffice:decision-notify", "manager",
           lambda w: reverse("backoffice:decision-notify", args=[REAL_CALL, decided(w).number,
                             w.documents[-1].uuid]), DECISIONS),
    Target("backoffice:agent-invite", "manager", of_call("backoffice:agent-invite"),
           of_call("backoffice:agent-invite"), extra=("email", "role", "whole", "arrondissements")),
    Target("backoffice:agent-edit", "manager",
           lambda w: reverse("backoffice:agent-edit", args=[REAL_CALL,
                             w.reviewer.agent_roles.get(call__slug=REAL_CALL).pk]),
           None, extra=("whole", "arrondissements")),
    Target("backoffice:agent-chair", "manager",
           lambda w: reverse("backoffice:agent-chair", args=[REAL_CALL, 999999]), None),
    Target("backoffice:agent-remove", "manager",
           lambda w: reverse("backoffice:agent-remove", args=[REAL_CALL, 999999]), None),
    Target("backoffice:meeting-create", "manager", of_call("backoffice:meeting-create"),
           of_call("backoffice:meeting-create")),
    Target("backoffice:meeting-agenda", "manager", meeting_url("meeting-agenda", "draft"),
           meeting_url("meeting", "draft")),
    Target("backoffice:meeting-convene", "manager", meeting_url("meeting-convene", "draft"),
           meeting_url("meeting", "draft"), extra=("confirm",)),
    Target("backoffice:meeting-open", "chair", meeting_url("meeting-open", "open"), None,
           extra=("present",)),
    Target("backoffice:meeting-close", "chair", meeting_url("meeting-close", "open"),
           meeting_url("meeting", "open"), extra=("confirm",)),
    Target("backoffice:item-conflict", "chair", item_url("item-conflict"),
           meeting_url("meeting", "open")),
    Target("backoffice:item-vote", "chair", item_url("item-vote"), meeting_url("meeting", "open")),
    Target("backoffice:item-decide", "chair", item_url("item-decide"),
           meeting_url("meeting", "open")),
    Target("backoffice:item-programming", "chair", item_url("item-programming"),
           meeting_url("meeting", "open"), extra=("what", "amount", "reason", "year")),
    Target("backoffice:meeting-adopt", "chair", meeting_url("meeting-adopt", "open"),
           meeting_url("meeting", "open"), extra=("items",)),
    Target("backoffice:grants", "manager", GRANTS, GRANTS, "GET", ("annee", "etat")),
    Target("backoffice:grants-export", "manager", of_call("backoffice:grants-export"),
           lambda w: (decided(w), GRANTS(w))[1], "GET", ("quoi", "format", "enveloppe")),
    Target("backoffice:grant-lapse", "manager", lapse_url, lapse_url, extra=("note", "confirm")),
    Target("backoffice:agent-invitation", "anonymous",
           lambda w: reverse("backoffice:agent-invitation", args=[REAL_CALL, "x.y"]), None,
           extra=("first_name", "last_name", "new_password1", "new_password2")),
]  # fmt: skip

API = "the read API: fuzzed by schemathesis against its OpenAPI document (tests/api)"
# Named URLs that take no input worth fuzzing beyond their path, with the reason.
FORMLESS = {
    "public:home": "lists the calls",
    "public:call": "a call's page",
    "public:accessibility": "static text",
    "public:open-data-csv": "a file built from the call in the path; no input (tests/grants)",
    "public:open-data-json": "a file built from the call in the path; no input (tests/grants)",
    "public:results": "a call's results, built from the call in the path; no input (tests/www)",
    "applicant:dossiers": "lists the user's dossiers",
    "applicant:dossier": "shows a dossier (its forms post to their own targets)",
    "applicant:message-attachment": "a file, by its id in the path",
    "applicant:receipt": "a fragment polled by htmx; its only input is the dossier in the path",
    "backoffice:export-download": "a file, by its id in the path",
    "backoffice:decisions": "shows a closed meeting's decisions (its forms post to their targets)",
    "backoffice:decisions-progress": "a fragment polled by htmx; its input is the meeting in the path",
    "backoffice:decision-file": "a file, by its id in the path",
    "backoffice:decision-signed-file": "a file, by its id in the path",
    "applicant:decision": "a file, by its id in the path",
    "backoffice:message-attachment": "a file, by its id in the path",
    "backoffice:lapse-notice": "a file, by the grant's id in the path",
    "applicant:lapse-notice": "a file, by the dossier in the path",
    "backoffice:grant": "shows a grant (its forms post to their own targets)",
    "backoffice:payment-request": "shows a payment request (its forms post to their targets)",
    "backoffice:committee": "lists the call's envelopes and meetings",
    "backoffice:meeting": "shows a meeting (its forms post to their own targets)",
    "backoffice:meeting-document": "a file, by its kind in the path",
    "accounts:signup-done": "static text",
    "accounts:password_reset_done": "static text",
    "accounts:password_reset_complete": "static text",
    "accounts:proconnect-login": "a redirection to ProConnect (off in the tests)",
    "accounts:proconnect-callback": "tested against a fake provider in tests/accounts",
    "accounts:proconnect-logged-out": "static text",
    "api:openapi": API,
    "api:documentation": API,
    "api:calls": API,
    "api:call": API,
    "api:open-data": API,
    "api:envelopes": API,
    "api:ledger": API,
    "api:dossiers": API,
    "api:grants": API,
    "api:meetings": API,
    "api:dossier": API,
}
BY_NAME = {t.name for t in TARGETS}


def named_urls(resolver: URLResolver | None = None, prefix: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # Django's own admin
            ns = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            names |= named_urls(pattern, ns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(prefix + pattern.name)
    return names


def test_every_named_url_is_fuzzed_or_said_formless():
    missing = named_urls() - BY_NAME - set(FORMLESS)
    assert not missing, f"add these URLs to TARGETS (or to FORMLESS, with a reason): {missing}"
    stale = (BY_NAME | set(FORMLESS)) - named_urls()
    assert not stale, f"these URLs no longer exist: {stale}"
    assert not BY_NAME & set(FORMLESS)


# ---------------------------------------------------------------- reading a page's forms


class Forms(HTMLParser):
    """Every form of a page: its action, its method, and its fields' names and offered values."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._current: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._current = {"action": a.get("action") or "", "method": (a.get("method") or
                             "get").upper(), "fields": {}}  # fmt: skip
            self.forms.append(self._current)
        elif tag in ("input", "select", "textarea", "button", "option") and self._current:
            if tag == "option":
                if self._last is not None and a.get("value") is not None:
                    self._last.append(a["value"])
                return
            name = a.get("name") or a.get("form-name")
            if not name:
                return
            values = self._current["fields"].setdefault(name, [])
            if a.get("value") is not None:
                values.append(a["value"])
            self._last = values if tag == "select" else None

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None

    _last: list | None = None


def forms_of(html: str) -> list[dict]:
    parser = Forms()
    parser.feed(html)
    return parser.forms


def discover(client: Client, target: Target, world: World) -> dict[str, list[str]]:
    """The fields of the target's form on its page, with the values the page offers."""
    if target.page is None:
        return {}
    page_url = target.page(world)
    response = client.get(page_url)
    assert response.status_code == 200, (target.label, page_url, response.status_code)
    action_path = urlsplit(target.action(world)).path
    fields: dict[str, list[str]] = {}
    for form in forms_of(response.content.decode()):
        path = urlsplit(urljoin(page_url, form["action"])).path
        if path == action_path and form["method"] == target.method:
            for name, values in form["fields"].items():
                fields.setdefault(name, []).extend(values)
        else:  # a form of this page posts elsewhere: it must be a target too
            try:
                name = resolve(path).view_name
            except Exception:  # an external action (ProConnect…)
                continue
            assert name in BY_NAME or name in FORMLESS, (
                f"{page_url} has a form posting to {name}, which is not fuzzed"
            )
    assert fields or target.extra, f"{target.label}: no form posting to {action_path} on {page_url}"
    return fields


# ---------------------------------------------------------------- the fuzzing


@pytest.fixture
def world(db):
    with clock.frozen(IN_WINDOW):
        owner = agent()
        dossier = draft(owner)
        submitted = services.submit(complete(draft(owner), owner), owner)
        second = services.submit(complete(draft(owner), owner), owner)
        rev = reviewer()
        in_review = services.start_review(second, rev)
        manager = reviewer(role="manager")
        give_totp(manager)  # a manager reaches the back-office with a second factor set up
    chair, open_meeting, draft_meeting = _meetings(manager)
    mail.outbox.clear()
    return World(owner, dossier, submitted, in_review, rev, manager, chair, open_meeting,
                 draft_meeting)  # fmt: skip


def _meetings(manager):
    """An open meeting with one dossier on its agenda, and one in preparation with a candidate,
    both on the day of the fuzzing's frozen clock."""
    import datetime as dt

    from guichet.calls.models import Call
    from guichet.committee import services as committee
    from guichet.review.models import AgentRole
    from tests.committee.factories import proposed

    call = Call.objects.get(slug=REAL_CALL)
    chair = reviewer(role="committee")
    AgentRole.objects.filter(user=chair, call=call).update(chair=True)
    on_agenda = proposed(code="63008", name="Arconsat")
    proposed(code="63005", name="Antoingt")
    sessions = list(call.sessions.all())
    with clock.frozen(IN_WINDOW):
        starts_at = IN_WINDOW + dt.timedelta(hours=4)
        open_meeting = committee.create_meeting(
            call, manager, starts_at=starts_at, place="Thiers", sessions=sessions
        )
        committee.set_agenda(open_meeting, manager, [on_agenda.pk])
        committee.convene(open_meeting, manager)
        open_meeting = committee.open_meeting(open_meeting, chair, [chair.pk])
        draft_meeting = committee.create_meeting(
            call, manager, starts_at=starts_at, place="Thiers", sessions=sessions
        )
    return chair, open_meeting, draft_meeting


def values_for(offered: list[str]) -> st.SearchStrategy[str]:
    known = [v for v in offered if v] or ["x"]
    return st.one_of(st.sampled_from(NASTY), st.sampled_from(known), _text)


def request_data(fields: dict[str, list[str]]) -> st.SearchStrategy[dict[str, object]]:
    """Each field omitted, given one value, or repeated; sometimes a field nobody expects."""
    per_field = {
        name: st.one_of(
            st.none(),
            values_for(offered),
            st.lists(values_for(offered), min_size=2, max_size=3),
        )
        for name, offered in fields.items()
    }
    return st.tuples(
        st.fixed_dictionaries(per_field),
        st.dictionaries(st.sampled_from(["_action", "appel", "next", "page", "x"]), _text,
                        max_size=2),
    ).map(lambda pair: {**pair[1], **{k: v for k, v in pair[0].items() if v is not None}})  # fmt: skip


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.label)
def test_no_input_makes_a_500(target, world):
    client = Client()  # raise_request_exception: a view's exception fails the test
    user = world.user(target.who)
    with clock.frozen(IN_WINDOW):
        if user is not None:
            client.force_login(user)
        fields = discover(client, target, world)
    for name in target.extra:
        fields.setdefault(name, [])
    url = target.action(world)

    def send(data: dict[str, object]) -> None:
        caches["default"].clear()  # no sign-in delay carried from one request to the next
        with clock.frozen(IN_WINDOW), transaction.atomic():
            if user is not None:
                client.force_login(user)  # a previous request may have signed out
            else:
                client.logout()
            method = client.get if target.method == "GET" else client.post
            response = method(url, data)
            transaction.set_rollback(True)  # every request starts from the same world
        assert response.status_code < 500, (target.label, data, response.status_code)

    # First every troublemaker in every field at once: a form cleans all its fields, so one
    # request per value reaches each field's parser.
    for value in NASTY:
        send(dict.fromkeys(fields, value))

    # Then Hypothesis's mixtures.
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=SEED is None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(request_data(fields))
    def fuzz(data):
        send(data)

    if SEED is not None:
        fuzz = seed(int(SEED))(fuzz)
    fuzz()
