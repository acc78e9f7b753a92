"""A call with dossiers in two arrondissements, one of them granted by a closed meeting, and
the agents whose tokens read them."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core import mail

from guichet import clock
from guichet.api import tokens
from guichet.calls.models import Call
from guichet.dossiers import services
from guichet.dossiers.models import Dossier
from tests.dossiers.factories import IN_WINDOW, REAL_CALL, agent, complete, draft
from tests.grants.factories import granted
from tests.review.factories import OTHER, OWN, call_agents


@dataclass
class World:
    call: Call
    other_call: Call
    granted: Dossier  # in OWN, retained by a closed meeting
    own: Dossier  # in OWN, submitted
    other: Dossier  # in OTHER, submitted
    users: dict

    def token(self, who: str, call: Call | None = None) -> str:
        return tokens.create(self.users[who], call=call or self.call, name=f"Jeton {who}")[1]


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def world(db, django_capture_on_commit_callbacks):
    call = Call.objects.get(slug=REAL_CALL)
    other_call = Call.objects.exclude(pk=call.pk).first()
    grant, _, _ = granted()
    billom, riom = agent(), agent("commune", "63300", "Riom")
    with clock.frozen(IN_WINDOW), django_capture_on_commit_callbacks(execute=True):
        own = services.submit(complete(draft(billom), billom), billom)
        other = services.submit(complete(draft(riom), riom), riom)
    Dossier.objects.filter(pk__in=[own.pk, grant.dossier_id]).update(arrondissement_code=OWN)
    Dossier.objects.filter(pk=other.pk).update(arrondissement_code=OTHER)

    users = call_agents(call, other_call, billom)
    mail.outbox.clear()
    dossiers = {
        d.pk: d for d in Dossier.objects.filter(pk__in=[own.pk, other.pk, grant.dossier_id])
    }
    return World(call, other_call, dossiers[grant.dossier_id], dossiers[own.pk],
                 dossiers[other.pk], users)  # fmt: skip
