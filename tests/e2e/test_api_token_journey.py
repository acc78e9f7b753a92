"""An agent makes an API token in « Mon compte », reads it once, reads the API with it, sees its
last use, revokes it, and the API refuses it. axe-core finds nothing on « Mon compte » and on
the API's documentation page."""

from __future__ import annotations

import os
import re

from playwright.sync_api import expect

from guichet import clock
from guichet.calls.models import Call
from guichet.dossiers import services
from guichet.dossiers.models import Dossier
from guichet.review.models import AgentRole, Role
from tests.dossiers.factories import IN_WINDOW, REAL_CALL, agent, complete, draft

from .conftest import assert_accessible

SHOTS = os.environ.get("GUICHET_SHOTS", "var/screenshots")


def shot(page, name):
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def test_an_agent_reads_the_api_with_a_token_then_revokes_it(committed_db, signed_in):
    call = Call.objects.get(slug=REAL_CALL)
    billom, riom = agent(), agent("commune", "63300", "Riom")
    with clock.frozen(IN_WINDOW):
        mine = services.submit(complete(draft(billom), billom), billom)
        theirs = services.submit(complete(draft(riom), riom), riom)
    Dossier.objects.filter(pk=mine.pk).update(arrondissement_code="632")
    Dossier.objects.filter(pk=theirs.pk).update(arrondissement_code="634")
    reviewer = agent(email="instructrice-api@puy-de-dome.gouv.fr", first_name="Inès")
    AgentRole.objects.create(user=reviewer, call=call, role=Role.REVIEWER, arrondissements=["632"])

    page = signed_in(reviewer)
    page.goto("/compte/")
    tokens = page.locator("#api-tokens")
    expect(tokens).to_contain_text("Jetons d’API")
    tokens.get_by_label("Nom du jeton").fill("Tableau de bord")
    tokens.get_by_label("Appel à projets").select_option(REAL_CALL)
    tokens.get_by_role("button", name="Créer le jeton").click()
    expect(page.locator("#new-token")).to_contain_text("il ne sera plus jamais affiché")
    secret = page.locator("#new-token-secret").inner_text().strip()
    assert re.fullmatch(r"gch_[A-Za-z0-9_-]{43}", secret)
    assert_accessible(page, "« Mon compte », le jeton créé")
    shot(page, "api-token-created")

    answer = page.request.get(
        f"/api/v1/calls/{REAL_CALL}/dossiers/", headers={"Authorization": f"Bearer {secret}"}
    )
    assert answer.status == 200
    assert [d["number"] for d in answer.json()["results"]] == [mine.number]  # 632 only

    page.goto("/compte/")
    assert secret not in page.content()
    row = page.locator("#api-token-list tbody tr").first
    expect(row).to_contain_text("Tableau de bord")
    expect(row).to_contain_text(secret[:12])
    expect(row.locator(".token-last-use")).not_to_contain_text("Jamais")
    assert_accessible(page, "« Mon compte », la liste des jetons")
    shot(page, "api-token-listed")

    row.get_by_role("button", name="Révoquer").click()  # the box not ticked: refused
    row = page.locator("#api-token-list tbody tr").first
    expect(row).to_contain_text("Cochez la case pour confirmer la révocation.")
    assert_accessible(page, "« Mon compte », la révocation non confirmée")
    row.locator("label", has_text="Je confirme la révocation").click()
    row.get_by_role("button", name="Révoquer").click()
    expect(page.get_by_role("status").first).to_contain_text("Le jeton est révoqué")
    expect(page.locator("#api-token-list tbody tr").first).to_contain_text("Révoqué le")
    refused = page.request.get(
        f"/api/v1/calls/{REAL_CALL}/dossiers/", headers={"Authorization": f"Bearer {secret}"}
    )
    assert refused.status == 401
    assert "révoqué" in refused.json()["detail"]

    page.get_by_role("link", name="API de lecture").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("API de lecture")
    expect(page.locator("main")).to_contain_text("/api/v1/calls/{slug}/dossiers/")
    assert_accessible(page, "la documentation de l’API")
    shot(page, "api-documentation")
