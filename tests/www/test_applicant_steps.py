"""Bad input on every step: a French message at the field, the typed value kept, the rest saved."""

from __future__ import annotations

import datetime as dt
import html as htmllib
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import escape

from guichet import clock
from guichet.dossiers import services
from guichet.dossiers.workflow import Actor
from tests.dossiers.factories import IN_WINDOW, agent, draft

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def owner():
    return agent()


@pytest.fixture
def dossier(owner):
    return draft(owner)


@pytest.fixture
def signed_in(client, owner):
    client.force_login(owner)
    return client


def post_step(client, dossier, step, data, **headers):
    with clock.frozen(IN_WINDOW):
        return client.post(reverse("applicant:step", args=[dossier.uuid, step]), data, **headers)


def error_at(html: str, name: str) -> str:
    """The text of the error container of field ``name`` (its id is ``<name>-error``)."""
    match = re.search(rf'<div[^>]*id="{re.escape(name)}-error"[^>]*>(.*?)</div>', html, re.S)
    assert match, f"no error container for {name}"
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def assert_refused(response, name: str, message: str, typed: str | None = None) -> str:
    assert response.status_code in (200, 422), response.status_code
    html = response.content.decode()
    assert message in error_at(html, name), (name, error_at(html, name))
    if typed is not None:
        assert f'value="{escape(typed)}"' in html or f">{escape(typed)}</textarea>" in html, typed
    return html


def fresh(dossier):
    dossier.refresh_from_db()
    return dossier


# ---------------------------------------------------------------- porteur

PORTEUR = {
    "contact_name": "Claire Dupont",
    "contact_function": "Directrice générale des services",
    "contact_email": "claire.dupont@mairie.example.fr",
    "contact_phone": "04 73 68 39 85",
    "_action": "save",
}


def test_a_bad_email_is_refused_at_its_field_and_the_other_fields_are_saved(
    signed_in, dossier, owner
):
    response = post_step(
        signed_in, dossier, "porteur", {**PORTEUR, "contact_email": "claire@mairie"}
    )
    assert_refused(
        response, "contact_email", "Saisissez une adresse électronique valide", "claire@mairie"
    )
    d = fresh(dossier)
    assert d.contact_name == "Claire Dupont"
    assert d.contact_function == "Directrice générale des services"
    assert d.contact_email == owner.email  # the previous, valid value is kept


@pytest.mark.parametrize("phone", ["12345", "+44 20 7946 0958", "04 73 68 39 8", "téléphone"])
def test_a_bad_phone_is_refused_at_its_field(signed_in, dossier, phone):
    response = post_step(signed_in, dossier, "porteur", {**PORTEUR, "contact_phone": phone})
    assert_refused(response, "contact_phone", "n’est pas un numéro de téléphone français", phone)
    d = fresh(dossier)
    assert d.contact_phone == ""
    assert d.contact_email == "claire.dupont@mairie.example.fr"


def valid_siret(dossier, nic="0001"):
    from stdnum import luhn

    siren = services.applicant_siren(dossier)
    assert len(siren) == 9, "the commune's SIREN comes from the reference data"
    return siren + nic + luhn.calc_check_digit(siren + nic)


def test_the_siret_is_saved_without_its_spaces(signed_in, dossier):
    n = valid_siret(dossier)
    typed = f"{n[:3]} {n[3:6]} {n[6:9]} {n[9:]}"
    response = post_step(signed_in, dossier, "porteur", {**PORTEUR, "siret": typed})
    assert response.status_code == 302
    assert fresh(dossier).siret == n
    page = signed_in.get(reverse("applicant:step", args=[dossier.uuid, "porteur"]))
    assert f'value="{n}"' in page.content.decode()


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("2163004000001", "Le SIRET compte 14 chiffres ; vous en avez saisi 13."),
        ("216300400000190", "Le SIRET compte 14 chiffres ; vous en avez saisi 15."),
        ("21630040O00019", "Le SIRET ne contient que des chiffres"),
        ("BAD", "wrong-check-digit"),
        ("OTHER", "Ce SIRET n’est pas celui d’un établissement de votre collectivité"),
    ],
)
def test_a_bad_siret_is_refused_at_its_field_the_typed_text_kept_the_rest_saved(
    signed_in, dossier, typed, message
):
    from stdnum import luhn

    if typed == "BAD":
        good = valid_siret(dossier)
        typed = good[:-1] + str((int(good[-1]) + 1) % 10)
        message = "clé de contrôle ne correspond pas"
    elif typed == "OTHER":
        typed = "200069177" + "00011"
        typed = typed[:-1] + luhn.calc_check_digit(typed[:-1])
    response = post_step(signed_in, dossier, "porteur", {**PORTEUR, "siret": typed})
    assert_refused(response, "siret", message, typed)
    d = fresh(dossier)
    assert d.siret == ""
    assert d.contact_name == "Claire Dupont"


def test_the_siret_appears_on_the_summary(signed_in, dossier):
    n = valid_siret(dossier)
    post_step(signed_in, dossier, "porteur", {**PORTEUR, "siret": n})
    with clock.frozen(IN_WINDOW):
        page = signed_in.get(reverse("applicant:step", args=[dossier.uuid, "recapitulatif"]))
    assert n in page.content.decode()


@pytest.mark.parametrize(
    "phone", ["+33473683985", "0473683985", "04.73.68.39.85", "0033 4 73 68 39 85"]
)
def test_a_good_phone_is_saved_in_the_national_format(signed_in, dossier, phone):
    response = post_step(
        signed_in, dossier, "porteur", {**PORTEUR, "contact_phone": phone, "_action": "next"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("applicant:step", args=[dossier.uuid, "projet"])
    assert fresh(dossier).contact_phone == "04 73 68 39 85"


# ---------------------------------------------------------------- projet

PROJET = {
    "title": "Portail citoyen",
    "summary": "Dématérialiser les démarches.",
    "category": "3",
    "examples": ["dématérialiser une démarche de service public"],
    "description": "Un portail.",
    "participatory": "non",
    "agents_reached": "4",
    "users_reached": "4700",
    "_action": "save",
}


def test_an_unknown_category_is_refused_at_its_field(signed_in, dossier):
    response = post_step(signed_in, dossier, "projet", {**PROJET, "category": "9"})
    assert_refused(response, "category", "Choisissez l’une des catégories de l’appel.")
    d = fresh(dossier)
    assert d.category == ""
    assert d.title == "Portail citoyen" and d.users_reached == 4700


def test_an_unknown_example_is_refused_at_its_field(signed_in, dossier):
    response = post_step(
        signed_in, dossier, "projet", {**PROJET, "examples": ["acheter des tablettes"]}
    )
    assert_refused(response, "examples", "Choisissez parmi les exemples de l’appel.")
    d = fresh(dossier)
    assert d.examples == []
    assert d.category == "3"


@pytest.mark.parametrize("typed", ["douze", "-3", "3,5", "12abc"])
def test_a_count_that_is_not_a_whole_number_is_refused(signed_in, dossier, typed):
    response = post_step(signed_in, dossier, "projet", {**PROJET, "agents_reached": typed})
    assert_refused(response, "agents_reached", "n’est pas un nombre entier positif", typed)
    d = fresh(dossier)
    assert d.agents_reached is None
    assert d.users_reached == 4700 and d.title == "Portail citoyen"


def test_a_count_with_a_thousands_space_is_accepted(signed_in, dossier):
    response = post_step(
        signed_in,
        dossier,
        "projet",
        {**PROJET, "agents_reached": "1 200", "users_reached": "12\u00a0000"},
    )
    assert response.status_code == 302
    d = fresh(dossier)
    assert (d.agents_reached, d.users_reached) == (1200, 12000)


def test_a_text_over_its_length_is_refused_and_kept(signed_in, dossier):
    long_title = "Portail " * 30  # 240 characters, 239 without the final space
    long_summary = "é" * 1001
    response = post_step(
        signed_in, dossier, "projet", {**PROJET, "title": long_title, "summary": long_summary}
    )
    html = assert_refused(
        response, "title", "200 caractères au plus (vous en avez saisi 239).", long_title
    )
    assert (
        error_at(html, "summary")
        == "1\u00a0000 caractères au plus (vous en avez saisi 1\u00a0001)."
    )
    assert long_summary in html
    d = fresh(dossier)
    assert d.title == "" and d.summary == ""
    assert d.category == "3" and d.users_reached == 4700


def test_the_participatory_answer_is_saved_as_a_boolean(signed_in, dossier):
    post_step(
        signed_in,
        dossier,
        "projet",
        {**PROJET, "participatory": "oui", "participatory_how": "Atelier"},
    )
    d = fresh(dossier)
    assert d.participatory is True and d.participatory_how == "Atelier"
    response = post_step(signed_in, dossier, "projet", {**PROJET, "participatory": "peut-être"})
    assert_refused(response, "participatory", "Sélectionnez un choix valide")
    assert fresh(dossier).participatory is True


# ---------------------------------------------------------------- budget


def budget(*lines, **fields):
    data = {
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "50",
        "other_funding": "0",
        "requested_amount": "",
        "_action": "save",
    }
    for i, line in enumerate(lines):
        for key, value in line.items():
            data[f"lines-{i}-{key}"] = value
    data.update(fields)
    return data


LINE = {
    "nature": "Logiciel de portail citoyen",
    "supplier": "Éditeur",
    "amount_excl_vat": "8 000",
    "amount_incl_vat": "9 600",
}

BAD_AMOUNTS = [
    ("abc", "n'est pas un montant en euros"),
    ("-5", "Le montant ne peut pas être négatif."),
    ("1,234", "Le montant ne peut pas avoir plus de deux décimales."),
    ("12.345,6", "utilisez la virgule pour les centimes"),
]


@pytest.mark.parametrize(("typed", "message"), BAD_AMOUNTS)
def test_a_bad_requested_amount_is_refused_and_the_lines_are_saved(
    signed_in, dossier, typed, message
):
    response = post_step(
        signed_in, dossier, "budget", budget(LINE, requested_amount=typed, other_funding="1 000")
    )
    assert_refused(response, "requested_amount", message, typed)
    d = fresh(dossier)
    assert d.requested_amount is None
    assert d.other_funding == Decimal("1000")
    assert d.total_cost == Decimal("8000")


@pytest.mark.parametrize(("typed", "message"), BAD_AMOUNTS)
def test_a_bad_amount_on_a_cost_line_is_refused_at_the_line(signed_in, dossier, typed, message):
    response = post_step(
        signed_in,
        dossier,
        "budget",
        budget({**LINE, "amount_excl_vat": typed}, requested_amount="4 000"),
    )
    assert_refused(response, "lines-0-amount_excl_vat", message, typed)
    assert 'value="Logiciel de portail citoyen"' in response.content.decode()
    d = fresh(dossier)
    assert d.requested_amount == Decimal("4000")
    assert d.cost_lines.count() == 0


def test_an_amount_written_the_french_way_is_accepted(signed_in, dossier):
    line = {**LINE, "amount_excl_vat": "12 000,50 €", "amount_incl_vat": "14\u202f400,60\u00a0€"}
    response = post_step(
        signed_in,
        dossier,
        "budget",
        budget(line, other_funding="12 000,50 €", requested_amount="5 000 €"),
    )
    assert response.status_code == 302
    d = fresh(dossier)
    assert d.other_funding == Decimal("12000.50")
    assert d.requested_amount == Decimal("5000")
    (saved,) = d.cost_lines.all()
    assert (saved.amount_excl_vat, saved.amount_incl_vat) == (
        Decimal("12000.50"),
        Decimal("14400.60"),
    )


def test_a_line_whose_ttc_is_below_its_ht_is_refused(signed_in, dossier):
    response = post_step(
        signed_in,
        dossier,
        "budget",
        budget({**LINE, "amount_incl_vat": "7 000"}, requested_amount="4 000"),
    )
    assert_refused(
        response,
        "lines-0-amount_incl_vat",
        "Le montant TTC ne peut pas être inférieur au montant HT.",
        "7 000",
    )
    assert fresh(dossier).cost_lines.count() == 0
    assert fresh(dossier).requested_amount == Decimal("4000")


def test_a_partial_line_without_nature_is_refused_and_its_amounts_are_kept(signed_in, dossier):
    response = post_step(signed_in, dossier, "budget", budget({**LINE, "nature": ""}))
    html = assert_refused(response, "lines-0-nature", "Indiquez la nature de la dépense.")
    assert 'value="8 000"' in html and 'value="9 600"' in html


def test_a_refused_line_does_not_remove_the_lines_already_saved(signed_in, dossier, owner):
    post_step(signed_in, dossier, "budget", budget(LINE))
    assert fresh(dossier).total_cost == Decimal("8000")
    bad = {"nature": "Formation", "supplier": "", "amount_excl_vat": "abc", "amount_incl_vat": ""}
    post_step(signed_in, dossier, "budget", budget(LINE, bad))
    assert fresh(dossier).cost_lines.count() == 1


def test_blank_lines_are_ignored_and_emptying_a_line_removes_it(signed_in, dossier):
    blank = {"nature": "", "supplier": "", "amount_excl_vat": "", "amount_incl_vat": ""}
    response = post_step(signed_in, dossier, "budget", budget(LINE, blank))
    assert response.status_code == 302
    assert fresh(dossier).cost_lines.count() == 1
    post_step(signed_in, dossier, "budget", budget(blank))
    assert fresh(dossier).cost_lines.count() == 0


@pytest.mark.parametrize(
    "tampering",
    [
        {"lines-TOTAL_FORMS": "abc"},
        {"lines-TOTAL_FORMS": None, "lines-INITIAL_FORMS": None},
        {"lines-TOTAL_FORMS": "-1"},
        {"lines-TOTAL_FORMS": "100000"},
    ],
)
def test_a_tampered_management_form_gets_a_french_message_and_loses_nothing(
    signed_in, dossier, tampering
):
    post_step(signed_in, dossier, "budget", budget(LINE))
    data = budget(LINE, requested_amount="4 000")
    for key, value in tampering.items():
        if value is None:
            data.pop(key)
        else:
            data[key] = value
    response = post_step(signed_in, dossier, "budget", data)
    assert response.status_code in (200, 422)
    html = response.content.decode()
    assert "Les lignes de dépense envoyées sont illisibles" in html
    d = fresh(dossier)
    assert d.cost_lines.count() == 1  # the saved line is not wiped out
    assert d.requested_amount == Decimal("4000")


def test_a_requested_amount_above_the_maximum_is_refused_at_its_field(signed_in, dossier):
    """Billom (< 5 000 inhabitants): 5 000 € at most."""
    response = post_step(signed_in, dossier, "budget", budget(LINE, requested_amount="6 000"))
    html = assert_refused(
        response, "requested_amount", "dépasse le maximum permis par l’appel", "6 000"
    )
    assert "5\u00a0000\u00a0€" in error_at(html, "requested_amount")
    d = fresh(dossier)
    assert d.requested_amount == Decimal("6000")  # kept, said at the field, refused at submission
    assert any(p.field == "requested_amount" for p in services.problems(d))
    assert d.total_cost == Decimal("8000")
    assert 'id="maximum-amount"' in html


def test_the_maximum_is_the_cost_when_the_cost_is_below_the_flat_amount(signed_in, dossier):
    line = {**LINE, "amount_excl_vat": "3 000", "amount_incl_vat": "3 600"}
    response = post_step(signed_in, dossier, "budget", budget(line, requested_amount="4 000"))
    assert_refused(response, "requested_amount", "dépasse le maximum", "4 000")
    assert fresh(dossier).requested_amount == Decimal("4000")


def test_the_budget_step_shows_what_was_saved(signed_in, dossier, owner):
    services.replace_cost_lines(
        dossier, owner, Actor.APPLICANT,
        [{"nature": "Tablettes", "supplier": "", "amount_excl_vat": Decimal("6000.50"), "amount_incl_vat": Decimal("7200.60")}],
    )  # fmt: skip
    services.update(dossier, owner, Actor.APPLICANT, {"requested_amount": Decimal("5000")})
    with clock.frozen(IN_WINDOW):
        html = signed_in.get(
            reverse("applicant:step", args=[dossier.uuid, "budget"])
        ).content.decode()
    # Amounts as everywhere on the page: a no-break space between thousands.
    assert 'value="6\u00a0000,50"' in html and 'value="7\u00a0200,60"' in html
    assert 'value="Tablettes"' in html
    assert 'value="5\u00a0000"' in html or 'value="5 000"' in html
    assert 'id="budget-box"' in html


# ---------------------------------------------------------------- calendrier


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("31/02/2021", "n'est pas une date qui existe"),
        ("2021-13-01", "n'est pas une date qui existe"),
        ("1/1/1999", "l’année doit être comprise entre 2000 et 2100"),
        ("01-09-2021", "n'est pas une date"),
        ("demain", "n'est pas une date"),
    ],
)
def test_a_bad_date_is_refused_at_its_field_and_the_other_date_is_saved(
    signed_in, dossier, typed, message
):
    response = post_step(
        signed_in,
        dossier,
        "calendrier",
        {"engagement_date": "01/09/2021", "end_date": typed, "_action": "save"},
    )
    assert_refused(response, "end_date", message, typed)
    d = fresh(dossier)
    assert d.engagement_date == dt.date(2021, 9, 1)
    assert d.end_date is None


def test_a_bad_engagement_date_keeps_the_end_date(signed_in, dossier):
    response = post_step(
        signed_in,
        dossier,
        "calendrier",
        {"engagement_date": "31/02/2021", "end_date": "2022-03-31", "_action": "save"},
    )
    assert_refused(response, "engagement_date", "n'est pas une date qui existe", "31/02/2021")
    d = fresh(dossier)
    assert d.engagement_date is None
    assert d.end_date == dt.date(2022, 3, 31)


def test_an_end_before_the_engagement_is_refused_and_nothing_inconsistent_is_saved(
    signed_in, dossier
):
    response = post_step(
        signed_in,
        dossier,
        "calendrier",
        {"engagement_date": "01/09/2021", "end_date": "31/08/2021", "_action": "save"},
    )
    assert_refused(
        response,
        "end_date",
        "La date de fin ne peut pas précéder la date d’engagement.",
        "31/08/2021",
    )
    assert 'value="01/09/2021"' in response.content.decode()
    d = fresh(dossier)
    assert d.end_date is None
    assert not (d.engagement_date and d.end_date and d.end_date < d.engagement_date)


@pytest.mark.parametrize(
    ("posted", "refused"),
    [
        ({"engagement_date": "01/11/2021", "end_date": "31/02/2022"}, "end_date"),
        ({"engagement_date": "31/02/2021", "end_date": "01/08/2021"}, "engagement_date"),
    ],
)
def test_a_date_saved_alone_never_contradicts_the_saved_one(
    signed_in, dossier, owner, posted, refused
):
    """Saved: 1 September 2021 → 1 October 2021. One new date is refused, the other would cross."""
    services.update(
        dossier,
        owner,
        Actor.APPLICANT,
        {"engagement_date": dt.date(2021, 9, 1), "end_date": dt.date(2021, 10, 1)},
    )
    response = post_step(signed_in, dossier, "calendrier", {**posted, "_action": "save"})
    assert_refused(response, refused, "n'est pas une date qui existe", posted[refused])
    d = fresh(dossier)
    assert (d.engagement_date, d.end_date) == (dt.date(2021, 9, 1), dt.date(2021, 10, 1))


def test_good_dates_in_both_formats_are_saved(signed_in, dossier):
    response = post_step(
        signed_in,
        dossier,
        "calendrier",
        {"engagement_date": "1/9/2021", "end_date": "2022-03-31", "_action": "next"},
    )
    assert response.status_code == 302
    d = fresh(dossier)
    assert (d.engagement_date, d.end_date) == (dt.date(2021, 9, 1), dt.date(2022, 3, 31))


def test_a_late_engagement_date_is_saved_with_a_warning(signed_in, dossier):
    response = post_step(
        signed_in,
        dossier,
        "calendrier",
        {"engagement_date": "15/01/2022", "end_date": "", "_action": "save"},
    )
    assert response.status_code == 302
    with clock.frozen(IN_WINDOW):
        html = signed_in.get(response["Location"]).content.decode()
    assert "Date d’engagement trop tardive" in html
    assert "31 décembre 2021" in html


# ---------------------------------------------------------------- autosave


def test_autosave_saves_the_valid_fields_and_sends_the_errors_out_of_band(signed_in, dossier):
    data = {**PORTEUR, "contact_email": "pas-une-adresse", "_autosave": "1"}
    data.pop("_action")
    response = post_step(signed_in, dossier, "porteur", data, **HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Enregistré à" in html
    assert 'id="save-status"' in html
    assert "<html" not in html
    assert re.search(r'id="contact_email-error" hx-swap-oob="true"', html)
    assert "Saisissez une adresse électronique valide" in error_at(html, "contact_email")
    assert error_at(html, "contact_name") == ""  # cleared when the field is now valid
    d = fresh(dossier)
    assert d.contact_name == "Claire Dupont" and d.contact_phone == "04 73 68 39 85"


def test_autosave_of_a_valid_form_says_saved(signed_in, dossier):
    response = post_step(signed_in, dossier, "projet", {**PROJET, "_autosave": "1"}, **HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Enregistré à" in html and "sauf les champs signalés" not in html
    assert fresh(dossier).category == "3"


def test_the_budget_autosave_returns_the_updated_maximum(signed_in, dossier):
    response = post_step(
        signed_in,
        dossier,
        "budget",
        {**budget(LINE, requested_amount="abc"), "_autosave": "1"},
        **HX,
    )
    html = response.content.decode()
    assert "Enregistré à" in html
    assert re.search(r'id="budget-box"[^>]*hx-swap-oob="true"', html)
    assert "8\u00a0000\u00a0€" in html  # the new total cost
    assert 'id="maximum-amount">5\u00a0000\u00a0€' in html
    assert "n'est pas un montant en euros" in error_at(html, "requested_amount")
    assert fresh(dossier).total_cost == Decimal("8000")


def test_the_calendar_autosave_returns_the_engagement_warning(signed_in, dossier):
    data = {"engagement_date": "2022-01-15", "end_date": "2022-13-01", "_autosave": "1"}
    html = post_step(signed_in, dossier, "calendrier", data, **HX).content.decode()
    assert 'id="engagement-warning" hx-swap-oob="true"' in html
    assert "Date d’engagement trop tardive" in html
    assert "n'est pas une date qui existe" in error_at(html, "end_date")
    assert fresh(dossier).engagement_date == dt.date(2022, 1, 15)


def test_autosave_on_a_tampered_budget_says_it_at_the_form(signed_in, dossier):
    data = {**budget(LINE), "lines-TOTAL_FORMS": "x", "_autosave": "1"}
    html = post_step(signed_in, dossier, "budget", data, **HX).content.decode()
    assert 'id="form-errors" hx-swap-oob="true"' in html
    assert "Les lignes de dépense envoyées sont illisibles" in html


def test_a_post_without_the_htmx_header_is_a_full_page(signed_in, dossier):
    data = {**PORTEUR, "contact_email": "x", "_autosave": "1"}
    response = post_step(signed_in, dossier, "porteur", data)
    assert "<html" in response.content.decode()


# ---------------------------------------------------------------- partners


def test_a_partner_is_added_and_removed(signed_in, dossier):
    url = reverse("applicant:partner-add", args=[dossier.uuid])
    response = signed_in.post(url, {"collectivity": "commune:63113", "role": "co_funder"})
    assert response.status_code == 302
    (partner,) = dossier.partners.all()
    assert partner.name == "Clermont-Ferrand"
    response = signed_in.post(reverse("applicant:partner-remove", args=[dossier.uuid, partner.pk]))
    assert response.status_code == 302
    assert dossier.partners.count() == 0


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"collectivity": "", "role": "co_funder"},
            "collectivity",
            "Choisissez la collectivité partenaire.",
        ),
        (
            {"collectivity": "Zzyzx-sur-Lune", "role": "co_funder"},
            "collectivity",
            "Aucune collectivité ne correspond",
        ),
        ({"collectivity": "commune:99999", "role": "co_funder"}, "collectivity", ""),
        (
            {"collectivity": "commune:63040", "role": "co_funder"},
            "collectivity",
            "ne peut pas être son propre partenaire",
        ),
        (
            {"collectivity": "commune:63113", "role": "chef"},
            "role",
            "Choisissez l’un des rôles proposés.",
        ),
        (
            {"collectivity": "commune:63113", "collectivity_ref": "nimporte:quoi", "role": ""},
            "role",
            "Choisissez le rôle du partenaire.",
        ),
    ],
)
def test_a_bad_partner_is_refused_at_its_field(signed_in, dossier, data, field, message):
    response = signed_in.post(reverse("applicant:partner-add", args=[dossier.uuid]), data)
    assert response.status_code in (200, 422)
    html = response.content.decode()
    text = error_at(html, field)
    assert text and message in text
    assert dossier.partners.count() == 0


def test_a_partner_cannot_be_added_twice(signed_in, dossier):
    url = reverse("applicant:partner-add", args=[dossier.uuid])
    signed_in.post(url, {"collectivity": "commune:63113", "role": "co_funder"})
    response = signed_in.post(url, {"collectivity": "commune:63113", "role": "beneficiary"})
    assert "déjà partenaire" in error_at(response.content.decode(), "collectivity")
    assert dossier.partners.count() == 1


def test_removing_an_unknown_partner_changes_nothing(signed_in, dossier):
    signed_in.post(
        reverse("applicant:partner-add", args=[dossier.uuid]),
        {"collectivity": "commune:63113", "role": "co_funder"},
    )
    response = signed_in.post(reverse("applicant:partner-remove", args=[dossier.uuid, 999999]))
    assert response.status_code in (302, 404)
    assert dossier.partners.count() == 1


def test_a_step_of_a_withdrawn_dossier_sends_to_the_dossier_page(signed_in, dossier, owner):
    services.withdraw(dossier, owner)
    response = post_step(signed_in, dossier, "porteur", PORTEUR)
    assert response.status_code == 302
    assert response["Location"] == reverse("applicant:dossier", args=[dossier.uuid])
    assert fresh(dossier).contact_name != "Claire Dupont"


@pytest.mark.parametrize("typed", ["99 999 999 999", "10 000 000 000"])
def test_an_amount_too_large_for_the_database_is_refused_at_its_field(signed_in, dossier, typed):
    line = {**LINE, "amount_incl_vat": typed}
    response = post_step(
        signed_in, dossier, "budget", budget(line, requested_amount=typed, other_funding=typed)
    )
    for name in ("requested_amount", "other_funding", "lines-0-amount_incl_vat"):
        assert_refused(response, name, "Le montant est trop élevé.", typed)
    with clock.frozen(IN_WINDOW):
        assert (
            signed_in.get(reverse("applicant:step", args=[dossier.uuid, "budget"])).status_code
            == 200
        )
        assert (
            signed_in.get(
                reverse("applicant:step", args=[dossier.uuid, "recapitulatif"])
            ).status_code
            == 200
        )


def test_an_email_longer_than_the_database_allows_is_refused(signed_in, dossier):
    typed = "a" * 250 + "@mairie.fr"
    response = post_step(signed_in, dossier, "porteur", {**PORTEUR, "contact_email": typed})
    assert_refused(
        response, "contact_email", "254 caractères au plus (vous en avez saisi 260).", typed
    )
    assert fresh(dossier).contact_name == "Claire Dupont"


# ---------------------------------------------------------------- lengths, line ends, history


def test_a_text_at_its_limit_is_kept_whatever_its_line_ends(signed_in, dossier):
    """The browser counts a line end as one character (maxlength); so does the server, though a
    submitted form sends it as two (\\r\\n)."""
    at_limit = "a" * 499 + "\r\n" + "b" * 500  # 1 000 characters once the line end is one
    response = post_step(signed_in, dossier, "projet", {**PROJET, "summary": at_limit})
    assert response.status_code == 302
    assert fresh(dossier).summary == "a" * 499 + "\n" + "b" * 500
    over = at_limit + "c"
    response = post_step(signed_in, dossier, "projet", {**PROJET, "summary": over})
    assert error_at(response.content.decode(), "summary") == (
        "1\u00a0000 caractères au plus (vous en avez saisi 1\u00a0001)."
    )


def _inputs(html: str) -> dict[str, str | None]:
    """name → maxlength of every text input and textarea of the page."""
    found = {}
    for tag in re.findall(r"<(?:input|textarea)\b[^>]*>", html):
        if re.search(r'type="(?:hidden|radio|checkbox|file|submit)"', tag):
            continue
        name = re.search(r'name="([^"]+)"', tag)
        maxlength = re.search(r'maxlength="(\d+)"', tag)
        if name:
            found[name.group(1)] = maxlength.group(1) if maxlength else None
    return found


NUMBERS = {"agents_reached", "users_reached", "other_funding", "requested_amount"}


def test_every_text_field_of_the_steps_has_the_databases_length_as_maxlength(
    signed_in, dossier, owner
):
    from guichet.dossiers.models import CostLine, Dossier

    services.replace_cost_lines(
        dossier,
        owner,
        Actor.APPLICANT,
        [
            {
                "nature": "Logiciel",
                "supplier": "",
                "amount_excl_vat": Decimal("8000"),
                "amount_incl_vat": Decimal("9600"),
            }
        ],
    )
    checked = 0
    for step in ("porteur", "projet", "budget"):
        with clock.frozen(IN_WINDOW):
            html = signed_in.get(reverse("applicant:step", args=[dossier.uuid, step])).content
        for name, maxlength in _inputs(html.decode()).items():
            if name in NUMBERS or re.match(r"lines-\d+-amount", name):
                continue
            if name == "collectivity":  # the partner's name, typed or picked
                expected = Dossier._meta.get_field("applicant_name").max_length
            elif name == "contact_phone":  # spaces, dots and +33 are accepted, then normalised
                expected = 30
            elif name == "siret":  # spaces and dots accepted, then removed: 14 digits stored
                expected = 20
            elif name.startswith("lines-"):
                expected = CostLine._meta.get_field(name.split("-")[-1]).max_length
            else:
                expected = Dossier._meta.get_field(name).max_length
            assert maxlength == str(expected), (step, name, maxlength, expected)
            checked += 1
    assert (
        checked == 19
    )  # 4 + the SIRET + the partner + 9 project texts + 2 per cost line (one + a blank)


def test_the_pages_after_submission_give_their_text_fields_a_maxlength(client):
    from guichet.dossiers.models import Message
    from tests.dossiers.factories import complete

    owner = agent(email="suivi@mairie.example.fr")
    client.force_login(owner)
    with clock.frozen(IN_WINDOW):
        submitted = services.submit(complete(draft(owner), owner), owner)
    page = _inputs(client.get(reverse("applicant:dossier", args=[submitted.uuid])).content.decode())
    assert page == {"body": str(Message._meta.get_field("body").max_length), "email": "254"}
    withdraw = client.get(reverse("applicant:withdraw", args=[submitted.uuid])).content.decode()
    assert _inputs(withdraw) == {"reason": "2000"}


def test_the_date_fields_are_date_pickers_without_a_contradicting_hint(signed_in, dossier):
    with clock.frozen(IN_WINDOW):
        html = signed_in.get(reverse("applicant:step", args=[dossier.uuid, "calendrier"]))
    html = html.content.decode()
    for name in ("engagement_date", "end_date"):
        assert re.search(rf'<input[^>]*type="date"[^>]*name="{name}"', html), name
    assert "JJ/MM/AAAA" not in html.upper()


@pytest.mark.parametrize("typed", ["2021-06-30", "30/06/2021"])
def test_a_date_is_accepted_as_the_picker_sends_it_and_as_the_french_type_it(
    signed_in, dossier, typed
):
    response = post_step(
        signed_in, dossier, "calendrier", {"engagement_date": typed, "_action": "save"}
    )
    assert response.status_code == 302
    assert fresh(dossier).engagement_date == dt.date(2021, 6, 30)


@pytest.fixture
def after_submission(owner, dossier):
    from tests.dossiers.factories import complete

    complete(dossier, owner)
    services.update(dossier, owner, Actor.APPLICANT, {"description": "Un portail.\nEt un guichet."})
    with clock.frozen(IN_WINDOW):
        return services.submit(dossier, owner)


def _projet_as_posted(dossier, **changes):
    d = fresh(dossier)
    data = {
        name: getattr(d, name) or ""
        for name in (
            "title", "summary", "category", "description", "daily_life_effect",
            "participatory_how", "innovation", "solution_choice", "governance", "pooling",
            "agents_reached", "users_reached",
        )
    }  # fmt: skip
    data["examples"] = d.examples
    data["participatory"] = {True: "oui", False: "non"}.get(d.participatory, "")
    data.update(changes)
    return data


def test_changing_one_field_logs_exactly_that_change_whichever_way_the_texts_are_sent(
    signed_in, after_submission
):
    from guichet.dossiers.models import Event

    dossier = after_submission
    before = Event.objects.filter(dossier=dossier, kind="edited").count()
    # A submit button sends the textareas' line ends as \r\n…
    posted = _projet_as_posted(dossier, users_reached="5 000", _action="save")
    posted = {k: v.replace("\n", "\r\n") if isinstance(v, str) else v for k, v in posted.items()}
    post_step(signed_in, dossier, "projet", posted)
    edits = list(Event.objects.filter(dossier=dossier, kind="edited").order_by("pk"))[before:]
    assert [e.changes for e in edits] == [{"Usagers touchés": ["4700", "5000"]}]
    # …htmx's autosave as \n: the same values again are no change at all.
    post_step(signed_in, dossier, "projet", {**_projet_as_posted(dossier), "_autosave": "1"}, **HX)
    post_step(signed_in, dossier, "projet", {**posted, "users_reached": "5000"})
    assert Event.objects.filter(dossier=dossier, kind="edited").count() == before + 1
    assert fresh(dossier).description == "Un portail.\nEt un guichet."


# ---------------------------------------------------------------- the budget reopened, lines added


def budget_page(client, dossier):
    with clock.frozen(IN_WINDOW):
        return client.get(reverse("applicant:step", args=[dossier.uuid, "budget"]))


def test_a_requested_amount_above_the_maximum_is_said_again_when_the_step_is_reopened(
    signed_in, dossier
):
    """Asked for 6 000 € before any line (no maximum yet), then an 8 000 € line: 5 000 € at most."""
    post_step(signed_in, dossier, "budget", budget(requested_amount="6 000"))
    assert fresh(dossier).requested_amount == Decimal("6000")
    post_step(signed_in, dossier, "budget", budget(LINE, requested_amount="6 000"))
    html = assert_refused(
        budget_page(signed_in, dossier),
        "requested_amount",
        "Le montant demandé dépasse le maximum permis par l’appel pour ce projet : 5\u00a0000\u00a0€.",
        "6\u00a0000",
    )
    assert "fr-input-group--error" in html
    with clock.frozen(IN_WINDOW):
        problems = services.problems(fresh(dossier))
    assert [p.field for p in problems if p.step == "budget"] == ["requested_amount"]


def test_a_requested_amount_at_the_maximum_shows_no_error_when_reopened(signed_in, dossier):
    post_step(signed_in, dossier, "budget", budget(LINE, requested_amount="5 000"))
    assert error_at(budget_page(signed_in, dossier).content.decode(), "requested_amount") == ""


def test_adding_a_line_works_without_a_supplier_and_beside_an_error_elsewhere(signed_in, dossier):
    line = {**LINE, "supplier": ""}
    response = post_step(
        signed_in,
        dossier,
        "budget",
        budget(line, requested_amount="6 000", _action="add_line"),
    )
    html = response.content.decode()
    assert 'name="lines-TOTAL_FORMS" value="2"' in html
    assert 'name="lines-1-nature"' in html and "Dépense 2" in html
    assert 'value="8 000"' in html and 'value="9 600"' in html
    assert "dépasse le maximum" in error_at(html, "requested_amount")
    assert fresh(dossier).cost_lines.count() == 1  # the line without supplier is saved


def test_adding_a_line_keeps_an_incomplete_line_as_typed_and_says_what_it_lacks(signed_in, dossier):
    typed = {"nature": "Formation des agents", "supplier": "", "amount_excl_vat": "1 500"}
    response = post_step(signed_in, dossier, "budget", budget(typed, _action="add_line"))
    html = assert_refused(
        response, "lines-0-amount_incl_vat", "Indiquez le montant toutes taxes comprises."
    )
    assert 'value="Formation des agents"' in html and 'value="1 500"' in html
    assert 'name="lines-TOTAL_FORMS" value="2"' in html
    assert error_at(html, "lines-1-nature") == ""  # the new line is blank, without error


def test_no_line_is_added_beyond_fifty(signed_in, dossier):
    lines = [{**LINE, "nature": f"Poste {i}"} for i in range(50)]
    response = post_step(signed_in, dossier, "budget", budget(*lines, _action="add_line"))
    html = htmllib.unescape(response.content.decode())
    assert "Un dossier compte au plus 50 lignes de dépense." in html
    assert 'name="lines-TOTAL_FORMS" value="50"' in html
