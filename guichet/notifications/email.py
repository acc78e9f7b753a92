"""Rendering and sending e-mails (see ``send_email``)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

# (file name, content, MIME type), e.g. ("accuse-de-reception.pdf", pdf_bytes, "application/pdf")
Attachment = tuple[str, bytes, str]


def build_email(
    to: Sequence[str],
    template: str,
    context: Mapping[str, Any] | None = None,
    attachments: Iterable[Attachment] = (),
    reply_to: Sequence[str] | None = None,
) -> EmailMultiAlternatives:
    """The message ``send_email`` would send, without sending it (for previews and tests)."""
    ctx = {"site_title": settings.GUICHET["SITE_TITLE"], **(context or {})}
    subject = render_to_string(f"emails/{template}.subject.txt", ctx)
    subject = " ".join(subject.split())  # one line: a header cannot hold a newline
    text = render_to_string(f"emails/{template}.txt", ctx)
    html = render_to_string(f"emails/{template}.html", ctx)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(to),
        reply_to=list(reply_to) if reply_to else None,
    )
    message.attach_alternative(html, "text/html")
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    return message


def send_email(
    to: Sequence[str],
    template: str,
    context: Mapping[str, Any] | None = None,
    attachments: Iterable[Attachment] = (),
    reply_to: Sequence[str] | None = None,
) -> None:
    """Send one e-mail to ``to`` once the current transaction commits.

    ``template`` names three templates under ``guichet/templates/emails/``:
    ``<template>.subject.txt`` (French subject, one line), ``<template>.txt`` (plain text) and
    ``<template>.html`` (HTML, extending ``emails/base.html``). They receive ``context`` plus
    ``site_title``. Links must be absolute (``request.build_absolute_uri(...)``).

    ``attachments``: ``(filename, bytes, mimetype)`` tuples. ``reply_to``: addresses, optional.

    The message is rendered now (a template error raises here, in the caller's transaction) and
    handed to the e-mail backend by ``transaction.on_commit``: if the transaction rolls back,
    nothing is sent; outside a transaction it is sent at once. A failure of the backend (SMTP
    server down) is logged and does not break the request that caused the message.

    In tests, e-mails land in ``django.core.mail.outbox``; inside a test transaction use
    pytest-django's ``django_capture_on_commit_callbacks(execute=True)``.
    """
    recipients = [address for address in to if address]
    if not recipients:
        return
    message = build_email(recipients, template, context, attachments, reply_to)

    def deliver() -> None:
        try:
            message.send()
        except Exception:
            logger.exception("E-mail « %s » not sent to %s", template, ", ".join(recipients))

    transaction.on_commit(deliver)
