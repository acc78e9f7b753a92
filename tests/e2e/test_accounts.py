"""An agent of a collectivité creates an account, confirms it, signs in and out."""

import re
import uuid

from django.core import mail
from playwright.sync_api import expect

PASSWORD = "Mairie-Billom-2026!"


def test_sign_up_confirm_sign_in_sign_out(committed_db, page):
    # committed_db (tests/e2e/conftest.py): the live server writes for real, so the e-mail
    # leaves on commit as in production, and lands in this process's mail.outbox.
    email = f"secretariat-{uuid.uuid4().hex[:8]}@mairie-billom.fr"
    mail.outbox = []
    page.goto("/")
    page.get_by_role("link", name="Créer un compte").click()
    expect(page.get_by_role("heading", name="Créer un compte", level=1)).to_be_visible()

    page.get_by_label("Adresse électronique professionnelle").fill(email)
    page.get_by_label("Prénom").fill("Dominique")
    page.get_by_label("Nom", exact=True).fill("Martin")
    page.get_by_label("Fonction").fill("Secrétaire de mairie")
    page.get_by_role("combobox", name=re.compile("Votre collectivité")).fill("bill")
    option = page.get_by_role("option", name=re.compile(r"^Billom \(63\)"))
    expect(option).to_be_visible()
    option.click()
    expect(page.locator("#id_collectivity")).to_have_value("commune:63040")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.locator("label[for=id_consent]").click()
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.get_by_role("heading", name="Confirmez votre adresse électronique")).to_be_visible()
    expect(page.get_by_text(email)).to_be_visible()

    [message] = [m for m in mail.outbox if m.to == [email]]
    link = re.search(r"http://\S+/compte/confirmer/\S+/", message.body).group(0)

    # Not yet confirmed: sign-in is refused, and says why.
    page.goto("/compte/connexion/")
    page.get_by_label("Adresse électronique").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    expect(page.get_by_text("n’est pas encore confirmée")).to_be_visible()

    page.goto(link)
    expect(
        page.get_by_role("heading", name="Votre adresse électronique est confirmée")
    ).to_be_visible()
    page.get_by_role("link", name="Se connecter").first.click()
    page.get_by_label("Adresse électronique").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    expect(page.get_by_role("heading", name="Mes dossiers")).to_be_visible()

    page.get_by_role("link", name="Mon compte").click()
    expect(page.get_by_label("Fonction")).to_have_value("Secrétaire de mairie")
    expect(page.get_by_role("combobox", name=re.compile("Votre collectivité"))).to_have_value(
        "Billom"
    )

    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("link", name="Se connecter")).to_be_visible()
    expect(page.get_by_role("link", name="Mes dossiers")).to_have_count(0)


MANAGER_PASSWORD = "Gestion-Appel-63-FITN7!"


def test_a_manager_sets_up_two_factors_reaches_the_admin_then_signs_in_with_a_recovery_code(
    committed_db, page
):
    """A programme manager with admin rights: /admin/ sends to the site's sign-in, then to the
    set-up (QR code, key), the recovery codes shown once, the admin; later a recovery code
    replaces the application's code, and the manager lands on « Instruction »."""
    import base64

    from django.utils import timezone

    from guichet import clock
    from guichet.accounts.models import User
    from guichet.calls.models import Call
    from guichet.review.models import AgentRole, Role
    from tests.accounts.two_factor_helpers import code_at

    manager = User.objects.create_user(
        f"gestion-{uuid.uuid4().hex[:6]}@puy-de-dome.gouv.fr",
        MANAGER_PASSWORD,
        first_name="Marie",
        last_name="Gestionnaire",
        email_confirmed_at=timezone.now(),
        is_staff=True,
        is_superuser=True,
    )
    AgentRole.objects.create(
        user=manager, call=Call.objects.get(slug="fitn7-axe3-puy-de-dome-2021"), role=Role.MANAGER
    )

    page.goto("/admin/")
    expect(page.get_by_role("heading", name="Se connecter", level=1)).to_be_visible()
    page.get_by_label("Adresse électronique").fill(manager.email)
    page.locator("#id_password").fill(MANAGER_PASSWORD)
    page.get_by_role("button", name="Se connecter", exact=True).click()

    expect(page.get_by_role("heading", name="Double authentification", level=1)).to_be_visible()
    expect(page.locator("#totp-qr svg")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8)).hex()
    page.get_by_label("Code de vérification").fill(code_at(clock.now(), key=key))
    page.get_by_role("button", name="Activer la double authentification").click()

    expect(page.get_by_role("heading", name="Vos codes de secours", level=1)).to_be_visible()
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("link", name=re.compile("J’ai noté mes codes de secours")).click()
    expect(page).to_have_url(re.compile(r"/admin/$"))

    page.goto("/compte/")
    page.get_by_role("button", name="Se déconnecter").click()
    page.goto("/compte/connexion/")
    page.get_by_label("Adresse électronique").fill(manager.email)
    page.locator("#id_password").fill(MANAGER_PASSWORD)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    page.get_by_label("Code de vérification").fill(codes[0])
    page.get_by_role("button", name="Valider").click()
    expect(page).to_have_url(re.compile(r"/instruction/"))
    expect(page.get_by_text("il vous en reste 9")).to_be_visible()
