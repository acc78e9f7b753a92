"""The Content-Security-Policy breaks nothing: the main journeys' pages run with no violation.

Chromium reports each blocked script, style, frame or form target in the console (« Refused to
… because it violates the following Content Security Policy directive ») and fires a
``securitypolicyviolation`` event; both are collected on every page and must stay empty.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from guichet import clock
from guichet.dossiers import services
from tests.dossiers.factories import IN_WINDOW, REAL_CALL, agent, complete, draft, reviewer

pytestmark = pytest.mark.e2e

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(
    event.violatedDirective + " " + event.blockedURI + " at " + event.sourceFile + ":" +
    event.lineNumber + ":" + event.columnNumber + " " + event.sample
  );
});
"""


def watch(page):
    messages = []
    page.on(
        "console",
        lambda message: (
            messages.append(message.text)
            if "Content Security Policy" in message.text
            or "Content-Security-Policy" in message.text
            else None
        ),
    )
    page.add_init_script(RECORD_VIOLATIONS)
    page.csp_messages = messages
    return page


def violations(page) -> list[str]:
    """The console's reports (every frame of the page) and the events seen by the page itself
    (a sandboxed PDF preview runs no script: its frame is not asked)."""
    return [*page.csp_messages, *page.main_frame.evaluate("window.__cspViolations || []")]


def visit(page, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.ok, path
    assert "default-src 'self'" in response.headers["content-security-policy"], path
    page.wait_for_load_state("networkidle")
    assert not violations(page), (path, violations(page))


def test_public_pages_and_the_simulator_run_without_violation(committed_db, page):
    watch(page)
    pages = ("/", f"/appels/{REAL_CALL}/", f"/appels/{REAL_CALL}/resultats/", "/accessibilite/")
    for path in (*pages, "/compte/connexion/", "/api/v1/documentation/"):
        visit(page, path)
    visit(page, f"/appels/{REAL_CALL}/simulateur/")
    search = page.get_by_role("combobox").first
    search.fill("Billom")
    expect(page.get_by_role("option").first).to_be_visible()
    page.get_by_role("option").first.click()
    page.wait_for_load_state("networkidle")
    assert not violations(page), violations(page)


def test_the_applicant_s_pages_run_without_violation(committed_db, signed_in):
    owner = agent()
    dossier = draft(owner)
    page = watch(signed_in(owner))
    visit(page, "/mes-dossiers/")
    visit(page, "/compte/")
    with clock.frozen(IN_WINDOW):
        for step in ("porteur", "projet", "budget", "pieces", "recapitulatif"):
            visit(page, f"/mes-dossiers/{dossier.uuid}/etapes/{step}/")
        visit(page, f"/mes-dossiers/{dossier.uuid}/etapes/projet/")
        # Autosave: htmx posts the form and swaps the status, its indicator styled by guichet.css.
        page.get_by_label("Intitulé du projet").fill("Portail citoyen")
        expect(page.locator("#save-status")).to_contain_text(re.compile("[Ee]nregistr"))
    assert not violations(page), violations(page)


def test_the_back_office_pages_run_without_violation(committed_db, signed_in):
    owner = agent()
    with clock.frozen(IN_WINDOW):
        dossier = services.submit(complete(draft(owner), owner), owner)
    page = watch(signed_in(reviewer()))
    visit(page, "/instruction/")
    page.get_by_label("Rechercher une collectivité, un projet ou un numéro").fill("portail")
    page.get_by_role("button", name="Rechercher").click()
    expect(page).to_have_url(re.compile(r"q=portail"))
    page.wait_for_load_state("networkidle")
    assert not violations(page), violations(page)

    visit(page, f"/instruction/dossiers/{dossier.uuid}/")
    # The PDF preview: a same-origin frame (frame-src 'self').
    page.locator("summary", has_text="Aperçu de").first.click()
    page.wait_for_load_state("networkidle")
    assert not violations(page), violations(page)

    # Signing out is a form whose answer redirects (form-action 'self').
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_load_state("networkidle")
    assert not violations(page), violations(page)
