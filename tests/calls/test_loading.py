"""Loading definitions into the database: idempotent, all-or-nothing, and the clock."""

import datetime as dt
import shutil

import pytest
from django.core.management import CommandError, call_command

from guichet import clock
from guichet.calls.definitions import CALLS_DIR, CallDefinitionError
from guichet.calls.models import Call, CallStatus, CollectionSession, Envelope
from guichet.calls.services import load_definitions

pytestmark = pytest.mark.django_db
PARIS = clock.PARIS


def counts():
    return Call.objects.count(), Envelope.objects.count(), CollectionSession.objects.count()


def test_loading_twice_changes_nothing():
    before = counts()
    call_command("load_calls", verbosity=0)
    assert counts() == before == (3, 5, 6)


def test_a_bad_file_changes_nothing(tmp_path):
    for path in CALLS_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    bad = tmp_path / "fitn7-axe3-haut-rhin-2021.yaml"
    bad.write_text(bad.read_text(encoding="utf-8").replace("amount: 270000", "amount: -1"))
    Call.objects.filter(slug="fitn7-axe3-puy-de-dome-2021").update(title="avant")
    with pytest.raises(CallDefinitionError, match=r"fitn7-axe3-haut-rhin-2021\.yaml, ligne"):
        load_definitions(calls_dir=tmp_path)
    assert Call.objects.get(slug="fitn7-axe3-puy-de-dome-2021").title == "avant"


def test_command_reports_a_bad_definition_in_french(monkeypatch, tmp_path):
    (tmp_path / "casse.yaml").write_text("slug: casse\ntitle: [\n", encoding="utf-8")
    monkeypatch.setattr(
        "guichet.calls.management.commands.load_calls.load_definitions",
        lambda: load_definitions(calls_dir=tmp_path),
    )
    with pytest.raises(CommandError, match=r"Définition refusée — casse\.yaml, ligne"):
        call_command("load_calls", verbosity=0)


def test_status_follows_the_paris_calendar():
    call = Call.objects.get(slug="fitn7-axe3-puy-de-dome-2021")
    assert call.status(dt.date(2021, 5, 17)) is CallStatus.UPCOMING
    assert call.status(dt.date(2021, 6, 30)) is CallStatus.OPEN
    assert call.status(dt.date(2021, 7, 1)) is CallStatus.CLOSED
    # 30 June 2021 at 23:30 UTC is already 1 July in Paris.
    with clock.frozen(dt.datetime(2021, 6, 30, 23, 30, tzinfo=dt.UTC)):
        assert call.status() is CallStatus.CLOSED
    with clock.frozen(dt.datetime(2021, 6, 30, 23, 30, tzinfo=PARIS)):
        assert call.status() is CallStatus.OPEN


def test_the_demo_call_is_open_today():
    assert Call.objects.get(slug="demo-fitn7-axe3-puy-de-dome").status() is CallStatus.OPEN


def test_reloading_refreshes_the_parsed_rules():
    call = Call.objects.get(slug="fitn7-axe3-puy-de-dome-2021")
    assert call.rules.cost_floor == 5000
    definition = call.definition
    definition["cost"]["floor"] = 6000
    Call.objects.filter(pk=call.pk).update(definition=definition, loaded_at=clock.now())
    assert Call.objects.get(pk=call.pk).rules.cost_floor == 6000
