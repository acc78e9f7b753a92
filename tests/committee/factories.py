"""Dossiers proposed to the committee, the committee of the real call, and its meetings."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.core import mail

from guichet import clock
from guichet.calls.models import Call
from guichet.committee import services as committee
from guichet.dossiers import services
from guichet.review import services as review
from guichet.review.models import AgentRole
from guichet.review.services import ScoreInput
from tests.dossiers.factories import IN_WINDOW, REAL_CALL, agent, complete, draft, reviewer

PARIS = ZoneInfo("Europe/Paris")
# The meeting of the real call: after the second session, in 2021.
CONVENED_ON = dt.datetime(2021, 7, 12, 9, 0, tzinfo=PARIS)
MEETING_AT = dt.datetime(2021, 7, 15, 10, 0, tzinfo=PARIS)


def real_call() -> Call:
    return Call.objects.get(slug=REAL_CALL)


def proposed(code="63040", name="Billom", *, marks=2, amount=None, cost="8000", instructor=None):
    """A dossier of ``code`` scored ``marks`` on every criterion and proposed at its maximum."""
    owner = agent(code=code, name=name)
    with clock.frozen(IN_WINDOW):
        dossier = services.submit(complete(draft(owner), owner, cost=cost), owner)
        instructor = instructor or reviewer()
        dossier = services.start_review(dossier, instructor)
        grid = dossier.call.rules.scoring
        review.score(dossier, instructor, {c.code: ScoreInput(marks) for c in grid.criteria})
        dossier.refresh_from_db()
        maximum = dossier.maximum_amount
        review.propose(
            dossier, instructor, kind="favourable", amount=amount or maximum,
            justification="" if amount in (None, maximum) else "Coût modeste du projet.",
        )  # fmt: skip
    dossier.refresh_from_db()
    mail.outbox.clear()
    return dossier


class Committee:
    """The real call's manager, chair (sous-préfet de Thiers) and two members."""

    def __init__(self):
        call = real_call()
        self.manager = reviewer(role="manager", email="gestion@puy-de-dome.gouv.fr")
        self.chair = reviewer(role="committee", email="sp-thiers@puy-de-dome.gouv.fr")
        # This team's chair takes the chair (one per call) from any earlier one.
        AgentRole.objects.filter(call=call, chair=True).update(chair=False)
        AgentRole.objects.filter(user=self.chair, call=call).update(chair=True)
        self.member = reviewer(role="committee", email="sp-ambert@puy-de-dome.gouv.fr")
        self.other = reviewer(role="committee", email="sp-issoire@puy-de-dome.gouv.fr")
        self.call = call


def meeting(team, dossiers, *, convene=True, open_=True, present=None):
    call = team.call
    with clock.frozen(CONVENED_ON):
        m = committee.create_meeting(
            call, team.manager, starts_at=MEETING_AT, place="Sous-préfecture de Thiers",
            sessions=list(call.sessions.all()),
        )  # fmt: skip
        committee.set_agenda(m, team.manager, [d.pk for d in dossiers])
        if convene:
            m = committee.convene(m, team.manager)
    if convene and open_:
        with clock.frozen(MEETING_AT):
            people = present or [team.chair, team.member, team.other]
            m = committee.open_meeting(m, team.chair, [p.pk for p in people])
    return m
