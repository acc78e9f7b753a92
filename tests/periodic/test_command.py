"""``manage.py guichet_periodic``: each housekeeping step at its boundary (just before and just
after its limit), the command as cron runs it, its record, and the managers' lapse list."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from guichet import clock
from guichet.calls.models import Call
from guichet.documents.storage import private_storage
from guichet.exports import housekeeping, services
from guichet.exports.models import Export, ExportStatus
from guichet.exports.writers import ExportFormat
from guichet.periodic import runs, steps
from guichet.periodic.models import ManagerNotice, PeriodicRun
from tests.dossiers.factories import REAL_CALL, reviewer
from tests.grants.factories import PARIS, engaged, granted

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen(NOW):
        yield


def export(user, **fields) -> Export:
    call = Call.objects.get(slug=REAL_CALL)
    created = services.create_export(user, call, ExportFormat.CSV, {}, ["number"], 10)
    Export.objects.filter(pk=created.pk).update(**fields)
    created.refresh_from_db()
    return created


def test_a_running_export_is_failed_only_once_past_the_stalled_limit():
    user = reviewer()
    old = export(user, status=ExportStatus.RUNNING, started_at=NOW - dt.timedelta(minutes=31))
    recent = export(user, status=ExportStatus.RUNNING, started_at=NOW - dt.timedelta(minutes=29))
    queued = export(user, status=ExportStatus.QUEUED, started_at=None)
    done = export(user, status=ExportStatus.DONE, started_at=NOW - dt.timedelta(hours=5))

    assert housekeeping.fail_stalled(30) == 1

    old.refresh_from_db()
    assert old.status == ExportStatus.FAILED
    assert old.error == housekeeping.STALLED_MESSAGE
    assert old.finished_at == NOW
    for untouched, status in ((recent, "running"), (queued, "queued"), (done, "done")):
        untouched.refresh_from_db()
        assert untouched.status == status


def test_old_exports_are_deleted_with_their_file_and_recent_ones_kept():
    user = reviewer()
    storage = private_storage()
    names = {}
    for key, age in (("old", dt.timedelta(days=7, seconds=1)), ("recent", dt.timedelta(days=6))):
        name = storage.save(f"exports/{key}.csv", ContentFile(b"numero\n"))
        names[key] = name
        export(user, status=ExportStatus.DONE, file=name, created_at=NOW - age)
    export(user, status=ExportStatus.FAILED, created_at=NOW - dt.timedelta(days=30))  # no file

    assert housekeeping.delete_expired(7) == 2

    assert not storage.exists(names["old"])
    assert storage.exists(names["recent"])
    assert list(Export.objects.values_list("file", flat=True)) == [names["recent"]]


def test_an_export_whose_file_is_already_gone_is_still_deleted():
    export(reviewer(), file="exports/gone.csv", created_at=NOW - dt.timedelta(days=8))
    assert housekeeping.delete_expired(7) == 1
    assert not Export.objects.exists()


def test_the_command_clears_sessions_exports_and_finished_tasks():
    user = reviewer()
    live, expired = SessionStore(), SessionStore()
    for store, seconds in ((live, 3600), (expired, -1)):
        store["x"] = 1
        store.set_expiry(seconds)
        store.create()
    stalled = export(user, status=ExportStatus.RUNNING, started_at=NOW - dt.timedelta(hours=2))
    export(user, status=ExportStatus.DONE, created_at=NOW - dt.timedelta(days=8))
    long_ago = timezone.now() - dt.timedelta(days=15)
    DBTaskResult.objects.create(
        task_path="guichet.exports.tasks.build_export",
        args_kwargs={"args": [1], "kwargs": {}},
        status="SUCCESSFUL",
        enqueued_at=long_ago,
        finished_at=long_ago,
        queue_name="default",
        backend_name="default",
    )
    out = StringIO()

    call_command("guichet_periodic", stdout=out)

    assert set(Session.objects.values_list("session_key", flat=True)) == {live.session_key}
    stalled.refresh_from_db()
    assert stalled.status == ExportStatus.FAILED
    assert list(Export.objects.values_list("pk", flat=True)) == [stalled.pk]
    assert not DBTaskResult.objects.exists()
    assert "exports interrompus : 1 ; exports anciens supprimés : 1" in out.getvalue()


def test_a_limit_below_one_is_refused_in_french():
    err = StringIO()
    with pytest.raises(SystemExit):
        call_command("guichet_periodic", "--export-days", "0", stderr=err)
    assert "--export-days doit être au moins 1." in err.getvalue()


# ---------------------------------------------------------------- the run's record


def test_each_run_is_recorded_with_what_each_step_did():
    out = StringIO()
    call_command("guichet_periodic", stdout=out)
    run = PeriodicRun.objects.get()
    assert run.ok is True and run.error == ""
    assert (run.started_at, run.finished_at) == (NOW, NOW)
    assert set(run.summary) == set(runs.STEP_LABELS)  # JSON: no order kept on PostgreSQL
    assert run.summary["engagement_reminders"] == {
        "envoyées": 0, "déjà envoyées": 0, "sans adresse": 0,
    }  # fmt: skip
    assert "relances d’engagement : 0 envoyées" in out.getvalue()


def test_a_failing_step_is_recorded_the_others_still_run_and_the_command_fails(monkeypatch):
    def broken(today):
        raise RuntimeError("serveur de courriel injoignable")

    monkeypatch.setattr(steps, "engagement_reminders", broken)
    export(reviewer(), status=ExportStatus.DONE, created_at=NOW - dt.timedelta(days=8))
    with pytest.raises(CommandError, match="Travaux périodiques en échec"):
        call_command("guichet_periodic", stdout=StringIO())
    run = PeriodicRun.objects.get()
    assert run.ok is False and run.finished_at == NOW
    assert "relances d’engagement : RuntimeError('serveur de courriel injoignable')" in run.error
    assert run.summary["engagement_reminders"] == "échec"
    assert run.summary["old_exports"] == 1 and "lapse_lists" in run.summary
    assert not Export.objects.exists()


def test_the_command_exits_non_zero_when_a_step_fails_and_zero_otherwise(monkeypatch, capsys):
    command = "guichet.periodic.management.commands.guichet_periodic"
    from importlib import import_module

    Command = import_module(command).Command
    # run_from_argv closes the connections when done, as manage.py would: not the test's.
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    Command().run_from_argv(["manage.py", "guichet_periodic"])  # no SystemExit: status 0
    monkeypatch.setattr(steps, "send_lapse_lists", lambda today: 1 / 0)
    with pytest.raises(SystemExit) as exit_:
        Command().run_from_argv(["manage.py", "guichet_periodic"])
    assert exit_.value.code == 1
    assert "ZeroDivisionError" in capsys.readouterr().err
    assert list(PeriodicRun.objects.order_by("pk").values_list("ok", flat=True)) == [True, False]


def test_runs_older_than_the_limit_are_deleted():
    old = PeriodicRun.objects.create(started_at=NOW - dt.timedelta(days=30, seconds=1), ok=True)
    kept = PeriodicRun.objects.create(started_at=NOW - dt.timedelta(days=29), ok=True)
    call_command("guichet_periodic", stdout=StringIO())
    assert not PeriodicRun.objects.filter(pk=old.pk).exists()
    assert PeriodicRun.objects.filter(pk=kept.pk).exists()
    assert PeriodicRun.objects.latest("pk").summary["old_runs"] == 1


def test_a_run_killed_before_its_end_reads_as_such():
    run = PeriodicRun.objects.create(started_at=NOW)
    assert str(run) == "Passage du 28/11/2026 à 10:00 (en cours ou interrompu)"


# ---------------------------------------------------------------- the managers' lapse list


def lapse_list_mails():
    return [m for m in mail.outbox if "à déclarer caduque" in m.subject]


def run_on(day, capture):
    with (
        clock.frozen(dt.datetime.combine(day, dt.time(7, 0), tzinfo=PARIS)),
        capture(execute=True),
    ):
        call_command("guichet_periodic", stdout=StringIO())


def test_the_managers_get_the_list_of_grants_to_lapse_once_a_day(
    settings, django_capture_on_commit_callbacks
):
    settings.GUICHET = {**settings.GUICHET, "BASE_URL": "https://guichet.example.gouv.fr/"}
    first, _, people = granted()
    granted(people, code="63008", name="Arconsat")
    deadline = first.engagement_deadline
    run_on(deadline, django_capture_on_commit_callbacks)  # the deadline's day: not yet
    assert lapse_list_mails() == []

    after = deadline + dt.timedelta(days=1)
    run_on(after, django_capture_on_commit_callbacks)
    run_on(after, django_capture_on_commit_callbacks)  # the same day again: nothing more
    (message,) = lapse_list_mails()
    assert message.subject == "2 subventions à déclarer caduques"
    assert set(message.to) == {people.manager.email, people.certifier.email}
    assert people.reviewer.email not in message.to
    url = f"https://guichet.example.gouv.fr/instruction/appels/{people.call.slug}/subventions/"
    assert url in message.body
    notice = ManagerNotice.objects.get()
    assert (notice.call, notice.day, notice.count) == (people.call, after, 2)
    assert PeriodicRun.objects.latest("pk").summary["lapse_lists"]["déjà envoyés"] == 1

    run_on(after + dt.timedelta(days=1), django_capture_on_commit_callbacks)  # the next day
    assert len(lapse_list_mails()) == 2


def test_no_lapse_list_once_every_late_grant_is_engaged_or_lapsed(
    django_capture_on_commit_callbacks,
):
    grant, owner, people = granted()
    engaged(grant, owner, people)
    run_on(grant.engagement_deadline + dt.timedelta(days=3), django_capture_on_commit_callbacks)
    assert lapse_list_mails() == []
    assert not ManagerNotice.objects.exists()


def test_a_lapse_list_a_concurrent_run_wrote_the_same_day_is_not_sent_again(
    django_capture_on_commit_callbacks, monkeypatch
):
    grant, _, people = granted()
    day = grant.engagement_deadline + dt.timedelta(days=2)
    ManagerNotice.objects.create(call=people.call, kind="lapses-due", day=day, count=1)
    real = ManagerNotice.objects.filter

    def missed(**kw):  # the other run committed after this one's check
        return real(pk=-1) if "day" in kw else real(**kw)

    monkeypatch.setattr(ManagerNotice.objects, "filter", missed)
    run_on(day, django_capture_on_commit_callbacks)
    assert lapse_list_mails() == []
    assert PeriodicRun.objects.latest("pk").summary["lapse_lists"]["déjà envoyés"] == 1


def test_the_runs_and_notices_are_read_in_the_admin(admin_client, monkeypatch):
    monkeypatch.setattr(steps, "engagement_reminders", lambda today: 1 / 0)
    with pytest.raises(CommandError):
        call_command("guichet_periodic", stdout=StringIO())
    run = PeriodicRun.objects.get()
    listing = admin_client.get("/admin/periodic/periodicrun/")
    assert listing.status_code == 200
    assert "relances d’engagement : échec" in listing.content.decode()
    page = admin_client.get(f"/admin/periodic/periodicrun/{run.pk}/change/")
    assert page.status_code == 200 and "ZeroDivisionError" in page.content.decode()
    assert 'name="_save"' not in page.content.decode()
    assert admin_client.get("/admin/periodic/periodicrun/add/").status_code == 403
    assert admin_client.get("/admin/periodic/managernotice/").status_code == 200
