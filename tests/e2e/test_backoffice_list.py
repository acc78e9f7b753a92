"""A reviewer works from the list: searches without reloading the page (the URL follows), sorts,
chooses columns, selects every dossier listed and starts their review after confirming."""

import re

from playwright.sync_api import expect

from guichet.calls.models import Call
from guichet.dossiers.models import Dossier
from guichet.dossiers.workflow import State
from tests.dossiers.factories import REAL_CALL, agent, reviewer
from tests.www.test_backoffice_list import make


def test_a_reviewer_filters_sorts_and_starts_reviews_in_bulk(committed_db, signed_in):
    call = Call.objects.get(slug=REAL_CALL)
    owner = agent()
    genes = [
        make(call, owner, applicant_name="Saint-Genès-Champanelle", title=f"Projet {n}")
        for n in (1, 2)
    ]
    billom = make(call, owner, applicant_name="Billom", title="Portail citoyen")
    make(call, owner, applicant_name="Thiers", arrondissement_code="635")  # not theirs
    user = reviewer(arrondissements=("632",))
    user.agent_roles.exclude(call=call).delete()
    page = signed_in(user)

    page.goto("/instruction/")
    expect(page.get_by_role("heading", name="Dossiers à instruire")).to_be_visible()
    expect(page.get_by_role("link", name="À instruire (3)")).to_be_visible()
    expect(page.locator("#dossier-table tbody tr")).to_have_count(3)

    # Search: htmx swaps the list, the address keeps the search.
    page.get_by_label("Rechercher une collectivité, un projet ou un numéro").fill("genes")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator("#dossier-table tbody tr")).to_have_count(2)
    expect(page).to_have_url(re.compile(r"q=genes"))
    expect(page.get_by_role("link", name="À instruire (2)")).to_be_visible()
    expect(page.locator("#dossier-table")).not_to_contain_text("Billom")

    # Sort by project, then the other way.
    page.get_by_role("link", name="Projet", exact=True).click()
    expect(page.locator("th[aria-sort=ascending]")).to_contain_text("Projet")
    expect(page.locator("#dossier-table tbody tr").first).to_contain_text("Projet 1")
    page.get_by_role("link", name=re.compile("^Projet ▲")).click()
    expect(page.locator("th[aria-sort=descending]")).to_contain_text("Projet")
    expect(page.locator("#dossier-table tbody tr").first).to_contain_text("Projet 2")
    expect(page).to_have_url(re.compile(r"tri=-title"))

    # Columns: add the population, remembered on the next visit.
    page.get_by_role("button", name="Colonnes et pagination").click()
    page.locator("label[for=id_colonnes_7]").click()  # Population
    expect(page.get_by_role("columnheader", name=re.compile("Population"))).to_be_visible()
    page.goto("/instruction/")
    expect(page.get_by_role("columnheader", name=re.compile("Population"))).to_be_visible()

    # Bulk: select all the listed dossiers, start their review, confirm.
    page.get_by_label("Rechercher une collectivité, un projet ou un numéro").fill("genes")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator("#dossier-table tbody tr")).to_have_count(2)
    page.locator("label[for=select-all]").click()
    expect(page.locator("input[name=dossiers]:checked")).to_have_count(2)
    page.get_by_label("Action groupée").select_option("start_review")
    page.get_by_role("button", name="Appliquer aux dossiers sélectionnés").click()
    expect(page.get_by_role("heading", name="Confirmer l’action groupée")).to_be_visible()
    expect(page.get_by_text("« Commencer l’instruction » sur 2 dossiers.")).to_be_visible()
    page.get_by_role("button", name="Confirmer").click()
    expect(page.get_by_text("2 dossiers traités.")).to_be_visible()
    expect(page.get_by_role("link", name="En instruction (2)")).to_be_visible()
    assert {d.state for d in Dossier.objects.filter(pk__in=[g.pk for g in genes])} == {
        State.IN_REVIEW
    }
    assert Dossier.objects.get(pk=billom.pk).state == State.SUBMITTED
