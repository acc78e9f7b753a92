"""manage.py import_ds against the fake DS server (tests/ds/fake_ds.py)."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from guichet import clock
from guichet.dossiers import services
from guichet.dossiers.models import Dossier, EventKind, PieceKind
from guichet.ds import locks
from guichet.ds import mapping as mapping_module
from guichet.ds.models import ImportedDossier, ImportState
from guichet.review.models import Assignment
from guichet.rules.money import format_euros
from tests.dossiers.factories import REAL_CALL, png_upload, reviewer

from .conftest import DEMARCHE
from .fake_ds import FakeDossier

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2021, 6, 10, 8, 0, tzinfo=dt.UTC)


def run_import(*extra: str, page_size: int = 2) -> tuple[int, dict | None, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        with clock.frozen(NOW):
            call_command(
                "import_ds", "--demarche", str(DEMARCHE), "--call", REAL_CALL,
                "--page-size", str(page_size), *extra, stdout=out, stderr=err,
            )  # fmt: skip
    except SystemExit as exc:
        code = int(exc.code or 0)
    text = out.getvalue()
    data = json.loads(text) if "--json" in extra and text.strip() else None
    return code, data, text, err.getvalue()


def errors_by_number(data: dict) -> dict:
    return {e["dossier"]: e["message"] for e in data["errors"]}


def test_first_import_creates_each_dossier_submitted_routed_and_said_from_ds(fake_ds):
    code, data, _, _ = run_import("--json")
    assert code == 0
    assert set(data) == {"created", "updated", "unchanged", "deactivated", "errors"}
    assert (data["created"], data["updated"], data["unchanged"], data["deactivated"]) == (
        3,
        0,
        0,
        0,
    )
    errors = errors_by_number(data)
    assert set(errors) == {103, 104, 106}
    assert "« douze mille »" in errors[103] and "« Coût total du projet (HT) »" in errors[103]
    assert "99999" in errors[104]
    assert errors[106] == "champ absent du dossier : « Coût total du projet (HT) »."

    link = ImportedDossier.objects.select_related("dossier").get(ds_number=101)
    dossier = link.dossier
    assert dossier.state == "submitted" and dossier.number.startswith("63-2021-")
    assert (dossier.applicant_kind, dossier.applicant_code, dossier.applicant_name) == (
        "commune",
        "63040",
        "Billom",
    )
    assert dossier.title == "Projet numérique n° 101"
    assert dossier.category == "2"
    assert dossier.total_cost == Decimal("12000.00")
    assert dossier.requested_amount == Decimal("5000.00")
    assert dossier.engagement_date == dt.date(2021, 9, 1)
    assert dossier.contact_email == "contact101@mairie.example.fr"
    assert dossier.submitted_at == dt.datetime(2021, 6, 1, 9, 0, tzinfo=dt.UTC)
    assert dossier.session.date == dt.date(2021, 6, 7)
    assert dossier.eligible_at_submission is True
    assert dossier.maximum_amount == Decimal("5000.00")  # Billom: under 5 000 inhabitants
    assert dossier.arrondissement_code == "632"
    assert Assignment.objects.get(dossier=dossier).arrondissement_code == "632"
    assert not dossier.memberships.exists()
    [piece] = dossier.attachments.all()
    assert (piece.kind, piece.original_name, piece.mime_type) == (
        PieceKind.QUOTE,
        "devis-101.pdf",
        "application/pdf",
    )
    summaries = list(dossier.events.values_list("summary", flat=True))
    assert "Dossier importé de Démarches Simplifiées (dossier n° 101)" in summaries
    assert any(
        s.startswith("Dossier déposé sur Démarches Simplifiées (dossier n° 101)") for s in summaries
    )
    ambert = ImportedDossier.objects.get(ds_number=102).dossier
    assert ambert.arrondissement_code == "631" and ambert.state == "submitted"
    assert "Sur Démarches Simplifiées : dossier en instruction" in ambert.events.values_list(
        "summary", flat=True
    )
    accepted = ImportedDossier.objects.get(ds_number=105).dossier
    assert accepted.state == "submitted"
    decision = accepted.events.get(
        summary__startswith="Sur Démarches Simplifiées : dossier accepté"
    )
    assert decision.message == "Projet complet."
    message = accepted.events.get(kind=EventKind.MESSAGE)
    assert message.message == "Pouvez-vous joindre le devis signé ?"
    assert message.actor_label == "instructeur@ds.example.fr"
    # Three pages of two, then each deleted stream: the cursor was kept after every page.
    queries = [r["variables"] for r in fake_ds.requests]
    assert [q.get("first") for q in queries] == [None, 2, 2, 2, 2, 2]
    assert [q.get("after") is None for q in queries[1:4]] == [True, False, False]


def test_a_second_run_changes_nothing_and_duplicates_nothing(fake_ds):
    run_import("--json")
    code, data, _, _ = run_import("--json")
    assert code == 0
    # Only what changed since the latest change read is asked for again (updatedSince).
    assert data["created"] == 0 and data["updated"] == 0
    assert data["unchanged"] == 3
    assert Dossier.objects.filter(ds_import__isnull=False).count() == 3
    assert ImportedDossier.objects.count() == 3


def test_a_dossier_changed_on_ds_is_updated_with_its_history(fake_ds):
    run_import("--json")
    ds = fake_ds.dossiers[101]
    for champ in ds.champs:
        if champ["label"] == "Coût total du projet (HT)":
            champ["stringValue"] = "15000"
        if champ["label"] == "Intitulé du projet":
            champ["stringValue"] = "Portail numérique"
    ds.updated = dt.datetime(2021, 6, 3, 9, 0, tzinfo=dt.UTC)
    code, data, _, _ = run_import("--json")
    assert code == 0 and data["updated"] == 1 and data["created"] == 0
    dossier = ImportedDossier.objects.get(ds_number=101).dossier
    assert dossier.title == "Portail numérique"
    assert dossier.total_cost == Decimal("15000.00")
    event = dossier.events.get(kind=EventKind.EDITED)
    assert event.summary == "Dossier modifié sur Démarches Simplifiées (dossier n° 101)"
    assert event.changes["Intitulé du projet"] == ["Projet numérique n° 101", "Portail numérique"]
    assert event.changes["Coût total du projet (HT)"][1] == format_euros(Decimal("15000"))
    last = fake_ds.requests[-3]["variables"]  # the dossiers page of the second run
    # The failing 103, the oldest change (08:00), held the mark back, less the margin.
    assert last["updatedSince"] == "2021-06-01T07:55:00+00:00"


def test_a_fixed_dossier_is_created_on_the_next_run(fake_ds):
    run_import("--json")
    ds = fake_ds.dossiers[103]
    for champ in ds.champs:
        if champ["label"] == "Coût total du projet (HT)":
            champ["stringValue"] = "12 000,00"
    _code, data, _, _ = run_import("--json")
    # The failed dossier kept the high-water mark back: it is read again without being modified.
    assert data["created"] == 1
    assert 103 not in errors_by_number(data)


def test_deleted_and_pending_deleted_dossiers_are_withdrawn_never_deleted(fake_ds):
    run_import("--json")
    fake_ds.dossiers[101].deleted = dt.datetime(2021, 6, 5, tzinfo=dt.UTC)
    fake_ds.dossiers[102].pending_deleted = dt.datetime(2021, 6, 5, tzinfo=dt.UTC)
    code, data, _, _ = run_import("--json")
    assert code == 0 and data["deactivated"] == 2
    deleted = ImportedDossier.objects.get(ds_number=101)
    assert deleted.deactivated_at is not None and deleted.dossier.state == "withdrawn"
    line = deleted.dossier.events.get(action="withdraw")
    assert line.summary == "Dossier supprimé sur Démarches Simplifiées (dossier n° 101) : retiré"
    assert line.message == "Motif sur Démarches Simplifiées : à la demande de l’usager."
    pending = ImportedDossier.objects.get(ds_number=102).dossier
    assert pending.state == "withdrawn"
    # Read again: the deleted streams' cursors moved on, nothing counted twice.
    _, again, _, _ = run_import("--json")
    assert again["deactivated"] == 0
    assert Dossier.objects.filter(ds_import__isnull=False).count() == 3


@pytest.mark.parametrize("failure", ["500", "drop", "graphql"])
def test_a_network_failure_mid_run_stops_then_a_rerun_completes_without_duplicate(fake_ds, failure):
    fake_ds.fail_at, fake_ds.failure = 3, failure  # the descriptors, the first page, then…
    code, data, _text, err = run_import("--json")
    assert code == 1
    assert "Démarches Simplifiées" in err
    assert data["created"] == 2  # the first page: 101 and 102
    assert data["errors"][-1]["dossier"] is None  # the failure itself, last
    state = ImportState.objects.get(demarche_number=DEMARCHE)
    assert state.dossiers_cursor  # the first page's end
    fake_ds.fail_at = None
    code, data, _, _ = run_import("--json")
    assert code == 0
    assert (data["created"], data["unchanged"]) == (1, 0)  # 105; 101 and 102 are not read again
    assert ImportedDossier.objects.count() == 3
    assert ImportState.objects.get(pk=state.pk).dossiers_cursor == ""
    # The re-run resumed after the first page, with the interrupted run's updatedSince (none).
    resumed = next(r["variables"] for r in fake_ds.requests[3:] if "after" in r["variables"])
    assert resumed["after"] == state.dossiers_cursor and "updatedSince" not in resumed


def test_a_second_import_while_one_holds_the_lock_is_refused(fake_ds):
    with clock.frozen(NOW):
        token = locks.acquire(DEMARCHE)
    code, _, _, err = run_import("--json")
    assert code == 1
    assert "Un import de la démarche 4242 est déjà en cours" in err
    assert not ImportedDossier.objects.exists()
    with clock.frozen(NOW):
        locks.release(DEMARCHE, token)
    assert run_import("--json")[0] == 0


def test_an_expired_lease_is_taken_over(fake_ds):
    with clock.frozen(NOW - locks.LEASE - dt.timedelta(seconds=1)):
        locks.acquire(DEMARCHE)
    assert run_import("--json")[0] == 0


def test_human_output_is_french(fake_ds):
    code, _, text, _ = run_import()
    assert code == 0
    assert "3 dossier(s) créé(s), 0 mis à jour, 0 inchangé(s), 0 retiré(s)." in text
    assert "Dossier DS n° 106 : champ absent du dossier : « Coût total du projet (HT) »." in text


def test_bad_arguments_exit_2_in_french(fake_ds, tmp_path, monkeypatch):
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("import_ds", "--demarche", "1", "--call", "inconnu", stdout=out, stderr=err)
    assert exc.value.code == 2 and "Appel à projets inconnu : « inconnu »." in err.getvalue()
    bad = tmp_path / "m.yaml"
    bad.write_text("collectivity: {label: Commune}\ncost: {label: Coût}\ncouleur: {label: X}\n")
    code, _, _, err_text = run_import("--mapping", str(bad))
    assert code == 2 and "clé « couleur »" in err_text
    code, _, _, err_text = run_import("--mapping", str(tmp_path / "absent.yaml"))
    assert code == 2 and "illisible" in err_text
    monkeypatch.delenv("DS_API_TOKEN")
    code, _, _, err_text = run_import()
    assert code == 2 and "DS_API_TOKEN est obligatoire" in err_text


def test_a_refused_token_exits_1(fake_ds, monkeypatch):
    monkeypatch.setenv("DS_API_TOKEN", "mauvais")
    code, _, _, err = run_import()
    assert code == 1 and "refuse le jeton" in err


def test_a_piece_that_fails_the_checks_is_an_error_for_its_dossier(fake_ds):
    fake_ds.add(FakeDossier(107, []))
    from .conftest import form

    champs = form(fake_ds, 107)
    champs[-1]["files"][0]["url"] = fake_ds.file_url("faux.pdf", b"%PDF-1.4 pas un vrai PDF")
    fake_ds.dossiers[107].champs = champs
    _, data, _, _ = run_import("--json")
    message = errors_by_number(data)[107]
    assert message.startswith("pièce « devis-107.pdf » refusée :") and "PDF valide" in message
    assert not ImportedDossier.objects.filter(ds_number=107).exists()


def test_a_mapped_champ_the_demarche_lacks_is_reported_by_its_label(fake_ds, tmp_path):
    shipped = (mapping_module.DEFAULT_MAPPING).read_text(encoding="utf-8")
    custom = tmp_path / "m.yaml"
    custom.write_text(shipped.replace('"Résumé du projet"', '"Résumé succinct"'), encoding="utf-8")
    code, data, _, _ = run_import("--json", "--mapping", str(custom))
    assert code == 0
    general = [e["message"] for e in data["errors"] if e["dossier"] is None]
    assert general == [
        "La démarche 4242 n’a pas de champ « Résumé succinct » (clé « summary » de la "
        "correspondance) dans sa révision publiée."
    ]
    assert "« Résumé succinct »" in errors_by_number(data)[101]


def test_a_state_change_and_a_new_message_on_ds_are_history_lines(fake_ds):
    run_import("--json")
    ds = fake_ds.dossiers[101]
    ds.state, ds.motivation = "refuse", "Hors délai."
    ds.messages = [{"id": "M9", "body": "Votre dossier est refusé.", "email": "i@ds.example.fr",
                    "createdAt": "2021-06-04T08:00:00+00:00", "attachments": []}]  # fmt: skip
    ds.updated = dt.datetime(2021, 6, 4, 8, 0, tzinfo=dt.UTC)
    _, data, _, _ = run_import("--json")
    assert data["updated"] == 1
    dossier = ImportedDossier.objects.get(ds_number=101).dossier
    assert dossier.state == "submitted"  # guichet's committee decides
    line = dossier.events.get(summary__startswith="Sur Démarches Simplifiées : dossier refusé")
    assert line.message == "Hors délai."
    assert dossier.events.filter(kind=EventKind.MESSAGE).count() == 1
    _, again, _, _ = run_import("--json")
    assert again["updated"] == 0
    assert dossier.events.filter(kind=EventKind.MESSAGE).count() == 1


def test_a_change_on_ds_after_guichet_s_review_started_is_reported_not_applied(fake_ds):
    run_import("--json")
    dossier = ImportedDossier.objects.get(ds_number=101).dossier
    with clock.frozen(NOW):
        services.start_review(dossier, reviewer())
    ds = fake_ds.dossiers[101]
    ds.champs[1]["stringValue"] = "Autre intitulé"
    ds.updated = dt.datetime(2021, 6, 4, tzinfo=dt.UTC)
    _, data, _, _ = run_import("--json")
    assert "« En instruction » dans guichet : changements non repris" in errors_by_number(data)[101]
    dossier.refresh_from_db()
    assert dossier.title == "Projet numérique n° 101"


def test_a_piece_replaced_on_ds_replaces_the_attachment(fake_ds):
    run_import("--json")
    ds = fake_ds.dossiers[101]
    other = png_upload("devis-v2.png").read()
    ds.champs[-1]["files"] = [{**ds.champs[-1]["files"][0], "filename": "devis-v2.png",
                               "url": fake_ds.file_url("devis-v2.png", other), "checksum": "v2"}]  # fmt: skip
    ds.updated = dt.datetime(2021, 6, 4, tzinfo=dt.UTC)
    _, data, _, _ = run_import("--json")
    assert data["updated"] == 1
    dossier = ImportedDossier.objects.get(ds_number=101).dossier
    assert [a.original_name for a in dossier.attachments.all()] == ["devis-v2.png"]
    edit = dossier.events.get(kind=EventKind.EDITED)
    assert edit.changes["Pièce « Devis signé ou contrat »"] == ["devis-101.pdf", "devis-v2.png"]


def test_a_deposit_after_the_last_collection_session_is_an_error(fake_ds):
    ds = fake_ds.dossiers[101]
    ds.deposited = ds.updated = dt.datetime(2021, 7, 8, 9, 0, tzinfo=dt.UTC)
    _, data, _, _ = run_import("--json")
    assert errors_by_number(data)[101].startswith("dépôt refusé : Aucune session de relevé")
    assert not ImportedDossier.objects.filter(ds_number=101).exists()


def test_a_late_deposit_is_imported_with_its_verdict(fake_ds):
    ds = fake_ds.dossiers[101]
    ds.deposited = dt.datetime(2021, 7, 1, 9, 0, tzinfo=dt.UTC)  # after the 30 June deadline
    run_import("--json")
    dossier = ImportedDossier.objects.get(ds_number=101).dossier
    assert dossier.state == "submitted" and dossier.eligible_at_submission is False
    assert dossier.session.date == dt.date(2021, 7, 7)


def test_the_lock_is_released_after_a_failure(fake_ds):
    fake_ds.fail_at = 1
    assert run_import("--json")[0] == 1
    fake_ds.fail_at = None
    assert run_import("--json")[0] == 0


def test_a_lost_lease_stops_the_import(fake_ds, monkeypatch):
    def steal(demarche, token, **kwargs):
        raise locks.LockLost(
            "Le verrou de la démarche 4242 a expiré et un autre import l’a pris : cet import s’arrête."
        )

    monkeypatch.setattr(locks, "renew", steal)
    code, _, _, err = run_import("--json")
    assert code == 1 and "a expiré" in err


def test_a_dossier_deleted_on_ds_once_before_the_committee_is_reported_not_withdrawn(fake_ds):
    run_import("--json")
    dossier = ImportedDossier.objects.get(ds_number=101).dossier
    Dossier.objects.filter(pk=dossier.pk).update(state="proposed")
    fake_ds.dossiers[101].deleted = dt.datetime(2021, 6, 5, tzinfo=dt.UTC)
    _, data, _, _ = run_import("--json")
    assert data["deactivated"] == 0
    assert "« Proposé au comité » dans guichet : il n’est pas retiré" in errors_by_number(data)[101]
    dossier.refresh_from_db()
    assert dossier.state == "proposed"


def test_the_admin_reads_the_import_s_state_and_links(fake_ds, admin_client):
    run_import("--json")
    for model in ("importeddossier", "importstate", "demarchelock"):
        response = admin_client.get(f"/admin/ds/{model}/")
        assert response.status_code == 200
    page = admin_client.get("/admin/ds/importeddossier/", {"q": "105"}).content.decode()
    assert ImportedDossier.objects.get(ds_number=105).dossier.number in page


def test_a_next_page_without_a_new_cursor_stops_the_import(fake_ds, monkeypatch):
    original = fake_ds._dossiers

    def stuck(info, **kwargs):
        page = original(info, **kwargs)
        page["pageInfo"]["hasNextPage"] = True
        page["pageInfo"]["endCursor"] = kwargs.get("after") or page["pageInfo"]["endCursor"]
        return page

    monkeypatch.setattr(fake_ds, "_dossiers", stuck)
    code, data, _, err = run_import("--json")
    assert code == 1 and "sans curseur nouveau" in err
    assert data["created"] == 2  # the first page, before the second repeated its cursor
