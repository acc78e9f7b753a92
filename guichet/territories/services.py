"""Looking collectivités up in the reference data: type-ahead search and Applicant building."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Case,
    Exists,
    F,
    IntegerField,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from guichet.rules.applicant import Applicant, ApplicantKind

from .models import METROPOLE_TYPES, Commune, CommunePostcode, Departement, Epci, EpciType, Region
from .text import normalize_name


class UnknownCollectivity(LookupError):
    """No collectivité of that kind and code in that vintage; ``str()`` is a French message."""

    def __init__(self, kind: str, code: str, vintage: str) -> None:
        self.kind, self.code, self.vintage = kind, code, vintage
        what = {
            "commune": f"Aucune commune de code INSEE {code}",
            "epci": f"Aucun EPCI de SIREN {code}",
            "metropole": f"Aucune métropole de SIREN {code}",
            "departement": f"Aucun département de code {code}",
            "region": f"Aucune région de code {code}",
        }.get(kind, f"Aucune collectivité « {kind} » de code {code}")
        super().__init__(f"{what} dans le référentiel {vintage}.")


# --------------------------------------------------------------------------------------------
# Search


@dataclass(frozen=True)
class SearchResult:
    kind: str  # "commune" | "epci" | "metropole" | "departement" | "region"
    code: str  # INSEE code (commune), SIREN (EPCI), code (département, région)
    name: str
    label: str  # "Chamalières (63) — commune, 17 276 hab."
    population: int | None
    departement_code: str  # own (commune, département), seat's (EPCI, approximate), "" (région)


NNBSP = "\u202f"  # French thousands separator (narrow no-break space)

_INSEE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
_POSTCODE = re.compile(r"^\d{5}$")
_SIREN = re.compile(r"^\d{9}$")
_DEPARTEMENT = re.compile(r"^(\d{2,3}|2[AB])$")
_REGION = re.compile(r"^\d{2,3}$")

# Sort key pieces. Tiers: identifier (INSEE, SIREN, code), postcode, exact name, name prefix,
# word prefix, substring.
_CODE, _POSTCODE_TIER, _EXACT, _PREFIX, _WORD, _CONTAINS = -2, -1, 0, 1, 2, 3
# At the same tier: régions and départements (few, unambiguous) come first, then communes
# (most applicants), then groupings, whose names often start with their main commune's name.
_KIND_RANK = {"region": 0, "departement": 1, "commune": 2, "metropole": 3, "epci": 3}


def format_population(n: int) -> str:
    return f"{n:,}".replace(",", NNBSP)


def _label(name: str, where: str, kind_label: str, population: int | None) -> str:
    place = f" ({where})" if where else ""
    pop = f", {format_population(population)} hab." if population is not None else ""
    return f"{name}{place} — {kind_label}{pop}"


def _commune_result(row: dict[str, Any]) -> SearchResult:
    return SearchResult(
        kind="commune",
        code=row["insee_code"],
        name=row["name"],
        label=_label(row["name"], row["departement_code"], "commune", row["population"]),
        population=row["population"],
        departement_code=row["departement_code"],
    )


def _epci_result(row: dict[str, Any]) -> SearchResult:
    kind = "metropole" if row["epci_type"] in METROPOLE_TYPES else "epci"
    where = ", ".join(d for d in row["departements"].split(";") if d)
    kind_label = EpciType(row["epci_type"]).label if row["epci_type"] in EpciType else "EPCI"
    return SearchResult(
        kind=kind,
        code=row["siren"],
        name=row["name"],
        label=_label(row["name"], where, kind_label, row["population"]),
        population=row["population"],
        departement_code=row["departement_code"],
    )


def _departement_result(row: dict[str, Any]) -> SearchResult:
    return SearchResult(
        kind="departement",
        code=row["code"],
        name=row["name"],
        label=_label(row["name"], row["code"], "département", row["population"]),
        population=row["population"],
        departement_code=row["code"],
    )


def _region_result(row: dict[str, Any]) -> SearchResult:
    return SearchResult(
        kind="region",
        code=row["code"],
        name=row["name"],
        label=_label(row["name"], "", "région", row["population"]),
        population=row["population"],
        departement_code="",
    )


_COMMUNE_FIELDS = ("insee_code", "name", "population", "departement_code")
_EPCI_FIELDS = ("siren", "name", "epci_type", "population", "departements", "departement_code")
_AREA_FIELDS = ("code", "name", "population")

_Scored = tuple[tuple[Any, ...], SearchResult]


def _key(pref: int, tier: int, result: SearchResult) -> tuple[Any, ...]:
    pop = result.population if result.population is not None else -1
    return (pref, tier, _KIND_RANK[result.kind], -pop, result.name, result.code)


def _preferred(model: type[Model], departements: frozenset[str]) -> Case | Value:
    """0 for rows located in one of the preferred départements, 1 otherwise."""
    if not departements:
        return Value(1)
    if model is Commune:
        condition = Q(departement_code__in=departements)
    elif model is Epci:
        condition = Q()
        for d in departements:
            condition |= (
                Q(departements=d)
                | Q(departements__startswith=f"{d};")
                | Q(departements__endswith=f";{d}")
                | Q(departements__contains=f";{d};")
            )
    elif model is Departement:
        condition = Q(code__in=departements)
    else:
        vintage_depts = Departement.objects.filter(
            vintage=OuterRef("vintage"), region_code=OuterRef("code"), code__in=departements
        )
        condition = Q(Exists(vintage_depts))
    return Case(When(condition, then=Value(0)), default=Value(1), output_field=IntegerField())


def _name_matches(
    model: type[Model], vintage: str, needle: str, limit: int, departements: frozenset[str]
) -> QuerySet[Any]:
    """One query: rows whose search_name matches, best first, at most ``limit``."""
    if len(needle) < 2:  # a single letter: prefixes only, the substring would match everything
        match = Q(search_name__startswith=needle)
    else:
        match = Q(search_name__contains=needle)
    tier = Case(
        When(search_name=needle, then=Value(_EXACT)),
        When(search_name__startswith=needle, then=Value(_PREFIX)),
        When(search_name__contains=f" {needle}", then=Value(_WORD)),
        default=Value(_CONTAINS),
        output_field=IntegerField(),
    )
    return (
        model._default_manager.filter(match, vintage=vintage)  # type: ignore[attr-defined]
        .annotate(pref=_preferred(model, departements), tier=tier, pop=Coalesce("population", -1))
        .order_by("pref", "tier", F("pop").desc(), "name")
    )[:limit]


def _with_pref(qs: QuerySet[Any], model: type[Model], departements: frozenset[str]) -> Any:
    return qs.annotate(pref=_preferred(model, departements))


def search(
    query: str,
    vintage: str,
    limit: int = 10,
    *,
    departements: Iterable[str] | None = None,
) -> list[SearchResult]:
    """Find communes, EPCI, départements and régions of ``vintage`` matching ``query``.

    ``query`` is a name (accents, case, hyphens and apostrophes do not matter), an INSEE code
    ("63113", "2A004"), a postcode ("63000"), a SIREN ("216300756") or a département code
    ("63"). Identifier matches come first (an INSEE code before the same postcode), then exact
    names, then names starting with the query, then names with a word starting with it, then
    names containing it; ties go to régions/départements, then communes, then EPCI, then by
    population (largest first).

    ``departements``: optional codes (e.g. a call's territory, ``["63"]``) whose collectivités
    are ranked before all others. Without it, "Clermont" ranks the communes named exactly
    Clermont (Oise, Landes, …) before Clermont-Ferrand.

    At most 4 queries whatever the data: identifiers are looked up through indexes; a name
    costs one query per searched table (régions, départements, communes, EPCI).
    """
    text = query.strip()
    if not text or limit <= 0:
        return []
    prefs = frozenset(departements or ())
    scored: list[_Scored] = []

    code = re.sub(r"\s+", "", text).upper()
    if _INSEE.match(code) or _POSTCODE.match(code):
        by_postcode = CommunePostcode.objects.filter(vintage=vintage, postcode=code)
        rows = _with_pref(
            Commune.objects.filter(
                Q(insee_code=code) | Q(id__in=by_postcode.values("commune_id")), vintage=vintage
            ),
            Commune,
            prefs,
        ).values(*_COMMUNE_FIELDS, "pref")[: limit * 4]
        for row in rows:
            tier = _CODE if row["insee_code"] == code else _POSTCODE_TIER
            scored.append(((row["pref"], tier), _commune_result(row)))
    if _SIREN.match(code):
        for row in _with_pref(
            Commune.objects.filter(vintage=vintage, siren=code), Commune, prefs
        ).values(*_COMMUNE_FIELDS, "pref")[:limit]:
            scored.append(((row["pref"], _CODE), _commune_result(row)))
        for row in _with_pref(Epci.objects.filter(vintage=vintage, siren=code), Epci, prefs).values(
            *_EPCI_FIELDS, "pref"
        )[:limit]:
            scored.append(((row["pref"], _CODE), _epci_result(row)))
    if _DEPARTEMENT.match(code):
        for row in _with_pref(
            Departement.objects.filter(vintage=vintage, code=code), Departement, prefs
        ).values(*_AREA_FIELDS, "pref"):
            scored.append(((row["pref"], _CODE), _departement_result(row)))
    if _REGION.match(code):
        for row in _with_pref(
            Region.objects.filter(vintage=vintage, code=code), Region, prefs
        ).values(*_AREA_FIELDS, "pref"):
            scored.append(((row["pref"], _CODE), _region_result(row)))

    needle = normalize_name(text)
    looks_like_code = any(p.match(code) for p in (_INSEE, _POSTCODE, _SIREN, _DEPARTEMENT))
    if needle and not looks_like_code and re.search(r"[a-z]", needle):
        searched = (
            (Region, _AREA_FIELDS, _region_result),
            (Departement, _AREA_FIELDS, _departement_result),
            (Commune, _COMMUNE_FIELDS, _commune_result),
            (Epci, _EPCI_FIELDS, _epci_result),
        )
        for model, fields, build in searched:
            qs = _name_matches(model, vintage, needle, limit, prefs)
            for row in qs.values(*fields, "pref", "tier"):
                scored.append(((row["pref"], row["tier"]), build(row)))

    best: dict[tuple[str, str], tuple[tuple[Any, ...], SearchResult]] = {}
    for (pref, tier), result in scored:
        key = _key(pref, tier, result)
        ident = (result.kind, result.code)
        if ident not in best or key < best[ident][0]:
            best[ident] = (key, result)
    ranked = sorted(best.values(), key=lambda item: item[0])
    return [result for _, result in ranked[:limit]]


def vintages() -> list[str]:
    """The reference vintages loaded in the database, oldest first."""
    return sorted(set(Region.objects.order_by().values_list("vintage", flat=True).distinct()))


# --------------------------------------------------------------------------------------------
# Applicant


_COLLECTIVITY_KINDS = {"commune", "epci", "metropole", "departement", "region"}


def to_applicant(kind: str, code: str, vintage: str) -> Applicant:
    """Build the rules' Applicant for a collectivité of the reference data.

    ``kind`` is "commune" (INSEE code), "epci" or its alias "metropole" (SIREN), "departement"
    or "region" (code). Any other kind ("association", "entreprise", "syndicat", …) is not
    looked up and gives an ``ApplicantKind.OTHER`` applicant. Raises ``UnknownCollectivity``
    when the code is not in the vintage.
    """
    kind = (kind or "").strip()
    code = (code or "").strip()
    if kind not in _COLLECTIVITY_KINDS:
        return Applicant(
            kind=ApplicantKind.OTHER, code=code, name=f"{kind} {code}", other_label=kind
        )
    lookup_code = code.upper()

    if kind == "commune":
        commune = Commune.objects.filter(vintage=vintage, insee_code=lookup_code).first()
        if commune is None:
            raise UnknownCollectivity(kind, code, vintage)
        return Applicant(
            kind=ApplicantKind.COMMUNE,
            code=commune.insee_code,
            name=commune.name,
            population=commune.population,
            vintage=vintage,
            departements=frozenset({commune.departement_code} - {""}),
        )

    if kind in ("epci", "metropole"):
        epci = Epci.objects.filter(vintage=vintage, siren=lookup_code).first()
        if epci is None:
            raise UnknownCollectivity(kind, code, vintage)
        return Applicant(
            kind=ApplicantKind.METROPOLE if epci.is_metropole else ApplicantKind.EPCI,
            code=epci.siren,
            name=epci.name,
            population=epci.population,
            vintage=vintage,
            departements=frozenset(epci.departement_list),
            epci_type=epci.epci_type,
        )

    if kind == "departement":
        dept = Departement.objects.filter(vintage=vintage, code=lookup_code).first()
        if dept is None:
            raise UnknownCollectivity(kind, code, vintage)
        return Applicant(
            kind=ApplicantKind.DEPARTEMENT,
            code=dept.code,
            name=dept.name,
            population=dept.population,
            vintage=vintage,
            departements=frozenset({dept.code}),
        )

    region = Region.objects.filter(vintage=vintage, code=lookup_code).first()
    if region is None:
        raise UnknownCollectivity(kind, code, vintage)
    codes = Departement.objects.filter(vintage=vintage, region_code=region.code).values_list(
        "code", flat=True
    )
    return Applicant(
        kind=ApplicantKind.REGION,
        code=region.code,
        name=region.name,
        population=region.population,
        vintage=vintage,
        departements=frozenset(codes),
    )
