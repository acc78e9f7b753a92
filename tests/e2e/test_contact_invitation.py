"""A reviewer invites the contact of a dossier without a team on guichet (imported from
Démarches Simplifiées): a wrong address is refused at its field, the right one is sent; axe-core
finds nothing on the page, error included."""

import os
import re

from django.core import mail
from playwright.sync_api import expect

from guichet import clock
from guichet.dossiers import services
from guichet.dossiers.models import Invitation, Membership
from tests.dossiers.factories import IN_WINDOW, agent, complete, draft, reviewer

from .conftest import assert_accessible

SHOTS = os.environ.get("GUICHET_SHOTS", "")


def test_a_reviewer_invites_the_contact_of_a_teamless_dossier(committed_db, signed_in):
    owner = agent()
    with clock.frozen(IN_WINDOW):
        dossier = services.submit(complete(draft(owner), owner), owner)
    Membership.objects.filter(dossier=dossier).delete()
    page = signed_in(reviewer())
    page.goto(f"/instruction/dossiers/{dossier.uuid}/")
    section = page.locator("section", has=page.locator("#equipe"))
    field = section.get_by_label(re.compile("Adresse électronique du porteur"))
    expect(field).to_have_value(dossier.contact_email)
    field.fill("secretariat@mairie")
    section.get_by_role("button", name="Inviter le porteur").click()
    expect(page.locator("#email-error")).to_contain_text("n’est pas valide")
    expect(field).to_have_value("secretariat@mairie")
    assert_accessible(page, "dossier sans équipe, adresse refusée")
    field.fill("secretariat@mairie-billom.example.fr")
    mail.outbox.clear()
    section.get_by_role("button", name="Inviter le porteur").click()
    expect(page.get_by_text(re.compile("L’invitation est envoyée à secretariat@"))).to_be_visible()
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/contact-invitation-top.png")
        section.screenshot(path=f"{SHOTS}/contact-invitation.png")
    assert_accessible(page, "dossier sans équipe, invitation envoyée")
    assert Invitation.objects.get(dossier=dossier).email == "secretariat@mairie-billom.example.fr"
    expect(
        page.get_by_text(re.compile("Invitation à rejoindre le dossier envoyée"))
    ).to_be_visible()
