"""The committee's journey in Chromium: the manager prepares and convenes a meeting, the chair
opens it, a member declares a conflict of interest, the committee decides each dossier, the chair
closes the meeting; the applicants read the outcome. axe-core finds nothing on each page."""

import re

from playwright.sync_api import expect

from guichet import clock
from guichet.committee.models import Meeting, MeetingStatus
from guichet.dossiers.workflow import State
from guichet.grants.models import Grant
from tests.accounts.two_factor_helpers import give_totp
from tests.committee.factories import CONVENED_ON, MEETING_AT, Committee, proposed

from .conftest import assert_accessible

SHOTS = "var/screenshots"


def tick(where, label):
    """DSFR draws its own checkboxes and radios: the label takes the click."""
    where.locator("label", has_text=re.compile(label)).click()


def test_a_meeting_from_its_convocation_to_its_minutes(committed_db, signed_in):
    team = Committee()
    give_totp(team.manager)
    billom = proposed()
    arconsat = proposed(code="63008", name="Arconsat")
    call = team.call
    base = f"/instruction/appels/{call.slug}/comite/"

    with clock.frozen(CONVENED_ON):
        page = signed_in(team.manager)
        page.goto(base)
        expect(page.get_by_role("heading", level=1)).to_have_text("Comité de sélection")
        expect(page.locator("#envelopes")).to_contain_text(re.compile(r"148\s500\s€"))
        assert_accessible(page, "comité")
        page.screenshot(path=f"{SHOTS}/committee-home.png", full_page=True)
        page.get_by_role("link", name="Préparer une séance").click()
        page.get_by_label("Date de la séance").fill("15/07/2021")
        page.get_by_label("Heure").fill("10h")
        page.get_by_role("textbox", name=re.compile("^Lieu")).fill(
            "Sous-préfecture de Thiers, salle du conseil"
        )
        for label in ("Première session", "Deuxième session"):
            tick(page, label)
        assert_accessible(page, "préparer une séance")
        page.get_by_role("button", name="Créer la séance").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Séance n° 1")
        tick(page, billom.number)
        tick(page, arconsat.number)
        page.get_by_role("button", name="Enregistrer l’ordre du jour").click()
        expect(page.locator(".fr-alert--success")).to_contain_text("2 dossier(s)")
        assert_accessible(page, "séance en préparation")
        tick(page, "Je confirme l’envoi")
        page.get_by_role("button", name="Envoyer la convocation").click()
        expect(page.locator(".fr-alert--success")).to_contain_text("Convocation envoyée")
        expect(page.get_by_role("link", name=re.compile("Note de synthèse"))).to_be_visible()
        page.screenshot(path=f"{SHOTS}/committee-convened.png", full_page=True)
    assert Meeting.objects.get().status == MeetingStatus.CONVENED

    with clock.frozen(MEETING_AT):
        chair = signed_in(team.chair)
        chair.goto(f"{base}seances/1/")
        tick(chair, team.other.email)  # absent: unticked
        chair.get_by_role("button", name="Ouvrir la séance").click()
        expect(chair.locator(".fr-alert--success")).to_contain_text("Séance ouverte")

        member = signed_in(team.member)
        member.goto(f"{base}seances/1/")
        item = member.locator("section", has_text=billom.number)
        item.get_by_label("Nature du lien (facultatif)").fill("Conseiller communautaire")
        item.get_by_role("button", name=re.compile("Déclarer un conflit")).click()
        expect(member.locator(".fr-alert--success")).to_contain_text("Conflit d’intérêts déclaré")
        expect(member.locator("section", has_text=billom.number)).to_contain_text(
            "vous ne prenez pas part à ce dossier"
        )

        chair.reload()
        assert_accessible(chair, "séance ouverte")
        first = chair.locator("section", has_text=billom.number)
        tick(first, "^Retenu$")
        first.get_by_label("Montant retenu (€)").fill("6 000")
        first.get_by_label("Enveloppe").select_option("2021")
        first.get_by_role("button", name=re.compile("Enregistrer la décision")).click()
        # Refused at its field, what was typed kept.
        first = chair.locator("section", has_text=billom.number)
        expect(first.locator(".fr-error-text, .fr-message--error")).to_contain_text(
            "dépasse le maximum"
        )
        expect(first.get_by_label("Montant retenu (€)")).to_have_value("6 000")
        first.get_by_label("Montant retenu (€)").fill("5 000")
        first.get_by_role("button", name=re.compile("Enregistrer la décision")).click()
        expect(chair.locator(".fr-alert--success")).to_contain_text("Décision enregistrée")
        second = chair.locator("section", has_text=arconsat.number)
        tick(second, "^Refusé$")
        second.get_by_label("Motif").fill("Le projet relève du programme régional déjà financé.")
        second.get_by_role("button", name=re.compile("Enregistrer la décision")).click()
        expect(chair.locator("#envelopes")).to_contain_text(re.compile(r"143\s500\s€"))
        chair.screenshot(path=f"{SHOTS}/committee-open.png", full_page=True)
        tick(chair, "Je clos la séance")
        chair.get_by_role("button", name="Clore la séance").click()
        expect(chair.locator(".fr-alert--success")).to_contain_text("Séance close")
        expect(chair.get_by_role("link", name=re.compile("Procès-verbal"))).to_be_visible()
        assert_accessible(chair, "séance close")
        chair.screenshot(path=f"{SHOTS}/committee-closed.png", full_page=True)

    billom.refresh_from_db()
    arconsat.refresh_from_db()
    assert (billom.state, arconsat.state) == (State.ACCEPTED, State.REFUSED)
    assert Grant.objects.get(dossier=billom).amount == 5000

    # The refused applicant reads the reason on the dossier's page.
    applicant = signed_in(arconsat.created_by)
    applicant.goto(f"/mes-dossiers/{arconsat.uuid}/")
    expect(applicant.locator("body")).to_contain_text("programme régional déjà financé")
