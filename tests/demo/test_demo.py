"""The demo's living window: the command that fills the demo call with dossiers in every state."""

from __future__ import annotations

import datetime as dt
import random
from io import StringIO
from types import SimpleNamespace

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import override_settings

from guichet import clock
from guichet.calls.models import Call
from guichet.clock import PARIS
from guichet.demo import dossiers as demo
from guichet.dossiers import services
from guichet.dossiers.models import Dossier, Event, PieceKind
from guichet.dossiers.workflow import State
from tests.dossiers.factories import agent

pytestmark = pytest.mark.django_db

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def demo_call() -> Call:
    return Call.objects.get(slug=demo.DEMO_CALL)


def test_the_command_fills_the_demo_call_with_dossiers_in_every_state(
    django_capture_on_commit_callbacks,
):
    out = StringIO()
    with django_capture_on_commit_callbacks() as callbacks:
        call_command("create_demo_dossiers", stdout=out)
    call = demo_call()
    dossiers = list(Dossier.objects.filter(call=call).prefetch_related("cost_lines", "partners"))
    assert 55 <= len(dossiers) <= 65
    # The committee's own states (postponed, waiting list) come from the demo's meetings.
    assert {d.state for d in dossiers} == {s.value for s in State} - {"postponed", "waiting_list"}

    deadline = dt.datetime.combine(call.deadline, dt.time(23, 59, 59), tzinfo=PARIS)
    submitted = [d for d in dossiers if d.submitted_at]
    assert len(submitted) >= 40
    for d in submitted:
        assert d.number and d.number.startswith("DEMO-63-") and d.session_id
        assert call.opens_on <= d.submitted_at.astimezone(PARIS).date()
        assert d.submitted_at <= min(deadline, clock.now())
        assert d.eligible_at_submission, d.number
        assert len(d.attachments.exclude(kind=PieceKind.RECEIPT)) >= 3
    assert len({d.session_id for d in submitted}) == 2  # both collection sessions
    for d in dossiers:
        if d.requested_amount is not None:
            maximum = services.maximum_for(d)
            assert maximum is not None and d.requested_amount <= maximum, d
            assert d.maximum_amount is None or d.requested_amount <= d.maximum_amount
        assert d.saved_at <= clock.now()
        assert all(e.at <= clock.now() for e in d.events.all())
    # Real collectivités of every kind, a few joint projects, an invited colleague.
    kinds = {d.applicant_kind for d in dossiers}
    assert {"commune", "epci", "metropole", "departement"} <= kinds
    assert len({d.arrondissement_code for d in submitted} - {""}) == 5
    assert sum(1 for d in dossiers if d.partners.all()) >= 2
    assert any(d.memberships.count() == 2 for d in dossiers)
    assert any(d.total_cost is not None and d.total_cost < 5000 for d in dossiers)  # drafts
    assert (
        Event.objects.filter(dossier__call=call, action="request_correction")
        .exclude(message="")
        .exists()
    )

    text = out.getvalue()
    assert "61/61 dossiers…" in text
    assert demo.PASSWORD in text and demo.REVIEWER_EMAIL in text
    reviewer = authenticate(email=demo.REVIEWER_EMAIL, password=demo.PASSWORD)
    assert reviewer is not None and reviewer.agent_roles.filter(role="reviewer").exists()
    applicant = dossiers[0].created_by
    assert applicant.email in text and applicant.email.endswith("@demo.guichet.fr")
    assert authenticate(email=applicant.email, password=demo.PASSWORD) == applicant
    assert applicant.email_confirmed and applicant.profile_complete

    # The receipts are what the submissions queued for after the commit: run them until one is
    # rendered (the immediate backend of the tests renders it at once).
    assert len(callbacks) >= len(submitted)
    for callback in callbacks:
        callback()
        if Dossier.objects.filter(call=call, attachments__kind=PieceKind.RECEIPT).exists():
            break
    receipt = Dossier.objects.get(call=call, attachments__kind=PieceKind.RECEIPT)
    assert receipt.attachments.get(kind=PieceKind.RECEIPT).file.open("rb").read(5) == b"%PDF-"


def test_running_it_again_gives_the_same_dossiers_and_leaves_the_others_alone():
    other_user = agent(email="secretariat@mairie-billom.fr")
    other = services.create_draft(other_user, demo_call(), kind="commune", code="63040")

    def snapshot() -> list[tuple]:
        rows = demo.demo_dossiers(demo_call()).values_list(
            "applicant_code", "state", "number", "title", "requested_amount"
        )
        return sorted(rows, key=lambda row: row[0])

    first = demo.create()
    before = snapshot()
    second = demo.create()
    assert snapshot() == before
    assert second.deleted == sum(first.counts.values()) == len(before)
    assert second.counts == first.counts
    assert Dossier.objects.filter(pk=other.pk).exists()
    assert Dossier.objects.filter(call=demo_call()).count() == len(before) + 1
    numbers = [row[2] for row in before if row[2]]
    assert min(numbers).endswith("-0001")  # numbering starts again


@override_settings(TASKS=DATABASE_TASKS)
def test_with_the_database_backend_receipts_wait_for_the_worker_and_stale_ones_are_dropped(
    django_capture_on_commit_callbacks,
):
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        result = demo.create()
    queued = DBTaskResult.objects.filter(task_path="guichet.dossiers.tasks.send_receipt")
    assert queued.count() == result.receipts > 0
    assert not Dossier.objects.filter(attachments__kind=PieceKind.RECEIPT).exists()
    with django_capture_on_commit_callbacks(execute=True):
        demo.create()
    # The first run's receipts, for dossiers that no longer exist, are no longer queued.
    assert queued.count() == result.receipts
    ids = set(Dossier.objects.values_list("pk", flat=True))
    assert all(r.args_kwargs["args"][0] in ids for r in queued)


def test_the_demo_is_no_part_of_the_domain_and_needs_no_test_tools():
    import ast
    from pathlib import Path

    import guichet

    tree = ast.parse(Path(demo.__file__).read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not any(m == "django.test" or m.startswith("django.test.") for m in imported)
    # Nothing of the application imports the demo (only its own command and the tests do).
    root = Path(guichet.__file__).parent
    for path in root.rglob("*.py"):
        if root / "demo" in path.parents:
            continue
        assert "guichet.demo" not in path.read_text(encoding="utf-8"), path


def test_the_demo_prose_is_data_and_every_text_fills_for_every_kind_of_collectivite():
    texts = demo.texts()
    assert len(texts["projects"]) == len(demo.projects()) == 16
    assert {p.category for p in demo.projects()} == {"1", "2", "3"}
    targets = [
        demo.Target("commune", "63040", "Billom", 4805),
        demo.Target("commune", "63113", "Clermont-Ferrand", 147_284),
        demo.Target("commune", "63178", "Issoire", 15_000),
        demo.Target("epci", "200067627", "CC Billom Communauté", 26_000),
        demo.Target("metropole", "246300701", "Clermont Auvergne Métropole", 300_000),
        demo.Target("departement", "63", "Puy-de-Dôme", 660_000),
    ]
    for target in targets:
        words = demo.phrases(target)
        assert "{" not in "".join(words.values()), words
        builder = object.__new__(demo.Builder)  # only the texts, no database
        builder.rng = random.Random(1)
        builder.examples = []
        user = SimpleNamespace(get_full_name=lambda: "", function="", email="", phone="")
        for project in demo.projects():
            values = builder.values(target, user, project)
            filled = " ".join(v for v in values.values() if isinstance(v, str))
            assert "{" not in filled and "}" not in filled, (target.name, project.title)
    assert demo.phrases(targets[0])["collectivite"] == "la commune de Billom"
    assert demo.phrases(targets[2])["collectivite"] == "la commune d’Issoire"
    assert demo.phrases(targets[3])["nom"] == "la CC Billom Communauté"


def test_the_email_backend_is_given_back_even_when_the_demo_fails(settings, monkeypatch):
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"

    def fail(*args, **kwargs):
        raise demo.DemoError("Aucune commune")

    monkeypatch.setattr(demo, "pick_targets", fail)
    with pytest.raises(demo.DemoError):
        demo.create()
    assert settings.EMAIL_BACKEND == "django.core.mail.backends.dummy.EmailBackend"
