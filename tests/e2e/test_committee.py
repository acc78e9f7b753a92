"""The committee's journey in Chromium: the manager prepares and convenes a meeting, the chair
opens it, a member declares a conflict of interest, the committee decides each dossier, the chair
closes the meeting; the applicants read the outcome. axe-core finds nothing on each page."""

import re
from decimal import Decimal

from playwright.sync_api import expect

from guichet import clock
from guichet.committee.models import Meeting, MeetingStatus
from guichet.dossiers.workflow import State
from guichet.grants import services as grants
from guichet.grants.models import Grant
from tests.accounts.two_factor_helpers import give_totp
from tests.committee.factories import CONVENED_ON, MEETING_AT, Committee, proposed

from .conftest import assert_accessible


def item_id(dossier):
    from guichet.committee.models import AgendaItem

    return AgendaItem.objects.get(dossier=dossier).pk


SHOTS = "var/screenshots"


def tick(where, label):
    """DSFR draws its own checkboxes and radios: the label takes the click."""
    where.locator("label", has_text=re.compile(label)).click()


def test_a_meeting_from_its_convocation_to_its_minutes(committed_db, signed_in):
    team = Committee()
    give_totp(team.manager)
    # Other grants leave 10 000 € in 2021 and nothing in 2022: two of the three dossiers fit.
    grants.commit(
        proposed(code="63113", name="Clermont-Ferrand"), 2021, Decimal(138500), team.chair
    )
    grants.commit(proposed(code="63430", name="Thiers"), 2022, Decimal(148500), team.chair)
    billom = proposed(marks=3)
    arconsat = proposed(code="63008", name="Arconsat", marks=2)
    antoingt = proposed(code="63005", name="Antoingt", marks=1)
    call = team.call
    base = f"/instruction/appels/{call.slug}/comite/"

    with clock.frozen(CONVENED_ON):
        page = signed_in(team.manager)
        page.goto(base)
        expect(page.get_by_role("heading", level=1)).to_have_text("Comité de sélection")
        expect(page.locator("#envelopes")).to_contain_text(re.compile(r"10\s000\s€"))
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
        for d in (billom, arconsat, antoingt):
            tick(page, d.number)
        page.get_by_role("button", name="Enregistrer l’ordre du jour").click()
        expect(page.locator(".fr-alert--success")).to_contain_text("3 dossier(s)")
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
        item = member.locator("section", has_text=billom.number).last
        item.get_by_label("Nature du lien (facultatif)").fill("Conseiller communautaire")
        item.get_by_role("button", name=re.compile("Déclarer un conflit")).click()
        expect(member.locator(".fr-alert--success")).to_contain_text("Conflit d’intérêts déclaré")
        expect(member.locator("section", has_text=billom.number).last).to_contain_text(
            "vous ne prenez pas part à ce dossier"
        )

        chair.reload()
        assert_accessible(chair, "séance ouverte")
        # The proposal retains the two best within the 10 000 € left, proven optimal.
        proposal = chair.locator("#programming")
        expect(proposal).to_contain_text("Optimum prouvé")
        expect(proposal.locator(f"#prog-{item_id(billom)}")).to_contain_text("Retenu sur 2021")
        expect(proposal.locator(f"#prog-{item_id(antoingt)}")).to_contain_text(
            "Liste complémentaire"
        )
        # The committee pins Antoingt and excludes Arconsat: recomputed at once (htmx).
        row = proposal.locator(f"#prog-{item_id(antoingt)}")
        row.get_by_role("button", name=re.compile("^Imposer")).first.click()
        expect(chair.locator(f"#prog-{item_id(antoingt)}")).to_contain_text("Retenu sur 2021")
        expect(chair.locator(f"#prog-{item_id(antoingt)}")).to_contain_text("imposé")
        row = chair.locator(f"#prog-{item_id(arconsat)}")
        row.get_by_role("button", name=re.compile("^Écarter")).click()
        expect(chair.locator(f"#prog-{item_id(arconsat)}")).to_contain_text("écarté")
        expect(chair.locator(f"#prog-{item_id(arconsat)}")).to_contain_text("Non retenu")
        assert_accessible(chair, "proposition modifiée")
        chair.get_by_role("button", name="Adopter toute la proposition").click()
        expect(chair.locator(".fr-alert--success")).to_contain_text("Proposition adoptée")
        # A decision recorded again with too high an amount is refused at its field.
        first = chair.locator("section", has_text=billom.number).last
        first.get_by_label("Montant retenu (€)").fill("6 000")
        first.get_by_role("button", name=re.compile("Enregistrer la décision")).click()
        first = chair.locator("section", has_text=billom.number).last
        expect(first.locator(".fr-error-text, .fr-message--error")).to_contain_text(
            "dépasse le maximum"
        )
        expect(first.get_by_label("Montant retenu (€)")).to_have_value("6 000")
        second = chair.locator("section", has_text=arconsat.number).last
        tick(second, "^Refusé$")
        second.get_by_label("Motif").fill("Le projet relève du programme régional déjà financé.")
        second.get_by_role("button", name=re.compile("Enregistrer la décision")).click()
        expect(chair.locator(".fr-alert--success")).to_contain_text("Décision enregistrée")
        chair.screenshot(path=f"{SHOTS}/committee-open.png", full_page=True)
        tick(chair, "Je clos la séance")
        chair.get_by_role("button", name="Clore la séance").click()
        expect(chair.locator(".fr-alert--success")).to_contain_text("Séance close")
        expect(chair.get_by_role("link", name=re.compile("Procès-verbal"))).to_be_visible()
        assert_accessible(chair, "séance close")
        chair.screenshot(path=f"{SHOTS}/committee-closed.png", full_page=True)

    billom.refresh_from_db()
    arconsat.refresh_from_db()
    antoingt.refresh_from_db()
    assert (billom.state, arconsat.state, antoingt.state) == (
        State.ACCEPTED,
        State.REFUSED,
        State.ACCEPTED,
    )
    assert Grant.objects.get(dossier=billom).amount == 5000

    # The refused applicant reads the reason on the dossier's page.
    applicant = signed_in(arconsat.created_by)
    applicant.goto(f"/mes-dossiers/{arconsat.uuid}/")
    expect(applicant.locator("body")).to_contain_text("programme régional déjà financé")
