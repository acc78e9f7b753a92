"""Type-ahead search over the real reference data."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guichet.territories.services import SearchResult, same_name, search

pytestmark = pytest.mark.django_db


def first(query, vintage="2026", **kwargs) -> SearchResult:
    results = search(query, vintage, **kwargs)
    assert results, f"aucun résultat pour {query!r}"
    return results[0]


@pytest.mark.parametrize("query", ["chamalieres", "Chamalières", "CHAMALIÈRES", "chamal"])
def test_name_without_accents_or_case(query):
    result = first(query, "2021")
    assert (result.kind, result.code, result.name) == ("commune", "63075", "Chamalières")
    assert result.label == "Chamalières (63) — commune, 17\u00a0276 hab."
    assert result.population == 17276
    assert result.departement_code == "63"


def test_hyphens_and_apostrophes_do_not_matter():
    assert first("saint genes champanelle").code == "63345"
    assert first("Saint-Genès-Champanelle").code == "63345"
    assert first("cournon d auvergne").code == "63124"
    assert first("Cournon-d'Auvergne").code == "63124"


@pytest.mark.parametrize("vintage", ["2021", "2026"])
def test_clermont_in_puy_de_dome(vintage):
    results = search("CLERMONT", vintage, departements=["63"])
    assert results[0].name == "Clermont-Ferrand"
    assert results[0].code == "63113"
    assert results[1].kind == "metropole"
    assert results[1].name == "Clermont Auvergne Métropole"


def test_clermont_without_preference():
    # Exact names first: the four communes named Clermont, then Clermont-Ferrand leads the
    # names starting with "clermont".
    results = search("CLERMONT", "2021")
    assert [r.name for r in results[:4]] == ["Clermont"] * 4
    assert results[0].code == "60157"  # the most populous Clermont (Oise)
    assert results[4].name == "Clermont-Ferrand"


def test_substring_matches_come_after_prefixes():
    names = [r.name for r in search("ferrand", "2021", limit=20)]
    assert "Clermont-Ferrand" in names  # a word of the name starts with the query
    assert names.index("Clermont-Ferrand") < len(names)


def test_postcode():
    for vintage in ("2021", "2026"):
        results = search("63000", vintage)
        assert [(r.kind, r.code) for r in results] == [("commune", "63113")]
    # 63400 is Chamalières' postcode and the INSEE code of another commune, which comes first.
    results = search("63400", "2026")
    assert results[0].code == "63400"
    assert "63075" in [r.code for r in results]


def test_insee_code():
    results = search("63113", "2021")
    assert results[0].code == "63113"  # then the commune whose postcode is 63113
    assert all(r.kind == "commune" for r in results)
    ajaccio = first("2A004")
    assert (ajaccio.code, ajaccio.name, ajaccio.departement_code) == ("2A004", "Ajaccio", "2A")
    assert first("2a004").code == "2A004"


def test_siren():
    assert [(r.kind, r.code) for r in search("216300756", "2026")] == [("commune", "63075")]
    assert [(r.kind, r.code) for r in search("216 300 756", "2026")] == [("commune", "63075")]
    metro = first("246300701")
    assert (metro.kind, metro.name) == ("metropole", "Clermont Auvergne Métropole")
    assert metro.label.startswith("Clermont Auvergne Métropole (63) — métropole, ")


def test_departement_code_and_name():
    dept = first("63")
    assert (dept.kind, dept.code, dept.name) == ("departement", "63", "Puy-de-Dôme")
    assert dept.label.startswith("Puy-de-Dôme (63) — département, ")
    assert first("puy de dome").code == "63"
    assert first("2B").name == "Haute-Corse"


def test_region_and_epci_kinds():
    region = first("Auvergne-Rhône-Alpes")
    assert (region.kind, region.code) == ("region", "84")
    assert region.label.startswith("Auvergne-Rhône-Alpes — région, ")
    cc = first("ambert livradois forez")
    assert cc.kind == "epci"
    assert "communauté de communes" in cc.label


def test_exact_name_beats_larger_prefix_match():
    # "Riom" (19 000 inhabitants) before "Riom-ès-Montagnes" and any bigger "Riom…" name.
    assert first("riom").code == "63300"


def test_population_orders_equal_matches():
    results = search("saint", "2026", limit=30)
    pops = [r.population for r in results if r.kind == "commune"]
    assert len(pops) > 10
    assert pops == sorted(pops, reverse=True)


def test_limit_and_empty_query():
    assert len(search("saint", "2026", limit=3)) == 3
    assert search("", "2026") == []
    assert search("   ", "2026") == []
    assert search("zzzzqqq", "2026") == []
    assert search("chamalieres", "1999") == []


@pytest.mark.parametrize(
    "query",
    ["a", "sa", "saint", "clermont", "zzzzqqq", "63000", "63113", "2A004", "216300756", "63"],
)
def test_number_of_queries_does_not_depend_on_the_data(query, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        search(query, "2026", departements=["63"])


def test_same_number_of_queries_for_few_and_many_matches():
    def count(query):
        with CaptureQueriesContext(connection) as ctx:
            search(query, "2021")
        return len(ctx)

    assert count("zzzzqqq") == count("saint") == count("chamalieres")


# The spoken forms of a grouping's name: the legal form (written in full, abbreviated, before or
# after the name) is left out on both sides. Real Puy-de-Dôme groupings of the 2026 data.
@pytest.mark.parametrize(
    ("query", "siren"),
    [
        ("Communauté de communes Billom", "200067627"),  # CC Billom Communauté
        ("communaute de communes billom communaute", "200067627"),
        ("CC Billom", "200067627"),
        ("Billom Communauté", "200067627"),
        ("COMMUNAUTÉ DE COMMUNES DU MASSIF DU SANCY", "246300966"),  # CC du Massif du Sancy
        ("Communauté de communes Massif du Sancy", "246300966"),
        ("Communauté de communes Mond'Arverne", "200069177"),  # CC Mond'Arverne Communauté
        ("Communauté d'agglomération Riom Limagne et Volcans", "200070753"),
        ("CA Riom Limagne", "200070753"),
        ("Communauté d'agglomération du Pays d'Issoire", "200070407"),  # CA Agglo Pays d'Issoire
        ("Agglo Pays d'Issoire", "200070407"),
        ("Métropole Clermont", "246300701"),  # Clermont Auvergne Métropole
        ("Métropole Clermont Auvergne", "246300701"),
        ("Clermont Auvergne Métropole", "246300701"),
        ("Communauté urbaine Arras", "200033579"),  # CU d'Arras (Pas-de-Calais)
    ],
)
def test_groupings_by_the_spoken_forms_of_their_names(query, siren):
    results = search(query, "2026", departements=["63"])
    assert results, f"aucun résultat pour {query!r}"
    assert (results[0].kind in ("epci", "metropole"), results[0].code) == (True, siren)


def test_legal_form_words_do_not_reach_communes():
    # « CA Riom » names the grouping, not the commune of Riom; the commune search is unchanged.
    assert [r.code for r in search("CA Riom", "2026", departements=["63"])] == ["200070753"]
    assert first("Billom").code == "63040"  # the commune first, its grouping after
    assert [r.kind for r in search("Billom", "2026", departements=["63"])][:2] == [
        "commune",
        "epci",
    ]


def test_a_legal_form_alone_or_half_typed_searches_the_full_names():
    # While « Communauté de comm… » is being typed, nothing is stripped to an empty text.
    assert all(r.kind in ("epci", "metropole") for r in search("Communauté de comm", "2026"))
    assert search("Communauté de comm", "2026")
    assert search("CC", "2026")


def test_same_name_ignores_a_groupings_legal_form():
    (billom,) = search("Communauté de communes Billom", "2026", departements=["63"])
    assert same_name(billom, "Communauté de communes Billom")
    assert same_name(billom, "cc billom")
    assert not same_name(billom, "Billom Communauté Est")
    commune = first("Billom", departements=["63"])
    assert same_name(commune, "BILLOM")
    assert not same_name(commune, "Communauté de communes Billom")
