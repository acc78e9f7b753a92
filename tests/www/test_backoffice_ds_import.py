"""Dossiers imported from Démarches Simplifiées are listed and reviewed like the others."""

import pytest
from django.urls import reverse

from guichet import clock
from guichet.ds.models import ImportedDossier
from tests.dossiers.factories import REAL_CALL, reviewer
from tests.ds.conftest import fake_ds  # noqa: F401 (the fixture)
from tests.ds.test_import import NOW, run_import

pytestmark = pytest.mark.django_db


def test_imported_dossiers_are_in_their_arrondissement_s_list_and_can_be_reviewed(
    client,
    fake_ds,  # noqa: F811
):
    assert run_import("--json")[0] == 0
    billom = ImportedDossier.objects.get(ds_number=101).dossier
    ambert = ImportedDossier.objects.get(ds_number=102).dossier
    client.force_login(reviewer(arrondissements=("632",)))
    page = client.get(reverse("backoffice:dossiers"), {"appel": REAL_CALL}).content.decode()
    assert billom.number in page
    assert ambert.number not in page  # arrondissement 631: routed elsewhere
    assert client.get(reverse("backoffice:dossier", args=[ambert.uuid])).status_code == 404
    detail = client.get(reverse("backoffice:dossier", args=[billom.uuid])).content.decode()
    assert "Dossier importé de Démarches Simplifiées (dossier n° 101)" in detail
    with clock.frozen(NOW):
        response = client.post(reverse("backoffice:start-review", args=[billom.uuid]))
    assert response.status_code in (200, 302)
    billom.refresh_from_db()
    assert billom.state == "in_review"
