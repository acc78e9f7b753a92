"""The SCDL Subventions 2.1.1 open data of a call: its rows, `guichet opendata`, the public URLs,
and the file validated by frictionless against the schema (a verbatim copy kept in
guichet/grants/schemas/, so that a clean clone needs nothing beside it)."""

import csv
import io
import json
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.urls import reverse
from stdnum import luhn
from stdnum.fr import siret as stdnum_siret

from guichet import clock
from guichet.cli import main
from guichet.dossiers.models import Dossier
from guichet.dossiers.services import applicant_siren
from guichet.grants import opendata, postaward
from guichet.grants.models import Grant, GrantStatus
from tests.committee.decision_factories import closed_meeting
from tests.committee.factories import proposed
from tests.dossiers.factories import REAL_CALL
from tests.grants.factories import AFTER_DEADLINE, Followers, granted

pytestmark = pytest.mark.django_db


def with_siret(grant: Grant) -> str:
    siren = applicant_siren(grant.dossier)
    number = siren + "0001" + luhn.calc_check_digit(siren + "0001")
    Dossier.objects.filter(pk=grant.dossier_id).update(siret=number)
    return number


def scdl_schema() -> dict:
    return json.loads(opendata.SCHEMA_PATH.read_text(encoding="utf-8"))


def rows_of(call):
    return opendata.rows(call)


def test_a_granted_subsidy_is_one_row_with_every_column_in_the_schemas_order():
    grant, _, people = granted(cost="8000")
    number = with_siret(grant)
    [row] = rows_of(people.call)
    assert tuple(row) == opendata.COLUMNS
    schema = json.loads(opendata.SCHEMA_PATH.read_text(encoding="utf-8"))
    assert list(opendata.COLUMNS) == [f["name"] for f in schema["fields"]]
    assert row["nomAttribuant"] == "Préfecture du Puy-de-Dôme"
    assert stdnum_siret.is_valid(row["idAttribuant"])
    assert row["idBeneficiaire"] == number and row["nomBeneficiaire"] == "Billom"
    assert row["montant"] == f"{grant.amount:.2f}"
    assert row["dateConvention"] == grant.decided_at.astimezone(clock.PARIS).date().isoformat()
    assert row["nature"] == "aide en numéraire" and row["notificationUE"] == "non"
    assert row["conditionsVersement"] == "échelonné"
    start, end = row["datesPeriodeVersement"].split("/")
    assert start == row["dateConvention"] and end == grant.completion_deadline.isoformat()
    assert row["pourcentageSubvention"] == str(
        (grant.amount / Decimal("8000")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    )
    assert 0 < Decimal(row["pourcentageSubvention"]) <= 1


def test_a_lapsed_grant_is_left_out_and_a_closed_one_kept():
    people = Followers()
    kept, lapsing = proposed(), proposed(code="63040", name="Billom")
    closed_meeting(people.team, retained=[kept, lapsing])
    grants = {g.dossier_id: g for g in Grant.objects.filter(dossier__in=[kept, lapsing])}
    assert len(rows_of(people.call)) == 2
    with clock.frozen(AFTER_DEADLINE):
        postaward.lapse(grants[lapsing.pk], people.manager)
    Grant.objects.filter(pk=grants[kept.pk].pk).update(status=GrantStatus.CLOSED)
    [row] = rows_of(people.call)
    assert Grant.objects.get(dossier=lapsing).status == GrantStatus.LAPSED
    assert row["montant"] == f"{grants[kept.pk].amount:.2f}"


@pytest.mark.parametrize(
    ("amount", "cost", "expected"),
    [
        ("5000", "8000", "0.63"),  # 0.625 rounds half up
        ("5000", "5000", "1.00"),
        ("5000", "4000", "1.00"),  # never above 1 (a flat grant above the actual cost)
        ("10", "1000000", "0.01"),  # never below the schema's minimum
        ("5000", None, "1.00"),
    ],
)
def test_the_percentage_stays_between_001_and_1(amount, cost, expected):
    share = opendata.share(Decimal(amount), None if cost is None else Decimal(cost))
    assert str(share) == expected


# ---------------------------------------------------------------- the CLI


def run(capsys, *args):
    code = main(["opendata", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_cli_writes_the_csv_and_the_json(capsys):
    grant, _, _ = granted()
    with_siret(grant)
    code, out, err = run(capsys, "--call", REAL_CALL)
    assert (code, err) == (0, "")
    lines = list(csv.DictReader(io.StringIO(out)))
    assert [tuple(r) for r in lines] == [opendata.COLUMNS]
    assert lines[0]["nomBeneficiaire"] == "Billom"
    code, out, err = run(capsys, "--call", REAL_CALL, "--format", "json")
    assert (code, err) == (0, "")
    [row] = json.loads(out)
    assert row["montant"] == float(grant.amount) and row["notificationUE"] is False
    assert row["rnaBeneficiaire"] is None and list(row) == list(opendata.COLUMNS)


def test_the_cli_warns_of_a_beneficiary_without_siret(capsys):
    # Submitted before the SIRET was required at submission.
    grant, _, _ = granted()
    Dossier.objects.filter(pk=grant.dossier_id).update(siret="")
    code, out, err = run(capsys, "--call", REAL_CALL)
    assert code == 0 and "Billom" in out
    assert err == "guichet : attention, 1 bénéficiaire(s) sans SIRET : Billom\n"


def test_an_unknown_call_exits_2_in_french(capsys):
    code, out, err = run(capsys, "--call", "nulle-part")
    assert (code, out) == (2, "")
    assert err == "guichet : --call : Aucun appel à projets « nulle-part ».\n"


def test_a_bad_format_exits_2(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["opendata", "--call", REAL_CALL, "--format", "xml"])
    assert exit_.value.code == 2
    assert "choix invalide" in capsys.readouterr().err


def test_an_empty_call_gives_the_header_only(capsys):
    code, out, _ = run(capsys, "--call", REAL_CALL)
    assert code == 0 and out == ",".join(opendata.COLUMNS) + "\r\n"


# ---------------------------------------------------------------- the public URLs


def test_the_public_csv_is_current_utf8_and_named_on_the_calls_page(client):
    url = reverse("public:open-data-csv", args=[REAL_CALL])
    assert url == f"/appels/{REAL_CALL}/donnees/subventions.csv"
    assert client.get(url).content.decode().count("\r\n") == 1  # the header only
    grant, _, _ = granted()
    response = client.get(url)  # always current: built at each request
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8")
    assert "Billom" in text and "Préfecture du Puy-de-Dôme" in text
    json_url = reverse("public:open-data-json", args=[REAL_CALL])
    assert json_url == f"/appels/{REAL_CALL}/donnees/subventions.json"
    data = client.get(json_url)
    assert data["Content-Type"] == "application/json"
    assert data.json()[0]["montant"] == float(grant.amount)
    page = client.get(reverse("public:call", args=[REAL_CALL])).content.decode()
    assert "SCDL Subventions 2.1.1" in page and url in page and json_url in page


def test_an_unknown_call_has_no_file(client):
    assert client.get("/appels/nulle-part/donnees/subventions.csv").status_code == 404
    assert client.get("/appels/nulle-part/donnees/subventions.json").status_code == 404


# ---------------------------------------------------------------- frictionless


def test_the_file_is_valid_against_the_scdl_schema_and_its_sirets_check(tmp_path):
    import frictionless

    grant, _, people = granted()
    with_siret(grant)
    second = proposed(code="63040", name="Billom", cost="12000")
    closed_meeting(people.team, retained=[second])
    with_siret(Grant.objects.get(dossier=second))
    table = opendata.rows(people.call)
    assert len(table) == 2
    path = tmp_path / "subventions.csv"
    path.write_text(opendata.as_csv(table), encoding="utf-8")
    schema = frictionless.Schema.from_descriptor(scdl_schema())
    report = frictionless.validate(
        frictionless.Resource(path=path.name, schema=schema, basepath=str(tmp_path))
    )
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    # What frictionless does not run (the schema's custom_checks): the SIRET checksums, and
    # idBeneficiaire or rnaBeneficiaire filled.
    for row in table:
        assert stdnum_siret.is_valid(row["idAttribuant"])
        assert stdnum_siret.is_valid(row["idBeneficiaire"])
        assert row["idBeneficiaire"] or row["rnaBeneficiaire"]


def test_frictionless_catches_a_broken_file(tmp_path):
    """The validation above can fail: a percentage above 1 and a missing column are refused."""
    import frictionless

    grant, _, people = granted()
    with_siret(grant)
    [row] = opendata.rows(people.call)
    row["pourcentageSubvention"] = "1.50"
    path = tmp_path / "broken.csv"
    path.write_text(opendata.as_csv([row]), encoding="utf-8")
    schema = frictionless.Schema.from_descriptor(scdl_schema())
    report = frictionless.validate(
        frictionless.Resource(path=path.name, schema=schema, basepath=str(tmp_path))
    )
    assert report.flatten(["rowNumber", "fieldName", "type"]) == [
        [2, "pourcentageSubvention", "constraint-error"]
    ]


def test_a_call_without_open_data_publishes_nothing(capsys, client):
    from guichet.calls.models import Call

    call = Call.objects.get(slug=REAL_CALL)
    call.definition = {k: v for k, v in call.definition.items() if k != "open_data"}
    call.save()  # a reload: loaded_at moves, so the pages read the new definition
    code, out, err = run(capsys, "--call", REAL_CALL)
    assert (code, out) == (2, "")
    assert "ne publie pas de données ouvertes" in err
    assert client.get(f"/appels/{REAL_CALL}/donnees/subventions.csv").status_code == 404
    page = client.get(reverse("public:call", args=[REAL_CALL])).content.decode()
    assert "SCDL Subventions" not in page
