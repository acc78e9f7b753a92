"""Numbers nobody should type, each with the minimal request that once ended in a 500 (or was
silently stored): a French message at the field instead. Issue 8, « No 500, ever »."""

from __future__ import annotations

import html as htmllib
import re
from urllib.parse import urlencode

import pytest
from django.core import mail
from django.urls import reverse

from guichet import clock
from guichet.dossiers import services
from guichet.review.models import Opinion
from tests.dossiers.factories import IN_WINDOW, REAL_CALL, agent, complete, draft, reviewer

pytestmark = pytest.mark.django_db

HUGE = ["1e26", "9" * 27]  # their cents need more than Decimal's 28 digits
DIGITS_MESSAGE = "Saisissez un nombre entier en chiffres (0 à 9)."


def text(response) -> str:
    body = htmllib.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))
    return " ".join(body.replace("\u00a0", " ").split())


def error_at(response, name: str) -> str:
    html = response.content.decode()
    match = re.search(rf'id="{re.escape(name)}-error"[^>]*>(.*?)</div>', html, re.S)
    assert match, f"no error container for {name}"
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).strip()


@pytest.fixture
def owner():
    return agent()


@pytest.fixture
def dossier(owner):
    return draft(owner)


@pytest.fixture
def submitted(owner):
    with clock.frozen(IN_WINDOW):
        dossier = services.submit(complete(draft(owner), owner), owner)
    mail.outbox.clear()
    return dossier


# ---------------------------------------------------------------- amounts


@pytest.mark.parametrize("typed", HUGE)
def test_the_simulator_says_the_cost_is_too_high(client, typed):
    url = reverse("public:simulator", args=[REAL_CALL])
    response = client.get(url, {"applicant": "commune:63040", "cost": typed})
    assert response.status_code == 200
    assert "Le montant est trop élevé." in text(response)
    assert response.context["errors"]["cost"]


@pytest.mark.parametrize("offset", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_the_simulator_says_the_submission_date_is_out_of_range(client, offset):
    url = reverse("public:simulator", args=[REAL_CALL])
    response = client.get(
        url, {"applicant": "commune:63040", "cost": "8000", "submitted_on": offset}
    )
    assert response.status_code == 200
    assert (
        "l’année doit être comprise entre 1900 et 2200"
        in response.context["errors"]["submitted_on"][0]
    )


@pytest.mark.parametrize("name", ["montant_min", "montant_max"])
@pytest.mark.parametrize("typed", HUGE)
def test_the_reviewers_list_amount_filters_say_too_high(client, submitted, name, typed):
    client.force_login(reviewer())
    response = client.get(reverse("backoffice:dossiers"), {"appel": REAL_CALL, name: typed})
    assert response.status_code == 200
    assert "Le montant est trop élevé." in text(response)


def test_an_export_of_a_list_filtered_by_a_huge_amount_is_not_a_500(client, submitted):
    client.force_login(reviewer())
    retour = urlencode({"appel": REAL_CALL, "montant_min": "1e26"})
    response = client.post(reverse("backoffice:export-create"), {"format": "csv", "retour": retour})
    assert response.status_code == 302  # the invalid filter is ignored, as on the list


@pytest.mark.parametrize("typed", HUGE)
def test_the_proposal_says_the_amount_is_too_high(client, submitted, typed):
    in_review = services.start_review(submitted, reviewer())
    client.force_login(reviewer())
    response = client.post(
        reverse("backoffice:propose", args=[in_review.uuid]),
        {"kind": "favourable", "amount": typed},
    )
    assert response.status_code == 422
    assert "Le montant est trop élevé." in error_at(response, "amount")
    assert not Opinion.objects.exists()


def budget(**fields):
    data = {
        "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "50",
        "lines-0-nature": "Logiciel", "lines-0-supplier": "Éditeur",
        "lines-0-amount_excl_vat": "8 000", "lines-0-amount_incl_vat": "9 600",
        "other_funding": "0", "requested_amount": "4 000", "_action": "save",
    }  # fmt: skip
    return {**data, **fields}


@pytest.mark.parametrize(
    "field",
    ["requested_amount", "other_funding", "lines-0-amount_excl_vat", "lines-0-amount_incl_vat"],
)
@pytest.mark.parametrize("typed", HUGE)
def test_the_budget_step_says_the_amount_is_too_high(client, owner, dossier, field, typed):
    client.force_login(owner)
    with clock.frozen(IN_WINDOW):
        response = client.post(
            reverse("applicant:step", args=[dossier.uuid, "budget"]), budget(**{field: typed})
        )
    assert response.status_code in (200, 422)
    assert "Le montant est trop élevé." in error_at(response, field)


# ---------------------------------------------------------------- whole numbers

PROJET = {
    "title": "Portail citoyen", "summary": "Dématérialiser les démarches.", "category": "3",
    "examples": ["dématérialiser une démarche de service public"], "description": "Un portail.",
    "participatory": "non", "agents_reached": "4", "users_reached": "4700", "_action": "save",
}  # fmt: skip


@pytest.mark.parametrize("field", ["agents_reached", "users_reached"])
@pytest.mark.parametrize("typed", ["²", "①", "٣", "４７００"])
def test_counts_in_other_digits_are_refused_and_not_stored(client, owner, dossier, field, typed):
    client.force_login(owner)
    with clock.frozen(IN_WINDOW):
        response = client.post(
            reverse("applicant:step", args=[dossier.uuid, "projet"]), {**PROJET, field: typed}
        )
    assert response.status_code in (200, 422)
    assert DIGITS_MESSAGE in error_at(response, field)
    dossier.refresh_from_db()
    assert getattr(dossier, field) is None
    assert dossier.title == "Portail citoyen"  # the rest is saved


@pytest.mark.parametrize("typed", ["²", "①", "٤٣٢١", "４３２１"])
def test_a_population_correction_in_other_digits_is_refused(client, submitted, typed):
    before = submitted.population_used
    client.force_login(reviewer())
    response = client.post(
        reverse("backoffice:population", args=[submitted.uuid]),
        {"population": typed, "population_justification": "Recensement 2020"},
    )
    assert response.status_code == 422
    assert DIGITS_MESSAGE in error_at(response, "population")
    submitted.refresh_from_db()
    assert submitted.population_used == before  # « ٤٣٢١ » was once stored as 4321


def test_the_largest_count_is_accepted_and_one_more_is_refused(client, owner, dossier):
    client.force_login(owner)
    url = reverse("applicant:step", args=[dossier.uuid, "projet"])
    with clock.frozen(IN_WINDOW):
        client.post(url, {**PROJET, "users_reached": "100 000 000"})
        dossier.refresh_from_db()
        assert dossier.users_reached == 100_000_000
        response = client.post(url, {**PROJET, "users_reached": "100 000 001"})
    assert "Ce nombre est trop élevé." in error_at(response, "users_reached")
    dossier.refresh_from_db()
    assert dossier.users_reached == 100_000_000


@pytest.mark.parametrize(
    "typed", ["٣", "３", "1_0", "1e999999999", "-1e999999999", "1000", "-1000"]
)
def test_the_reviewers_list_score_filter_reads_digits_0_to_9_only(client, submitted, typed):
    client.force_login(reviewer())
    response = client.get(reverse("backoffice:dossiers"), {"appel": REAL_CALL, "note_min": typed})
    assert response.status_code == 200
    assert f"« {typed} » n’est pas une note" in text(response)


def test_a_siren_in_other_digits_is_not_looked_up(django_assert_num_queries):
    from guichet.accounts.services import collectivity_by_siren

    with django_assert_num_queries(0):
        assert collectivity_by_siren("٢٤٦٣٠٠٧٠١", "2021") is None


@pytest.mark.parametrize("typed", ["999,99", "-999,99", "3,5", "0"])
def test_the_reviewers_list_score_filter_accepts_scores_below_a_thousand(client, submitted, typed):
    client.force_login(reviewer())
    response = client.get(reverse("backoffice:dossiers"), {"appel": REAL_CALL, "note_min": typed})
    assert response.status_code == 200
    assert "n’est pas une note" not in text(response)
