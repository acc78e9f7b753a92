"""What each endpoint answers, for whom; filters, pagination, formats."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from guichet import clock
from guichet.grants.models import Grant

from .conftest import OTHER, OWN, bearer

pytestmark = pytest.mark.django_db

ISO_MOMENT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$")


def api(name, *args):
    return reverse(f"api:{name}", args=args)


def numbers(response):
    return sorted(d["number"] for d in response.json()["results"])


def test_calls_and_open_data_are_public(client, world):
    response = client.get(api("calls"))
    assert response.status_code == 200
    slugs = [c["slug"] for c in response.json()["results"]]
    assert world.call.slug in slugs and world.other_call.slug in slugs
    one = client.get(api("call", world.call.slug)).json()
    assert one["title"] == world.call.title
    assert one["deadline"] == world.call.deadline.isoformat()
    assert isinstance(one["total_envelope"], float)
    rows = client.get(api("open-data", world.call.slug)).json()
    assert rows["schema"] == "SCDL Subventions 2.1.1"
    [row] = rows["results"]
    grant = Grant.objects.get(dossier=world.granted)
    assert row["montant"] == float(grant.amount)
    assert row["nomBeneficiaire"] == "Billom"


def test_anonymous_reads_nothing_else(client, world):
    for url in [api("dossiers", world.call.slug), api("grants", world.call.slug),
                api("meetings", world.call.slug), api("envelopes", world.call.slug),
                api("ledger", world.call.slug, "2021"), api("dossier", world.own.uuid)]:  # fmt: skip
        response = client.get(url)
        assert response.status_code == 401, url
        assert "jeton" in response.json()["detail"]
    assert client.get(api("call", "nulle-part")).status_code == 404
    response = client.get("/api/v1/rien/ici/")
    assert response.status_code == 404 and response.json()["detail"]


@pytest.mark.parametrize(
    ("who", "expected"),
    [("reviewer_632", "GO"), ("reviewer_63", "GOX"), ("manager", "GOX"), ("committee", "GOX"),
     ("auditor", "GOX")],
)  # fmt: skip
def test_a_token_sees_what_its_agent_sees_on_the_pages(client, world, who, expected):
    secret = world.token(who)
    mine = {"G": world.granted, "O": world.own, "X": world.other}
    response = client.get(api("dossiers", world.call.slug), **bearer(secret))
    assert response.status_code == 200
    assert numbers(response) == sorted(mine[k].number for k in expected)
    for key, dossier in mine.items():
        response = client.get(api("dossier", dossier.uuid), **bearer(secret))
        assert response.status_code == (200 if key in expected else 404), (who, key)
    # The granted dossier is in 632: every one of these sees its grant and its decision.
    grants = client.get(api("grants", world.call.slug), **bearer(secret)).json()["results"]
    assert [g["dossier"] for g in grants] == [str(world.granted.uuid)]
    meetings = client.get(api("meetings", world.call.slug), **bearer(secret)).json()["results"]
    assert [d["dossier"] for m in meetings for d in m["decisions"]] == [str(world.granted.uuid)]


def test_a_reviewer_of_another_arrondissement_sees_neither_the_grant_nor_its_decision(
    client, world
):
    from guichet.review.models import AgentRole, Role
    from tests.accounts.two_factor_helpers import give_totp
    from tests.dossiers.factories import agent

    riom = agent(email="riom@pref.gouv.fr")
    give_totp(riom)
    AgentRole.objects.create(user=riom, call=world.call, role=Role.REVIEWER,
                             arrondissements=[OTHER])  # fmt: skip
    world.users["reviewer_634"] = riom
    secret = world.token("reviewer_634")
    assert numbers(client.get(api("dossiers", world.call.slug), **bearer(secret))) == [
        world.other.number
    ]
    assert client.get(api("grants", world.call.slug), **bearer(secret)).json()["results"] == []
    meetings = client.get(api("meetings", world.call.slug), **bearer(secret)).json()["results"]
    assert meetings and all(m["decisions"] == [] for m in meetings)
    ledger = client.get(api("ledger", world.call.slug, "2021"), **bearer(secret)).json()
    assert ledger["results"] == []
    # The envelopes' sums are the call's (the committee's page shows them to every role).
    years = client.get(api("envelopes", world.call.slug), **bearer(secret)).json()
    assert any(y["committed"] > 0 for y in years)


def test_a_token_of_another_call_gets_404(client, world):
    secret = world.token("other_call", world.other_call)
    for url in [api("dossiers", world.call.slug), api("grants", world.call.slug),
                api("meetings", world.call.slug), api("envelopes", world.call.slug),
                api("dossier", world.own.uuid)]:  # fmt: skip
        assert client.get(url, **bearer(secret)).status_code == 404, url
    # Its own call answers; the public endpoints answer whoever asks.
    assert client.get(api("dossiers", world.other_call.slug), **bearer(secret)).status_code == 200
    assert client.get(api("call", world.call.slug), **bearer(secret)).status_code == 200


def test_envelopes_and_their_ledger(client, world):
    secret = world.token("manager")
    grant = Grant.objects.get(dossier=world.granted)
    years = {y["year"]: y for y in client.get(api("envelopes", world.call.slug),
                                              **bearer(secret)).json()}  # fmt: skip
    assert years[2021]["committed"] == float(grant.amount)
    assert years[2021]["remaining"] == years[2021]["amount"] - float(grant.amount)
    [line] = client.get(api("ledger", world.call.slug, "2021"), **bearer(secret)).json()["results"]
    assert line["kind"] == "commitment" and line["amount"] == float(grant.amount)
    assert line["dossier"] == str(world.granted.uuid)
    assert ISO_MOMENT.match(line["at"])
    assert client.get(api("ledger", world.call.slug, "1999"), **bearer(secret)).status_code == 404
    for year in ["x", "٢٠٢١", "9" * 5000, "02021"]:
        assert client.get(api("ledger", world.call.slug, year), **bearer(secret)).status_code == 404
    kind = client.get(api("ledger", world.call.slug, "2021") + "?kind=payment", **bearer(secret))
    assert kind.json()["results"] == []


def test_a_dossier_with_its_state_verdict_and_amounts(client, world):
    secret = world.token("manager")
    d = world.granted
    body = client.get(api("dossier", d.uuid), **bearer(secret)).json()
    grant = Grant.objects.get(dossier=d)
    assert body["number"] == d.number and body["state"] == d.state
    assert body["applicant"] == {"kind": "commune", "code": "63040", "name": "Billom",
                                 "siret": d.siret}  # fmt: skip
    assert body["arrondissement"] == OWN
    assert body["eligible"] is True
    assert body["eligible_amount"] == float(d.maximum_amount)
    assert body["proposed_amount"] == float(d.proposed_amount)
    assert body["granted_amount"] == float(grant.amount)
    assert body["total_cost"] == 8000.0
    assert isinstance(body["requested_amount"], float)
    assert ISO_MOMENT.match(body["submitted_at"]) and body["submitted_at"].endswith("+02:00")
    # A dossier without a grant says null.
    assert (
        client.get(api("dossier", world.own.uuid), **bearer(secret)).json()["granted_amount"]
        is None
    )


def test_grants_with_their_money(client, world):
    secret = world.token("manager")
    grant = Grant.objects.get(dossier=world.granted)
    [g] = client.get(api("grants", world.call.slug), **bearer(secret)).json()["results"]
    assert g["year"] == 2021 and g["status"] == "active"
    assert g["decided"] == g["amount"] == g["left_to_pay"] == float(grant.amount)
    assert g["paid"] == 0.0 and g["payments"] == []
    assert g["engagement_deadline"] == grant.engagement_deadline.isoformat()
    assert (
        client.get(api("grants", world.call.slug) + "?year=2022", **bearer(secret)).json()[
            "results"
        ]
        == []
    )
    assert client.get(api("grants", world.call.slug) + "?status=lapsed",
                      **bearer(secret)).json()["results"] == []  # fmt: skip


def test_meetings_with_their_decisions(client, world):
    secret = world.token("committee")
    [m] = client.get(api("meetings", world.call.slug), **bearer(secret)).json()["results"]
    assert m["status"] == "closed" and ISO_MOMENT.match(m["closed_at"])
    [d] = m["decisions"]
    assert d["outcome"] == "retained" and d["year"] == 2021
    assert d["amount"] == float(Grant.objects.get(dossier=world.granted).amount)
    url = api("meetings", world.call.slug) + "?status=draft"
    assert client.get(url, **bearer(secret)).json()["results"] == []


@pytest.mark.parametrize(
    ("query", "parameter"),
    [("state=nope", "state"), ("state=draft", "state"), ("year=deux", "year"),
     ("year=1999", "year"), ("updated_since=hier", "updated_since"),
     ("updated_since=9999-12-31T23:59:59-14:00", "updated_since"),
     ("arrondissement=6%2F3", "arrondissement"), ("page_size=0", "page_size"),
     ("page_size=201", "page_size"), ("page_size=%D9%A3", "page_size"),
     ("cursor=pas-un-curseur", "cursor")],
)  # fmt: skip
def test_a_bad_filter_is_a_400_naming_the_parameter_in_french(client, world, query, parameter):
    secret = world.token("manager")
    response = client.get(f"{api('dossiers', world.call.slug)}?{query}", **bearer(secret))
    assert response.status_code == 400, response.content
    body = response.json()
    assert list(body["errors"]) == [parameter]
    assert parameter in body["detail"] and body["detail"].startswith("Paramètre refusé")
    assert not re.search(r"\b(is|not|valid|must)\b", " ".join(body["errors"][parameter]))


def test_filters_select(client, world):
    secret = world.token("manager")
    url = api("dossiers", world.call.slug)
    assert numbers(client.get(f"{url}?arrondissement={OTHER}", **bearer(secret))) == [
        world.other.number
    ]
    by_state = numbers(client.get(f"{url}?state=submitted", **bearer(secret)))
    assert by_state == sorted([world.own.number, world.other.number])
    assert numbers(client.get(f"{url}?year=2022", **bearer(secret))) == []
    assert len(numbers(client.get(f"{url}?year=2021", **bearer(secret)))) == 3
    later = (world.other.saved_at + dt.timedelta(seconds=1)).isoformat()
    assert numbers(client.get(url, {"updated_since": later}, **bearer(secret))) == []
    since = world.other.saved_at.isoformat()
    assert world.other.number in numbers(
        client.get(url, {"updated_since": since}, **bearer(secret))
    )


def test_the_cursor_goes_through_every_page_and_back(client, world):
    secret = world.token("manager")
    url = api("dossiers", world.call.slug) + "?page_size=1"
    seen, pages = [], []
    while url:
        body = client.get(url, **bearer(secret)).json()
        assert len(body["results"]) <= 1
        seen += [d["number"] for d in body["results"]]
        pages.append(body)
        url = body["next"]
    assert seen == sorted([world.granted.number, world.own.number, world.other.number])
    assert len(pages) == 3 and pages[0]["previous"] is None
    back = client.get(pages[-1]["previous"], **bearer(secret)).json()
    assert [d["number"] for d in back["results"]] == [seen[1]]


def test_the_openapi_document_and_its_page(client, world):
    document = client.get(reverse("api:openapi"))
    assert document.status_code == 200
    body = document.json()
    assert body["openapi"].startswith("3.0")
    assert body["components"]["securitySchemes"]["jeton"]["scheme"] == "bearer"
    page = client.get(reverse("api:documentation"))
    assert page.status_code == 200
    text = page.content.decode()
    for path in body["paths"]:
        assert path in text
    assert "curl -H &quot;Authorization: Bearer $JETON&quot;" in text
    for nested in (
        "applicant.kind",
        "payments[].paid_on",
        "decisions[].outcome",
        "results[].montant",
    ):
        assert f"<code>{nested}</code>" in text, nested
    assert reverse("api:openapi") in text
    with clock.frozen(clock.now()):
        assert reverse("api:documentation") in client.get("/").content.decode()  # the footer


def test_a_paid_grant_with_its_payment_and_ledger_line(client, django_capture_on_commit_callbacks):
    from decimal import Decimal

    from guichet.api import tokens
    from guichet.grants import postaward
    from tests.grants.factories import FOLLOW_AT, certificate, engaged, expense, granted, invoice

    grant, owner, people = granted()
    grant = engaged(grant, owner, people)
    with clock.frozen(FOLLOW_AT + dt.timedelta(days=60)):
        request = postaward.request_payment(
            grant, owner, "balance", Decimal("5000"), [expense("4200"), expense("1300")],
            [invoice(), certificate()],
        )  # fmt: skip
        postaward.check_request(request, people.certifier)
        postaward.certify(request, people.manager, Decimal("5000"))
        postaward.record_legal_commitment(grant, people.manager, "2103456789", 2021, Decimal(5000))
        with django_capture_on_commit_callbacks(execute=True):
            postaward.record_payment(
                request, people.manager, "100045", dt.date(2021, 11, 14), Decimal("5000")
            )
    secret = tokens.create(people.reviewer, call=people.call, name="Suivi")[1]
    slug = people.call.slug
    [g] = client.get(api("grants", slug), **bearer(secret)).json()["results"]
    assert (g["status"], g["paid"], g["certified"], g["left_to_pay"]) == ("closed", 5000.0,
                                                                         5000.0, 0.0)  # fmt: skip
    assert g["payments"] == [
        {"number": "100045", "paid_on": "2021-11-14", "amount": 5000.0, "kind": "balance"}
    ]
    kinds = [
        line["kind"]
        for line in client.get(api("ledger", slug, "2021"), **bearer(secret)).json()["results"]
    ]
    assert kinds == ["commitment", "payment"]
    paid = client.get(api("ledger", slug, "2021") + "?kind=payment", **bearer(secret)).json()
    assert [line["amount"] for line in paid["results"]] == [5000.0]
    dossier = client.get(api("dossier", grant.dossier.uuid), **bearer(secret)).json()
    assert dossier["state"] == "paid" and dossier["granted_amount"] == 5000.0
    [row] = client.get(api("open-data", slug)).json()["results"]
    assert row["datesPeriodeVersement"] == "2021-11-14"


def cursor(position: str) -> str:
    import base64

    return base64.b64encode(f"p={position}".encode()).decode()


@pytest.mark.parametrize(
    ("name", "position"),
    [("grants", "pas-une-date"), ("meetings", "abc"), ("ledger", "x"), ("dossiers", "\x00"),
     ("dossiers", "9" * 400)],
)  # fmt: skip
def test_a_forged_cursor_is_a_400_at_the_cursor(client, world, name, position):
    args = (world.call.slug, "2021") if name == "ledger" else (world.call.slug,)
    url = api(name, *args) + "?cursor=" + cursor(position)
    response = client.get(url, **bearer(world.token("manager")))
    assert response.status_code == 400, response.content
    assert "cursor" in response.json()["errors"]


@pytest.mark.parametrize("slug", ["%00", "a%00b", "é", "x" * 300])
def test_an_odd_call_slug_is_a_json_404(client, world, slug):
    response = client.get(f"/api/v1/calls/{slug}/dossiers/", **bearer(world.token("manager")))
    assert response.status_code == 404 and response.json()["detail"]
    assert client.get(f"/api/v1/calls/{slug}/").status_code == 404


def test_a_draft_is_read_by_no_endpoint(client, world):
    from tests.dossiers.factories import agent, draft

    secret = world.token("manager")
    unsent = draft(agent(email="brouillon@mairie.example.fr"))
    for name in ("dossiers", "grants", "meetings", "envelopes", "open-data"):
        body = client.get(api(name, world.call.slug), **bearer(secret)).content.decode()
        assert str(unsent.uuid) not in body, name
    assert client.get(api("dossier", unsent.uuid), **bearer(secret)).status_code == 404
