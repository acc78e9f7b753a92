"""A reviewer works from the list: searches without reloading the page (the URL follows), sorts,
chooses columns, selects every dossier listed and starts their review after confirming."""

import re

from playwright.sync_api import expect

from guichet.calls.models import Call
from guichet.dossiers.models import Dossier
from guichet.dossiers.workflow import State
from tests.accounts.two_factor_helpers import give_totp
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
    page.locator("#select-all").check()
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


def test_at_1280_px_the_list_fits_its_panels_stay_open_and_the_title_follows_the_tab(
    committed_db, signed_in
):
    call = Call.objects.get(slug=REAL_CALL)
    owner = agent()
    long_title = (
        "Accompagnement à la dématérialisation des autorisations d’urbanisme et du courrier"
    )
    for n in range(4):
        make(call, owner, applicant_name="Saint-Bonnet-près-Riom", title=f"{long_title} {n}")
    make(call, owner, applicant_name="Billom", state=State.IN_REVIEW)
    user = reviewer(role="manager")  # the widest table: the row checkboxes too
    give_totp(user)  # a manager reaches the back-office with a second factor set up
    user.agent_roles.exclude(call=call).delete()
    page = signed_in(user)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/instruction/")
    expect(page.locator("#dossier-table tbody tr")).to_have_count(4)

    # The default columns fit: no horizontal scroll of the page nor of the table.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.evaluate(
        "(() => { const c = document.querySelector('#dossier-table .fr-table__container');"
        " return c.scrollWidth <= c.clientWidth; })()"
    )
    # Each row's checkbox sits inside its row, not on the border with the next one (DSFR draws
    # the box where the input is).
    page.wait_for_load_state("load")  # fonts and styles applied: the rows have their height
    for row in page.locator("#dossier-table tbody tr").all():
        cell, box = row.bounding_box(), row.locator("input[name=dossiers]").bounding_box()
        assert cell["y"] <= box["y"]
        assert box["y"] + box["height"] <= cell["y"] + cell["height"]

    # A criterion chosen in the open panel: the results change, the panel stays open.
    filters = page.get_by_role("button", name="Filtres", exact=True)
    filters.click()
    expect(filters).to_have_attribute("aria-expanded", "true")
    page.locator("#id_type").select_option("epci")
    expect(page.locator("#dossier-table tbody")).to_contain_text("Aucun dossier ne correspond.")
    expect(page).to_have_url(re.compile(r"type=epci"))
    expect(filters).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#list-filters")).to_be_visible()
    page.locator("#id_type").select_option("")
    expect(page.locator("#dossier-table tbody tr")).to_have_count(4)

    # The columns panel too.
    columns = page.get_by_role("button", name="Colonnes et pagination")
    columns.click()
    page.locator("label[for=id_colonnes_7]").click()  # Population
    expect(page.get_by_role("columnheader", name=re.compile("Population"))).to_be_visible()
    expect(columns).to_have_attribute("aria-expanded", "true")

    # Another tab: its name in the title and the heading; the criteria go with it.
    expect(page).to_have_title(re.compile(r"^Dossiers à instruire — "))
    page.get_by_role("link", name="En instruction (1)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dossiers en instruction")
    expect(page).to_have_title(f"Dossiers en instruction — {call.title} — guichet")
    expect(page.locator("#dossier-table tbody tr")).to_have_count(1)
    # (DSFR's accordion group opens one panel at a time: opening Colonnes closed Filtres.)
    expect(columns).to_have_attribute("aria-expanded", "true")
    filters.click()
    page.locator("#id_type").select_option("commune")  # the form now asks for this tab
    expect(page).to_have_url(
        re.compile(r"onglet=en-instruction.*type=commune|type=commune.*onglet=en-instruction")
    )
    expect(page.locator("#dossier-table tbody tr")).to_have_count(1)
