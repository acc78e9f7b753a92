"""The call's grants page: the list (filters, a reviewer's arrondissements, totals), the lapse's
confirmation (refused before the deadline, bad input at its field, then done), the lapse
notice for agents and for the team, and a 404 for whoever has no right."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.urls import reverse

from guichet import clock
from guichet.dossiers.workflow import State
from guichet.grants import postaward
from guichet.grants.models import GrantStatus
from tests.accounts.two_factor_helpers import give_totp
from tests.dossiers.factories import agent, reviewer
from tests.grants.factories import AFTER_DEADLINE, FOLLOW_AT, PARIS, engaged, granted
from tests.grants.lapse_factories import granted_and_waiting

pytestmark = pytest.mark.django_db

BEFORE_DEADLINE = dt.datetime(2021, 12, 31, 12, 0, tzinfo=PARIS)


def error_at(html, name):
    match = re.search(rf'id="{name}-error"[^>]*>(.*?)</div>', html, re.S)
    assert match, f"no error container for {name}"
    return re.sub(r"<[^>]+>", " ", match.group(1)).strip()


def text_of(html):
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def grants_url(call, query=""):
    return reverse("backoffice:grants", args=[call.slug]) + (f"?{query}" if query else "")


def lapse_url(grant):
    return reverse("backoffice:grant-lapse", args=[grant.envelope.call.slug, grant.pk])


@pytest.fixture
def two():
    """Billom (arrondissement 632, engaged) and Arconsat (635, not engaged) granted by one call."""
    billom, owner, people = granted()
    engaged(billom, owner, people)
    arconsat, arconsat_owner, _ = granted(people, code="63008", name="Arconsat")
    give_totp(people.manager)
    return billom, arconsat, people, arconsat_owner


def rows_of(html):
    table = html.split('id="grants-table"', 1)[1]
    body = table.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [text_of(r) for r in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_the_manager_sees_every_grant_sorted_with_totals_and_links(client, two):
    billom, arconsat, people, _ = two
    client.force_login(people.manager)
    with clock.frozen(FOLLOW_AT):
        r = client.get(grants_url(people.call))
    assert r.status_code == 200
    html = r.content.decode()
    rows = rows_of(html)
    assert [row.split()[0] for row in rows] == sorted(
        [billom.dossier.number, arconsat.dossier.number]
    )
    billom_row = next(row for row in rows if row.startswith(billom.dossier.number))
    assert (
        "Billom 2021 5 000 € 5 000 € 0 € 0 € 5 000 € 0 € Attribuée Validé (signé le 01/09/2021)"
        in billom_row.replace("\u00a0", " ")
    )
    arconsat_row = next(row for row in rows if row.startswith(arconsat.dossier.number))
    assert "Non prouvé" in arconsat_row
    total = text_of(html.split("<tfoot>", 1)[1].split("</tfoot>", 1)[0]).replace("\u00a0", " ")
    assert total == "Total 10 000 € 10 000 € 0 € 0 € 10 000 € 0 €"
    dossier_link = reverse("backoffice:dossier", args=[billom.dossier.uuid]) + "#subvention"
    assert f'href="{dossier_link}"' in html
    # The committee home and the list link to it.
    assert (
        grants_url(people.call)
        in client.get(reverse("backoffice:committee", args=[people.call.slug])).content.decode()
    )


def test_a_reviewer_sees_the_grants_of_their_arrondissements_only(client, two):
    _billom, arconsat, people, _ = two
    thiers = reviewer(arrondissements=("635",), email="thiers@puy-de-dome.gouv.fr")
    client.force_login(thiers)
    html = client.get(grants_url(people.call)).content.decode()
    numbers = [row.split()[0] for row in rows_of(html)]
    assert numbers == [arconsat.dossier.number]
    assert "Subventions à déclarer caduques" not in html  # Do.LAPSE is the manager's


def test_filters_by_year_and_status(client, two):
    billom, arconsat, people, _ = two
    with clock.frozen(AFTER_DEADLINE):
        postaward.lapse(arconsat, people.manager)
    client.force_login(people.manager)
    lapsed = rows_of(client.get(grants_url(people.call, "etat=lapsed")).content.decode())
    assert [r.split()[0] for r in lapsed] == [arconsat.dossier.number]
    assert "Caduque" in lapsed[0] and "(5 000 €)" in lapsed[0].replace("\u00a0", " ")
    assert len(rows_of(client.get(grants_url(people.call, "annee=2021")).content.decode())) == 2
    html = client.get(grants_url(people.call, "annee=2022")).content.decode()
    assert "Aucune subvention ne correspond à ces filtres." in html
    active = rows_of(client.get(grants_url(people.call, "annee=2021&etat=active")).content.decode())
    assert [r.split()[0] for r in active] == [billom.dossier.number]


@pytest.mark.parametrize("query, field, message", [
    ("annee=1999", "annee", "Choisissez une année d’enveloppe de l’appel."),
    ("annee=٢٠٢١", "annee", "Choisissez une année d’enveloppe de l’appel."),
    ("etat=perdue", "etat", "Choisissez un état de la liste."),
])  # fmt: skip
def test_bad_filters_are_said_at_their_field_and_the_list_stays(client, two, query, field, message):
    _, _, people, _ = two
    client.force_login(people.manager)
    r = client.get(grants_url(people.call, query))
    assert r.status_code == 200
    html = r.content.decode()
    assert message in error_at(html, field)
    assert len(rows_of(html)) == 2


def test_nobody_without_a_role_sees_the_page(client, two):
    _, arconsat, people, owner = two
    urls = [
        grants_url(people.call),
        lapse_url(arconsat),
        reverse("backoffice:lapse-notice", args=[people.call.slug, arconsat.pk]),
        reverse("backoffice:grants-export", args=[people.call.slug]) + "?quoi=paiements&format=csv",
    ]
    client.force_login(owner)
    for url in urls:
        assert client.get(url).status_code == 404, url
    client.force_login(agent(code="63113", name="Clermont-Ferrand"))
    for url in urls:
        assert client.get(url).status_code == 404, url
    client.logout()
    for url in urls:
        assert client.get(url).status_code == 302, url  # to the sign-in


def test_only_the_manager_reaches_the_lapse_page(client, two):
    _, arconsat, people, _ = two
    client.force_login(people.reviewer)
    with clock.frozen(AFTER_DEADLINE):
        assert client.get(lapse_url(arconsat)).status_code == 404
        assert client.post(lapse_url(arconsat), {"confirm": "on"}).status_code == 404
    client.force_login(people.team.chair)
    with clock.frozen(AFTER_DEADLINE):
        assert client.post(lapse_url(arconsat), {"confirm": "on"}).status_code == 404
    arconsat.refresh_from_db()
    assert arconsat.status == GrantStatus.ACTIVE


def test_the_grants_to_lapse_appear_after_the_deadline_only(client, two):
    _, arconsat, people, _ = two
    client.force_login(people.manager)
    with clock.frozen(BEFORE_DEADLINE):
        html = client.get(grants_url(people.call)).content.decode()
    assert "Aucune subvention à déclarer caduque" in html
    with clock.frozen(AFTER_DEADLINE):
        html = client.get(grants_url(people.call)).content.decode()
    section = html.split('id="caducites"', 1)[1].split('id="subventions"', 1)[0]
    assert arconsat.dossier.number in section and "Prononcer la caducité" in section
    assert lapse_url(arconsat) in section


def test_the_lapse_before_the_deadline_is_refused_above_the_form(client, two):
    _, arconsat, people, _ = two
    client.force_login(people.manager)
    with clock.frozen(BEFORE_DEADLINE):
        r = client.post(lapse_url(arconsat), {"confirm": "on", "note": "Relancé deux fois."})
    assert r.status_code == 400
    html = r.content.decode()
    assert "La date limite d’engagement (31 décembre 2021) n’est pas passée." in html
    assert "Relancé deux fois." in html
    arconsat.refresh_from_db()
    assert arconsat.status == GrantStatus.ACTIVE


def test_the_lapse_needs_the_box_ticked_and_a_short_note(client, two):
    _, arconsat, people, _ = two
    client.force_login(people.manager)
    with clock.frozen(AFTER_DEADLINE):
        r = client.post(lapse_url(arconsat), {"note": "Pas de devis."})
        assert r.status_code == 400
        html = r.content.decode()
        assert "Cochez la case pour confirmer la caducité." in error_at(html, "confirm")
        assert "Pas de devis." in html
        r = client.post(lapse_url(arconsat), {"note": "x" * 501, "confirm": "on"})
        assert r.status_code == 400
        assert "500" in error_at(r.content.decode(), "note")
    arconsat.refresh_from_db()
    assert arconsat.status == GrantStatus.ACTIVE


def test_the_manager_confirms_the_lapse_and_both_sides_get_the_notice(
    client, two, django_capture_on_commit_callbacks
):
    _, arconsat, people, owner = two
    client.force_login(people.manager)
    with clock.frozen(AFTER_DEADLINE):
        page = client.get(lapse_url(arconsat)).content.decode()
        assert "aucune preuve validée" in page and "31 décembre 2021" in page
        with django_capture_on_commit_callbacks(execute=True):
            r = client.post(lapse_url(arconsat), {"confirm": "on", "note": "Aucun devis reçu."})
    assert r.status_code == 302 and r.url == grants_url(people.call)
    arconsat.refresh_from_db()
    arconsat.dossier.refresh_from_db()
    assert arconsat.status == GrantStatus.LAPSED and arconsat.dossier.state == State.LAPSED
    assert [m.subject for m in mail.outbox] == [
        f"Dossier {arconsat.dossier.number} : subvention caduque"
    ]
    with clock.frozen(AFTER_DEADLINE):
        html = client.get(grants_url(people.call)).content.decode()
    assert "La caducité de la subvention du dossier" in html
    assert "aucun dossier n’a été proposé" in html  # no waiting list on this call
    notice = reverse("backoffice:lapse-notice", args=[people.call.slug, arconsat.pk])
    assert notice in html
    r = client.get(notice)
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert b"".join(r.streaming_content).startswith(b"%PDF-")
    # A reviewer of another arrondissement does not get it.
    client.force_login(reviewer(arrondissements=("632",), email="clermont@puy-de-dome.gouv.fr"))
    assert client.get(notice).status_code == 404
    # The team gets it from its dossier's page.
    client.force_login(owner)
    page = client.get(reverse("applicant:dossier", args=[arconsat.dossier.uuid])).content.decode()
    own = reverse("applicant:lapse-notice", args=[arconsat.dossier.uuid])
    assert own in page
    r = client.get(own)
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    # Another collectivité's agent does not.
    client.force_login(agent(code="63113", name="Clermont-Ferrand"))
    assert client.get(own).status_code == 404


def test_the_team_has_no_notice_before_a_lapse(client, two):
    _, arconsat, _, owner = two
    client.force_login(owner)
    own = reverse("applicant:lapse-notice", args=[arconsat.dossier.uuid])
    assert client.get(own).status_code == 404


def test_the_offer_shows_on_the_grants_page_and_the_committee_home(client):
    grant, _, people, (waiting,) = granted_and_waiting()
    give_totp(people.manager)
    with clock.frozen(AFTER_DEADLINE):
        postaward.lapse(grant, people.manager)
    client.force_login(people.manager)
    with clock.frozen(AFTER_DEADLINE):
        grants_page = text_of(client.get(grants_url(people.call)).content.decode())
        home = text_of(
            client.get(reverse("backoffice:committee", args=[people.call.slug])).content.decode()
        )
    flat = grants_page.replace("\u00a0", " ")
    assert (
        f"{waiting.number} (Arconsat, 5 000 €) est proposé à la prochaine séance suite à la "
        f"caducité de {grant.dossier.number} (5 000 € libérés sur l’enveloppe 2021, année close : "
        "proposé sur l’enveloppe 2022)"
    ) in flat
    assert f"proposé suite à la caducité de {grant.dossier.number}" in home
    assert "à inscrire à l’ordre du jour d’une prochaine séance" in home
    # A reviewer of Billom's arrondissement (632) is not told of Arconsat's (635) offer.
    client.force_login(reviewer(arrondissements=("632",), email="clermont@puy-de-dome.gouv.fr"))
    html = client.get(grants_url(people.call)).content.decode()
    assert grant.dossier.number in html and waiting.number not in html


def test_the_agenda_of_a_meeting_in_preparation_has_the_offered_dossier_flagged_and_ticked(client):
    from guichet.committee import services as committee
    from guichet.committee.models import WaitingListOffer
    from tests.committee.factories import CONVENED_ON, MEETING_AT

    grant, _, people, (waiting,) = granted_and_waiting()
    give_totp(people.manager)
    with clock.frozen(AFTER_DEADLINE):
        postaward.lapse(grant, people.manager)
    later = dt.timedelta(days=200)
    with clock.frozen(CONVENED_ON + later):
        m = committee.create_meeting(
            people.call, people.manager, starts_at=MEETING_AT + later, place="Préfecture",
            sessions=list(people.call.sessions.all()),
        )  # fmt: skip
        client.force_login(people.manager)
        page = reverse("backoffice:meeting", args=[people.call.slug, m.number])
        html = client.get(page).content.decode()
        box = re.search(rf'<input type="checkbox"[^>]*value="{waiting.pk}"[^>]*>', html).group(0)
        assert "checked" in box
        label = html.split(box, 1)[1].split("</label>", 1)[0]
        assert f"Proposé suite à la caducité de {grant.dossier.number}" in label
        r = client.post(
            reverse("backoffice:meeting-agenda", args=[people.call.slug, m.number]),
            {"dossiers": [waiting.pk]},
        )
        assert r.status_code == 302
    assert WaitingListOffer.objects.get().meeting == m
