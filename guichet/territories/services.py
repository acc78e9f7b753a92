"""Looking collectivités up in the reference data: type-ahead search and Applicant building."""

from __future__ import annotations

import heapq
import re
import sys
import threading
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections, router

from guichet.rules.applicant import Applicant, ApplicantKind
from guichet.rules.money import format_int

from .models import METROPOLE_TYPES, Commune, Departement, Epci, EpciType, Region
from .text import epci_core_name, normalize_name


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
# The reference data of a vintage, held in memory


# Rows are only written by ``load_territories``, which replaces every row of a vintage, régions
# included, in one transaction. Ids are never reused (AUTOINCREMENT on SQLite, sequences on
# PostgreSQL), so the largest région id of a vintage changes with every reload: it is the
# vintage's version, and one small query per lookup tells whether the copy in memory is current.
_VERSIONS_SQL = "SELECT vintage, MAX(id) FROM {table} GROUP BY vintage"

# A row of each table, as held in memory (the columns the search and to_applicant read).
_CommuneRow = tuple[str, str, int | None, str, str]  # insee_code, name, population, dépt, siren
_EpciRow = tuple[str, str, str, int | None, str, str]  # siren, name, type, pop, depts, seat dépt
_DepartementRow = tuple[str, str, int | None, str]  # code, name, population, region_code
_RegionRow = tuple[str, str, int | None]  # code, name, population


class _Table:
    """The rows of one table of a vintage, indexed for the name search.

    ``names`` are the rows' ``search_name``; ``rank`` orders rows by population (largest
    first), then name and code, the order of equal matches; ``by_name`` lists the rows sorted
    by name, so that the names starting with a text are one slice (a binary search, like an
    index); ``located`` lists the rows located in each département (for the preference).
    """

    def __init__(
        self,
        names: list[str],
        sort_keys: list[tuple[int, str, str]],
        located: dict[str, list[int]],
    ) -> None:
        self.names = names
        # Integer arrays rather than lists: a vintage has 35 000 communes.
        self.order = array("l", sorted(range(len(names)), key=sort_keys.__getitem__))
        self.rank = array("l", [0]) * len(names)
        for position, i in enumerate(self.order):
            self.rank[i] = position
        self.by_name = array("l", sorted(range(len(names)), key=names.__getitem__))
        self.sorted_names = [names[i] for i in self.by_name]
        self.located = located
        # Every name in one string, "\n"-separated, and where each name starts (plus the end).
        self.text = "\n".join(names)
        self.starts = array("l", [0])
        for name in names:
            self.starts.append(self.starts[-1] + len(name) + 1)

    def containing(self, needle: str) -> Iterator[int]:
        """Rows whose name contains ``needle``: one pass over all the names, at string speed."""
        text, starts = self.text, self.starts
        pos = text.find(needle)
        while pos != -1:
            i = bisect_right(starts, pos) - 1
            yield i
            pos = text.find(needle, starts[i + 1])

    def starting_with(self, needle: str) -> Sequence[int]:
        """Rows whose name starts with ``needle``, the exact names first."""
        lo = bisect_left(self.sorted_names, needle)
        hi = bisect_left(self.sorted_names, needle + "\x7f", lo)  # names are [a-z0-9 ]
        return self.by_name[lo:hi]

    def best(self, needle: str, limit: int, prefs: frozenset[str]) -> list[tuple[int, int, int]]:
        """The ``limit`` best (pref, tier, row) of this table, as the search ranks them.

        Rows of the preferred départements come first: they are few, and checked one by one.
        Then the others, tier by tier: the names starting with the needle come from the sorted
        names; the slow pass over every name, for the names that only contain it, runs only
        when those do not fill the list.
        """
        names, rank = self.names, self.rank
        prefix_only = len(needle) < 2  # a single letter: the substring would match everything
        found: list[tuple[int, int, int]] = []
        preferred: set[int] = set()
        for d in prefs:
            preferred.update(self.located.get(d, ()))
        for i in preferred:
            tier = _tier(names[i], needle)
            if tier is not None and not (prefix_only and tier > _PREFIX):
                found.append((0, tier, i))
        found.sort(key=lambda f: (f[1], rank[f[2]]))
        if len(found) >= limit:
            return found[:limit]
        need = limit - len(found)
        others = [i for i in self.starting_with(needle) if i not in preferred]
        exact = [i for i in others if names[i] == needle]
        starting = heapq.nsmallest(
            need, (i for i in others if names[i] != needle), rank.__getitem__
        )
        for tier, rows in ((_EXACT, sorted(exact, key=rank.__getitem__)), (_PREFIX, starting)):
            found.extend((1, tier, i) for i in rows[:need])
            need = limit - len(found)
        if need <= 0 or prefix_only:
            return found[:limit]
        word = f" {needle}"
        inner = [
            (_WORD if word in names[i] else _CONTAINS, rank[i])
            for i in self.containing(needle)
            if i not in preferred and not names[i].startswith(needle)
        ]
        inner.sort()
        found.extend((1, tier, self.order[r]) for tier, r in inner[:need])
        return found[:limit]


def _sort_key(population: int | None, name: str, code: str) -> tuple[int, str, str]:
    return (-(population if population is not None else -1), name, code)


class _Vintage:
    """Every collectivité of one vintage, as loaded from the database (see ``_vintage``)."""

    def __init__(
        self,
        communes: list[_CommuneRow],
        commune_names: list[str],
        postcodes: dict[str, list[int]],
        epcis: list[_EpciRow],
        epci_names: list[str],
        departements: list[_DepartementRow],
        departement_names: list[str],
        regions: list[_RegionRow],
        region_names: list[str],
    ) -> None:
        self.communes, self.epcis = communes, epcis
        self.departements, self.regions = departements, regions
        self.commune_by_code = {row[0]: i for i, row in enumerate(communes)}
        self.communes_by_postcode = postcodes
        self.communes_by_siren: dict[str, list[int]] = {}
        for i, row in enumerate(communes):
            if row[4]:
                self.communes_by_siren.setdefault(row[4], []).append(i)
        self.epci_by_siren = {row[0]: i for i, row in enumerate(epcis)}
        self.departement_by_code = {row[0]: i for i, row in enumerate(departements)}
        self.region_by_code = {row[0]: i for i, row in enumerate(regions)}
        self.region_departements: dict[str, frozenset[str]] = {
            code: frozenset(d[0] for d in departements if d[3] == code) for code, _, _ in regions
        }

        def located(pairs: Iterable[tuple[str, int]]) -> dict[str, list[int]]:
            rows: dict[str, list[int]] = {}
            for departement, i in pairs:
                rows.setdefault(departement, []).append(i)
            return rows

        epci_keys = [_sort_key(r[3], r[1], r[0]) for r in epcis]
        epci_located = located((d, i) for i, r in enumerate(epcis) for d in set(r[4].split(";")))
        # The preference: a commune's département; any of an EPCI's (its "departements" column,
        # « ; »-separated); a département itself; any département of a région.
        self.tables = {
            "commune": _Table(
                commune_names,
                [_sort_key(r[2], r[1], r[0]) for r in communes],
                located((r[3], i) for i, r in enumerate(communes)),
            ),
            # Groupings are searched by their names without legal form (see ``search``).
            "epci": _Table(
                [epci_core_name(name) for name in epci_names],
                epci_keys,
                epci_located,
            ),
            "epci_full": _Table(epci_names, epci_keys, epci_located),
            "departement": _Table(
                departement_names,
                [_sort_key(r[2], r[1], r[0]) for r in departements],
                located((r[0], i) for i, r in enumerate(departements)),
            ),
            "region": _Table(
                region_names,
                [_sort_key(r[2], r[1], r[0]) for r in regions],
                located(
                    (d, i) for i, r in enumerate(regions) for d in self.region_departements[r[0]]
                ),
            ),
        }


_vintages: dict[str, list[tuple[int, _Vintage]]] = {}
_vintages_lock = threading.Lock()
# Versions kept per vintage: the current one, and the previous one while requests that started
# before a reload finish (and for tests, whose reloads are rolled back).
_KEEP_VERSIONS = 2


def _versions() -> dict[str, int]:
    """{vintage: version} for the vintages in the database. One query, run on every lookup."""
    # Plain SQL: the ORM would spend more time building this query than the database running it.
    connection = connections[router.db_for_read(Region)]
    sql = _VERSIONS_SQL.format(table=connection.ops.quote_name(Region._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return {vintage: int(version) for vintage, version in cursor.fetchall()}


def _load(vintage: str) -> _Vintage:
    communes: list[_CommuneRow] = []
    commune_names: list[str] = []
    postcodes: dict[str, list[int]] = {}
    rows = (
        Commune.objects.filter(vintage=vintage)
        .order_by("insee_code")
        .values_list(
            "insee_code", "name", "population", "departement_code", "siren", "search_name",
            "postcodes",
        )
    )  # fmt: skip
    for i, (code, name, pop, dept, siren, search_name, codes) in enumerate(rows.iterator(4000)):
        communes.append((code, name, pop, sys.intern(dept), siren))
        commune_names.append(search_name)
        # The postcodes column is what CommunePostcode rows are made from (one row per code).
        for postcode in dict.fromkeys(p for p in codes.split(";") if p):
            postcodes.setdefault(postcode, []).append(i)
    epcis: list[_EpciRow] = []
    epci_names: list[str] = []
    for siren, name, epci_type, pop, depts, dept, search_name in (
        Epci.objects.filter(vintage=vintage)
        .order_by("siren")
        .values_list(
            "siren", "name", "epci_type", "population", "departements", "departement_code",
            "search_name",
        )
    ):  # fmt: skip
        epcis.append((siren, name, epci_type, pop, depts, dept))
        epci_names.append(search_name)
    departements: list[_DepartementRow] = []
    departement_names: list[str] = []
    for code, name, pop, region_code, search_name in (
        Departement.objects.filter(vintage=vintage)
        .order_by("code")
        .values_list("code", "name", "population", "region_code", "search_name")
    ):
        departements.append((code, name, pop, region_code))
        departement_names.append(search_name)
    regions: list[_RegionRow] = []
    region_names: list[str] = []
    for code, name, pop, search_name in (
        Region.objects.filter(vintage=vintage)
        .order_by("code")
        .values_list("code", "name", "population", "search_name")
    ):
        regions.append((code, name, pop))
        region_names.append(search_name)
    return _Vintage(
        communes, commune_names, postcodes, epcis, epci_names,
        departements, departement_names, regions, region_names,
    )  # fmt: skip


def _vintage(vintage: str) -> _Vintage | None:
    """The reference data of ``vintage`` as currently in the database; None if not loaded.

    Loaded once per process and per version (a few hundred milliseconds), then shared by every
    request until ``load_territories`` replaces the vintage.
    """
    version = _versions().get(vintage)
    if version is None:
        return None
    for known, data in _vintages.get(vintage, ()):
        if known == version:
            return data
    with _vintages_lock:
        for known, data in _vintages.get(vintage, ()):
            if known == version:
                return data
        data = _load(vintage)
        kept = [(known, d) for known, d in _vintages.get(vintage, ()) if known != version]
        _vintages[vintage] = [(version, data), *kept][:_KEEP_VERSIONS]
        return data


def forget_loaded_vintages() -> None:
    """Drop the copies in memory (they are reloaded on the next lookup)."""
    with _vintages_lock:
        _vintages.clear()


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
    return format_int(n)  # the same no-break space as every amount and count on screen


def _label(name: str, where: str, kind_label: str, population: int | None) -> str:
    place = f" ({where})" if where else ""
    pop = f", {format_population(population)} hab." if population is not None else ""
    return f"{name}{place} — {kind_label}{pop}"


def _commune_result(row: _CommuneRow) -> SearchResult:
    code, name, population, departement_code, _ = row
    return SearchResult(
        kind="commune",
        code=code,
        name=name,
        label=_label(name, departement_code, "commune", population),
        population=population,
        departement_code=departement_code,
    )


def _epci_result(row: _EpciRow) -> SearchResult:
    siren, name, epci_type, population, departements, departement_code = row
    kind = "metropole" if epci_type in METROPOLE_TYPES else "epci"
    where = ", ".join(d for d in departements.split(";") if d)
    kind_label = EpciType(epci_type).label if epci_type in EpciType else "EPCI"
    return SearchResult(
        kind=kind,
        code=siren,
        name=name,
        label=_label(name, where, kind_label, population),
        population=population,
        departement_code=departement_code,
    )


def _departement_result(row: _DepartementRow) -> SearchResult:
    code, name, population, _ = row
    return SearchResult(
        kind="departement",
        code=code,
        name=name,
        label=_label(name, code, "département", population),
        population=population,
        departement_code=code,
    )


def _region_result(row: _RegionRow) -> SearchResult:
    code, name, population = row
    return SearchResult(
        kind="region",
        code=code,
        name=name,
        label=_label(name, "", "région", population),
        population=population,
        departement_code="",
    )


_BUILD: dict[str, Callable[[Any], SearchResult]] = {
    "commune": _commune_result,
    "epci": _epci_result,
    "departement": _departement_result,
    "region": _region_result,
}


def _key(pref: int, tier: int, result: SearchResult) -> tuple[Any, ...]:
    pop = result.population if result.population is not None else -1
    return (pref, tier, _KIND_RANK[result.kind], -pop, result.name, result.code)


def _preferred(data: _Vintage, table: str, i: int, departements: frozenset[str]) -> int:
    """0 for a row located in one of the preferred départements, 1 otherwise."""
    if not departements:
        return 1
    if table == "commune":
        located = data.communes[i][3] in departements
    elif table == "epci":
        located = not departements.isdisjoint(data.epcis[i][4].split(";"))
    elif table == "departement":
        located = data.departements[i][0] in departements
    else:
        located = not data.region_departements[data.regions[i][0]].isdisjoint(departements)
    return 0 if located else 1


def _tier(name: str, needle: str) -> int | None:
    if needle not in name:
        return None
    if name == needle:
        return _EXACT
    if name.startswith(needle):
        return _PREFIX
    if f" {needle}" in name:
        return _WORD
    return _CONTAINS


def _rows(data: _Vintage, table: str) -> list[Any]:
    return {
        "commune": data.communes,
        "epci": data.epcis,
        "departement": data.departements,
        "region": data.regions,
    }[table]


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

    One query whatever the data (the vintage's version): the search runs over the vintage held
    in memory (see ``_vintage``).
    """
    text = query.strip()
    if not text or limit <= 0:
        return []
    data = _vintage(vintage)
    if data is None:
        return []
    prefs = frozenset(departements or ())
    found: list[tuple[int, int, str, int]] = []  # pref, tier, table, row index

    code = re.sub(r"\s+", "", text).upper()
    if _INSEE.match(code) or _POSTCODE.match(code):
        rows = set(data.communes_by_postcode.get(code, ()))
        if code in data.commune_by_code:
            rows.add(data.commune_by_code[code])
        for i in sorted(rows)[: limit * 4]:  # rows are in INSEE code order
            tier = _CODE if data.communes[i][0] == code else _POSTCODE_TIER
            found.append((_preferred(data, "commune", i, prefs), tier, "commune", i))
    if _SIREN.match(code):
        for i in data.communes_by_siren.get(code, [])[:limit]:
            found.append((_preferred(data, "commune", i, prefs), _CODE, "commune", i))
        if code in data.epci_by_siren:
            i = data.epci_by_siren[code]
            found.append((_preferred(data, "epci", i, prefs), _CODE, "epci", i))
    if _DEPARTEMENT.match(code) and code in data.departement_by_code:
        i = data.departement_by_code[code]
        found.append((_preferred(data, "departement", i, prefs), _CODE, "departement", i))
    if _REGION.match(code) and code in data.region_by_code:
        i = data.region_by_code[code]
        found.append((_preferred(data, "region", i, prefs), _CODE, "region", i))

    needle = normalize_name(text)
    looks_like_code = any(p.match(code) for p in (_INSEE, _POSTCODE, _SIREN, _DEPARTEMENT))
    if needle and not looks_like_code and re.search(r"[a-z]", needle):
        for table in ("region", "departement", "commune", "epci"):
            index, text = data.tables[table], needle
            if table == "epci":
                # « Communauté de communes Billom », « CC Billom » and « Billom » all find « CC
                # Billom Communauté »: the legal forms are left out on both sides. A query that
                # is only a legal form (or its start) is looked for in the full names.
                text = epci_core_name(needle)
                if not text:
                    index, text = data.tables["epci_full"], needle
            for pref, tier, i in index.best(text, limit, prefs):
                found.append((pref, tier, table, i))

    # A row is one collectivité: keep its best (pref, tier).
    best: dict[tuple[str, int], tuple[int, int]] = {}
    for pref, tier, table, i in found:
        if (table, i) not in best or (pref, tier) < best[table, i]:
            best[table, i] = (pref, tier)
    # Only rows whose (pref, tier) is at most that of the limit-th best can make the list: the
    # full sort key (and the result) is built for those only.
    kept = sorted(best.items(), key=lambda item: item[1])
    if len(kept) > limit:
        cut = kept[limit - 1][1]
        kept = [item for item in kept if item[1] <= cut]
    ranked = []
    for (table, i), (pref, tier) in kept:
        result = _BUILD[table](_rows(data, table)[i])
        ranked.append((_key(pref, tier, result), result))
    ranked.sort(key=lambda item: item[0])
    return [result for _, result in ranked[:limit]]


def same_name(result: SearchResult, query: str) -> bool:
    """Whether ``query`` is the name of ``result`` (accents, case, punctuation and, for a
    grouping, its legal form aside): « Communauté de communes Billom » is « CC Billom
    Communauté »."""
    name, typed = normalize_name(result.name), normalize_name(query)
    if result.kind in ("epci", "metropole"):
        name, typed = epci_core_name(name), epci_core_name(typed)
    return bool(typed) and name == typed


def vintages() -> list[str]:
    """The reference vintages loaded in the database, oldest first."""
    return sorted(_versions())


# --------------------------------------------------------------------------------------------
# Applicant


COLLECTIVITY_KINDS = frozenset({"commune", "epci", "metropole", "departement", "region"})
# What the simulator's shortcuts say of a structure given without its identifier
# (« association:structure »).
_UNNAMED_STRUCTURE = "STRUCTURE"
_OTHER_NAMES = {
    "association": "Une association",
    "entreprise": "Une entreprise",
    "syndicat": "Un syndicat",
}


def to_applicant(kind: str, code: str, vintage: str) -> Applicant:
    """Build the rules' Applicant for a collectivité of the reference data.

    ``kind`` is "commune" (INSEE code), "epci" or its alias "metropole" (SIREN), "departement"
    or "region" (code). Any other kind ("association", "entreprise", "syndicat", …) is not
    looked up and gives an ``ApplicantKind.OTHER`` applicant. Raises ``UnknownCollectivity``
    when the code is not in the vintage. One query (the vintage's version; see ``_vintage``).
    """
    kind = (kind or "").strip()
    code = (code or "").strip()
    if kind not in COLLECTIVITY_KINDS:
        name = f"{kind} {code}"
        if not code or code.upper() == _UNNAMED_STRUCTURE:
            name = _OTHER_NAMES.get(kind, f"Structure « {kind} »")
        return Applicant(kind=ApplicantKind.OTHER, code=code, name=name, other_label=kind)
    lookup_code = code.upper()
    data = _vintage(vintage)
    if data is None:
        raise UnknownCollectivity(kind, code, vintage)

    if kind == "commune":
        i = data.commune_by_code.get(lookup_code)
        if i is None:
            raise UnknownCollectivity(kind, code, vintage)
        insee_code, name, population, departement_code, _ = data.communes[i]
        return Applicant(
            kind=ApplicantKind.COMMUNE,
            code=insee_code,
            name=name,
            population=population,
            vintage=vintage,
            departements=frozenset({departement_code} - {""}),
        )

    if kind in ("epci", "metropole"):
        i = data.epci_by_siren.get(lookup_code)
        if i is None:
            raise UnknownCollectivity(kind, code, vintage)
        siren, name, epci_type, population, departements, _ = data.epcis[i]
        return Applicant(
            kind=ApplicantKind.METROPOLE if epci_type in METROPOLE_TYPES else ApplicantKind.EPCI,
            code=siren,
            name=name,
            population=population,
            vintage=vintage,
            departements=frozenset(d for d in departements.split(";") if d),
            epci_type=epci_type,
        )

    if kind == "departement":
        i = data.departement_by_code.get(lookup_code)
        if i is None:
            raise UnknownCollectivity(kind, code, vintage)
        dept_code, name, population, _ = data.departements[i]
        return Applicant(
            kind=ApplicantKind.DEPARTEMENT,
            code=dept_code,
            name=name,
            population=population,
            vintage=vintage,
            departements=frozenset({dept_code}),
        )

    i = data.region_by_code.get(lookup_code)
    if i is None:
        raise UnknownCollectivity(kind, code, vintage)
    region_code, name, population = data.regions[i]
    return Applicant(
        kind=ApplicantKind.REGION,
        code=region_code,
        name=name,
        population=population,
        vintage=vintage,
        departements=data.region_departements[region_code],
    )
