"""Load the shipped reference files (``data/<vintage>/``) into the database.

Loading a vintage replaces all of its rows inside one transaction: running it twice gives the
same rows. The files are built by ``scripts/build_reference_data.py``.
"""

from __future__ import annotations

import csv
import gzip
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from .models import (
    Arrondissement,
    Commune,
    CommunePostcode,
    Departement,
    Epci,
    Region,
)
from .text import normalize_name

DATA_DIR = Path(__file__).resolve().parent / "data"
BATCH_SIZE = 2000


class LoadError(Exception):
    pass


@dataclass(frozen=True)
class LoadResult:
    vintage: str
    source_version: str
    counts: dict[str, int]


def shipped_vintages(data_dir: Path = DATA_DIR) -> list[str]:
    return sorted(p.parent.name for p in data_dir.glob("*/SOURCE.json"))


def _rows(folder: Path, stem: str) -> Iterator[dict[str, str]]:
    plain, packed = folder / f"{stem}.csv", folder / f"{stem}.csv.gz"
    if plain.is_file():
        with plain.open(encoding="utf-8", newline="") as f:
            yield from csv.DictReader(f)
    elif packed.is_file():
        with gzip.open(packed, "rt", encoding="utf-8", newline="") as f:
            yield from csv.DictReader(f)
    else:
        raise LoadError(f"Fichier {stem}.csv introuvable dans {folder}.")


def _int(value: str) -> int | None:
    return int(value) if value else None


def _delete_vintage(vintage: str) -> None:
    # Children first: the foreign keys are DO_NOTHING, so every delete below is one query.
    for model in (CommunePostcode, Commune, Epci, Arrondissement):
        model.objects.filter(vintage=vintage).delete()
    Departement.objects.filter(vintage=vintage).delete()
    Region.objects.filter(vintage=vintage).delete()


def load_vintage(vintage: str, data_dir: Path = DATA_DIR) -> LoadResult:
    folder = data_dir / vintage
    source_file = folder / "SOURCE.json"
    if not source_file.is_file():
        known = ", ".join(shipped_vintages(data_dir)) or "aucun"
        raise LoadError(f"Millésime {vintage} absent de {data_dir} (disponibles : {known}).")
    source = json.loads(source_file.read_text(encoding="utf-8"))

    communes = [
        Commune(
            vintage=vintage,
            insee_code=r["insee_code"],
            name=r["name"],
            search_name=normalize_name(r["name"]),
            siren=r["siren"],
            postcodes=r["postcodes"],
            population=_int(r["population"]),
            arrondissement_code=r["arrondissement_code"],
            departement_code=r["departement_code"],
            region_code=r["region_code"],
            epci_siren=r["epci_siren"],
        )
        for r in _rows(folder, "communes")
    ]
    commune_by_code = {c.insee_code: c for c in communes}

    dept_pop: dict[str, int] = defaultdict(int)
    region_pop: dict[str, int] = defaultdict(int)
    for c in communes:
        if c.population is not None:
            if c.departement_code:
                dept_pop[c.departement_code] += c.population
            if c.region_code:
                region_pop[c.region_code] += c.population

    regions = [
        Region(
            vintage=vintage,
            code=r["code"],
            name=r["name"],
            search_name=normalize_name(r["name"]),
            population=region_pop.get(r["code"]),
        )
        for r in _rows(folder, "regions")
    ]
    departements = [
        Departement(
            vintage=vintage,
            code=r["code"],
            name=r["name"],
            search_name=normalize_name(r["name"]),
            region_code=r["region_code"],
            population=dept_pop.get(r["code"]),
        )
        for r in _rows(folder, "departements")
    ]
    arrondissements = [
        Arrondissement(
            vintage=vintage,
            code=r["code"],
            name=r["name"],
            departement_code=r["departement_code"],
        )
        for r in _rows(folder, "arrondissements")
    ]
    epcis = []
    for r in _rows(folder, "epci"):
        seat = commune_by_code.get(r["seat_insee"])
        epcis.append(
            Epci(
                vintage=vintage,
                siren=r["siren"],
                name=r["name"],
                search_name=normalize_name(r["name"]),
                epci_type=r["epci_type"],
                financing_mode=r["financing_mode"],
                population=_int(r["population"]),
                departements=r["departements"],
                seat_insee=r["seat_insee"],
                departement_code=seat.departement_code if seat else "",
            )
        )

    epci_sirens = {e.siren for e in epcis}
    for c in communes:
        if c.epci_siren and c.epci_siren not in epci_sirens:
            raise LoadError(f"Commune {c.insee_code} : EPCI {c.epci_siren} inconnu.")

    with transaction.atomic():
        _delete_vintage(vintage)
        Region.objects.bulk_create(regions, batch_size=BATCH_SIZE)
        Departement.objects.bulk_create(departements, batch_size=BATCH_SIZE)
        Arrondissement.objects.bulk_create(arrondissements, batch_size=BATCH_SIZE)
        Epci.objects.bulk_create(epcis, batch_size=BATCH_SIZE)
        # Not every backend returns primary keys from bulk inserts: read them back.
        epci_ids = dict(Epci.objects.filter(vintage=vintage).values_list("siren", "id"))
        for c in communes:
            c.epci_id = epci_ids.get(c.epci_siren)
        Commune.objects.bulk_create(communes, batch_size=BATCH_SIZE)
        commune_ids = dict(Commune.objects.filter(vintage=vintage).values_list("insee_code", "id"))
        postcodes = [
            CommunePostcode(vintage=vintage, postcode=p, commune_id=commune_ids[c.insee_code])
            for c in communes
            for p in dict.fromkeys(c.postcode_list)
        ]
        CommunePostcode.objects.bulk_create(postcodes, batch_size=BATCH_SIZE)

    return LoadResult(
        vintage=vintage,
        source_version=str(source.get("version", "")),
        counts={
            "régions": len(regions),
            "départements": len(departements),
            "arrondissements": len(arrondissements),
            "communes": len(communes),
            "EPCI": len(epcis),
            "codes postaux": len(postcodes),
            "communes membres d'un EPCI": sum(1 for c in communes if c.epci_siren),
        },
    )
