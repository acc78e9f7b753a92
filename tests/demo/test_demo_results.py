"""The demo call's public results page: the grants of the first meeting, all on the map."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from guichet.calls.models import Call
from guichet.demo.dossiers import DEMO_CALL
from guichet.grants import results
from guichet.grants.models import Grant, GrantStatus

pytestmark = pytest.mark.django_db


def test_the_demo_results_show_the_first_meetings_grants_each_on_the_map(client):
    call_command("create_demo_accounts", stdout=StringIO(), stderr=StringIO())
    call_command("create_demo_dossiers", stdout=StringIO())
    call = Call.objects.get(slug=DEMO_CALL)
    standing = Grant.objects.filter(
        dossier__call=call, status__in=[GrantStatus.ACTIVE, GrantStatus.CLOSED]
    )
    r = results.results(call)
    assert len(r.projects) == standing.count() == 5  # the closed (paid off) grant included
    assert r.total == sum(g.amount for g in standing)
    assert r.map is not None and r.map.missing == []
    assert all(b.on_map for b in r.beneficiaries)
    epcis = {b.code for b in r.beneficiaries if b.kind in ("epci", "metropole")}
    assert {m.code for m in r.map.epcis} == epcis
    response = client.get(reverse("public:results", args=[call.slug]))
    assert response.status_code == 200
    html = response.content.decode()
    for b in r.beneficiaries:
        assert f'data-code="{b.code}"><title>' in html, b.name
