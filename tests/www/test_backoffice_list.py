"""The reviewers' list: tabs, filters, search, columns, sorting, pages, bulk actions, and who sees
what. Dossiers are written directly in their states (the services that bring them there are
tested in tests/dossiers and tests/review); the bulk actions go through the real services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from itertools import count

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guichet import clock
from guichet.calls.models import Call
from guichet.dossiers.models import CostLine, Dossier, Membership
from guichet.dossiers.workflow import State
from guichet.review import listing
from guichet.review.models import AgentRole
from tests.accounts.two_factor_helpers import give_totp
from tests.dossiers.factories import REAL_CALL, agent, reviewer

pytestmark = pytest.mark.django_db

URL = reverse("backoffice:dossiers")
BULK = reverse("backoffice:bulk")
_numbers = count(1)


@pytest.fixture
def call():
    return Call.objects.get(slug=REAL_CALL)


@pytest.fixture
def owner():
    return agent()


def manager():
    """A programme manager; managers sign in with a second factor (TOTP) to reach these pages."""
    user = reviewer(role="manager")
    give_totp(user)
    return user


def make(call, owner, **fields):
    """A submitted dossier of the real call, in the state and with the values given."""
    n = next(_numbers)
    sessions = list(call.sessions.all())
    values = {
        "call": call,
        "number": fields.pop("number", f"63-2021-{n:04d}"),
        "state": State.SUBMITTED,
        "created_by": owner,
        "applicant_kind": "commune",
        "applicant_code": "63040",
        "applicant_name": "Billom",
        "applicant_vintage": "2021",
        "arrondissement_code": "632",
        "title": "Portail citoyen",
        "category": "3",
        "session": sessions[0],
        "submitted_at": dt.datetime(2021, 6, 1, 8, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=n),
        "eligible_at_submission": True,
        "maximum_amount": Decimal("5000"),
        "flat_amount": Decimal("5000"),
        "requested_amount": Decimal("5000"),
        "population_used": 4700,
    }
    if fields.pop("second_session", False):
        values["session"] = sessions[1]
    cost = fields.pop("cost", "8000")
    values.update(fields)
    dossier = Dossier.objects.create(**values)
    CostLine.objects.create(
        dossier=dossier,
        nature="Logiciel",
        amount_excl_vat=Decimal(cost),
        amount_incl_vat=Decimal(cost) * Decimal("1.2"),
    )
    Membership.objects.create(dossier=dossier, user=owner, role="owner")
    return dossier


def page(client, **params):
    response = client.get(URL, {"appel": REAL_CALL, **params})
    assert response.status_code == 200
    return response


def listed(response):
    return [d.number for d in response.context["page"].object_list]


# ---------------------------------------------------------------- tabs


def test_each_tab_lists_its_states_and_counts_them(client, call, owner):
    by_state = {
        State.SUBMITTED: make(call, owner),
        State.IN_REVIEW: make(call, owner, state=State.IN_REVIEW),
        State.CORRECTION_REQUESTED: make(call, owner, state=State.CORRECTION_REQUESTED),
        State.PROPOSED: make(call, owner, state=State.PROPOSED),
        State.ACCEPTED: make(call, owner, state=State.ACCEPTED),
        State.REFUSED: make(call, owner, state=State.REFUSED),
        State.WITHDRAWN: make(call, owner, state=State.WITHDRAWN),
    }
    client.force_login(reviewer())
    expected = {
        "a-instruire": [State.SUBMITTED],
        "en-instruction": [State.IN_REVIEW],
        "corrections": [State.CORRECTION_REQUESTED],
        "proposes": [State.PROPOSED],
        "decides": [State.ACCEPTED, State.REFUSED],
        "retires": [State.WITHDRAWN],
    }
    for tab, states in expected.items():
        response = page(client, onglet=tab)
        assert sorted(listed(response)) == sorted(by_state[s].number for s in states), tab
    html = page(client).content.decode()
    assert "À instruire (1)" in html and "Décidés (2)" in html and "Retirés (1)" in html
    assert listed(page(client)) == [by_state[State.SUBMITTED].number]  # the default tab


def test_drafts_and_drafts_withdrawn_before_submission_are_never_listed(client, call, owner):
    from tests.dossiers.factories import draft

    kept = make(call, owner)
    never_submitted = draft(owner)
    Dossier.objects.filter(pk=never_submitted.pk).update(state=State.WITHDRAWN)
    client.force_login(reviewer())
    assert listed(page(client)) == [kept.number]
    assert listed(page(client, onglet="retires")) == []
    assert "Retirés (0)" in page(client).content.decode()


# ---------------------------------------------------------------- filters and search


def test_each_filter_narrows_the_list(client, call, owner):
    sessions = list(call.sessions.all())
    base = make(call, owner)
    other = {
        "session": make(call, owner, second_session=True),
        "arrondissement": make(call, owner, arrondissement_code="631"),
        "categorie": make(call, owner, category="1"),
        "type": make(call, owner, applicant_kind="epci", applicant_code="246300701"),
        "population": make(call, owner, population_used=25000),
        "verdict": make(call, owner, eligible_at_submission=False, maximum_amount=0),
        "note": make(call, owner, score_average=Decimal("4.50")),
        "montant": make(call, owner, maximum_amount=Decimal("20000")),
    }
    user = reviewer()
    mine = make(call, owner, assignee=user)
    client.force_login(user)
    everyone = {base.number, mine.number} | {d.number for d in other.values()}
    assert set(listed(page(client))) == everyone

    def only(**params):
        return set(listed(page(client, **params)))

    assert only(session=sessions[1].pk) == {other["session"].number}
    assert only(arrondissement="631") == {other["arrondissement"].number}
    assert only(categorie="1") == {other["categorie"].number}
    assert only(type="epci") == {other["type"].number}
    assert only(population="20000-et-plus") == {other["population"].number}
    assert other["population"].number not in only(population="1000-4999")
    assert base.number in only(population="1000-4999")
    assert only(verdict="non-eligible") == {other["verdict"].number}
    assert other["verdict"].number not in only(verdict="eligible")
    assert only(note_min="4,5") == {other["note"].number}
    assert only(note_max="4") == set()  # unscored dossiers have no score
    assert only(montant_min="10 000") == {other["montant"].number}
    assert other["montant"].number not in only(montant_max="5000,00")
    assert only(affectation="moi") == {mine.number}
    assert mine.number not in only(affectation="personne")
    assert only(arrondissement="632", categorie="1") == {other["categorie"].number}


def test_the_amount_filter_reads_the_proposed_amount_before_the_maximum(client, call, owner):
    modulated = make(
        call, owner, state=State.PROPOSED, maximum_amount=Decimal("20000"), proposed_amount=3000
    )
    client.force_login(reviewer())
    assert listed(page(client, onglet="proposes", montant_max="4000")) == [modulated.number]
    assert listed(page(client, onglet="proposes", montant_min="10000")) == []


def test_counts_follow_the_filters(client, call, owner):
    make(call, owner, arrondissement_code="631")
    make(call, owner, state=State.IN_REVIEW, arrondissement_code="631")
    make(call, owner, state=State.IN_REVIEW)
    client.force_login(reviewer())
    html = page(client, arrondissement="631").content.decode()
    assert "À instruire (1)" in html and "En instruction (1)" in html
    assert "En instruction (2)" in page(client).content.decode()


@pytest.mark.parametrize(
    "typed",
    ["Saint-Genès", "saint genes", "SAINT-GENÈS-CHAMPANELLE", "champanelle", "gènes saint"],
)
def test_search_by_name_ignores_case_accents_and_hyphens(client, call, owner, typed):
    wanted = make(call, owner, applicant_name="Saint-Genès-Champanelle")
    make(call, owner, applicant_name="Billom")
    client.force_login(reviewer())
    assert listed(page(client, q=typed)) == [wanted.number]


def test_search_by_title_and_by_number(client, call, owner):
    by_title = make(call, owner, title="Formation des agents à l’état civil dématérialisé")
    by_number = make(call, owner, number="63-2021-0777")
    client.force_login(reviewer())
    assert listed(page(client, q="ETAT CIVIL dematerialise")) == [by_title.number]
    assert listed(page(client, q="l’état")) == [by_title.number]
    assert listed(page(client, q="2021-0777")) == [by_number.number]
    assert listed(page(client, q="0777")) == [by_number.number]
    assert listed(page(client, q="Œuvre inexistante")) == []


def test_the_search_text_is_kept_normalised_on_every_save(call, owner):
    dossier = make(call, owner, applicant_name="L’Œuvre d’Émile-Ça Île", title="Accès")
    assert listing.normalize("L’Œuvre d’Émile-Ça Île") == "l oeuvre d emile ca ile"
    assert "l oeuvre d emile ca ile" in Dossier.objects.get(pk=dossier.pk).search_text
    dossier.title = "Téléphonie"
    dossier.save(update_fields=["title"])
    assert "telephonie" in Dossier.objects.get(pk=dossier.pk).search_text


# ---------------------------------------------------------------- sorting, columns, pages


def test_sorting_both_ways_with_aria_sort_and_a_stable_tie_break(client, call, owner):
    low = make(call, owner, score_average=Decimal("2.00"))
    high = make(call, owner, score_average=Decimal("4.00"))
    tie_a = make(call, owner, score_average=Decimal("3.00"))
    tie_b = make(call, owner, score_average=Decimal("3.00"))
    unscored = make(call, owner)
    client.force_login(reviewer())
    up = page(client, tri="score", choix_colonnes="1", colonnes=["number", "score"])
    assert listed(up) == [low.number, tie_a.number, tie_b.number, high.number, unscored.number]
    assert 'aria-sort="ascending"' in up.content.decode()
    assert "tri=-score" in up.content.decode()  # the header now sorts the other way
    down = page(client, tri="-score")
    assert listed(down) == [high.number, tie_a.number, tie_b.number, low.number, unscored.number]
    assert 'aria-sort="descending"' in down.content.decode()
    by_name = page(client, tri="-number")
    assert listed(by_name) == sorted(listed(by_name), reverse=True)


def test_every_sortable_column_sorts_without_error(client, call, owner):
    make(call, owner, assignee=reviewer(), score_average=Decimal("3"))
    make(call, owner, arrondissement_code="631", second_session=True)
    client.force_login(reviewer())
    everything = list(listing.COLUMNS)
    for key, column in listing.COLUMNS.items():
        assert column.sort, key
        for sort in (key, f"-{key}"):
            response = page(client, tri=sort, choix_colonnes="1", colonnes=everything)
            assert len(listed(response)) == 2, sort


def test_a_computed_column_sorts_even_when_not_shown_and_costs_nothing_when_unused(
    client, call, owner
):
    cheap = make(call, owner, cost="3000", arrondissement_code="633")  # Riom
    dear = make(call, owner, cost="9000", arrondissement_code="631")  # Ambert
    client.force_login(reviewer())
    shown = ["number", "title"]
    for sort, expected in (
        ("cost", [cheap, dear]), ("-cost", [dear, cheap]),
        ("arrondissement", [dear, cheap]), ("-arrondissement", [cheap, dear]),
    ):  # fmt: skip
        response = page(client, tri=sort, choix_colonnes="1", colonnes=shown)
        assert listed(response) == [d.number for d in expected], sort
    with CaptureQueriesContext(connection) as queries:
        page(client, choix_colonnes="1", colonnes=shown)
    rows = [q["sql"] for q in queries if "dossiers_costline" in q["sql"]]
    assert not rows, "the cost of each row is computed for a column nobody asked for"
    html = page(client, choix_colonnes="1", colonnes=["number", "cost"]).content.decode()
    assert "3\u00a0000\u00a0€" in html and "9\u00a0000\u00a0€" in html


def test_the_chosen_columns_are_shown_and_remembered(client, call, owner):
    make(
        call, owner, arrondissement_code="631", population_used=12345,
        score_average=Decimal("3.25"), proposed_amount=Decimal("4500"),
    )  # fmt: skip
    client.force_login(reviewer())
    chosen = page(
        client, choix_colonnes="1", colonnes=["number", "arrondissement", "population", "score"]
    )
    headers = [h["column"].label for h in chosen.context["headers"]]
    assert headers == ["Numéro", "Arrondissement", "Population", "Note"]
    html = chosen.content.decode()
    assert "Ambert" in html and "12\u00a0345" in html and "3,25" in html
    later = page(client)  # a later visit without any column in the URL
    assert [c.key for c in later.context["columns"]] == [
        "number", "arrondissement", "population", "score",
    ]  # fmt: skip
    assert "4\u00a0500\u00a0€" not in later.content.decode()
    none = page(client, choix_colonnes="1")
    assert "Choisissez au moins une colonne." in none.content.decode()
    assert [c.key for c in none.context["columns"]] == [
        "number", "arrondissement", "population", "score",
    ]  # fmt: skip


def test_pagination_with_a_chosen_page_size(client, call, owner):
    for _ in range(30):
        make(call, owner)
    client.force_login(reviewer())
    first = page(client, taille="25")
    assert len(listed(first)) == 25
    html = first.content.decode()
    assert 'class="fr-pagination"' in html and "page=2" in html and "taille=25" in html
    second = page(client, taille="25", page="2")
    assert len(listed(second)) == 5
    assert not set(listed(first)) & set(listed(second))
    assert len(listed(page(client))) == 30  # 50 by default


def test_bad_parameters_give_french_messages_never_a_500(client, call, owner):
    make(call, owner)
    client.force_login(reviewer())
    response = page(
        client, montant_min="douze", note_max="beaucoup", session="99999", page="abc",
        taille="7", tri="password", onglet="nimporte", arrondissement="999",
        colonnes=["inconnue"], choix_colonnes="1", population="x", q="x" * 500,
    )  # fmt: skip
    html = response.content.decode()
    assert "Certains critères sont ignorés" in html
    assert "« douze » n&#x27;est pas un montant en euros." in html or "douze" in html
    assert "n’est pas une note" in html
    assert "Session : la valeur « 99999 » est inconnue" in html
    assert "Ce tri est inconnu" in html
    assert response.context["page"].number == 1
    assert page(client, montant_min="5000", montant_max="100").status_code == 200
    assert (
        "dépasse le maximum" in page(client, montant_min="5000", montant_max="100").content.decode()
    )
    unknown_call = client.get(URL, {"appel": "pas-un-appel"}, follow=True)
    assert unknown_call.status_code == 200
    assert "Cet appel à projets est inconnu" in unknown_call.content.decode()


# ---------------------------------------------------------------- who sees what


def test_a_reviewer_of_one_arrondissement_sees_only_its_dossiers_and_counts(client, call, owner):
    ambert = make(call, owner, arrondissement_code="631")
    make(call, owner, arrondissement_code="632")
    make(call, owner, arrondissement_code="632", state=State.IN_REVIEW)
    make(call, owner, arrondissement_code="", applicant_kind="departement", applicant_code="63")
    client.force_login(reviewer(arrondissements=("631",)))
    response = page(client)
    assert listed(response) == [ambert.number]
    html = response.content.decode()
    assert "À instruire (1)" in html and "En instruction (0)" in html
    other = page(client, arrondissement="632")  # not among the choices: ignored, and said so
    assert listed(other) == [ambert.number]
    assert "Arrondissement : la valeur « 632 » est inconnue" in other.content.decode()
    assert [v for v, _ in response.context["form"].fields["arrondissement"].choices] == ["", "631"]


def test_auditors_see_every_dossier_but_get_no_bulk_action(client, call, owner):
    dossiers = [make(call, owner, arrondissement_code=code) for code in ("631", "635", "")]
    auditor = reviewer(role="auditor", arrondissements=("631",))
    client.force_login(auditor)
    response = page(client)
    assert set(listed(response)) == {d.number for d in dossiers}
    assert 'name="dossiers"' not in response.content.decode()
    posted = client.post(
        BULK, {"appel": REAL_CALL, "action": "start_review", "dossiers": [dossiers[0].uuid],
               "confirmer": "1"}, follow=True,
    )  # fmt: skip
    assert "ne permet pas d’actions groupées" in posted.content.decode()
    assert Dossier.objects.filter(state=State.SUBMITTED).count() == 3


def test_applicants_and_strangers_get_404(client, call, owner):
    dossier = make(call, owner)
    for user in (owner, agent("commune", "63113", "Clermont-Ferrand")):
        client.force_login(user)
        assert client.get(URL).status_code == 404
        assert (
            client.post(BULK, {"appel": REAL_CALL, "dossiers": [dossier.uuid]}).status_code == 404
        )


def test_the_call_selector_lists_the_calls_of_the_agent(client, call, owner):
    make(call, owner)
    demo = Call.objects.get(slug="demo-fitn7-axe3-puy-de-dome")
    user = reviewer()
    client.force_login(user)
    response = client.get(URL)
    assert response.context["call"] == demo  # the open one comes first
    assert 'name="appel"' in response.content.decode() and REAL_CALL in response.content.decode()
    AgentRole.objects.filter(user=user).exclude(call=call).delete()
    client.force_login(user)
    alone = client.get(URL)
    assert alone.context["call"] == call and 'id="id_appel"' not in alone.content.decode()


@pytest.mark.parametrize("day", ["2021-05-01", "2021-06-15", "2026-11-15", "2027-03-01"])
def test_the_calls_are_ordered_as_open_first_orders_them(day):
    from guichet.review.permissions import calls_open_first

    user = reviewer()
    with clock.frozen(dt.datetime.fromisoformat(f"{day}T12:00:00+00:00")):
        expected = list(
            Call.objects.filter(agent_roles__user=user)
            .distinct()
            .open_first()
            .order_by("rank", "deadline", "pk")
        )
        assert calls_open_first(user) == expected


# ---------------------------------------------------------------- bulk actions


def bulk(client, action, dossiers, confirm=True, **extra):
    data = {"appel": REAL_CALL, "action": action, "dossiers": [str(d.uuid) for d in dossiers],
            "retour": "onglet=a-instruire&q=billom", **extra}  # fmt: skip
    if confirm:
        data["confirmer"] = "1"
    return client.post(BULK, data, follow=True)


def test_a_bulk_action_asks_for_confirmation_first(client, call, owner):
    dossiers = [make(call, owner) for _ in range(2)]
    client.force_login(reviewer())
    response = bulk(client, "start_review", dossiers, confirm=False)
    html = response.content.decode()
    assert "Confirmer l’action groupée" in html and dossiers[1].number in html
    assert 'name="confirmer" value="1"' in html
    assert Dossier.objects.filter(state=State.IN_REVIEW).count() == 0


def test_bulk_start_of_review_with_a_partial_refusal(client, call, owner):
    fresh = [make(call, owner) for _ in range(2)]
    started = make(call, owner, state=State.IN_REVIEW)
    client.force_login(reviewer())
    response = bulk(client, "start_review", [*fresh, started])
    html = response.content.decode()
    assert "2 dossiers traités, 1 refusé : " + started.number in html
    assert "impossible pour un dossier à l’état « En instruction »" in html
    assert all(Dossier.objects.get(pk=d.pk).state == State.IN_REVIEW for d in fresh)
    assert response.redirect_chain[-1][0].startswith(URL + "?onglet=a-instruire&q=billom")


def test_bulk_correction_request_needs_one_message_sent_to_each_team(
    client, call, owner, django_capture_on_commit_callbacks
):
    dossiers = [make(call, owner) for _ in range(3)]
    client.force_login(reviewer())
    empty = bulk(client, "request_correction", dossiers, message="   ")
    assert "Expliquez au porteur ce qu’il doit corriger." in empty.content.decode()
    assert Dossier.objects.filter(state=State.CORRECTION_REQUESTED).count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        done = bulk(client, "request_correction", dossiers, message="Le RIB est illisible.")
    assert "3 dossiers traités." in done.content.decode()
    assert Dossier.objects.filter(state=State.CORRECTION_REQUESTED).count() == 3
    assert len(mail.outbox) == 3 and all("Le RIB est illisible." in m.body for m in mail.outbox)


def test_a_manager_assigns_anyone_covering_the_dossiers(client, call, owner):
    ambert = make(call, owner, arrondissement_code="631")
    riom = make(call, owner, arrondissement_code="634")
    boss = manager()
    in_ambert = reviewer(arrondissements=("631",))
    client.force_login(boss)
    choices = dict(page(client).context["bulk_form"].fields["instructeur"].choices)
    assert str(in_ambert.pk) in choices and str(boss.pk) in choices
    response = bulk(client, "assign", [ambert, riom], instructeur=str(in_ambert.pk))
    html = response.content.decode()
    assert f"1 dossier traité, 1 refusé : {riom.number} : " in html
    assert "n’instruit pas les dossiers de cet arrondissement" in html
    assert Dossier.objects.get(pk=ambert.pk).assignee == in_ambert
    assert Dossier.objects.get(pk=riom.pk).assignee is None
    nobody = bulk(client, "assign", [ambert], instructeur="personne")
    assert "1 dossier traité." in nobody.content.decode()
    assert Dossier.objects.get(pk=ambert.pk).assignee is None


def test_a_reviewer_may_only_take_dossiers_for_themselves(client, call, owner):
    dossier = make(call, owner)
    user, colleague = reviewer(), reviewer()
    client.force_login(user)
    choices = dict(page(client).context["bulk_form"].fields["instructeur"].choices)
    assert str(user.pk) in choices and str(colleague.pk) not in choices
    forged = bulk(client, "assign", [dossier], instructeur=str(colleague.pk))
    assert "Cet instructeur n’instruit pas les dossiers de cet appel." in forged.content.decode()
    assert (
        "1 dossier traité."
        in bulk(client, "assign", [dossier], instructeur=str(user.pk)).content.decode()
    )
    assert Dossier.objects.get(pk=dossier.pk).assignee == user


def test_an_empty_selection_or_no_action_is_refused_in_french(client, call, owner):
    make(call, owner)
    client.force_login(reviewer())
    assert "Sélectionnez au moins un dossier." in bulk(client, "start_review", []).content.decode()
    assert "Choisissez une action." in bulk(client, "", [make(call, owner)]).content.decode()
    assert (
        "Cette action est inconnue." in bulk(client, "delete", [make(call, owner)]).content.decode()
    )
    assert (
        "Choisissez l’instructeur" in bulk(client, "assign", [make(call, owner)]).content.decode()
    )
    assert Dossier.objects.exclude(state=State.SUBMITTED).count() == 0


def test_a_forged_uuid_of_another_arrondissement_is_refused(client, call, owner):
    ambert = make(call, owner, arrondissement_code="631")
    clermont = make(call, owner, arrondissement_code="632")
    client.force_login(reviewer(arrondissements=("631",)))
    confirm = bulk(client, "start_review", [ambert, clermont], confirm=False).content.decode()
    assert ambert.number in confirm and clermont.number not in confirm
    assert "1 dossier sélectionné introuvable" in confirm
    response = bulk(client, "start_review", [ambert, clermont]).content.decode()
    assert (
        "1 dossier traité, 1 refusé : 1 dossier introuvable ou hors de votre périmètre" in response
    )
    assert clermont.number not in response
    assert Dossier.objects.get(pk=clermont.pk).state == State.SUBMITTED
    garbage = client.post(
        BULK, {"appel": REAL_CALL, "action": "start_review", "dossiers": ["pas-un-uuid"],
               "confirmer": "1"}, follow=True,
    )  # fmt: skip
    assert "0 dossier traité, 1 refusé" in garbage.content.decode()


# ---------------------------------------------------------------- queries


def test_the_number_of_queries_does_not_depend_on_the_number_of_dossiers(
    client, call, owner, record_property
):
    user = manager()
    client.force_login(user)
    params = {
        "appel": REAL_CALL, "choix_colonnes": "1", "colonnes": list(listing.COLUMNS),
        "arrondissement": "632", "categorie": "3", "q": "bil", "montant_min": "1000",
        "tri": "-cost", "population": "1000-4999",
    }  # fmt: skip
    client.get(URL, params)  # the session remembers the columns: the next pages save nothing

    def measure():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(URL, params)
        assert response.status_code == 200
        return len(queries), len(listed(response))

    for _ in range(5):
        make(call, owner, assignee=user, score_average=Decimal("3"))
    small, shown = measure()
    assert shown == 5
    for _ in range(35):
        make(call, owner, assignee=user, score_average=Decimal("3"), second_session=True)
    large, shown = measure()
    assert shown == 40
    record_property("list_page_queries", large)
    print(f"\nQueries for a list page: {small} with 5 dossiers, {large} with 40")
    assert small == large


def test_only_managers_are_shown_the_way_to_the_calls_agents(client, call):
    agents_url = reverse("backoffice:agents", args=[call.slug])
    client.force_login(manager())
    assert agents_url in page(client).content.decode()
    client.force_login(reviewer())
    assert agents_url not in page(client).content.decode()


# ---------------------------------------------------------------- what the page says and swaps

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "list-results"}


def _title(html):
    return html.split("<title>", 1)[1].split("</title>", 1)[0]


@pytest.mark.parametrize(
    ("tab", "heading"),
    [
        ("a-instruire", "Dossiers à instruire"),
        ("en-instruction", "Dossiers en instruction"),
        ("corrections", "Dossiers en attente de corrections"),
        ("proposes", "Dossiers proposés au comité"),
        ("decides", "Dossiers décidés"),
        ("retires", "Dossiers retirés"),
    ],
)
def test_the_title_and_the_heading_name_the_tab_and_the_call(client, call, tab, heading):
    client.force_login(reviewer())
    html = page(client, onglet=tab).content.decode()
    assert _title(html) == f"{heading} — {call.title} — guichet"
    assert f'<h1 id="list-heading">{heading}</h1>' in html

    swapped = client.get(URL, {"appel": REAL_CALL, "onglet": tab}, **HTMX).content.decode()
    assert _title(swapped) == f"{heading} — {call.title} — guichet"
    assert f'<h1 id="list-heading" hx-swap-oob="true">{heading}</h1>' in swapped


def test_an_htmx_change_replaces_the_results_and_leaves_the_filter_panels_alone(
    client, call, owner
):
    make(call, owner, state=State.IN_REVIEW)
    client.force_login(reviewer())
    full = page(client).content.decode()
    assert 'id="filters"' in full and 'id="list-results"' in full
    assert 'hx-target="#list-results"' in full

    response = client.get(
        URL, {"appel": REAL_CALL, "onglet": "en-instruction", "tri": "-title"}, **HTMX
    )
    swapped = response.content.decode()
    assert 'id="filters"' not in swapped  # the form and its open or closed panels stay
    assert 'aria-controls="list-filters"' not in swapped
    assert swapped.lstrip().startswith('<div id="list-results">')
    # The form's hidden tab and sort follow the links clicked in the results.
    assert (
        '<input type="hidden" id="filter-onglet" name="onglet" value="en-instruction" '
        'hx-swap-oob="true">' in swapped
    )
    assert (
        '<input type="hidden" id="filter-tri" name="tri" value="-title" hx-swap-oob="true">'
        in swapped
    )
    assert "Vary" in response and "HX-Target" in response["Vary"]
    # Another target (an older page) still gets the whole page.
    other = client.get(URL, {"appel": REAL_CALL}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="x")
    assert 'id="filters"' in other.content.decode()


def test_without_a_sort_the_hidden_sort_is_not_sent(client, call):
    client.force_login(reviewer())
    html = page(client).content.decode()
    assert '<input type="hidden" id="filter-tri" name="tri" value="" disabled>' in html


def test_rows_escape_every_value_and_carry_dsfr_row_checkboxes(client, call, owner):
    dossier = make(call, owner, title="Portail <em>citoyen</em> & « Billom »")
    client.force_login(manager())
    html = page(client).content.decode()
    assert "Portail &lt;em&gt;citoyen&lt;/em&gt; &amp; « Billom »" in html
    assert "<em>citoyen" not in html
    link = reverse("backoffice:dossier", args=[dossier.uuid])
    assert f'<a href="{link}">{dossier.number}</a>' in html
    # The checkbox cell follows DSFR's selectable rows (centred in its row, its label read out).
    assert (
        f'<td class="fr-cell--fixed"><div class="fr-checkbox-group fr-checkbox-group--sm">'
        f'<input type="checkbox" id="select-{dossier.uuid}" name="dossiers" '
        f'value="{dossier.uuid}" data-fr-row-select="true">'
        f'<label class="fr-label" for="select-{dossier.uuid}">'
        f"Sélectionner le dossier {dossier.number}</label></div></td>"
    ) in html
    # Long texts wrap instead of widening the table; numbers stay right-aligned.
    assert '<td class="fr-cell--multiline">Portail &lt;em&gt;' in html
    assert f'<td class="fr-cell--right">{listing.format_euros(Decimal("5000"))}</td>' in html


def test_the_kept_filter_form_follows_every_criterion_and_column(client, call, owner):
    """The filter form's markup is kept per process: a different criterion, column or call
    reload must give a different form, never an earlier one."""
    client.force_login(reviewer())
    first = page(client, q="billom").content.decode()
    assert 'value="billom"' in first
    second = page(client, q="thiers").content.decode()
    assert 'value="thiers"' in second and 'value="billom"' not in second
    assert 'value="billom"' in page(client, q="billom").content.decode()

    with_population = page(client, choix_colonnes="1", colonnes=["number", "population"])
    html = with_population.content.decode()
    population = list(listing.COLUMNS).index("population")
    assert f'id="id_colonnes_{population}" name="colonnes" value="population" checked' in html
    session = call.sessions.first()
    session.label = "Session renommée"
    session.save()
    Call.objects.filter(pk=call.pk).update(loaded_at=clock.now() + dt.timedelta(seconds=1))
    assert "Session renommée" in page(client).content.decode()
