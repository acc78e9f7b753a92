"""A granted dossier with, on the same meeting, dossiers put on the waiting list."""

import datetime as dt

from django.core import mail

from guichet import clock
from guichet.committee import services as committee
from guichet.committee.models import Outcome
from guichet.committee.services import DecisionInput
from guichet.grants.models import Grant
from tests.committee.factories import MEETING_AT, meeting, proposed

from .factories import Followers


def granted_and_waiting(people=None, waiting=(("63008", "Arconsat"),), *, code="63040",
                        name="Billom"):  # fmt: skip
    """A meeting that retained one dossier and ranked the others on the waiting list (in the
    order given; each (code, name) or (code, name, cost)): (grant, owner, people, [waiting-list dossiers])."""
    people = people or Followers()
    retained = proposed(code=code, name=name)
    ranked = [proposed(code=w[0], name=w[1], cost=w[2] if len(w) > 2 else "8000") for w in waiting]
    m = meeting(people.team, [retained, *ranked])
    with clock.frozen(MEETING_AT + dt.timedelta(minutes=30)):
        committee.decide(
            m.items.get(dossier=retained), people.team.chair,
            DecisionInput(Outcome.RETAINED, amount=retained.maximum_amount, year=2021),
        )  # fmt: skip
        for rank, d in enumerate(ranked, start=1):
            committee.decide(
                m.items.get(dossier=d), people.team.chair,
                DecisionInput(Outcome.WAITING_LIST, waiting_rank=rank),
            )  # fmt: skip
        committee.close_meeting(m, people.team.chair)
    grant = Grant.objects.select_related("dossier", "envelope").get(dossier=retained)
    owner = retained.memberships.get().user
    for d in ranked:
        d.refresh_from_db()
    mail.outbox.clear()
    return grant, owner, people, ranked
