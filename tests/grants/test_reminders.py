"""The engagement reminders (60, 30 and 7 days before the engagement deadline), each sent once."""

import datetime as dt

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from guichet import clock
from guichet.grants import postaward
from guichet.grants.models import Reminder
from guichet.grants.reminders import send_engagement_reminders

from .factories import FOLLOW_AT, PARIS, engaged, granted

pytestmark = pytest.mark.django_db

DEADLINE = dt.date(2021, 12, 31)  # the real call's engagement deadline


def before(days):
    return DEADLINE - dt.timedelta(days=days)


def run(on, capture):
    """One run of the step on the Paris day ``on``; returns the e-mails it sent."""
    sent_before = len(mail.outbox)
    with (
        clock.frozen(dt.datetime.combine(on, dt.time(6, 0), tzinfo=PARIS)),
        capture(execute=True),
    ):
        result = send_engagement_reminders(on)
    return result, mail.outbox[sent_before:]


@pytest.fixture
def grant():
    grant, _, _ = granted()
    assert grant.engagement_deadline == DEADLINE
    return grant


@pytest.mark.parametrize(
    ("days", "kinds"),
    [(61, []), (60, ["engagement-60"]), (59, ["engagement-60"])],
)
def test_the_first_reminder_is_due_sixty_days_before_the_deadline(
    grant, days, kinds, django_capture_on_commit_callbacks
):
    result, sent = run(before(days), django_capture_on_commit_callbacks)
    assert list(grant.reminders.values_list("kind", flat=True)) == kinds
    assert len(sent) == len(kinds) == result.sent
    if kinds:
        message = sent[0]
        assert message.to == grant.reminders.get().recipients.split(", ")
        assert "engagement à prouver au plus tard le 31 décembre 2021" in message.subject
        assert f"dans {days} jours" in message.body
        assert f"/mes-dossiers/{grant.dossier.uuid}/" in message.body


def test_each_reminder_is_sent_once_on_its_day_and_none_after_the_deadline(
    grant, django_capture_on_commit_callbacks
):
    days = [61, 60, 59, 31, 30, 29, 8, 7, 6, 1, 0, -1]
    kinds = []
    for n in days:
        for _ in range(2):  # two runs the same day: one e-mail
            _, sent = run(before(n), django_capture_on_commit_callbacks)
            kinds.append((n, len(sent)))
    assert [n for n, count in kinds if count] == [60, 30, 7]
    assert all(count <= 1 for _, count in kinds)
    assert sorted(grant.reminders.values_list("kind", flat=True)) == [
        "engagement-30", "engagement-60", "engagement-7",
    ]  # fmt: skip


def test_a_late_start_sends_only_the_most_recent_reminder_with_the_days_really_left(
    grant, django_capture_on_commit_callbacks
):
    # The machine was off from 65 days before the deadline to 20 days before.
    result, sent = run(before(20), django_capture_on_commit_callbacks)
    assert (result.sent, len(sent)) == (1, 1)
    assert list(grant.reminders.values_list("kind", flat=True)) == ["engagement-30"]
    assert "dans 20 jours" in sent[0].body
    # The older one is never sent later, the next one on its day.
    for n in (19, 10):
        assert run(before(n), django_capture_on_commit_callbacks)[1] == []
    assert len(run(before(7), django_capture_on_commit_callbacks)[1]) == 1


def test_off_until_the_deadline_day_the_last_reminder_says_today_and_the_day_after_nothing(
    grant, django_capture_on_commit_callbacks
):
    _, sent = run(DEADLINE, django_capture_on_commit_callbacks)
    assert len(sent) == 1 and "au plus tard le 31 décembre 2021, aujourd’hui même" in sent[0].body
    assert list(grant.reminders.values_list("kind", flat=True)) == ["engagement-7"]
    result, sent = run(DEADLINE + dt.timedelta(days=1), django_capture_on_commit_callbacks)
    assert (sent, result.sent, result.already) == ([], 0, 0)


def test_no_reminder_once_the_engagement_is_validated_but_one_while_a_proof_waits(
    django_capture_on_commit_callbacks,
):
    grant, owner, people = granted()
    engaged(grant, owner, people)
    waiting, owner2, _ = granted(people, code="63008", name="Arconsat")
    from tests.dossiers.factories import pdf_upload

    with clock.frozen(FOLLOW_AT):
        postaward.submit_engagement(waiting, owner2, pdf_upload(), dt.date(2021, 9, 1))
    result, sent = run(before(60), django_capture_on_commit_callbacks)
    assert result.sent == 1 and [m.to for m in sent] == [
        waiting.reminders.get().recipients.split(", ")
    ]
    assert not grant.reminders.exists()


def test_no_reminder_for_a_lapsed_grant(grant, django_capture_on_commit_callbacks):
    grant.status = "lapsed"
    grant.save(update_fields=["status"])
    result, sent = run(before(30), django_capture_on_commit_callbacks)
    assert (result.sent, sent) == (0, [])


def test_a_reminder_a_concurrent_run_already_wrote_is_not_sent_again(
    grant, django_capture_on_commit_callbacks, monkeypatch
):
    # The other run wrote its row after this run's check: the unique constraint refuses this
    # run's row, and this run sends nothing.
    from guichet.grants import reminders

    Reminder.objects.create(grant=grant, kind="engagement-60", recipients="autre@passage.fr")
    monkeypatch.setattr(reminders, "already_sent", lambda grant, kind: False)
    result, sent = run(before(60), django_capture_on_commit_callbacks)
    assert (result.sent, result.already, sent) == (0, 1, [])
    assert grant.reminders.count() == 1


def test_the_database_refuses_a_second_row_of_the_same_reminder(grant):
    Reminder.objects.create(grant=grant, kind="engagement-30")
    with pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.create(grant=grant, kind="engagement-30")


def test_a_team_without_address_gets_nothing_and_no_row_is_written(
    grant, django_capture_on_commit_callbacks
):
    grant.dossier.memberships.all().delete()
    type(grant.dossier).objects.filter(pk=grant.dossier_id).update(contact_email="")
    result, sent = run(before(60), django_capture_on_commit_callbacks)
    assert (result.sent, result.without_address, sent) == (0, 1, [])
    assert not grant.reminders.exists()
