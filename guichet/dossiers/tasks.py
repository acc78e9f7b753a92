"""Background work of the dossiers: the receipt (a PDF and an e-mail) after each submission."""

from __future__ import annotations

from django_tasks import task

from guichet.notifications.email import send_email

from . import notifications
from .receipts import receipt_context, render_receipt, store_receipt


@task()
def send_receipt(dossier_id: int) -> None:
    """Render the « accusé de réception », keep it with the dossier and e-mail it to the team."""
    from .models import Dossier

    dossier = Dossier.objects.select_related("call", "session").get(pk=dossier_id)
    pdf = render_receipt(dossier)
    store_receipt(dossier, pdf)
    send_email(
        notifications.team_addresses(dossier),
        "dossiers/receipt",
        {**receipt_context(dossier), "url": notifications.dossier_url(dossier)},
        attachments=[(f"accuse-de-reception-{dossier.number}.pdf", pdf, "application/pdf")],
    )
