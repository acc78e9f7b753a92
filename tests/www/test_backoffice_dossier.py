"""The reviewer's dossier page: previews, verdict, population, scores, proposal, notes, assignment,
and only the forms each role may use."""

import re
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from guichet import clock
from guichet.dossiers import services
from guichet.dossiers.workflow import State
from guichet.review import services as review
from guichet.review.models import Assignment, Opinion, PrivateNote, Score
from tests.accounts.two_factor_helpers import give_totp
from tests.dossiers.factories import IN_WINDOW, agent, complete, draft, reviewer

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"


@pytest.fixture
def submitted():
    owner = agent()
    with clock.frozen(IN_WINDOW):
        dossier = services.submit(complete(draft(owner), owner), owner)
    mail.outbox.clear()
    return dossier


@pytest.fixture
def in_review(submitted):
    return services.start_review(submitted, reviewer())


def url(name, dossier):
    return reverse(f"backoffice:{name}", args=[dossier.uuid])


def page_of(client, dossier):
    response = client.get(url("dossier", dossier))
    assert response.status_code == 200
    return response.content.decode()


def all_marks(dossier, value="2"):
    return {c.code: value for c in dossier.call.rules.scoring.criteria}


def error_at(html, name):
    """The text of the error container of the field ``name``."""
    match = re.search(rf'id="{name}-error"[^>]*>(.*?)</div>', html, re.S)
    assert match, f"no error container for {name}"
    return re.sub(r"<[^>]+>", " ", match.group(1)).strip()


# ---------------------------------------------------------------- what the page shows


def test_the_page_previews_pdfs_in_a_frame_and_images_inline(client, submitted):
    client.force_login(reviewer())
    html = page_of(client, submitted)
    quote = submitted.attachments.get(kind="quote")
    rib = submitted.attachments.get(kind="bank_details")
    assert re.search(rf'<iframe[^>]+src="[^"]*/pieces/{quote.pk}/\?apercu=1"', html)
    assert re.search(rf'<img[^>]+src="[^"]*/pieces/{rib.pk}/\?apercu=1"', html)
    assert f'/pieces/{quote.pk}/" download' in html
    inline = client.get(
        reverse("backoffice:attachment", args=[submitted.uuid, quote.pk]) + "?apercu=1"
    )
    assert inline["Content-Disposition"].startswith("inline")
    assert inline["X-Frame-Options"] == "SAMEORIGIN"
    download = client.get(reverse("backoffice:attachment", args=[submitted.uuid, quote.pk]))
    assert download["Content-Disposition"].startswith("attachment")


def test_the_verdict_is_recomputed_from_the_current_data(client, submitted):
    client.force_login(reviewer())
    assert f"Éligible — montant maximal 5{NBSP}000{NBSP}€" in page_of(client, submitted)
    # Data changed since submission (a category the call does not fund): the page says it now.
    submitted.category = "9"
    submitted.save(update_fields=["category"])
    assert "Non éligible selon les règles de l’appel" in page_of(client, submitted)


def test_the_population_its_vintage_and_the_flat_amount_are_shown(client, submitted):
    client.force_login(reviewer())
    html = page_of(client, submitted)
    assert re.search(r'id="population-used">4.777 habitants', html)
    assert "millésime 2021" in html
    assert re.search(rf'id="flat-amount">5{NBSP}000{NBSP}€', html)


# ---------------------------------------------------------------- population


def test_a_population_correction_recomputes_the_flat_amount_and_is_recorded(client, submitted):
    client.force_login(reviewer())
    bad = client.post(
        url("population", submitted),
        {"population": "cinq mille", "population_justification": "Recensement 2020"},
    )
    assert bad.status_code == 422
    html = bad.content.decode()
    assert "n’est pas un nombre d’habitants" in error_at(html, "population")
    assert "Recensement 2020" in html  # what was typed is kept
    missing = client.post(
        url("population", submitted), {"population": "5 000", "population_justification": " "}
    )
    assert "Justifiez la correction" in error_at(
        missing.content.decode(), "population_justification"
    )
    ok = client.post(
        url("population", submitted),
        {"population": "5 000", "population_justification": "Recensement complémentaire 2020"},
        follow=True,
    )
    html = ok.content.decode()
    assert f"forfait 10{NBSP}000{NBSP}€, montant maximal 8{NBSP}000{NBSP}€" in html
    assert re.search(rf'id="flat-amount">10{NBSP}000{NBSP}€', html)
    assert "corrigée par l’instruction" in html
    assert f"Forfait : « 5{NBSP}000{NBSP}€ » → « 10{NBSP}000{NBSP}€ »" in html
    assert "Recensement complémentaire 2020" in html
    submitted.refresh_from_db()
    assert submitted.population_used == 5000 and submitted.maximum_amount == Decimal("8000")


def test_the_population_is_no_longer_corrected_once_proposed(client, in_review):
    instructor = reviewer()
    review.propose(
        in_review, instructor, kind="favourable", amount=Decimal("5000"), justification="",
        without_scores=True,
    )  # fmt: skip
    client.force_login(instructor)
    assert 'action="' + url("population", in_review) not in page_of(client, in_review)
    response = client.post(
        url("population", in_review), {"population": "5000", "population_justification": "x"}
    )
    assert response.status_code == 422 and "ne se corrige plus" in response.content.decode()
    in_review.refresh_from_db()
    assert in_review.population_used == 4777


# ---------------------------------------------------------------- scores


def test_scoring_every_criterion_shows_the_marks_and_the_weighted_average(client, submitted):
    first, second = reviewer(), reviewer()
    review.score(submitted, first, {c: review.ScoreInput(3) for c in all_marks(submitted)})
    client.force_login(second)
    data = all_marks(submitted, "1") | {"daily_life_comment": "Peu d’effet visible."}
    response = client.post(url("score", submitted), data, follow=True)
    html = response.content.decode()
    assert "Votre notation est enregistrée." in html
    assert Score.objects.filter(reviewer=second).count() == 8
    assert "Peu d’effet visible." in html
    assert re.search(r'id="score-average">2,00 / 3', html) or re.search(
        r'id="score-average">2.00 / 3', html
    )
    assert html.count("<strong>3,00</strong>") + html.count("<strong>3.00</strong>") == 1
    # The form comes back with the reviewer's own marks.
    assert re.search(r'id="id_daily_life_1"[^>]*checked', html)


def test_a_criterion_shows_its_rule_quote(client, submitted):
    client.force_login(reviewer())
    html = page_of(client, submitted)
    quote = submitted.call.rules.rules["PRIORITY-IMPACT"].quote
    assert f"« {quote} »".replace("'", "&#x27;") in html


def test_a_bad_mark_is_refused_at_its_criterion_and_nothing_typed_is_lost(client, submitted):
    client.force_login(reviewer())
    data = all_marks(submitted) | {
        "innovation": "7",
        "governance_comment": "Comité de pilotage solide",
    }
    response = client.post(url("score", submitted), data)
    assert response.status_code == 422
    html = response.content.decode()
    assert "Choisissez une note entre 0 et 3." in error_at(html, "innovation")
    assert "Comité de pilotage solide" in html
    assert re.search(r'id="id_daily_life_2"[^>]*checked', html)
    assert not Score.objects.exists()


def test_a_comment_without_a_mark_and_an_empty_grid_are_refused(client, submitted):
    client.force_login(reviewer())
    response = client.post(url("score", submitted), {"pooling_comment": "Mutualisé avec la CC"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "Donnez une note à ce critère" in error_at(html, "pooling")
    assert "Mutualisé avec la CC" in html
    empty = client.post(url("score", submitted), {})
    assert "Notez au moins un critère." in error_at(empty.content.decode(), "daily_life")


def test_a_dossier_waiting_for_corrections_has_no_scoring_form(client, submitted):
    instructor = reviewer()
    services.request_correction(submitted, instructor, "Le devis n’est pas signé.")
    client.force_login(instructor)
    assert 'id="score-form"' not in page_of(client, submitted)
    response = client.post(url("score", submitted), all_marks(submitted))
    assert response.status_code == 422 and "ne se note pas" in response.content.decode()


def test_each_mark_of_the_form_says_what_it_means(client, submitted):
    client.force_login(reviewer())
    html = page_of(client, submitted)
    form = html[html.index('id="score-form"') :]
    assert re.search(
        r'for="id_daily_life_0">0<span class="fr-hint-text">Aucun effet sur les habitants', form
    )
    assert re.search(r'for="id_governance_3">3<span class="fr-hint-text">Un pilotage, un', form)


def test_a_quote_shared_by_several_criteria_is_shown_once(client, submitted):
    client.force_login(reviewer())
    html = page_of(client, submitted)
    form = html[
        html.index('id="score-form"') : html.index("</form>", html.index('id="score-form"'))
    ]
    modulation = "Le taux de financement accordé par l&#x27;État pourra être modulé"
    assert form.count(modulation) == 1  # five criteria rest on it
    assert form.count("« Modulation du taux », cité plus haut.") == 4
    impact = "La priorité est accordée aux projets ayant un effet sur la vie quotidienne"
    assert form.count(impact) == 1  # two criteria, not next to each other


def test_the_page_shows_the_current_marks_and_the_previous_versions(client, submitted):
    instructor = reviewer()
    client.force_login(instructor)
    client.post(
        url("score", submitted), {"innovation": "1", "innovation_comment": "Outil courant."}
    )
    html = page_of(client, submitted)
    assert 'id="score-versions"' not in html
    client.post(url("score", submitted), {"innovation": "3", "innovation_comment": "Inédit ici."})
    html = page_of(client, submitted)
    table = html[
        html.index('id="score-table"') : html.index("</table>", html.index('id="score-table"'))
    ]
    assert '<strong>3</strong><br><span class="fr-text--sm">Inédit ici.</span>' in table
    versions = html[html.index('id="score-versions"') :]
    versions = versions[: versions.index("</table>")]
    assert "Versions précédentes" in html
    assert re.search(
        r"<td>Paul Instructeur</td><td>Caractère innovant de la réponse proposée</td><td>1</td>"
        r"<td>Outil courant.</td>",
        versions,
    )


# ---------------------------------------------------------------- opinion and proposal


def test_nothing_is_chosen_in_advance_in_the_proposal_form(client, in_review):
    client.force_login(reviewer())
    html = page_of(client, in_review)
    form = html[html.index('id="proposal-form"') :]
    form = form[: form.index("</form>")]
    assert re.search(r'name="amount" value=""', form)
    assert f"Au plus 5{NBSP}000{NBSP}€" in form  # the maximum, as a hint
    assert not re.search(r'name="kind" value="[a-z]+" checked', form)
    assert 'name="without_scores"' in form and "Je propose ce dossier sans notation" in form


def test_an_unscored_dossier_is_proposed_only_when_confirmed(client, in_review):
    client.force_login(reviewer())
    data = {"kind": "favourable", "amount": "5 000"}
    response = client.post(url("propose", in_review), data)
    assert response.status_code == 422
    assert "cochez « Je propose ce dossier sans notation »" in error_at(
        response.content.decode(), "without_scores"
    )
    in_review.refresh_from_db()
    assert in_review.state == State.IN_REVIEW and not Opinion.objects.exists()
    response = client.post(url("propose", in_review), data | {"without_scores": "on"})
    assert response.status_code == 302
    in_review.refresh_from_db()
    assert in_review.state == State.PROPOSED
    event = in_review.events.get(action="propose")
    assert "sans notation complète" in event.message


def test_a_fully_scored_dossier_asks_no_confirmation(client, in_review):
    instructor = reviewer()
    client.force_login(instructor)
    client.post(url("score", in_review), all_marks(in_review))
    html = page_of(client, in_review)
    assert 'name="without_scores"' not in html
    response = client.post(url("propose", in_review), {"kind": "favourable", "amount": "5000"})
    assert response.status_code == 302
    in_review.refresh_from_db()
    assert in_review.state == State.PROPOSED
    assert "sans notation" not in in_review.events.get(action="propose").message


def test_a_double_click_on_propose_stores_one_opinion(client, in_review):
    client.force_login(reviewer())
    data = {"kind": "reserved", "amount": "4 000", "justification": "Devis surévalué."}
    data |= {"without_scores": "on"}
    first = client.post(url("propose", in_review), data)
    second = client.post(url("propose", in_review), data)
    assert first.status_code == second.status_code == 302
    assert Opinion.objects.filter(dossier=in_review).count() == 1
    assert in_review.events.filter(action="propose").count() == 1


def test_the_proposal_is_only_offered_in_review(client, submitted):
    client.force_login(reviewer())
    assert 'id="proposal-form"' not in page_of(client, submitted)
    response = client.post(url("propose", submitted), {"kind": "favourable", "amount": "5000"})
    assert response.status_code == 422
    assert "Seul un dossier en instruction" in response.content.decode()


def test_proposal_errors_are_shown_at_their_field(client, in_review):
    client.force_login(reviewer())
    above = client.post(url("propose", in_review), {"kind": "favourable", "amount": "6 000"})
    assert above.status_code == 422
    assert "dépasse le maximum" in error_at(above.content.decode(), "amount")
    below = client.post(
        url("propose", in_review), {"kind": "reserved", "amount": "3 500", "justification": ""}
    )
    html = below.content.decode()
    assert "doit être justifié" in error_at(html, "justification")
    assert 'value="3 500"' in html
    garbled = client.post(url("propose", in_review), {"amount": "beaucoup"})
    html = garbled.content.decode()
    assert "beaucoup » n&#x27;est pas un montant en euros." in error_at(html, "amount")
    assert "Choisissez un avis" in error_at(html, "kind")
    assert not Opinion.objects.exists()
    in_review.refresh_from_db()
    assert in_review.state == State.IN_REVIEW


def test_a_justified_lower_amount_goes_to_the_committee(client, in_review):
    client.force_login(reviewer())
    response = client.post(
        url("propose", in_review),
        {
            "kind": "reserved",
            "amount": "3 500",
            "justification": "Une partie du devis est hors projet.",
            "without_scores": "on",
        },
        follow=True,
    )
    html = response.content.decode()
    assert re.search(r'id="dossier-state">Proposé au comité<', html)
    assert (
        f"Avis réservé</strong> — montant proposé 3{NBSP}500{NBSP}€ (maximum 5{NBSP}000{NBSP}€)"
        in html
    )
    assert "Une partie du devis est hors projet." in html
    assert 'id="proposal-form"' not in html
    in_review.refresh_from_db()
    assert in_review.state == State.PROPOSED and in_review.proposed_amount == Decimal("3500")


# ---------------------------------------------------------------- notes and history


def test_private_notes(client, submitted):
    instructor = reviewer()
    client.force_login(instructor)
    empty = client.post(url("note", submitted), {"note": "  "})
    assert empty.status_code == 422 and "Écrivez la note." in error_at(
        empty.content.decode(), "note"
    )
    html = client.post(
        url("note", submitted), {"note": "Rappeler le maire."}, follow=True
    ).content.decode()
    assert "Rappeler le maire." in html
    assert PrivateNote.objects.get().author == instructor
    # The team never sees it.
    client.force_login(submitted.memberships.get().user)
    team_page = client.get(reverse("applicant:dossier", args=[submitted.uuid])).content.decode()
    assert "Rappeler le maire." not in team_page


# ---------------------------------------------------------------- assignment


def test_a_reviewer_takes_the_dossier(client, submitted):
    instructor = reviewer(arrondissements=("632",))
    client.force_login(instructor)
    assert "Me l’attribuer" in page_of(client, submitted)
    assert 'action="' + url("assign", submitted) not in page_of(client, submitted)
    html = client.post(url("take", submitted), follow=True).content.decode()
    assert "Le dossier vous est attribué." in html
    assert re.search(rf'id="assignee">{instructor}<', html)
    assert "Me l’attribuer" not in html
    submitted.refresh_from_db()
    assert submitted.assignee == instructor
    # A reviewer may not use the manager's form.
    other = reviewer(arrondissements=("632",))
    client.post(url("assign", submitted), {"reviewer": other.pk, "reason": "x"})
    submitted.refresh_from_db()
    assert submitted.assignee == instructor


def test_a_manager_reassigns_and_the_history_keeps_every_assignment(client, submitted):
    manager = reviewer(role="manager")
    # Programme managers sign in with a second factor.
    give_totp(manager)
    issoire = reviewer(arrondissements=("633",))
    client.force_login(manager)
    html = page_of(client, submitted)
    assert f'<option value="{issoire.pk}">{issoire} — Issoire</option>' in html
    wrong = client.post(
        url("assign", submitted), {"reviewer": issoire.pk, "arrondissement": "", "reason": "Congés"}
    )
    assert wrong.status_code == 422
    assert "n’instruit pas les dossiers de cet arrondissement" in error_at(
        wrong.content.decode(), "reviewer"
    )
    no_reason = client.post(
        url("assign", submitted), {"reviewer": issoire.pk, "arrondissement": "633"}
    )
    assert "Indiquez le motif" in error_at(no_reason.content.decode(), "reason")
    ok = client.post(
        url("assign", submitted),
        {"reviewer": issoire.pk, "arrondissement": "633", "reason": "Projet porté avec Issoire"},
        follow=True,
    )
    html = ok.content.decode()
    assert "L’affectation du dossier est enregistrée." in html
    assert "Issoire (633)" in html and "Projet porté avec Issoire" in html
    assert "Arrondissement : « 632 » → « 633 »" in html
    rows = list(Assignment.objects.filter(dossier=submitted))
    assert len(rows) == 2 and rows[0].ended_at is not None and rows[1].reviewer == issoire
    # Back to the préfecture's own team.
    client.post(
        url("assign", submitted),
        {"reviewer": "", "arrondissement": "prefecture", "reason": "Retour"},
    )
    submitted.refresh_from_db()
    assert submitted.arrondissement_code == "" and submitted.assignee is None


# ---------------------------------------------------------------- read-only roles


@pytest.mark.parametrize("role", ["auditor", "committee"])
def test_auditors_and_committee_members_read_only(client, in_review, role):
    client.force_login(reviewer(role=role))
    html = page_of(client, in_review)
    assert "Lecture seule" in html
    for name in (
        "score",
        "propose",
        "population",
        "note",
        "assign",
        "take",
        "request-correction",
        "message-post",
    ):
        assert 'action="' + url(name, in_review) + '"' not in html, name
    posts = {
        "score": all_marks(in_review),
        "propose": {"kind": "favourable", "amount": "5000"},
        "population": {"population": "5000", "population_justification": "x"},
        "note": {"note": "x"},
        "assign": {"reason": "x"},
        "take": {},
        "start-review": {},
        "request-correction": {"message": "x"},
        "message-post": {"body": "x"},
    }
    for name, data in posts.items():
        response = client.post(url(name, in_review), data, follow=True)
        assert response.status_code == 200, name
        assert "Votre rôle ne permet pas cette action" in response.content.decode(), name
    in_review.refresh_from_db()
    assert in_review.state == State.IN_REVIEW and in_review.population_used == 4777
    assert not Score.objects.exists() and not PrivateNote.objects.exists()
    assert not in_review.messages.exists()


def test_a_reviewer_of_another_arrondissement_gets_404(client, submitted):
    client.force_login(reviewer(arrondissements=("631",)))
    assert client.get(url("dossier", submitted)).status_code == 404
    assert client.post(url("score", submitted), all_marks(submitted)).status_code == 404
