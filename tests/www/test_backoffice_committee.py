"""The committee's pages through the test client: prepare, convene, open, declare, decide, close,
each refusal at its field with what was typed kept, and a 404 for whoever has no role."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.urls import reverse

from guichet import clock
from guichet.committee.models import Meeting, MeetingStatus
from guichet.dossiers.workflow import State
from guichet.grants.models import Grant
from tests.accounts.two_factor_helpers import give_totp
from tests.committee.factories import CONVENED_ON, MEETING_AT, Committee, proposed
from tests.dossiers.factories import agent

pytestmark = pytest.mark.django_db


def error_at(html, name):
    match = re.search(rf'id="{name}-error"[^>]*>(.*?)</div>', html, re.S)
    assert match, f"no error container for {name}"
    return re.sub(r"<[^>]+>", " ", match.group(1)).strip()


@pytest.fixture
def team():
    t = Committee()
    give_totp(t.manager)
    return t


def u(name, call, *args):
    return reverse(f"backoffice:{name}", args=[call.slug, *args])


def test_the_whole_meeting_through_the_pages(client, team, django_capture_on_commit_callbacks):
    billom, arconsat = proposed(), proposed(code="63008", name="Arconsat")
    call = team.call
    client.force_login(team.manager)
    with clock.frozen(CONVENED_ON):
        page = client.get(u("committee", call)).content.decode()
        assert "148\u00a0500\u00a0€" in page and "Préparer une séance" in page
        # A malformed time keeps the rest of what was typed.
        r = client.post(u("meeting-create", call), {
            "day": "15/07/2021", "time": "25h", "place": "Sous-préfecture de Thiers",
            "sessions": [s.pk for s in call.sessions.all()],
        })  # fmt: skip
        assert r.status_code == 200
        html = r.content.decode()
        assert "n’est pas une heure" in error_at(html, "time")
        assert 'value="Sous-préfecture de Thiers"' in html
        r = client.post(u("meeting-create", call), {
            "day": "15/07/2021", "time": "10h", "place": "Sous-préfecture de Thiers",
            "sessions": [s.pk for s in call.sessions.all()],
        })  # fmt: skip
        assert r.status_code == 302
        meeting = Meeting.objects.get(call=call)
        assert meeting.starts_at == MEETING_AT
        page = client.get(u("meeting", call, 1)).content.decode()
        assert billom.number in page and arconsat.number in page
        client.post(u("meeting-agenda", call, 1), {"dossiers": [billom.pk, arconsat.pk]})
        # Without the confirmation nothing is sent.
        client.post(u("meeting-convene", call, 1), {})
        assert Meeting.objects.get().status == MeetingStatus.DRAFT
        with django_capture_on_commit_callbacks(execute=True):
            r = client.post(u("meeting-convene", call, 1), {"confirm": "1"})
        assert r.status_code == 302
    assert Meeting.objects.get().status == MeetingStatus.CONVENED
    assert len([m for m in mail.outbox if "Convocation" in m.subject]) == 3
    r = client.get(u("meeting-document", call, 1, "summary_note"))
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"

    items = {i.dossier_id: i.pk for i in Meeting.objects.get().items.all()}
    with clock.frozen(MEETING_AT):
        client.force_login(team.chair)
        r = client.post(u("meeting-open", call, 1), {"present": [team.chair.pk, team.member.pk]})
        assert r.status_code == 302
        client.force_login(team.member)
        r = client.post(
            u("item-conflict", call, 1, items[billom.pk]),
            {f"c{items[billom.pk]}-reason": "Élu de Billom"},
        )
        assert r.status_code == 302
        page = client.get(u("meeting", call, 1)).content.decode()
        assert "Vous avez déclaré un conflit d’intérêts" in page
        client.force_login(team.chair)
        prefix = f"d{items[billom.pk]}-"
        r = client.post(u("item-decide", call, 1, items[billom.pk]), {
            prefix + "outcome": "retained", prefix + "amount": "6 000", prefix + "year": "2021",
            prefix + "consensus": "1",
        })  # fmt: skip
        assert r.status_code == 400
        assert "dépasse le maximum" in error_at(r.content.decode(), prefix + "amount")
        assert 'value="6 000"' in r.content.decode()
        r = client.post(u("item-decide", call, 1, items[billom.pk]), {
            prefix + "outcome": "retained", prefix + "amount": "5 000", prefix + "year": "2021",
            prefix + "consensus": "1",
        })  # fmt: skip
        assert r.status_code == 302
        prefix = f"d{items[arconsat.pk]}-"
        r = client.post(u("item-decide", call, 1, items[arconsat.pk]), {
            prefix + "outcome": "refused", prefix + "reason": "", prefix + "consensus": "1",
        })  # fmt: skip
        assert "motif du refus" in error_at(r.content.decode(), prefix + "reason")
        client.post(u("item-decide", call, 1, items[arconsat.pk]), {
            prefix + "outcome": "refused", prefix + "reason": "Hors du champ de l’appel.",
            prefix + "consensus": "1",
        })  # fmt: skip
        r = client.post(u("meeting-close", call, 1), {"confirm": "1"})
        assert r.status_code == 302
    assert Meeting.objects.get().status == MeetingStatus.CLOSED
    billom.refresh_from_db()
    arconsat.refresh_from_db()
    assert (billom.state, arconsat.state) == (State.ACCEPTED, State.REFUSED)
    assert Grant.objects.get(dossier=billom).amount == 5000
    page = client.get(u("meeting", call, 1)).content.decode()
    assert "Procès-verbal" in page and "Enregistrer la décision" not in page
    assert client.get(u("meeting-document", call, 1, "minutes")).status_code == 200


def test_outsiders_get_404_and_members_cannot_convene(client, team):
    call = team.call
    client.force_login(agent())
    assert client.get(u("committee", call)).status_code == 404
    assert client.get(u("meeting-create", call)).status_code == 404
    client.force_login(team.member)
    assert client.get(u("committee", call)).status_code == 200
    assert client.get(u("meeting-create", call)).status_code == 404
    assert client.get(u("meeting", call, 99)).status_code == 404
    assert client.get(u("meeting-document", call, 99, "minutes")).status_code == 404


def test_a_meeting_form_says_what_is_missing(client, team):
    client.force_login(team.manager)
    r = client.post(u("meeting-create", team.call), {"day": "", "time": "", "place": ""})
    html = r.content.decode()
    assert "Indiquez la date" in error_at(html, "day")
    assert "au moins une session" in error_at(html, "sessions")
    r = client.post(u("meeting-create", team.call), {
        "day": "15/07/2021", "time": "10:00", "place": "",
        "sessions": [s.pk for s in team.call.sessions.all()],
    })  # fmt: skip
    assert "lieu ou un lien" in error_at(r.content.decode(), "place")
    assert dt.date(2021, 7, 15)  # the date typed stays in the form
    assert 'value="15/07/2021"' in r.content.decode()


def test_the_proposal_form_says_what_is_left_of_each_envelope(client, team):
    from decimal import Decimal

    from guichet.dossiers import services
    from guichet.grants import services as grants
    from tests.dossiers.factories import IN_WINDOW, complete, draft, reviewer

    grants.commit(proposed(), 2021, Decimal("100000"), team.chair)
    owner = agent(code="63008", name="Arconsat")
    with clock.frozen(IN_WINDOW):
        dossier = services.submit(complete(draft(owner), owner), owner)
    instructor = reviewer()
    services.start_review(dossier, instructor)
    client.force_login(instructor)
    html = client.get(reverse("backoffice:dossier", args=[dossier.uuid])).content.decode()
    text = re.sub(r"\s+", " ", html.replace("\u00a0", " "))
    assert (
        "Reste à engager : 48 500 € sur l’enveloppe 2021 ; 148 500 € sur l’enveloppe 2022" in text
    )


def test_the_manager_hands_the_chair_to_a_member(client, team):
    from guichet.review.models import AgentRole, RoleEvent

    role = AgentRole.objects.get(user=team.member, call=team.call)
    client.force_login(team.manager)
    page = client.get(reverse("backoffice:agents", args=[team.call.slug])).content.decode()
    assert "Confier la présidence" in page
    r = client.post(reverse("backoffice:agent-chair", args=[team.call.slug, role.pk]))
    assert r.status_code == 302
    assert AgentRole.objects.get(call=team.call, chair=True).user == team.member
    assert RoleEvent.objects.filter(call=team.call, action="chair").exists()
    # A reviewer's role cannot chair.
    reviewer_role = AgentRole.objects.filter(call=team.call, role="reviewer").first()
    if reviewer_role is None:
        from tests.dossiers.factories import reviewer

        reviewer()
        reviewer_role = AgentRole.objects.filter(call=team.call, role="reviewer").first()
    client.post(reverse("backoffice:agent-chair", args=[team.call.slug, reviewer_role.pk]))
    assert AgentRole.objects.get(call=team.call, chair=True).user == team.member
    client.force_login(team.member)
    r = client.post(reverse("backoffice:agent-chair", args=[team.call.slug, role.pk]))
    assert r.status_code == 404
