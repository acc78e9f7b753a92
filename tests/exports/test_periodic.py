"""``manage.py guichet_periodic``: each housekeeping step at its boundary (just before and just
after its limit), and the command as cron runs it."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from guichet import clock
from guichet.calls.models import Call
from guichet.documents.storage import private_storage
from guichet.exports import housekeeping, services
from guichet.exports.models import Export, ExportStatus
from guichet.exports.writers import ExportFormat
from tests.dossiers.factories import REAL_CALL, reviewer

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
