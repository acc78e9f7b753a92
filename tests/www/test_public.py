"""Public pages, without a browser: content, bad input, and query counts."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PDD = "fitn7-axe3-puy-de-dome-2021"
DEMO = "demo-fitn7-axe3-puy-de-dome"


def text(response):
    return " ".join(response.content.decode().replace("\u00a0", " ").split())


def test_home_lists_calls_open_first(client):
    body = text(client.get("/"))
    assert body.index("Démonstration") < body.index("Puy-de-Dôme 2021")
    assert "Ouvert" in body and "Clos" in body


def test_call_page_is_generated_from_its_definition(client):
    body = text(client.get(reverse("public:call", args=[PDD])))
    for expected in [
        "commune", "métropole", "5 000 €", "10 000 €", "20 000 €", "148 500 € pour 2021",
        "297 000 €", "30 juin 2021", "7 juin 2021", "7 juillet 2021", "31 décembre 2021",
        "dématérialiser une démarche de service public", "Formation des agents au numérique",
    ]:  # fmt: skip
        assert expected in body, expected


def test_unknown_call_is_a_french_404(client):
    response = client.get("/appels/nulle-part/")
    assert response.status_code == 404
    assert "Page introuvable" in text(response)


def simulate(client, slug=PDD, **params):
    return client.get(reverse("public:simulator", args=[slug]), params)


def test_simulator_billom(client):
    body = text(simulate(client, applicant="commune:63040", q="Billom", cost="8000"))
    assert "Votre projet peut être éligible" in body
    assert "5 000 €" in body
    assert "4 777 habitants" in body
    assert "Les structures pouvant candidater" in body  # the quote


def test_simulator_by_name_without_javascript(client):
    body = text(simulate(client, q="Billom", cost="8000"))
    assert "Résultat pour Billom" in body


def test_simulator_ambiguous_name_offers_choices(client):
    response = simulate(client, q="Saint-", cost="8000")
    assert "Plusieurs collectivités correspondent" in text(response)
    assert "applicant=commune" in response.content.decode()


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"q": "", "cost": "8000"}, "q", "Choisissez votre collectivité"),
        ({"q": "zzzzqqq", "cost": "8000"}, "q", "Aucune collectivité ne correspond"),
        ({"applicant": "commune:99999", "q": "x", "cost": "8000"}, "q", "Aucune commune"),
        ({"applicant": "commune:63040", "q": "Billom", "cost": "abc"}, "cost", "montant"),
        ({"applicant": "commune:63040", "q": "Billom", "cost": ""}, "cost", "coût global"),
        (
            {
                "applicant": "commune:63040",
                "q": "Billom",
                "cost": "8000",
                "engaged_on": "2021-13-01",
            },
            "engaged_on",
            "date",
        ),
        (
            {"applicant": "commune:63040", "q": "Billom", "cost": "8000", "category": "9"},
            "category",
            "1, 2 ou 3",
        ),
    ],
)
def test_bad_input_gets_a_message_at_the_field_and_keeps_what_was_typed(
    client, params, field, message
):
    response = simulate(client, **params)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="{field}-error"' in html
    assert message in text(response)
    for key, value in params.items():
        if value and key in ("cost", "q", "engaged_on"):
            assert f'value="{value}"' in html


def test_simulator_htmx_returns_the_fragment(client):
    response = client.get(
        reverse("public:simulator", args=[DEMO]),
        {"applicant": "commune:63113", "q": "Clermont-Ferrand", "cost": "12000"},
        headers={"HX-Request": "true"},
    )
    body = text(response)
    assert "<html" not in response.content.decode()
    assert "10 000 €" in body


def test_search_suggestions(client):
    response = client.get(
        reverse("public:collectivity-search"), {"q": "chamalieres", "vintage": "2026"}
    )
    assert "Chamalières" in response.content.decode()
    assert 'role="option"' in response.content.decode()


def test_search_with_garbage_is_not_an_error(client):
    for q in ["", "a", "%%%", "'; drop table", "x" * 500, "\x00"]:
        response = client.get(reverse("public:collectivity-search"), {"q": q, "vintage": "1999"})
        assert response.status_code == 200


def test_simulator_query_count_does_not_depend_on_the_inputs(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        simulate(client, applicant="commune:63040", q="Billom", cost="8000")
    with django_assert_max_num_queries(8):
        simulate(client, applicant="region:84", q="Auvergne", cost="80000")


def test_home_query_count_does_not_depend_on_the_number_of_calls(client, django_assert_num_queries):
    from guichet.calls.models import Call

    with django_assert_num_queries(1):
        client.get("/")
    source = Call.objects.get(slug=PDD)
    for i in range(5):
        source.pk, source.slug = None, f"copie-{i}"
        source.save()
    with django_assert_num_queries(1):
        response = client.get("/")
    assert response.content.decode().count('class="fr-card fr-enlarge-link"') == 8


def test_a_changed_call_is_seen_at_the_next_request(client):
    from guichet.calls.models import Call

    assert "Puy-de-Dôme 2021" in text(simulate(client, applicant="commune:63040", cost="8000"))
    call = Call.objects.get(slug=PDD)
    call.title = "Appel renommé"
    call.save()  # as load_calls and the admin do: loaded_at changes
    body = text(simulate(client, applicant="commune:63040", cost="8000"))
    assert "Appel renommé" in body
    assert "Appel renommé" in text(client.get(reverse("public:call", args=[PDD])))


def test_page_chrome_follows_the_settings(client, settings):
    client.get("/accessibilite/")  # the chrome is rendered once…
    settings.GUICHET = {**settings.GUICHET, "SITE_TITLE": "guichet 63"}
    body = text(client.get("/accessibilite/"))  # …and again when a setting changes
    assert "Accueil — guichet 63" in body
    assert "Retour à l’accueil — guichet 63" in body


def test_header_tools_stay_per_request(client, django_user_model):
    assert "Se connecter" in text(client.get("/accessibilite/"))
    user = django_user_model.objects.create_user(email="agent@example.org", password="x" * 20)
    client.force_login(user)
    body = text(client.get("/accessibilite/"))
    assert "Se déconnecter" in body
    assert "Se connecter" not in body


def test_simulator_finds_a_grouping_by_its_spoken_name(client):
    # The reference data writes « CC Billom Communauté »; people say « Communauté de communes
    # Billom ». Only one grouping matches: it is chosen without a list.
    body = text(simulate(client, DEMO, q="Communauté de communes Billom", cost="30000"))
    assert "Aucune collectivité ne correspond" not in body
    assert "Résultat pour CC Billom Communauté" in body
    assert "Votre projet peut être éligible" in body


def test_simulator_lists_the_metropole_first_for_its_spoken_name(client):
    response = simulate(client, DEMO, q="Métropole Clermont", cost="30000")
    assert "Plusieurs collectivités correspondent" in text(response)
    first_choice = response.content.decode().split('id="candidates"')[1].split("</a>")[0]
    assert "applicant=metropole%3A246300701" in first_choice
    assert first_choice.endswith("Clermont Auvergne Métropole (63) — métropole, 296\u00a0677 hab.")


@pytest.mark.parametrize(
    ("ref", "label"),
    [
        ("association:structure", "Une association"),
        ("entreprise:structure", "Une entreprise"),
        ("syndicat:structure", "Un syndicat"),
    ],
)
@pytest.mark.parametrize("cost", ["", "8000"])
def test_other_structure_shortcuts_give_a_verdict_without_a_cost(client, ref, label, cost):
    response = simulate(client, DEMO, applicant=ref, q=label, cost=cost)
    body = text(response)
    assert "Le formulaire contient" not in body
    assert "Indiquez le coût global" not in body
    assert f"Résultat pour {label.lower()}" in body
    assert "Votre projet n’est pas éligible" in body
    assert f"{label} ne peut pas candidater" in body
    assert "STRUCTURE" not in body
    # The call's own words, under the verdict itself.
    verdict = body.split("Votre projet n’est pas éligible")[1].split("Le détail, règle par règle")[
        0
    ]
    assert "« Les structures pouvant candidater : les communes" in verdict


def test_the_shortcut_links_name_the_structure(client):
    html = simulate(client, DEMO).content.decode()
    assert "applicant=association:structure&amp;q=Une+association" in html


def test_a_collectivite_still_needs_its_cost(client):
    body = text(simulate(client, DEMO, applicant="commune:63040", q="Billom", cost=""))
    assert "Indiquez le coût global du projet en euros." in body
