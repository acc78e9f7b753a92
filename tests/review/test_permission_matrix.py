"""Each role × each action × a dossier of the reviewer's own arrondissement (632) or another (634).

The expected table is written out here, not computed from ``permissions.ALLOWED``: a change of
the matrix must change this table too. A few actions also go through the real pages, which must
answer 404 to whoever may not act (never 500, never a 403 that reveals the dossier to outsiders).
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from guichet import clock
from guichet.calls.models import Call
from guichet.dossiers import services
from guichet.dossiers.models import Dossier
from guichet.dossiers.workflow import State
from guichet.review.permissions import Do, can
from tests.dossiers.factories import IN_WINDOW, REAL_CALL, agent, complete, draft
from tests.review.factories import OTHER, OWN, call_agents

pytestmark = pytest.mark.django_db


ROLES = ["reviewer_632", "reviewer_63", "manager", "committee", "auditor", "applicant",
         "other_call"]  # fmt: skip

# For each action, what each role may do: "O" on the dossier routed to 632 (own), "X" on the one
# routed to 634 (other); "" nothing.
#                             rev 632  rev 63  manager committee auditor applicant other call
EXPECTED = {
    Do.VIEW:                  ("O",    "OX",   "OX",   "OX",     "OX",   "",       ""),
    Do.START_REVIEW:          ("O",    "OX",   "OX",   "",       "",     "",       ""),
    Do.REQUEST_CORRECTION:    ("O",    "OX",   "OX",   "",       "",     "",       ""),
    Do.MESSAGE:               ("O",    "OX",   "OX",   "",       "",     "",       ""),
    Do.NOTE:                  ("O",    "OX",   "OX",   "",       "",     "",       ""),
    Do.SCORE:                 ("O",    "OX",   "OX",   "",       "",     "",       ""),
    Do.PROPOSE:               ("O",    "OX",   "OX",   "",       "",     "",       ""),
    Do.CORRECT_POPULATION:    ("O",    "OX",   "OX",   "",       "",     "",       ""),
    Do.ASSIGN:                ("",     "",     "OX",   "",       "",     "",       ""),
    Do.EXPORT:                ("O",    "OX",   "OX",   "OX",     "OX",   "",       ""),
    Do.MANAGE_AGENTS:         ("",     "",     "OX",   "",       "",     "",       ""),
    Do.VOTE:                  ("",     "",     "",     "OX",     "",     "",       ""),
    Do.DECIDE:                ("",     "",     "",     "OX",     "",     "",       ""),
    Do.CONVENE:               ("",     "",     "OX",   "",       "",     "",       ""),
    Do.ISSUE:                 ("",     "",     "OX",   "",       "",     "",       ""),
    Do.FOLLOW:                ("O",    "OX",   "OX",   "",       "",     "",       ""),
    Do.CERTIFY:               ("",     "",     "OX",   "",       "",     "",       ""),
    Do.ACCOUNT:               ("",     "",     "OX",   "",       "",     "",       ""),
    Do.LAPSE:                 ("",     "",     "OX",   "",       "",     "",       ""),
}  # fmt: skip


def test_the_table_covers_every_action():
    assert set(EXPECTED) == set(Do)
    assert all(len(row) == len(ROLES) for row in EXPECTED.values())


@pytest.fixture
def world(django_capture_on_commit_callbacks):
    call = Call.objects.get(slug=REAL_CALL)
    other_call = Call.objects.exclude(pk=call.pk).first()
    billom, riom = agent(), agent("commune", "63300", "Riom")
    with clock.frozen(IN_WINDOW), django_capture_on_commit_callbacks(execute=True):
        own = services.submit(complete(draft(billom), billom), billom)
        other = services.submit(complete(draft(riom), riom), riom)
    # Routed by hand, so that the test does not depend on the reference data's arrondissements.
    Dossier.objects.filter(pk=own.pk).update(arrondissement_code=OWN)
    Dossier.objects.filter(pk=other.pk).update(arrondissement_code=OTHER)
    own.refresh_from_db()
    other.refresh_from_db()

    users = call_agents(call, other_call, billom)
    mail.outbox.clear()
    return users, {"O": own, "X": other}


def test_can_matches_the_table(world):
    users, dossiers = world
    differences = []
    for action, row in EXPECTED.items():
        for role, allowed in zip(ROLES, row, strict=True):
            for side, dossier in dossiers.items():
                expected = side in allowed
                got = can(users[role], action, dossier)
                if got != expected:
                    differences.append(f"{role} {action} {side}: {got} (expected {expected})")
    assert not differences, "\n".join(differences)


def test_the_queryset_condition_matches_the_table(world):
    """``coverage`` (lists, exports) says the same as ``can`` (one dossier), for every action."""
    from guichet.exports.services import export_scope
    from guichet.review.permissions import coverage, visible_dossiers

    users, dossiers = world
    call = dossiers["O"].call
    differences = []
    for action, row in EXPECTED.items():
        for role, allowed in zip(ROLES, row, strict=True):
            got = set(
                Dossier.objects.filter(coverage(users[role], call, action), call=call)
                .filter(pk__in=[d.pk for d in dossiers.values()])
                .values_list("pk", flat=True)
            )
            expected = {dossiers[side].pk for side in allowed if role != "applicant"}
            if got != expected:
                differences.append(f"{role} {action}: {sorted(got)} (expected {sorted(expected)})")
    assert not differences, "\n".join(differences)
    for role in ROLES:
        user = users[role]
        assert str(export_scope(user, call)) == str(coverage(user, call, Do.EXPORT))
        visible = set(visible_dossiers(user, call).values_list("pk", flat=True))
        assert visible == set(
            Dossier.objects.filter(coverage(user, call, Do.VIEW), call=call)
            .exclude(submitted_at=None)
            .values_list("pk", flat=True)
        )


def test_drafts_are_nobodys_business_but_their_teams(world):
    users, _ = world
    dossier = draft(agent())
    assert not any(can(u, a, dossier) for u in users.values() for a in Do)


# --------------------------------------------------------------------------------------------
# Through the pages


def _reset(dossier):
    Dossier.objects.filter(pk=dossier.pk).update(state=State.SUBMITTED)
    dossier.refresh_from_db()


def refused(response, may, label):
    """Nothing done: a 404 for who may not see the dossier; who may see it (committee, auditor)
    is refused with a message or a 404, never an error."""
    if Do.VIEW not in may:
        assert response.status_code == 404, label
    else:
        assert response.status_code in (302, 403, 404, 422), label


@pytest.mark.parametrize("role", ROLES)
def test_pages_answer_404_or_act(client, world, role, django_capture_on_commit_callbacks):
    users, dossiers = world
    client.force_login(users[role])
    for side, dossier in dossiers.items():
        may = {a for a, row in EXPECTED.items() if side in row[ROLES.index(role)]}
        label = f"{role} on {side}"

        # Download a piece: VIEW.
        piece = dossier.attachments.first()
        response = client.get(reverse("backoffice:attachment", args=[dossier.uuid, piece.pk]))
        assert response.status_code == (200 if Do.VIEW in may else 404), label

        # Start the review.
        response = client.post(reverse("backoffice:start-review", args=[dossier.uuid]))
        dossier.refresh_from_db()
        if Do.START_REVIEW in may:
            assert response.status_code == 302 and dossier.state == State.IN_REVIEW, label
            _reset(dossier)
        else:
            refused(response, may, label)
            assert dossier.state == State.SUBMITTED, label

        # Request corrections (the team gets an e-mail).
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("backoffice:request-correction", args=[dossier.uuid]),
                {"message": "Le devis n’est pas signé."},
            )
        dossier.refresh_from_db()
        if Do.REQUEST_CORRECTION in may:
            assert response.status_code == 302, label
            assert dossier.state == State.CORRECTION_REQUESTED, label
            _reset(dossier)
        else:
            refused(response, may, label)
            assert dossier.state == State.SUBMITTED, label

        # A message to the team.
        count = dossier.messages.count()
        response = client.post(
            reverse("backoffice:message-post", args=[dossier.uuid]),
            {"body": "Pouvez-vous préciser le calendrier ?"},
        )
        if Do.MESSAGE in may:
            assert response.status_code == 302 and dossier.messages.count() == count + 1, label
        else:
            refused(response, may, label)
            assert dossier.messages.count() == count, label


@pytest.mark.parametrize("role", ROLES)
def test_the_grants_pages_answer_404_or_show(client, world, role):
    """The call's grants (VIEW, a reviewer's arrondissements only), the lapse's page (LAPSE) and
    the accounting exports (EXPORT), for grants committed on both dossiers."""
    from decimal import Decimal

    from guichet.grants import services as grants
    from tests.grants.factories import AFTER_DEADLINE

    users, dossiers = world
    call = dossiers["O"].call
    made = {side: grants.commit(d, 2021, Decimal("5000"), None) for side, d in dossiers.items()}
    client.force_login(users[role])
    row = EXPECTED[Do.VIEW][ROLES.index(role)]
    response = client.get(reverse("backoffice:grants", args=[call.slug]))
    if row:
        assert response.status_code == 200, role
        html = response.content.decode()
        for side, dossier in dossiers.items():
            assert (f">{dossier.number}</a>" in html) == (side in row), (role, side)
    else:
        assert response.status_code == 404, role
    with clock.frozen(AFTER_DEADLINE):
        for side, grant in made.items():
            url = reverse("backoffice:grant-lapse", args=[call.slug, grant.pk])
            allowed = side in EXPECTED[Do.LAPSE][ROLES.index(role)]
            assert client.get(url).status_code == (200 if allowed else 404), (role, side)
    url = reverse("backoffice:grants-export", args=[call.slug])
    response = client.get(url, {"quoi": "annee", "enveloppe": "2021", "format": "csv"})
    exports = EXPECTED[Do.EXPORT][ROLES.index(role)]
    assert response.status_code == (200 if exports else 404), role
    if exports:
        lines = response.content.decode("utf-8-sig").splitlines()
        assert len(lines) == 1 + len(exports), role


# --------------------------------------------------------------------------------------------
# The grant's pages (after the decision): see with VIEW, act with FOLLOW, CERTIFY or ACCOUNT.


@pytest.fixture
def followed_grants(world):
    """Per side, a grant with a pending proof and an engaged grant with a certified request
    (and its EJ), a checked one and a submitted one: checked and certified by other agents."""
    import datetime as dt
    from decimal import Decimal

    from guichet.grants import postaward
    from guichet.grants.models import Grant
    from tests.committee.decision_factories import closed_meeting
    from tests.committee.factories import proposed
    from tests.dossiers.factories import pdf_upload
    from tests.grants.factories import FOLLOW_AT, Followers, expense, invoice

    users, _ = world
    people = Followers()
    made = {side: (proposed(), proposed()) for side in ("O", "X")}
    closed_meeting(people.team, retained=[d for pair in made.values() for d in pair])
    out = {}
    for (side, (first, second)), code in zip(made.items(), (OWN, OTHER), strict=True):
        Dossier.objects.filter(pk__in=[first.pk, second.pk]).update(arrondissement_code=code)
        pending, followed = (Grant.objects.get(dossier=d) for d in (first, second))
        owner, other_owner = (d.memberships.get().user for d in (first, second))
        with clock.frozen(FOLLOW_AT):
            proof = postaward.submit_engagement(pending, owner, pdf_upload(), dt.date(2021, 9, 1))
            engagement = postaward.submit_engagement(
                followed, other_owner, pdf_upload(), dt.date(2021, 9, 1)
            )
            postaward.validate_engagement(engagement, people.reviewer)
            requests = [
                postaward.request_payment(
                    followed, other_owner, kind, Decimal(amount), [expense(cost)], pieces
                )
                for kind, amount, cost, pieces in (
                    ("instalment", "1000", "1000", [invoice()]),
                    ("instalment", "2000", "2000", [invoice()]),
                    ("instalment", "1000", "1000", [invoice()]),
                )
            ]
            for request in requests[:2]:
                postaward.check_request(request, people.reviewer)
            postaward.certify(requests[0], people.certifier, Decimal("1000"))
            postaward.record_legal_commitment(
                followed, people.certifier, "210345678" + str(len(out)), 2021, Decimal("1000")
            )
        out[side] = (pending, proof, followed, requests)
    mail.outbox.clear()
    return users, out


@pytest.mark.parametrize("role", ROLES)
def test_grant_pages_answer_404_or_act(client, followed_grants, role):
    import datetime as dt

    from guichet.grants.models import EngagementStatus, LegalCommitment, Payment, RequestStatus
    from tests.grants.factories import FOLLOW_AT

    users, sides = followed_grants
    client.force_login(users[role])
    for side, (pending, proof, followed, (certified, checked, submitted)) in sides.items():
        may = {a for a, row in EXPECTED.items() if side in row[ROLES.index(role)]}
        label = f"{role} on {side}"
        uuid = pending.dossier.uuid
        ruuid = followed.dossier.uuid

        # The pages and the files: VIEW.
        seen = 200 if Do.VIEW in may else 404
        piece = submitted.pieces.first()
        for url in (
            reverse("backoffice:grant", args=[uuid]),
            reverse("backoffice:engagement-file", args=[uuid, proof.pk]),
            reverse("backoffice:payment-request", args=[ruuid, submitted.uuid]),
            reverse("backoffice:request-piece", args=[ruuid, submitted.uuid, piece.pk]),
        ):
            assert client.get(url).status_code == seen, f"{label} {url}"

        def act(name, dossier_uuid, *args, data=None):
            with clock.frozen(FOLLOW_AT + dt.timedelta(days=1)):
                url = reverse(f"backoffice:{name}", args=[dossier_uuid, *args])
                return client.post(url, data or {})

        # FOLLOW: refuse the proof (no reason: refused at the field), then validate it; ask for
        # pieces and refuse (no reason), check the submitted request.
        follows = [
            act("engagement-refuse", uuid, proof.pk),
            act("request-return", ruuid, submitted.uuid),
            act("request-refuse", ruuid, checked.uuid),
        ]
        for response in follows:
            assert response.status_code == (422 if Do.FOLLOW in may else 404), label
        response = act("engagement-validate", uuid, proof.pk)
        proof.refresh_from_db()
        if Do.FOLLOW in may:
            assert response.status_code == 302 and proof.status == EngagementStatus.VALIDATED
        else:
            assert response.status_code == 404 and proof.status == EngagementStatus.SUBMITTED
        response = act("request-check", ruuid, submitted.uuid)
        submitted.refresh_from_db()
        if Do.FOLLOW in may:
            assert response.status_code == 302 and submitted.status == RequestStatus.CHECKED
        else:
            assert response.status_code == 404 and submitted.status == RequestStatus.SUBMITTED

        # CERTIFY: the checked instalment of 2 000 €.
        response = act("request-certify", ruuid, checked.uuid,
                       data={"amount_due": "2 000", "confirm": "on"})  # fmt: skip
        checked.refresh_from_db()
        if Do.CERTIFY in may:
            assert response.status_code == 302 and checked.status == RequestStatus.CERTIFIED
        else:
            assert response.status_code == 404 and checked.status == RequestStatus.CHECKED

        # ACCOUNT: an EJ for 2022, the certified instalment's payment.
        before = LegalCommitment.objects.count()
        response = act("legal-commitment", uuid, data={
            "number": f"220345678{'1' if side == 'O' else '2'}", "year": "2022", "amount": "1 000",
            "confirm": "on",
        })  # fmt: skip
        if Do.ACCOUNT in may:
            assert response.status_code == 302 and LegalCommitment.objects.count() == before + 1
        else:
            assert response.status_code == 404 and LegalCommitment.objects.count() == before
        response = act("request-pay", ruuid, certified.uuid, data={
            "number": f"10004{'1' if side == 'O' else '2'}", "paid_on": "16/09/2021",
            "amount": "1 000", "confirm": "on",
        })  # fmt: skip
        paid = Payment.objects.filter(request=certified).exists()
        if Do.ACCOUNT in may:
            assert response.status_code == 302 and paid, label
        else:
            assert response.status_code == 404 and not paid, label


# --------------------------------------------------------------------------------------------
# Through the read API: a token sees what its agent may VIEW, on its call only


@pytest.mark.parametrize("role", [r for r in ROLES if r != "applicant"])
def test_api_tokens_follow_the_table(client, world, role):
    from guichet.api import tokens

    users, dossiers = world
    call = dossiers["O"].call
    user = users[role]
    token_call = call if role != "other_call" else user.call_roles()[0].call
    secret = tokens.create(user, call=token_call, name="Matrice")[1]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    allowed = EXPECTED[Do.VIEW][ROLES.index(role)]
    for side, dossier in dossiers.items():
        response = client.get(reverse("api:dossier", args=[dossier.uuid]), **auth)
        assert response.status_code == (200 if side in allowed else 404), (role, side)
    listed = client.get(reverse("api:dossiers", args=[call.slug]), **auth)
    if role == "other_call":
        assert listed.status_code == 404
    else:
        numbers = {d["number"] for d in listed.json()["results"]}
        assert numbers == {dossiers[side].number for side in allowed}, role


def test_an_applicant_cannot_make_a_token(world):
    from guichet.api import tokens

    users, dossiers = world
    with pytest.raises(tokens.TokenRefused):
        tokens.create(users["applicant"], call=dossiers["O"].call, name="x")
