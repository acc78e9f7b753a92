"""Outgoing e-mail: one function, ``send_email``, for every message the service sends.

Every message has a French subject, a plain-text body and an HTML body, rendered from three
templates under ``guichet/templates/emails/``. Messages leave after the current database
transaction commits: nothing is sent for work that is rolled back.
"""

from .email import Attachment, send_email

__all__ = ["Attachment", "send_email"]
