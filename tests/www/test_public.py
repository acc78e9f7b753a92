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


# --------------------------------------------------------------------------------------------
# « Déposer un dossier », from the call's page and from a positive verdict


def apply_link(response) -> str:
    import html as htmllib
    import re

    match = re.search(r'<a [^>]*href="([^"]+)"[^>]*id="apply-link"', response.content.decode())
    assert match, "no « Déposer un dossier » link"
    return htmllib.unescape(match.group(1))


def test_an_open_call_offers_to_apply_and_a_closed_one_does_not(client):
    assert apply_link(client.get(reverse("public:call", args=[DEMO]))) == f"/appels/{DEMO}/deposer/"
    closed = client.get(reverse("public:call", args=[PDD]))
    assert 'id="apply-link"' not in closed.content.decode()
    assert "Déposer un dossier" not in text(closed)


def test_a_positive_verdict_offers_to_apply_and_a_negative_one_does_not(client):
    positive = simulate(client, DEMO, applicant="commune:63040", q="Billom", cost="8000")
    assert apply_link(positive).startswith(f"/appels/{DEMO}/deposer/?simulation=")
    negative = simulate(client, DEMO, applicant="association:structure", q="Une association")
    assert 'id="apply-link"' not in negative.content.decode()
    below_floor = simulate(client, DEMO, applicant="commune:63040", q="Billom", cost="100")
    assert 'id="apply-link"' not in below_floor.content.decode()
    closed_call = simulate(client, PDD, applicant="commune:63040", q="Billom", cost="8000")
    assert "Votre projet peut être éligible" in text(closed_call)
    assert 'id="apply-link"' not in closed_call.content.decode()


def test_signed_out_apply_goes_to_sign_in_and_keeps_where_it_was_going(client):
    url = apply_link(simulate(client, DEMO, applicant="commune:63040", q="Billom", cost="8000"))
    response = client.get(url)
    assert response.status_code == 302
    login = response.url
    assert login.startswith("/compte/connexion/?next=")
    page = client.get(login)
    html = page.content.decode()
    from urllib.parse import quote

    assert f'name="next" value="{url.replace("&", "&amp;")}"' in html
    # « Créer un compte » carries it on, and so does the sign-up form.
    assert f"/compte/inscription/?next={quote(url, safe='/')}" in html.replace("&amp;", "&")
    signup = client.get(f"/compte/inscription/?next={quote(url, safe='/')}")
    assert f'name="next" value="{url.replace("&", "&amp;")}"' in signup.content.decode()


def test_next_is_kept_through_the_sign_up_confirmation(client, django_capture_on_commit_callbacks):
    import re
    from urllib.parse import quote

    from django.core import mail

    from guichet.accounts.models import User

    url = apply_link(simulate(client, DEMO, applicant="commune:63040", q="Billom", cost="8000"))
    data = {
        "email": "secretariat@mairie-billom.example.fr",
        "first_name": "Dominique",
        "last_name": "Martin",
        "function": "Secrétaire de mairie",
        "collectivity_q": "Billom",
        "collectivity": "commune:63040",
        "password1": "Un-mot-de-passe-solide-42",
        "password2": "Un-mot-de-passe-solide-42",
        "consent": "on",
        "next": url,
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/compte/inscription/", data)
    assert response.status_code == 302, text(response)
    done = client.get(response.url).content.decode().replace("&amp;", "&")
    assert f"/compte/connexion/?next={quote(url, safe='/')}" in done
    [message] = mail.outbox
    link = re.search(r"https?://\S+/compte/confirmer/\S+", message.body).group(0)
    assert "?next=" in link
    confirmed = client.get(link)
    assert "Votre adresse électronique est confirmée" in text(confirmed)
    html = confirmed.content.decode().replace("&amp;", "&")
    assert f"/compte/connexion/?next={quote(url, safe='/')}" in html
    assert User.objects.get(email=data["email"]).email_confirmed_at is not None


def test_a_foreign_next_is_not_carried_through_sign_up(client):
    html = client.get("/compte/inscription/?next=https://ailleurs.example.com/").content.decode()
    assert "ailleurs.example.com" not in html


@pytest.fixture
def billom_agent(client):
    from tests.dossiers.factories import agent

    user = agent()
    client.force_login(user)
    return user


def start_from_simulation(client, **params):
    url = apply_link(simulate(client, DEMO, applicant="commune:63040", q="Billom", **params))
    page = client.get(url)
    assert page.status_code == 200
    import re

    token = re.search(r'name="simulation" value="([^"]+)"', page.content.decode()).group(1)
    return page, client.post(reverse("applicant:create", args=[DEMO]), {"simulation": token})


def test_a_dossier_started_from_a_verdict_has_the_collectivite_and_the_cost(client, billom_agent):
    from guichet.dossiers.models import Dossier
    from guichet.www.public.prefill import COST_LINE_NATURE

    page, response = start_from_simulation(client, cost="8 000", category="2")
    body = text(page)
    assert "Collectivité qui dépose le dossier</dt> <dd>Billom</dd>" in body
    assert "8 000,00 €" in body or "8 000 €" in body
    assert "Votre simulation portait sur" not in body
    assert response.status_code == 302
    dossier = Dossier.objects.get(created_by=billom_agent)
    assert response.url == reverse("applicant:step", args=[dossier.uuid, "porteur"])
    assert (dossier.call.slug, dossier.applicant_kind, dossier.applicant_code) == (
        DEMO,
        "commune",
        "63040",
    )
    assert dossier.applicant_name == "Billom"
    [line] = dossier.cost_lines.all()
    assert (line.nature, line.amount_excl_vat, line.amount_incl_vat) == (
        COST_LINE_NATURE,
        8000,
        8000,
    )
    assert dossier.total_cost == 8000
    assert dossier.category == "2"
    step = text(client.get(response.url))
    assert "Le coût de votre simulation (8 000 €) est repris à l’étape « Budget »" in step


def test_a_dossier_started_from_the_calls_page_starts_empty(client, billom_agent):
    from guichet.dossiers.models import Dossier

    page = client.get(f"/appels/{DEMO}/deposer/")
    assert "Collectivité qui dépose le dossier</dt> <dd>Billom</dd>" in text(page)
    assert 'name="simulation"' not in page.content.decode()
    client.post(reverse("applicant:create", args=[DEMO]))
    dossier = Dossier.objects.get(created_by=billom_agent)
    assert not dossier.cost_lines.exists() and dossier.category == ""


@pytest.mark.parametrize(
    "token",
    ["", "nonsense", "eyJjIjoiZGVtbyJ9:forged:signature"],
)
def test_a_forged_or_missing_simulation_starts_an_empty_dossier(client, billom_agent, token):
    from guichet.dossiers.models import Dossier

    response = client.post(reverse("applicant:create", args=[DEMO]), {"simulation": token})
    assert response.status_code == 302
    assert not Dossier.objects.get(created_by=billom_agent).cost_lines.exists()


def test_a_simulation_of_another_call_or_too_old_fills_nothing(client, billom_agent):
    import datetime as dt

    from guichet.calls.services import get_call
    from guichet.www.public import prefill

    demo = get_call(DEMO)
    other = prefill.sign(prefill.Prefill(PDD, "commune:63040", cost=8000))
    assert prefill.read(other, demo) is None
    good = prefill.sign(prefill.Prefill(DEMO, "commune:63040", cost=8000))
    assert prefill.read(good, demo).cost == 8000
    later = dt.datetime.now() + dt.timedelta(seconds=prefill.MAX_AGE + 60)
    from unittest import mock

    with mock.patch("django.core.signing.time.time", return_value=later.timestamp()):
        assert prefill.read(good, demo) is None
    for cost in (0, -5, 10**10, 10**30):
        assert (
            prefill.read(prefill.sign(prefill.Prefill(DEMO, "commune:63040", cost)), demo) is None
        )
    assert prefill.read(prefill.sign(prefill.Prefill(DEMO, "nonsense", 8000)), demo) is None


def test_a_simulation_of_another_collectivite_is_said_before_starting(client, billom_agent):
    url = apply_link(
        simulate(client, DEMO, applicant="commune:63113", q="Clermont-Ferrand", cost="30000")
    )
    body = text(client.get(url))
    assert (
        "Votre simulation portait sur Clermont-Ferrand, mais votre compte agit pour Billom" in body
    )


def test_an_account_without_collectivite_is_asked_for_one(client):
    from tests.dossiers.factories import reviewer

    client.force_login(reviewer())
    page = client.get(f"/appels/{DEMO}/deposer/")
    assert "Indiquez d’abord votre collectivité" in text(page)
    assert "/compte/profil/?next=" in page.content.decode()
    assert 'id="apply-form"' not in page.content.decode()


def test_apply_to_a_closed_call_says_so(client, billom_agent):
    body = text(client.get(f"/appels/{PDD}/deposer/"))
    assert "Le dépôt est clos" in body
    assert client.get("/appels/nulle-part/deposer/").status_code == 404


# --------------------------------------------------------------------------------------------
# The demo call's page: every date it shows is one of its moved dates, its calendar in order


def shown_dates(body):
    import re

    from guichet.rules.timing import MONTHS

    pattern = r"\b(1er|\d{1,2}) (" + "|".join(MONTHS) + r")(?: (\d{4}))?"
    found = []
    for day, month, year in re.findall(pattern, body):
        found.append((1 if day == "1er" else int(day), MONTHS.index(month) + 1, year))
    return found


@pytest.mark.parametrize("today", ["2026-01-31", "2026-12-01", "2027-06-30"])
def test_every_date_on_the_demo_calls_pages_is_one_of_its_moved_dates(client, today):
    import datetime as dt
    import re

    from guichet.calls.services import load_definitions

    [demo] = [c for c in load_definitions(today=dt.date.fromisoformat(today)) if c.slug == DEMO]
    rules = demo.rules
    dates = {rules.opens_on, rules.deadline, rules.engagement_deadline}
    dates |= {s.date for s in rules.sessions}
    page = text(client.get(reverse("public:call", args=[DEMO])))
    verdict = text(simulate(client, DEMO, applicant="commune:63040", q="Billom", cost="8000"))
    main = " ".join(body.split('role="main"')[1].split("</main>")[0] for body in (page, verdict))
    found = shown_dates(main)
    assert len(found) >= 9  # the calendar's five; the quotes of the deadline, sessions, engagement
    for day, month, year in found:
        if year:
            assert dt.date(int(year), month, day) in dates, (day, month, year)
        else:  # « le 21 novembre »: a session, in the year of the quote
            assert any((d.day, d.month) == (day, month) for d in dates), (day, month)
    years = {int(y) for y in re.findall(r"\b(?:19|20)\d{2}\b", re.sub(r"<[^>]+>", " ", main))}
    vintage = int(demo.reference_vintage)  # « population municipale INSEE 2026 »
    assert years <= {d.year for d in dates} | {e.year for e in rules.envelopes} | {vintage}, years
    # « Les dossiers déposés ici ne sont pas instruits » was not true.
    assert "ne sont pas instruits" not in main


def test_the_calendar_is_in_date_order(client):
    import re

    for slug in (DEMO, PDD):
        html = client.get(reverse("public:call", args=[slug])).content.decode()
        table = html.split('id="quand"')[1].split("</table>")[0]
        rows = re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)</td></tr>", table)
        assert len(rows) == 5
        dates = [shown_dates(when)[0] for _, when in rows]
        keyed = [(int(y), m, d) for d, m, y in dates]
        assert keyed == sorted(keyed), rows
    # The Puy-de-Dôme's second session (7 July 2021) came after the deadline (30 June).
    labels = [label for label, _ in rows]
    assert labels.index("Date limite de dépôt") < labels.index(
        "Deuxième session de relevé des candidatures"
    )


# --------------------------------------------------------------------------------------------
# Wording: populations say « habitants », dates say « 1er »


def test_population_says_inhabitants_and_the_vintage():
    from guichet.www.public.templatetags.guichet import population

    assert (
        population(4805, "2026") == "4\u00a0805 habitants (population municipale, millésime 2026)"
    )
    assert population(0, "2026") == "0 habitants (population municipale, millésime 2026)"
    assert population(None, "2026") == "inconnue"
    assert population(1200) == "1\u00a0200 habitants (population municipale)"


def test_the_simulator_says_inhabitants(client):
    body = text(simulate(client, DEMO, applicant="commune:63040", q="Billom", cost="8000"))
    assert "Population retenue : 4 805 habitants (population municipale, millésime 2026)." in body


@pytest.mark.parametrize(
    ("moment", "date_text", "datetime_text"),
    [
        ("2026-12-01T08:05:00+00:00", "1er décembre 2026", "1er décembre 2026 à 09:05"),
        # 23:30 UTC on 30 November is already 1 December in Paris.
        ("2026-11-30T23:30:00+00:00", "1er décembre 2026", "1er décembre 2026 à 00:30"),
        ("2026-12-02T12:00:00+00:00", "2 décembre 2026", "2 décembre 2026 à 13:00"),
        ("2027-07-01T06:00:00+00:00", "1er juillet 2027", "1er juillet 2027 à 08:00"),
    ],
)
def test_dates_and_moments_have_the_french_ordinal(moment, date_text, datetime_text):
    import datetime as dt

    from guichet.www.public.templatetags.guichet import long_date, long_datetime

    value = dt.datetime.fromisoformat(moment)
    assert long_date(value) == date_text
    assert long_datetime(value) == datetime_text
    assert long_date(dt.date(2026, 12, 1)) == "1er décembre 2026"
    assert long_date(None) == long_datetime(None) == ""


def test_no_template_formats_a_date_by_itself():
    # Django's |date:"j F Y" writes « 1 décembre »: every template uses long_date or
    # long_datetime, which go through rules.timing.french_date.
    import re
    from pathlib import Path

    import guichet

    templates = Path(guichet.__file__).parent / "templates"
    offenders = [
        f"{path.relative_to(templates)}: {match}"
        for path in templates.rglob("*.html")
        for match in re.findall(r'\|date:"[^"]*[jdF][^"]*"', path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
