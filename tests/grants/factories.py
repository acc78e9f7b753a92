"""Granted dossiers of the real call, after a closed meeting, and the people who follow them."""

import datetime as dt
import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core import mail

from guichet import clock
from guichet.grants import postaward
from guichet.grants.models import Grant
from guichet.grants.postaward import ExpenseInput
from tests.committee.decision_factories import closed_meeting
from tests.committee.factories import Committee, proposed
from tests.dossiers.factories import pdf_upload, reviewer

PARIS = ZoneInfo("Europe/Paris")
# After the meeting of 15 July 2021, before the engagement deadline of 31 December 2021.
FOLLOW_AT = dt.datetime(2021, 9, 15, 10, 0, tzinfo=PARIS)
SIGNED_ON = dt.date(2021, 9, 1)
AFTER_DEADLINE = dt.datetime(2022, 1, 3, 10, 0, tzinfo=PARIS)


class Followers:
    """The committee's team, plus a reviewer and a second manager of the whole département (the
    agent who certifies is never the one who checked)."""

    def __init__(self):
        self.team = Committee()
        self.manager = self.team.manager
        self.reviewer = reviewer(email="instructeur-suivi@puy-de-dome.gouv.fr")
        self.certifier = reviewer(role="manager", email="finances@puy-de-dome.gouv.fr")
        self.call = self.team.call


def granted(people=None, *, code="63040", name="Billom", cost="8000", amount=None):
    """A dossier retained by a closed meeting: (grant, the dossier's owner, the people)."""
    people = people or Followers()
    dossier = proposed(code=code, name=name, cost=cost)
    closed_meeting(people.team, retained=[dossier], amount=amount)
    grant = Grant.objects.select_related("dossier", "envelope").get(dossier=dossier)
    owner = dossier.memberships.get().user
    mail.outbox.clear()
    return grant, owner, people


def engaged(grant, owner, people, signed_on=SIGNED_ON):
    """The grant with its engagement proven and validated."""
    with clock.frozen(FOLLOW_AT):
        proof = postaward.submit_engagement(grant, owner, pdf_upload(), signed_on)
        postaward.validate_engagement(proof, people.reviewer)
    grant.refresh_from_db()
    return grant


_INVOICES = itertools.count(104)


def expense(amount, *, supplier="Mairie Numérique SARL", on=dt.date(2021, 9, 10), number=None):
    """A line of a statement of expenses, each with its own invoice number unless given (an
    invoice justifies one request only)."""
    amount = Decimal(amount)
    number = number or f"F-21-{next(_INVOICES)}"
    return ExpenseInput(
        supplier=supplier, invoiced_on=on, nature="Prestation d’accompagnement",
        amount_excl_vat=amount, amount_incl_vat=amount * Decimal("1.2"), invoice_number=number,
    )  # fmt: skip


def invoice():
    return ("invoice", pdf_upload("facture.pdf"))


def certificate():
    return ("completion_certificate", pdf_upload("certificat-achevement.pdf"))
