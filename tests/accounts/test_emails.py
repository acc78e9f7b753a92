"""The e-mail layer: French subject, text and HTML parts, attachments, sent only on commit."""

import pytest
from django.core import mail
from django.db import transaction

from guichet.notifications import send_email

pytestmark = pytest.mark.django_db

CONTEXT = {
    "user": {"first_name": "Dominique", "collectivity_name": "Billom"},
    "confirm_url": "https://guichet.example/compte/confirmer/abc/",
    "valid_days": 3,
}


def test_text_and_html_parts_with_a_french_subject(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send_email(["agent@billom.fr"], "accounts/confirm_email", CONTEXT, reply_to=["aide@x.fr"])
    [message] = mail.outbox
    assert message.to == ["agent@billom.fr"]
    assert message.reply_to == ["aide@x.fr"]
    assert message.subject == "Confirmez votre adresse électronique — guichet"
    assert "Bonjour Dominique," in message.body
    assert "https://guichet.example/compte/confirmer/abc/" in message.body
    assert "<" not in message.body  # plain text, not HTML
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert "République<br>française" in html
    assert 'href="https://guichet.example/compte/confirmer/abc/"' in html
    assert '<html lang="fr">' in html


def test_plain_text_is_not_html_escaped(django_capture_on_commit_callbacks):
    context = {**CONTEXT, "user": {"first_name": "Marie-Hélène & Co <x>"}}
    with django_capture_on_commit_callbacks(execute=True):
        send_email(["a@b.fr"], "accounts/confirm_email", context)
    [message] = mail.outbox
    assert "Bonjour Marie-Hélène & Co <x>," in message.body
    assert "Marie-Hélène &amp; Co &lt;x&gt;" in message.alternatives[0][0]


def test_attachments(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send_email(
            ["a@b.fr"],
            "accounts/confirm_email",
            CONTEXT,
            attachments=[("accuse.pdf", b"%PDF-1.4 test", "application/pdf")],
        )
    [message] = mail.outbox
    assert message.attachments[0] == ("accuse.pdf", b"%PDF-1.4 test", "application/pdf")


def test_nothing_is_sent_before_the_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        send_email(["a@b.fr"], "accounts/confirm_email", CONTEXT)
        assert mail.outbox == []
    assert len(callbacks) == 1
    assert len(mail.outbox) == 1


def test_rollback_sends_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                send_email(["a@b.fr"], "accounts/confirm_email", CONTEXT)
                raise RuntimeError("the dossier could not be saved")
        except RuntimeError:
            pass
    assert callbacks == []
    assert mail.outbox == []


def test_a_failing_backend_does_not_break_the_caller(
    settings, caplog, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.accounts.test_emails.BrokenBackend"
    with django_capture_on_commit_callbacks(execute=True):
        send_email(["a@b.fr"], "accounts/confirm_email", CONTEXT)
    assert "not sent" in caplog.text


def test_no_recipient_sends_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        send_email(["", ""], "accounts/confirm_email", CONTEXT)
    assert callbacks == [] and mail.outbox == []


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP down")
