"""`guichet envelope --call SLUG --json`: each year's position, summed from the ledger."""

import json
from decimal import Decimal

import pytest

from guichet.cli import main
from guichet.grants import services
from guichet.grants.models import ReleaseCause
from tests.dossiers.factories import REAL_CALL, agent, draft, reviewer

pytestmark = pytest.mark.django_db


def envelope(capsys, *args):
    code = main(["envelope", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_each_year_with_its_commitments_and_releases(capsys):
    chair, owner = reviewer(role="committee"), agent()
    grant = services.commit(draft(owner), 2021, Decimal("20000"), chair)
    services.commit(draft(owner), 2022, Decimal("5000.50"), chair)
    services.release(grant, Decimal("2500"), ReleaseCause.REDUCTION, chair)
    code, out, err = envelope(capsys, "--call", REAL_CALL, "--json")
    assert code == 0 and not err
    assert json.loads(out) == [
        {"year": 2021, "amount": 148500, "committed": 20000, "released": 2500, "paid": 0,
         "remaining": 131000},
        {"year": 2022, "amount": 148500, "committed": 5000.5, "released": 0, "paid": 0,
         "remaining": 143499.5},
    ]  # fmt: skip
    code, out, _ = envelope(capsys, "--call", REAL_CALL)
    assert code == 0 and "2021 : 148 500 €, engagé 20 000 €" in out.replace("\xa0", " ")


def test_an_unknown_call_exits_2_in_french(capsys):
    code, out, err = envelope(capsys, "--call", "nulle-part", "--json")
    assert (code, out) == (2, "")
    assert err == "guichet : --call : Aucun appel à projets « nulle-part ».\n"


def test_the_call_is_required(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["envelope", "--json"])
    assert exit_.value.code == 2
    assert "arguments obligatoires: --call" in capsys.readouterr().err
