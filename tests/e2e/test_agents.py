"""A programme manager signs in with password and code, invites a reviewer for Ambert; the
reviewer opens the e-mail's link, chooses a password, signs in and sees the dossiers' list."""

from __future__ import annotations

import re
import uuid

from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from guichet import clock
from guichet.accounts.models import User
from guichet.calls.models import Call
from guichet.review.models import AgentRole, Role
from tests.accounts.two_factor_helpers import code_at, give_totp

CALL = "fitn7-axe3-puy-de-dome-2021"
MANAGER_PASSWORD = "Gestion-Appel-63-FITN7!"
REVIEWER_PASSWORD = "Vallee-de-la-Dore-2021!"


def test_manager_invites_a_reviewer_who_joins(committed_db, page, browser, server_url):
    mail.outbox = []
    suffix = uuid.uuid4().hex[:6]
    manager = User.objects.create_user(
        f"gestion-{suffix}@puy-de-dome.gouv.fr",
        MANAGER_PASSWORD,
        first_name="Marie",
        last_name="Gestionnaire",
        email_confirmed_at=timezone.now(),
    )
    give_totp(manager)
    AgentRole.objects.create(user=manager, call=Call.objects.get(slug=CALL), role=Role.MANAGER)
    agents_url = f"/instruction/appels/{CALL}/agents/"

    # Password, then the code of the authenticator application.
    page.goto(f"/compte/connexion/?next={agents_url}")
    page.get_by_label("Adresse électronique").fill(manager.email)
    page.locator("#id_password").fill(MANAGER_PASSWORD)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    expect(page.get_by_role("heading", name="Code de vérification", level=1)).to_be_visible()
    page.get_by_label("Code de vérification").fill("000000")
    page.get_by_role("button", name="Valider").click()
    expect(page.locator("#id_code-error")).to_contain_text("n’est pas valide")
    page.get_by_label("Code de vérification").fill(code_at(clock.now()))
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_role("heading", name="Agents de l’appel", level=1)).to_be_visible()
    expect(page.locator("#agents")).to_contain_text(manager.email)

    # The invitation: a reviewer for two arrondissements, Ambert and Thiers.
    invitee = f"instructeur-{suffix}@puy-de-dome.gouv.fr"
    page.get_by_role("link", name="Inviter un agent").click()
    page.get_by_label("Adresse électronique").fill(invitee)
    # DSFR draws its own radios and checkboxes: the labels take the clicks.
    page.locator("label", has_text=re.compile("^Instructeur$")).click()
    expect(page.get_by_label("Instructeur", exact=True)).to_be_checked()
    page.get_by_role("button", name="Envoyer l’invitation").click()
    expect(page.locator("#id_arrondissements-fieldset")).to_contain_text(
        "Choisissez les arrondissements que couvre cet instructeur"
    )
    expect(page.get_by_label("Instructeur", exact=True)).to_be_checked()  # kept
    page.locator("label", has_text="Ambert (631)").click()
    page.locator("label", has_text="Thiers (635)").click()
    expect(page.get_by_label("Ambert (631)")).to_be_checked()
    expect(page.get_by_label("Thiers (635)")).to_be_checked()
    page.get_by_role("button", name="Envoyer l’invitation").click()
    expect(page.get_by_text(f"L’invitation est envoyée à {invitee}")).to_be_visible()
    expect(page.locator("#invitations")).to_contain_text("Ambert (631), Thiers (635)")

    [message] = [m for m in mail.outbox if m.to == [invitee]]
    link = re.search(r"http://\S+/agents/invitation/\S+/", message.body).group(0)

    # The invitee, in another browser: chooses a password, signs in, sees the list.
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", base_url=server_url)
    context.set_default_timeout(10_000)
    other = context.new_page()
    try:
        other.goto(link)
        expect(
            other.get_by_text("avec le rôle Instructeur (Ambert (631), Thiers (635))")
        ).to_be_visible()
        other.get_by_label("Prénom").fill("Jean")
        other.get_by_label("Nom", exact=True).fill("Dupuy")
        other.locator("#id_password1").fill(REVIEWER_PASSWORD)
        other.locator("#id_password2").fill(REVIEWER_PASSWORD)
        other.get_by_role("button", name="Créer mon compte et accepter").click()
        expect(other.get_by_text("Vous êtes désormais « Instructeur »")).to_be_visible()
        other.get_by_label("Adresse électronique").fill(invitee)
        other.locator("#id_password").fill(REVIEWER_PASSWORD)
        other.get_by_role("button", name="Se connecter", exact=True).click()
        expect(other.get_by_role("heading", name="Dossiers à instruire", level=1)).to_be_visible()
    finally:
        context.close()

    role = AgentRole.objects.get(user__email=invitee)
    assert (role.role, role.arrondissements) == ("reviewer", ["631", "635"])
    page.reload()
    expect(page.locator("#agents")).to_contain_text(invitee)

    # Thiers goes to another reviewer: the edit page has both ticked, one is unticked.
    page.get_by_role("link", name="Modifier les arrondissements de Jean Dupuy").click()
    expect(page.get_by_label("Thiers (635)")).to_be_checked()
    page.locator("label", has_text="Thiers (635)").click()
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Jean Dupuy instruit désormais : Ambert (631).")).to_be_visible()
    # Each change is in the call's agents history, newest first, with who made it.
    history = page.locator("#role-history tbody tr")
    expect(history).to_have_count(3)
    expect(history.nth(0)).to_contain_text("Arrondissements modifiés")
    expect(history.nth(0)).to_contain_text("Ambert (631), Thiers (635)")
    expect(history.nth(0)).to_contain_text("Marie Gestionnaire")
    expect(history.nth(1)).to_contain_text("Rôle attribué")
    expect(history.nth(2)).to_contain_text("Invitation envoyée")
