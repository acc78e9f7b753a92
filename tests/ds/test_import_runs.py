"""The import's marks, refusals, deletions and guards, run after run (tests/ds/fake_ds.py)."""

from __future__ import annotations

import datetime as dt
import types
from decimal import Decimal

import pytest

from guichet.calls.models import Call
from guichet.dossiers import services
from guichet.dossiers.models import Dossier, EventKind
from guichet.ds import client as client_module
from guichet.ds import importer
from guichet.ds.client import Client, DSError
from guichet.ds.models import DemarcheLock, ImportedDossier, ImportState
from tests.dossiers.factories import REAL_CALL, reviewer, siret_for

from .conftest import DEMARCHE, at
from .fake_ds import _key, iso
from .test_import import NOW, errors_by_number, run_import

pytestmark = pytest.mark.django_db


def only(fake, *numbers: int) -> None:
    """Keep only these DS dossiers (the ones that import cleanly)."""
    for number in list(fake.dossiers):
        if number not in numbers:
            del fake.dossiers[number]


def dossiers_requests(fake) -> list[dict]:
    return [r["variables"] for r in fake.requests if "DemarcheDossiers" in r["query"]]


def stream_requests(fake, name: str) -> list[dict]:
    return [r["variables"] for r in fake.requests if f"{name}(" in r["query"]]


def set_champ(ds, label: str, value: str) -> None:
    for champ in ds.champs:
        if champ["label"] == label:
            champ["stringValue"] = value
            champ["value"] = value


def imported(number: int) -> Dossier:
    return ImportedDossier.objects.get(ds_number=number).dossier


# ---------------------------------------------------------------- 1, 9: the mark


def test_a_change_on_ds_during_a_first_run_is_read_on_the_next(fake_ds, monkeypatch):
    only(fake_ds, 101, 102, 105)
    original = fake_ds._dossiers

    def while_reading(info, **kwargs):
        if kwargs.get("after"):  # the second page: 101, on the first, is edited meanwhile…
            ds = fake_ds.dossiers[101]
            set_champ(ds, "Intitulé du projet", "Changé pendant l’import")
            ds.updated = NOW + dt.timedelta(minutes=1)
            # … and 105, on this page, later still: the latest change read.
            fake_ds.dossiers[105].updated = NOW + dt.timedelta(minutes=2)
        return original(info, **kwargs)

    monkeypatch.setattr(fake_ds, "_dossiers", while_reading)
    assert run_import("--json")[0] == 0
    assert imported(101).title == "Projet numérique n° 101"
    monkeypatch.setattr(fake_ds, "_dossiers", original)
    _, data, _, _ = run_import("--json")
    # The mark is the first run's start (NOW), not 105's later change, less the margin.
    assert dossiers_requests(fake_ds)[-1]["updatedSince"] == "2021-06-10T07:55:00+00:00"
    assert data["updated"] == 1
    assert imported(101).title == "Changé pendant l’import"


def test_the_oldest_failing_dossier_holds_the_mark_exactly(fake_ds):
    run_import("--json")
    run_import("--json")
    first, second = dossiers_requests(fake_ds)[0], dossiers_requests(fake_ds)[3]
    assert "updatedSince" not in first and "after" not in first
    # 103 (08:00) failed, before every other dossier (09:00 to 13:00): the mark is its date.
    assert second == {"demarche": DEMARCHE, "first": 2, "updatedSince": "2021-06-01T07:55:00+00:00"}


def test_the_mark_moves_past_old_unchanged_dossiers(fake_ds):
    only(fake_ds, 101, 102, 105)
    run_import("--json")
    _, data, _, _ = run_import("--json")
    # The latest change read (105 at 12:00), not 101's (09:00): only 105 is read again.
    assert dossiers_requests(fake_ds)[2]["updatedSince"] == "2021-06-01T11:55:00+00:00"
    assert (data["created"], data["updated"], data["unchanged"]) == (0, 0, 1)
    run_import("--json")
    assert dossiers_requests(fake_ds)[3]["updatedSince"] == "2021-06-01T11:55:00+00:00"


def test_the_deleted_streams_resume_after_their_saved_cursor(fake_ds):
    run_import("--json")
    gone, pending = at(0, day=5), at(1, day=5)
    fake_ds.dossiers[101].deleted = gone
    fake_ds.dossiers[102].pending_deleted = pending
    run_import("--json")
    run_import("--json")
    deleted = stream_requests(fake_ds, "deletedDossiers")
    pendings = stream_requests(fake_ds, "pendingDeletedDossiers")
    assert [d.get("after") for d in deleted] == [None, None, _key((iso(gone), 101))]
    assert [p.get("after") for p in pendings] == [None, None, _key((iso(pending), 102))]
    state = ImportState.objects.get(demarche_number=DEMARCHE)
    assert state.deleted_cursor == _key((iso(gone), 101))


# ---------------------------------------------------------------- 2: a refused change


def test_a_refused_change_records_state_and_messages_and_is_reported_once(fake_ds):
    only(fake_ds, 101, 102, 105)
    run_import("--json")
    dossier = imported(101)
    services.start_review(dossier, reviewer())
    ds = fake_ds.dossiers[101]
    set_champ(ds, "Intitulé du projet", "Autre intitulé")
    ds.state = "en_instruction"
    ds.messages = [{"id": "M7", "body": "Bien reçu.", "email": "i@ds.example.fr",
                    "createdAt": "2021-06-04T08:00:00+00:00", "attachments": []}]  # fmt: skip
    ds.updated = at(0, day=4)
    fake_ds.dossiers[105].updated = at(0, day=5)
    _, data, _, _ = run_import("--json")
    assert "« En instruction » dans guichet : changements non repris" in errors_by_number(data)[101]
    dossier.refresh_from_db()
    assert dossier.title == "Projet numérique n° 101"
    line = dossier.events.get(
        summary__startswith="Modification sur Démarches Simplifiées non reprise"
    )
    assert line.changes == {"Intitulé du projet": ["Projet numérique n° 101", "Autre intitulé"]}
    assert dossier.events.filter(
        summary="Sur Démarches Simplifiées : dossier en instruction"
    ).exists()
    assert dossier.events.get(kind=EventKind.MESSAGE).message == "Bien reçu."
    # Reported once; it does not hold the mark back (105's change, the latest read, moves it).
    _, again, _, _ = run_import("--json")
    assert 101 not in errors_by_number(again)
    assert dossiers_requests(fake_ds)[-1]["updatedSince"] == "2021-06-04T23:55:00+00:00"
    ds.updated = at(0, day=6)  # read again, the same refused values: nothing more said
    _, third, _, _ = run_import("--json")
    assert 101 not in errors_by_number(third) and third["unchanged"] == 2  # 101 and 105
    assert dossier.events.filter(summary__startswith="Modification sur Démarches").count() == 1


# ---------------------------------------------------------------- 4, 7, 8: the values


def test_the_usager_s_address_survives_an_update(fake_ds):
    ds = fake_ds.dossiers[101]
    set_champ(ds, "Courriel du contact", "")
    run_import("--json")
    assert imported(101).contact_email == "mairie@example.fr"
    set_champ(ds, "Intitulé du projet", "Portail numérique")
    ds.updated = at(0, day=4)
    _, data, _, _ = run_import("--json")
    assert data["updated"] == 1
    dossier = imported(101)
    assert (dossier.title, dossier.contact_email) == ("Portail numérique", "mairie@example.fr")


def test_the_siret_falls_back_on_the_demandeur_s_when_it_is_the_collectivite_s(fake_ds):
    run_import("--json")
    assert imported(101).siret == "21630040000019"  # Billom's SIREN 216300400
    ambert = imported(102)  # the demandeur's SIRET is Billom's, not Ambert's
    assert ambert.siret == ""
    line = ambert.events.get(summary__startswith="Dossier déposé sur Démarches Simplifiées")
    assert line.summary.endswith(
        ", importé (le SIRET du demandeur (21630040000019) n’est pas celui de la collectivité : "
        "à demander au porteur)"
    )


def test_a_siret_given_in_guichet_survives_an_update_without_one_on_ds(fake_ds):
    run_import("--json")
    ambert = imported(102)
    Dossier.objects.filter(pk=ambert.pk).update(siret=siret_for(ambert))
    ds = fake_ds.dossiers[102]
    set_champ(ds, "Intitulé du projet", "Portail numérique")
    ds.updated = at(0, day=4)
    _, data, _, _ = run_import("--json")
    assert data["updated"] == 1
    ambert.refresh_from_db()
    assert (ambert.title, ambert.siret) == ("Portail numérique", siret_for(ambert))


@pytest.mark.parametrize(
    ("label", "value", "message"),
    [
        ("Coût total du projet (HT)", "0", "champ « Coût total du projet (HT) » : le coût du projet doit dépasser 0 €."),
        ("Coût total du projet (HT)", "10000000000", "champ « Coût total du projet (HT) » : « 10000000000 » dépasse"),
        ("Montant de la subvention demandée", "99 999 999 999", "champ « Montant de la subvention demandée » : « 99 999 999 999 » dépasse"),
    ],
)  # fmt: skip
def test_amounts_the_database_would_reject_are_refused_naming_the_champ(
    fake_ds, label, value, message
):
    set_champ(fake_ds.dossiers[101], label, value)
    _, data, _, _ = run_import("--json")
    assert errors_by_number(data)[101].startswith(message)
    assert not ImportedDossier.objects.filter(ds_number=101).exists()


def test_the_largest_amount_kept_is_imported(fake_ds):
    set_champ(fake_ds.dossiers[101], "Coût total du projet (HT)", "9999999999.99")
    run_import("--json")
    assert imported(101).total_cost == Decimal("9999999999.99")


# ---------------------------------------------------------------- 5: corrections made on DS


def test_a_correction_made_on_ds_sends_the_dossier_back_to_review(fake_ds, mailoutbox):
    run_import("--json")
    dossier = imported(101)
    agent = reviewer()
    services.request_correction(dossier, agent, "Précisez l’intitulé.")
    ds = fake_ds.dossiers[101]
    set_champ(ds, "Intitulé du projet", "Intitulé précisé")
    ds.updated = at(0, day=4)
    _, data, _, _ = run_import("--json")
    assert data["updated"] == 1
    dossier.refresh_from_db()
    assert (dossier.state, dossier.title) == ("in_review", "Intitulé précisé")
    line = dossier.events.get(action="resubmit")
    assert line.summary == "Dossier corrigé sur Démarches Simplifiées (dossier n° 101), renvoyé"
    assert line.actor_label == "Démarches Simplifiées"


# ---------------------------------------------------------------- 6, 13: deletions


def test_a_refused_deletion_is_reported_at_every_run_until_final(fake_ds):
    run_import("--json")
    dossier = imported(101)
    Dossier.objects.filter(pk=dossier.pk).update(state="proposed")
    fake_ds.dossiers[101].deleted = at(0, day=5)
    for _ in range(2):
        _, data, _, _ = run_import("--json")
        assert "il n’est pas retiré" in errors_by_number(data)[101]
    Dossier.objects.filter(pk=dossier.pk).update(state="refused")
    _, data, _, _ = run_import("--json")
    assert 101 not in errors_by_number(data) and data["deactivated"] == 0


def test_a_refused_deletion_is_withdrawn_once_the_state_allows(fake_ds):
    run_import("--json")
    dossier = imported(101)
    Dossier.objects.filter(pk=dossier.pk).update(state="proposed")
    fake_ds.dossiers[101].deleted = at(0, day=5)
    run_import("--json")
    Dossier.objects.filter(pk=dossier.pk).update(state="in_review")
    _, data, _, _ = run_import("--json")
    assert data["deactivated"] == 1
    dossier.refresh_from_db()
    assert dossier.state == "withdrawn"


def test_a_pending_deletion_restored_on_ds_is_said_once(fake_ds):
    run_import("--json")
    ds = fake_ds.dossiers[102]
    ds.pending_deleted = at(0, day=5)
    assert run_import("--json")[1]["deactivated"] == 1
    ds.pending_deleted, ds.updated = None, at(0, day=6)
    _, data, _, _ = run_import("--json")
    assert errors_by_number(data)[102] == "restauré sur DS, retiré dans guichet (il le reste)."
    dossier = imported(102)
    assert dossier.state == "withdrawn"
    assert dossier.events.filter(summary__startswith="Dossier restauré sur Démarches").count() == 1
    ds.updated = at(0, day=7)
    _, again, _, _ = run_import("--json")
    assert 102 not in errors_by_number(again)


def test_an_unexpected_error_on_one_deletion_leaves_the_others(fake_ds, monkeypatch):
    run_import("--json")
    fake_ds.dossiers[101].deleted = at(0, day=5)
    fake_ds.dossiers[102].deleted = at(1, day=5)
    original = services.withdraw_imported

    def flaky(dossier, **kwargs):
        if dossier.ds_import.ds_number == 101:
            raise ValueError("bug")
        return original(dossier, **kwargs)

    monkeypatch.setattr(services, "withdraw_imported", flaky)
    code, data, _, _ = run_import("--json")
    assert code == 0 and data["deactivated"] == 1
    assert "erreur inattendue (ValueError)" in errors_by_number(data)[101]
    assert imported(102).state == "withdrawn"


# ---------------------------------------------------------------- 3, 12: what DS answers


def test_an_error_about_one_node_reports_it_and_imports_the_others(fake_ds):
    only(fake_ds, 101, 102, 105)
    fake_ds.dossiers[102].broken = "Motivation indisponible"
    code, data, _, _ = run_import("--json")
    assert code == 0 and data["created"] == 2
    assert errors_by_number(data)[102] == (
        "Démarches Simplifiées n’a pas pu le donner : Motivation indisponible"
    )
    assert not ImportedDossier.objects.filter(ds_number=102).exists()
    run_import("--json")
    # 102 (10:00) holds the mark back.
    assert dossiers_requests(fake_ds)[-1]["updatedSince"] == "2021-06-01T09:55:00+00:00"
    fake_ds.dossiers[102].broken = None
    assert run_import("--json")[1]["created"] == 1


def test_an_error_outside_the_nodes_still_stops_the_import():
    body = {"data": {"demarche": {"dossiers": {"nodes": []}}},
            "errors": [{"message": "Timeout", "path": ["demarche", "dossiers", "pageInfo"]}]}  # fmt: skip
    with pytest.raises(DSError, match="a refusé la requête : Timeout"):
        Client._split(body, "dossiers")


def test_a_malformed_page_stops_the_import_in_french_with_the_json(fake_ds, monkeypatch):
    original = Client.execute_page

    def malformed(self, name, variables, key):
        data, errors = original(self, name, variables, key)
        data["demarche"][key]["pageInfo"] = "oui"
        return data, errors

    monkeypatch.setattr(Client, "execute_page", malformed)
    code, data, _, err = run_import("--json")
    assert code == 1
    assert "La réponse de DS sur la liste « dossiers » est malformée" in err
    assert data["errors"][-1]["message"].startswith("La réponse de DS sur la liste « dossiers »")


# ---------------------------------------------------------------- 14: one démarche, one call


def test_a_demarche_already_imported_into_another_call_is_refused(fake_ds):
    real = Call.objects.get(slug=REAL_CALL)
    other = Call.objects.exclude(pk=real.pk).first()
    assert other is not None
    ImportState.objects.create(demarche_number=DEMARCHE, call=other)
    code, _, _, err = run_import("--json")
    assert code == 2
    assert (
        f"La démarche {DEMARCHE} est déjà importée dans l’appel à projets « {other.slug} »" in err
    )
    assert not ImportedDossier.objects.exists()


# ---------------------------------------------------------------- 11: the pieces' addresses


@pytest.mark.parametrize(
    "url",
    [
        "http://files.example.fr/devis.pdf",
        "ftp://files.example.fr/devis.pdf",
        "https://10.0.0.1/devis.pdf",
        "https://127.0.0.1/devis.pdf",
        "https://[::1]/devis.pdf",
        "https://169.254.169.254/latest/meta-data",
        "http://127.0.0.1:8000/devis.pdf",
    ],
)
def test_a_public_api_fetches_only_https_public_addresses(url):
    client = Client("https://www.demarches-simplifiees.fr/api/v2/graphql", "t", None)  # type: ignore[arg-type]
    with pytest.raises(DSError, match="Adresse de fichier refusée"):
        client.check_file_url(url)


def test_a_public_address_is_allowed():
    client = Client("https://www.demarches-simplifiees.fr/api/v2/graphql", "t", None)  # type: ignore[arg-type]
    client.check_file_url("https://93.184.216.34/devis.pdf")


def test_a_local_api_allows_only_local_http():
    client = Client("http://127.0.0.1:8000/api/v2/graphql", "t", None)  # type: ignore[arg-type]
    client.check_file_url("http://127.0.0.1:9000/devis.pdf")
    client.check_file_url("http://localhost:9000/devis.pdf")
    with pytest.raises(DSError):
        client.check_file_url("http://10.0.0.1/devis.pdf")


@pytest.mark.parametrize(
    ("target", "refused"),
    [
        ("http://10.0.0.1/devis.pdf", "Adresse de fichier refusée"),
        ("file:///etc/passwd", "Adresse de fichier refusée"),
        ("/files/boucle.pdf", "plus de 3 redirections"),
    ],
)
def test_every_redirect_is_checked_again(fake_ds, target, refused):
    champ = fake_ds.dossiers[101].champs[-1]
    champ["files"][0]["url"] = f"{fake_ds.base}/files/boucle.pdf"
    fake_ds.redirects["boucle.pdf"] = target
    _, data, _, _ = run_import("--json")
    assert refused in errors_by_number(data)[101]


def test_a_redirect_to_an_allowed_address_is_followed(fake_ds):
    champ = fake_ds.dossiers[101].champs[-1]
    real = champ["files"][0]["url"]
    champ["files"][0]["url"] = f"{fake_ds.base}/files/ailleurs.pdf"
    fake_ds.redirects["ailleurs.pdf"] = real
    run_import("--json")
    assert [a.original_name for a in imported(101).attachments.all()] == ["devis-101.pdf"]


# ---------------------------------------------------------------- 10: the lease and the clock


def test_the_lease_is_checked_before_each_dossier(fake_ds, monkeypatch):
    original = importer._Importer._import
    seen: list[int] = []

    def then_stolen(self, node, number, updated_at):
        original(self, node, number, updated_at)
        seen.append(number)
        DemarcheLock.objects.filter(demarche_number=DEMARCHE).update(token="autre")

    monkeypatch.setattr(importer._Importer, "_import", then_stolen)
    code, data, _, err = run_import("--json")
    assert code == 1 and "a expiré" in err
    assert seen == [101] and data["created"] == 1  # 102, on the same page, not written


def test_a_download_past_its_deadline_is_refused(fake_ds, monkeypatch):
    ticks = iter(range(0, 10**6, 1000))
    monkeypatch.setattr(client_module, "time", types.SimpleNamespace(monotonic=lambda: next(ticks)))
    _, data, _, _ = run_import("--json")
    assert errors_by_number(data)[101] == (
        "pièce « devis-101.pdf » : Le fichier n’a pas pu être téléchargé : plus de 120 secondes."
    )
