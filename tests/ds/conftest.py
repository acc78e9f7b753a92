"""The fake DS server with the démarche the import tests read: six dossiers on three pages."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from tests.documents.samples import pdf_bytes

from .fake_ds import TOKEN, FakeDossier, FakeDS, commune, date, pieces, text

DEMARCHE = 4242


def at(hour: int, day: int = 1, minute: int = 0) -> dt.datetime:
    """A moment of June 2021 (UTC), when the fixture's dossiers were deposited and changed."""
    return dt.datetime(2021, 6, day, hour, minute, tzinfo=dt.UTC)


def form(fake: FakeDS, number: int, *, code: str = "63040", name: str = "Billom",
         cost: str = "12000", category: str = "Formation des agents au numérique",
         without: str = "") -> list[dict]:  # fmt: skip
    pdf = pdf_bytes()
    url = fake.file_url(f"devis-{number}.pdf", pdf)
    champs = [
        commune("Commune", code, name),
        text("Intitulé du projet", f"Projet numérique n° {number}"),
        text("Résumé du projet", "Former les agents au logiciel de gestion des actes."),
        text("Catégorie du projet", category),
        text("Coût total du projet (HT)", cost),
        text("Montant de la subvention demandée", "5000"),
        date("Date d'engagement du projet", "2021-09-01"),
        text("Courriel du contact", f"contact{number}@mairie.example.fr"),
        pieces(
            "Devis signé ou contrat", (f"devis-{number}.pdf", url, hashlib.md5(pdf).hexdigest())
        ),
    ]
    return [c for c in champs if c["label"] != without]


@pytest.fixture
def fake_ds(monkeypatch):
    fake = FakeDS(DEMARCHE).start()
    monkeypatch.setenv("DS_API_URL", fake.url)
    monkeypatch.setenv("DS_API_TOKEN", TOKEN)
    fake.form = form(fake, 100)
    # Distinct modification dates, the failing 103 the oldest: the mark tests read them exactly.
    fake.add(FakeDossier(101, form(fake, 101), updated=at(9)))
    fake.add(
        FakeDossier(
            102,
            form(fake, 102, code="63003", name="Ambert"),
            state="en_instruction",
            updated=at(10),
        )
    )
    fake.add(FakeDossier(103, form(fake, 103, cost="douze mille"), deposited=at(7), updated=at(8)))
    fake.add(FakeDossier(104, form(fake, 104, code="99999", name="Nulle-Part"), updated=at(11)))
    fake.add(
        FakeDossier(
            105, form(fake, 105), state="accepte", motivation="Projet complet.", updated=at(12),
            messages=[{"id": "M1", "body": "Pouvez-vous joindre le devis signé ?",
                       "createdAt": "2021-06-02T08:00:00+00:00", "email": "instructeur@ds.example.fr",
                       "attachments": []}],
        )
    )  # fmt: skip
    fake.add(FakeDossier(106, form(fake, 106, without="Coût total du projet (HT)"), updated=at(13)))
    yield fake
    fake.stop()
