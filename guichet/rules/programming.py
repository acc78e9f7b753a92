"""The committee's programming (« programmation »): which dossiers to retain, on which year.

Given what remains of each year's envelope and the dossiers before the committee, ``solve`` returns
a ``Proposal``: the dossiers to retain and the year each is charged to, maximising the total
priority value, with a proof that no other choice does better (``optimal``), what is left in each
year, and what the committee's page shows beside it: why each dossier left out that is worth more
than a retained one (pinned ones aside) is left out, in French, computed by solving again with it
pinned; the waiting list; and the greedy ranking (« by score until the money runs out », what
other tools do) with what the optimum gains over it.

**The problem.** Dossier *i* asks ``amount`` (euros and cents) and is worth ``value = score ×
priority_small`` when it is carried by a small or medium collectivité (rule PRIORITY-SIZE), else
``score``. Each retained dossier is charged whole to one year among those it may go to; the amounts
charged to a year never exceed what remains of that year. Pinned dossiers are retained, excluded
ones are not. Maximise the total value. This is a multiple knapsack (one knapsack per year).

**Exact arithmetic.** Amounts are whole cents (``int``). Scores and the weight are read as exact
rationals (``int``, ``Decimal``, ``Fraction``; a ``float`` given in Python is read as the shortest
decimal that gives it back, ``repr``: 0.1 is one tenth; the command line reads JSON numbers as
decimals as written). Values are brought to integers over one common denominator, so every
comparison, bound and total below is integer arithmetic: no tolerance can make a proof wrong. The
objective is returned as a ``Fraction``.

**How it is solved.** Four steps, the first three exact in integers:

1. *The merged knapsack.* Put the years' remainders together into one knapsack (each year's
   remainder first rounded down to a multiple of the greatest common divisor of the amounts: a
   year can never use less than a whole step). Its optimum is an upper bound of the real problem.
   It is solved exactly by dynamic programming, in one of two ways:
   - *by amount classes*: with a few distinct amounts (the call's flat amounts 5 000, 10 000 and
     20 000 €), dossiers of the same amount are interchangeable but for their value, so taking
     *k* of a class means taking its *k* best (dominance). A DP over the remaining steps of the
     common divisor chooses how many of each class: 3 classes and 58 steps of 5 000 € (29 per
     year) for the Puy-de-Dôme call.
   - *over a reduced core, by value*: with arbitrary amounts (modulated, cents), the linear
     relaxation's dual price λ gives every dossier a reduced value ``value − λ × amount``; with a
     feasible programming found by a greedy pass (value ``L``), a dossier whose inclusion (or
     exclusion) drops the Lagrangian bound to ``L`` or below is fixed out (or in): no programming
     better than ``L`` can do otherwise. What remains (the core: about a hundred of 1 000
     dossiers) goes to a DP of the least money needed for each total value.
2. *Splitting it into years.* The merged optimum is charged to the years: a dossier allowed on one
   year only goes there, and the others are split so that each year's total fits, by a greedy
   pass and, with two years, an exact subset-sum over the cents (a bit set: one Python integer);
   with three or more, the first year is filled exactly and the rest split the same way. When it
   splits, it is a real programming reaching the upper bound: proven optimal.
3. *Otherwise, an exact DP over the years*: the amount-class DP with one dimension per year, when
   the years' remainders in steps are small enough (flat amounts).
4. *Otherwise, HiGHS* (``highspy``) on the reduced core only (fixed dossiers removed or forced in),
   with integer objective coefficients. Its answer is checked exactly (every year's total in
   cents) and ``optimal`` is HiGHS's proof, given its tolerances (integral objective; the values'
   total must stay below 2**53, far above any real instance, else ``optimal`` is false). A time
   limit stops it: the best programming found is returned with ``optimal`` false.

**Ties.** Several programmings may have the same total value. The one returned is the same for
the same input (no randomness), but which one is not otherwise specified; an explanation says so
when a dossier left out could replace retained ones at equal total (« À valeur égale »). Within an
amount class, dossiers of equal value are taken in their input order. A dossier of value 0 is
never proposed unless pinned: it adds nothing. Each retained dossier is finally moved to the
earliest year where it fits (the current year's envelope is spent first; the value is unchanged).

**Greedy.** Dossiers ranked by value (ties: the smaller amount, then input order), walked down,
each charged to the first year (in year order) where it fits, skipped when it fits nowhere; pinned
dossiers are charged first, to the year the proposal gives them.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, cast

import numpy as np

from .applicant import ApplicantKind
from .money import TOO_HIGH, format_euros
from .parameters import CallRules

# --- public data -------------------------------------------------------------------------------

Number = int | Decimal | Fraction
DOSSIER_KEYS = frozenset({"id", "amount", "score", "small", "years", "label", "arrondissement"})
INSTANCE_KEYS = frozenset({"envelopes", "priority_small", "dossiers", "pinned", "excluded"})
MAX_DOSSIERS = 100_000
DEFAULT_TIME_LIMIT = 20.0  # seconds for one solve (HiGHS, when it is needed at all)


class InstanceError(ValueError):
    """A programming request that cannot be solved as given. ``path`` names the field
    (``dossiers[3].amount``), ``message`` says what is wrong, in French."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path} : {message}" if path else message)
        self.path = path
        self.message = message


@dataclass(frozen=True)
class DossierInput:
    """One dossier before the committee. ``years``: the envelope years it may be charged to (all
    of them when None). ``label`` names it in the explanations (its id when empty)."""

    id: str
    amount: Decimal
    score: Number
    small: bool = False
    years: frozenset[int] | None = None
    label: str = ""
    arrondissement: str = ""

    @property
    def name(self) -> str:
        return self.label or self.id


@dataclass(frozen=True)
class Instance:
    """What the committee decides on: what remains of each year's envelope (euros), the dossiers,
    the priority weight of small and medium collectivités, the committee's pins and exclusions."""

    envelopes: Mapping[int, Decimal]
    dossiers: Sequence[DossierInput]
    priority_small: Number = 1
    pinned: frozenset[str] = frozenset()
    excluded: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Retained:
    id: str
    year: int
    amount: Decimal
    value: Fraction


@dataclass(frozen=True)
class Reason:
    """Why a dossier worth more than a retained one is left out.

    ``kind``: ``excluded`` (by the committee), ``no_room`` (fits no envelope, with the pins),
    ``displaces`` (retaining it costs more than it brings), ``tie`` (it could replace retained
    dossiers at equal total), ``better`` (retaining it does better: only when the proposal is not
    proven optimal), ``unexplained`` (the time given to the explanations ran out).
    ``displaced``/``added``: the ids that leave and join the best programming that retains it;
    ``value_lost``: how much lower that programming is; ``proven``: that programming is proven
    the best one retaining it."""

    id: str
    value: Fraction
    kind: str
    text: str
    displaced: tuple[str, ...] = ()
    added: tuple[str, ...] = ()
    value_lost: Fraction | None = None
    best_with_it: Fraction | None = None
    proven: bool = True


@dataclass(frozen=True)
class WaitingEntry:
    """A dossier of the waiting list: its rank, the amount it would receive, and the years it may
    be charged to (those it may go to whose remainder, before the programming, can hold it)."""

    rank: int
    id: str
    value: Fraction
    amount: Decimal
    years: tuple[int, ...]


@dataclass(frozen=True)
class GreedyResult:
    objective: Fraction
    selected: tuple[Retained, ...]
    left: Mapping[int, Decimal]


@dataclass(frozen=True)
class Proposal:
    """The committee's proposal. ``selected`` in the input's order; ``left``: what remains of each
    year once they are charged. ``method`` says what settled it: ``classes`` (merged knapsack by
    amount classes, split into years), ``core`` (merged knapsack over the reduced core, split),
    ``bound`` (the greedy programming met the upper bound), ``classes-years`` (DP over the years),
    ``highs`` (MILP on the core), ``greedy`` (HiGHS ran out of time: the greedy programming, not
    proven), ``trivial`` (nothing to choose)."""

    objective: Fraction
    optimal: bool
    selected: tuple[Retained, ...]
    left: Mapping[int, Decimal]
    method: str
    greedy: GreedyResult
    gain_over_greedy: Fraction
    reasons: tuple[Reason, ...] = ()
    waiting_list: tuple[WaitingEntry, ...] = ()
    seconds: float = 0.0

    def year_of(self, dossier_id: str) -> int | None:
        return next((r.year for r in self.selected if r.id == dossier_id), None)


# --- the call's priority to small and medium collectivités (PRIORITY-SIZE) -------------------------


def is_small(call: CallRules, kind: ApplicantKind | str, population: int | None) -> bool:
    """True when the call's priority to small and medium collectivités applies: a kind it names,
    with a known population below its threshold. An unknown population gets no priority."""
    rule = call.programming.priority_small if call.programming else None
    if rule is None or population is None:
        return False
    try:
        kind = ApplicantKind(kind)
    except ValueError:
        return False
    return kind in rule.kinds and population < rule.population_below


def dossier_value(score: Number, small: bool, priority_small: Number) -> Fraction:
    """The value the programming maximises: the score, times the weight when small or medium."""
    value = Fraction(score)
    return value * Fraction(priority_small) if small else value


def priority_weight(call: CallRules) -> Decimal:
    """The weight the value of a small or medium collectivité's dossier is multiplied by."""
    rule = call.programming.priority_small if call.programming else None
    return rule.weight if rule is not None else Decimal(1)


# --- reading a request (the command line's JSON, or any plain data) ------------------------------


def _ratio(value: Any, path: str, what: str) -> tuple[int, int]:
    """An exact number as (numerator, denominator > 0), refusing what is not a finite number."""
    kind = type(value)
    if kind is Decimal:
        if not value.is_finite():
            raise InstanceError(path, f"{what} doit être un nombre fini.")
        if abs(value) >= TOO_HIGH:
            raise InstanceError(path, f"{what} est trop élevé.")
        num, den = value.as_integer_ratio()
        return num, den
    if kind is int:
        if abs(value) >= TOO_HIGH:
            raise InstanceError(path, f"{what} est trop élevé.")
        return value, 1
    if kind is float:
        if not math.isfinite(value):
            raise InstanceError(path, f"{what} doit être un nombre fini.")
        value = Decimal(repr(value))
    elif isinstance(value, Fraction):
        return value.numerator, value.denominator
    elif not isinstance(value, Decimal | int) or isinstance(value, bool):
        raise InstanceError(path, f"{what} doit être un nombre.")
    if isinstance(value, Decimal) and not value.is_finite():
        raise InstanceError(path, f"{what} doit être un nombre fini.")
    if abs(value) >= TOO_HIGH:
        raise InstanceError(path, f"{what} est trop élevé.")
    num, den = value.as_integer_ratio()
    return int(num), int(den)


def _exact(value: Any, path: str, what: str) -> Fraction:
    return Fraction(*_ratio(value, path, what))


def _cents(value: Any, path: str) -> int:
    numerator, denominator = _ratio(value, path, "le montant")
    if numerator < 0:
        raise InstanceError(path, "le montant ne peut pas être négatif.")
    cents, rest = divmod(numerator * 100, denominator)
    if rest:
        raise InstanceError(
            path, "le montant s'écrit en euros et centimes (deux décimales au plus)."
        )
    return cents


def _year(key: Any, path: str) -> int:
    if isinstance(key, bool):
        raise InstanceError(path, "une année s'écrit avec quatre chiffres (2021).")
    text = str(key).strip()
    if not (text.isascii() and text.isdigit() and len(text) == 4):
        raise InstanceError(path, f"« {key} » n'est pas une année (quatre chiffres, 2021).")
    return int(text)


def _text_id(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InstanceError(path, "l'identifiant doit être un texte non vide.")
    return value.strip()


def _ids(value: Any, path: str) -> frozenset[str]:
    if value is None:
        return frozenset()
    if not isinstance(value, list):
        raise InstanceError(path, "doit être une liste d'identifiants de dossiers.")
    ids = [_text_id(v, f"{path}[{i}]") for i, v in enumerate(value)]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise InstanceError(path, f"identifiant en double : {', '.join(dupes)}.")
    return frozenset(ids)


def _unknown_keys(data: Mapping[str, Any], allowed: frozenset[str], path: str) -> None:
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        raise InstanceError(
            path or "(racine)",
            f"clé inconnue : {', '.join(unknown)} (attendues : {', '.join(sorted(allowed))}).",
        )


def parse_instance(data: Any) -> Instance:
    """A programming request from plain data (the command line's JSON), checked field by field."""
    if not isinstance(data, Mapping):
        raise InstanceError("(racine)", "la demande doit être un objet JSON.")
    _unknown_keys(data, INSTANCE_KEYS, "")
    if "envelopes" not in data:
        raise InstanceError("envelopes", "champ obligatoire manquant.")
    if "dossiers" not in data:
        raise InstanceError("dossiers", "champ obligatoire manquant.")
    raw_env = data["envelopes"]
    if not isinstance(raw_env, Mapping) or not raw_env:
        raise InstanceError("envelopes", "doit être un objet non vide : année → montant restant.")
    envelopes: dict[int, Decimal] = {}
    for key, amount in raw_env.items():
        year = _year(key, f"envelopes.{key}")
        if year in envelopes:
            raise InstanceError(f"envelopes.{key}", "cette année apparaît deux fois.")
        envelopes[year] = Decimal(_cents(amount, f"envelopes.{key}")) / 100
    raw = data["dossiers"]
    if not isinstance(raw, list):
        raise InstanceError("dossiers", "doit être une liste.")
    if len(raw) > MAX_DOSSIERS:
        raise InstanceError("dossiers", f"au plus {MAX_DOSSIERS} dossiers.")
    dossiers = []
    for n, item in enumerate(raw):
        path = f"dossiers[{n}]"
        if not isinstance(item, Mapping):
            raise InstanceError(path, "chaque dossier doit être un objet.")
        _unknown_keys(item, DOSSIER_KEYS, path)
        for key in ("id", "amount", "score"):
            if key not in item:
                raise InstanceError(f"{path}.{key}", "champ obligatoire manquant.")
        small = item.get("small", False)
        if not isinstance(small, bool):
            raise InstanceError(f"{path}.small", "doit valoir true ou false.")
        years = item.get("years")
        if years is not None:
            if not isinstance(years, list) or not years:
                raise InstanceError(f"{path}.years", "doit être une liste d'années non vide.")
            years = frozenset(_year(y, f"{path}.years[{i}]") for i, y in enumerate(years))
        for key in ("label", "arrondissement"):
            if not isinstance(item.get(key, ""), str):
                raise InstanceError(f"{path}.{key}", "doit être un texte.")
        score = _exact(item["score"], f"{path}.score", "la note")
        dossiers.append(
            DossierInput(
                id=_text_id(item["id"], f"{path}.id"),
                amount=Decimal(_cents(item["amount"], f"{path}.amount")) / 100,
                score=score,
                small=small,
                years=years,
                label=str(item.get("label", "")),
                arrondissement=str(item.get("arrondissement", "")),
            )
        )
    return Instance(
        envelopes=envelopes,
        dossiers=tuple(dossiers),
        priority_small=_exact(data.get("priority_small", 1), "priority_small", "le poids"),
        pinned=_ids(data.get("pinned"), "pinned"),
        excluded=_ids(data.get("excluded"), "excluded"),
    )


# --- the integer problem -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Problem:
    """The instance in integers: cents, and values over one common denominator (``unit``)."""

    ids: tuple[str, ...]
    years: tuple[int, ...]
    caps: tuple[int, ...]  # cents, per year index
    weights: tuple[int, ...]  # cents, per dossier index
    values: tuple[int, ...]  # value of dossier i = values[i] * unit
    unit: Fraction
    masks: tuple[int, ...]  # bit y set: the dossier may be charged to years[y]
    fit: tuple[int, ...]  # bit y set: it may go to years[y] and fits in what remains of it
    pinned: frozenset[int]
    excluded: frozenset[int]
    ranked: tuple[int, ...]  # by value, then the smaller amount, then input order


def _problem(instance: Instance) -> _Problem:
    """Check the instance and bring it to integers (``InstanceError`` with a French message)."""
    if not instance.envelopes:
        raise InstanceError("envelopes", "au moins une année d'enveloppe est nécessaire.")
    years = tuple(sorted(instance.envelopes))
    caps = []
    for y in years:
        if isinstance(y, bool) or not isinstance(y, int):
            raise InstanceError("envelopes", f"« {y} » n'est pas une année.")
        caps.append(_cents(instance.envelopes[y], f"envelopes.{y}"))
    w_num, w_den = _ratio(instance.priority_small, "priority_small", "le poids")
    if w_num <= 0:
        raise InstanceError("priority_small", "le poids doit être supérieur à zéro.")
    index_of: dict[str, int] = {}
    weights, masks, ratios = [], [], []
    all_years = (1 << len(years)) - 1
    for n, d in enumerate(instance.dossiers):
        path = f"dossiers[{n}]"
        if not isinstance(d.id, str) or not d.id:
            raise InstanceError(f"{path}.id", "l'identifiant doit être un texte non vide.")
        if d.id in index_of:
            raise InstanceError(f"{path}.id", f"identifiant en double : {d.id}.")
        index_of[d.id] = n
        weights.append(_cents(d.amount, f"{path}.amount"))
        num, den = _ratio(d.score, f"{path}.score", "la note")
        if num < 0:
            raise InstanceError(f"{path}.score", "la note ne peut pas être négative.")
        ratios.append((num * w_num, den * w_den) if d.small else (num, den))
        if d.years is None:
            masks.append(all_years)
        else:
            if not d.years:
                raise InstanceError(f"{path}.years", "au moins une année est nécessaire.")
            mask = 0
            for y in sorted(d.years):
                if y not in instance.envelopes:
                    known = ", ".join(str(y) for y in years)
                    raise InstanceError(
                        f"{path}.years", f"année {y} inconnue (enveloppes : {known})."
                    )
                mask |= 1 << years.index(y)
            masks.append(mask)
    for name, ids in (("pinned", instance.pinned), ("excluded", instance.excluded)):
        unknown = sorted(i for i in ids if i not in index_of)
        if unknown:
            raise InstanceError(name, f"dossier inconnu : {', '.join(unknown)}.")
    both = sorted(instance.pinned & instance.excluded)
    if both:
        raise InstanceError("pinned", f"dossier à la fois imposé et écarté : {', '.join(both)}.")
    denominator = math.lcm(*{den for _, den in ratios}) if ratios else 1
    values = [num * (denominator // den) for num, den in ratios]
    common = math.gcd(*values) if any(values) else 1
    values = [v // common for v in values]
    fit = [
        sum(1 << y for y in range(len(years)) if mask >> y & 1 and w <= caps[y])
        for mask, w in zip(masks, weights, strict=True)
    ]
    return _Problem(
        ids=tuple(d.id for d in instance.dossiers),
        years=years,
        caps=tuple(caps),
        weights=tuple(weights),
        values=tuple(values),
        unit=Fraction(common, denominator),
        masks=tuple(masks),
        fit=tuple(fit),
        pinned=frozenset(index_of[i] for i in instance.pinned),
        excluded=frozenset(index_of[i] for i in instance.excluded),
        ranked=tuple(sorted(range(len(values)), key=lambda i: (-values[i], weights[i], i))),
    )


class _Infeasible(Exception):
    """The pinned dossiers cannot all be charged: ``culprit`` is one that fits no envelope alone,
    or None when it is the set that does not fit together."""

    def __init__(self, culprit: int | None) -> None:
        super().__init__(culprit)
        self.culprit = culprit


@dataclass
class _Outcome:
    assign: dict[int, int]  # dossier index → year index
    optimal: bool
    method: str

    def value(self, p: _Problem) -> int:
        return sum(p.values[i] for i in self.assign)


# Work allowed to one dynamic programme (cells of numpy arrays); beyond it the next method is used.
_DP_CELLS = 30_000_000
_DP_CALL_COST = 2_000  # one numpy call costs about as much as this many cells
_STATES = 250_000  # states of the DP over the years (steps of each year's remainder, multiplied)
_BITSET_BITS = 3_000_000_000  # bit operations allowed to the exact two-year split


# --- packing a chosen set into the years (exact for one or two years) ----------------------------


def _subset_in_window(
    ws: Sequence[int], lo: int, hi: int, *, highest: bool = False
) -> list[int] | None:
    """Indices of a subset of ``ws`` whose sum is in [lo, hi], or None when there is none; with
    ``highest``, one of the largest such sums (else the first found).

    Subset sums as the bits of one integer; checkpoints every √n items keep the memory at
    O(√n) integers while the chosen items are found again backwards."""
    lo = max(lo, 0)
    if hi < lo:
        return None
    if lo == 0 and not highest:
        return []
    mask = (1 << (hi + 1)) - 1
    window = mask ^ ((1 << lo) - 1)
    step = max(1, math.isqrt(len(ws)))
    checkpoints = {0: 1}
    reach, last = 1, -1
    for k, w in enumerate(ws):
        reach = (reach | (reach << w)) & mask
        if (k + 1) % step == 0:
            checkpoints[k + 1] = reach
        if not highest and reach & window:
            last = k + 1
            break
    else:
        last = len(ws) if reach & window else -1
    if last < 0:
        return None
    hit = reach & window
    target = hit.bit_length() - 1 if highest else (hit & -hit).bit_length() - 1
    chosen: list[int] = []
    end = last
    while end > 0:
        start = (end - 1) // step * step
        segment = [checkpoints[start]]
        for k in range(start, end - 1):
            segment.append((segment[-1] | (segment[-1] << ws[k])) & mask)
        for k in range(end - 1, start - 1, -1):
            if not segment[k - start] >> target & 1:
                chosen.append(k)
                target -= ws[k]
        end = start
    return chosen


def _pack(
    items: Sequence[int],
    u: Mapping[int, int],
    masks: Mapping[int, int] | Sequence[int],
    caps: Sequence[int],
) -> tuple[dict[int, int] | None, bool]:
    """Charge every item to a year it may go to, within each year's remainder (in steps).

    Returns (assignment, proven): assignment None with proven True means no packing exists;
    proven False means the search gave up (three years or more, or a split too large)."""
    m = len(caps)
    assign: dict[int, int] = {}
    load = [0] * m
    flexible = []
    for i in items:
        allowed = [y for y in range(m) if masks[i] >> y & 1 and u[i] <= caps[y]]
        if not allowed:
            return None, True
        if len(allowed) == 1:
            assign[i] = allowed[0]
            load[allowed[0]] += u[i]
        else:
            flexible.append(i)
    if any(load[y] > caps[y] for y in range(m)):
        return None, True
    if not flexible:
        return assign, True
    room = [caps[y] - load[y] for y in range(m)]
    if sum(u[i] for i in flexible) > sum(room):
        return None, True
    # Greedy: largest first, into the year with most room left.
    flexible.sort(key=lambda i: -u[i])
    greedy = dict(assign)
    left = list(room)
    for i in flexible:
        y = max(
            (y for y in range(m) if masks[i] >> y & 1 and u[i] <= left[y]),
            key=lambda y: left[y],
            default=None,
        )
        if y is None:
            break
        greedy[i] = y
        left[y] -= u[i]
    else:
        return greedy, True
    if m > 2:
        return _pack_first_year(flexible, assign, room, u, masks)
    # Two years, each flexible item may go to either: year 0 must get a subset whose sum lies in
    # [total − room[1], room[0]]. First the big items by a greedy pass aiming at the middle and an
    # exact search over the small ones, then, if needed, the exact search over all of them.
    total = sum(u[i] for i in flexible)
    lo, hi = total - room[1], room[0]
    small = flexible[-min(len(flexible), 24) :]
    big = flexible[: len(flexible) - len(small)]
    aim = (lo + hi) // 2 - sum(u[i] for i in small) // 2
    first, loaded = [], 0
    for i in big:
        if loaded + u[i] <= aim:
            first.append(i)
            loaded += u[i]
    chosen = _subset_in_window([u[i] for i in small], lo - loaded, hi - loaded)
    if chosen is not None and loaded <= hi:
        picked = set(first) | {small[k] for k in chosen}
    else:
        if len(flexible) * (hi + 1) > _BITSET_BITS:
            return None, False
        found = _subset_in_window([u[i] for i in flexible], lo, hi)
        if found is None:
            return None, True
        picked = {flexible[k] for k in found}
    for i in flexible:
        assign[i] = 0 if i in picked else 1
    return assign, True


def _pack_first_year(
    flexible: list[int],
    assign: dict[int, int],
    room: list[int],
    u: Mapping[int, int],
    masks: Mapping[int, int] | Sequence[int],
) -> tuple[dict[int, int] | None, bool]:
    """Three years or more: fill the first year as much as its remainder allows (exact subset
    sum), then pack the rest into the other years (recursively, exact for the last two)."""
    there = [i for i in flexible if masks[i] & 1 and u[i] <= room[0]]
    if len(there) * (room[0] + 1) > _BITSET_BITS:
        return None, False
    at_least = sum(u[i] for i in flexible) - sum(room[1:])
    for order in (there, there[::-1]):
        chosen = _subset_in_window([u[i] for i in order], at_least, room[0], highest=True)
        if chosen is None:
            return None, True  # the first year cannot take enough for the others to hold the rest
        taken = {order[k] for k in chosen}
        rest = [i for i in flexible if i not in taken]
        packed, _ = _pack(rest, u, {i: masks[i] >> 1 for i in rest}, room[1:])
        if packed is not None:
            return {
                **assign,
                **dict.fromkeys(taken, 0),
                **{i: y + 1 for i, y in packed.items()},
            }, True
    return None, False


# --- exact dynamic programmes --------------------------------------------------------------------


def _dtype(total: int) -> Any:
    """int64 when every sum fits, else Python integers (exact, slower)."""
    return np.int64 if total < 2**60 else object


def _classes_merged(
    free: Sequence[int], u: Mapping[int, int], values: Sequence[int], room: int
) -> tuple[int, list[int]] | None:
    """The merged knapsack (one remainder of ``room`` steps) over ``free`` by amount classes:
    (best value, items taken), or None when that DP would cost too much."""
    if len({u[i] for i in free}) * (room + 1 + _DP_CALL_COST) > _DP_CELLS:
        return None  # many distinct amounts and many steps: each class costs a pass at least
    classes: dict[int, list[int]] = {}
    for i in free:
        if u[i] <= room:
            classes.setdefault(u[i], []).append(i)
    cost = sum(min(len(m), room // s) * (room + 1 + _DP_CALL_COST) for s, m in classes.items())
    if cost > _DP_CELLS:
        return None
    total = sum(values[i] for i in free)
    neg = -(total + 1)
    best = np.full(room + 1, neg, dtype=_dtype(2 * total + 2))
    best[0] = 0
    history = []
    for s, members in classes.items():
        members.sort(key=lambda i: (-values[i], i))
        kmax = min(len(members), room // s)
        prefix = list(itertools.accumulate((values[i] for i in members[:kmax]), initial=0))
        new = best.copy()
        arg = np.zeros(room + 1, dtype=np.int32)
        for k in range(1, kmax + 1):
            shift = k * s
            cand = best[: room + 1 - shift] + prefix[k]
            target = new[shift:]
            better = cand > target
            target[better] = cand[better]
            arg[shift:][better] = k
        history.append((s, members, arg))
        best = new
    at = int(np.argmax(best))
    value = int(best[at])
    taken: list[int] = []
    for s, members, arg in reversed(history):
        k = int(arg[at])
        taken.extend(members[:k])
        at -= k * s
    return value, taken


def _by_value(
    free: Sequence[int], u: Mapping[int, int], values: Sequence[int], room: int
) -> tuple[int, list[int]] | None:
    """The merged knapsack over ``free`` by a DP of the least steps needed for each total value:
    (best value, items taken), or None when it would cost too much."""
    free = [i for i in free if u[i] <= room and values[i] > 0]
    top = sum(values[i] for i in free)
    if len(free) * (top + 1) + len(free) * _DP_CALL_COST > _DP_CELLS or top >= 2**50:
        return None
    big = np.int64(sum(u[i] for i in free) + room + 1)
    least = np.full(top + 1, big, dtype=np.int64)
    least[0] = 0
    took = np.zeros((len(free), top + 1), dtype=np.bool_)
    reached = 0
    for k, i in enumerate(free):
        v = values[i]
        cand = least[: reached + 1] + u[i]
        segment = least[v : v + reached + 1]
        better = cand < segment
        took[k, v : v + reached + 1] = better
        np.minimum(segment, cand, out=segment)
        reached += v
    fitting = np.flatnonzero(least <= room)
    at = int(fitting[-1])
    value = at
    taken = []
    for k in range(len(free) - 1, -1, -1):
        if at and took[k, at]:
            taken.append(free[k])
            at -= values[free[k]]
    return value, taken


def _classes_by_year(
    p: _Problem, items: Sequence[int], forced: frozenset[int], u: Mapping[int, int], caps: list[int]
) -> tuple[_Outcome | None, bool]:
    """Exact DP over the years' remainders (in steps), by classes of equal amount and years.

    Returns (outcome, applicable): outcome None and applicable True means the forced items do
    not fit together; applicable False means the DP would be too large."""
    m = len(caps)
    states = math.prod(c + 1 for c in caps)
    if states > _STATES:
        return None, False
    classes: dict[tuple[int, int], list[int]] = {}
    for i in items:
        classes.setdefault((u[i], p.masks[i]), []).append(i)
    plans = []
    cost = 0
    for (s, mask), members in classes.items():
        members.sort(key=lambda i: (i not in forced, -p.values[i], i))
        need = sum(1 for i in members if i in forced)
        ranges = [
            range(min(len(members), caps[y] // s) + 1) if mask >> y & 1 else range(1)
            for y in range(m)
        ]
        choices = [c for c in itertools.product(*ranges) if need <= sum(c) <= len(members)]
        plans.append((s, members, choices))
        cost += len(choices) * (states + _DP_CALL_COST)
        if cost > _DP_CELLS:
            return None, False
    total = sum(p.values[i] for i in items)
    neg = -(total + 1)
    shape = tuple(c + 1 for c in caps)
    best = np.full(shape, neg, dtype=_dtype(2 * total + 2))
    best[(0,) * m] = 0
    history = []
    for s, members, choices in plans:
        prefix = list(itertools.accumulate((p.values[i] for i in members), initial=0))
        new = np.full(shape, neg, dtype=best.dtype)
        arg = np.full(shape, -1, dtype=np.int32)
        for index, counts in enumerate(choices):
            shifts = [k * s for k in counts]
            if any(shifts[y] > caps[y] for y in range(m)):
                continue
            source = best[tuple(slice(0, caps[y] + 1 - shifts[y]) for y in range(m))]
            cand = source + prefix[sum(counts)]
            target = new[tuple(slice(shifts[y], None) for y in range(m))]
            better = cand > target
            target[better] = cand[better]
            arg[tuple(slice(shifts[y], None) for y in range(m))][better] = index
        history.append((s, members, choices, arg))
        best = new
    flat_at = int(np.argmax(best))
    if best.flat[flat_at] < 0:
        return None, True
    at = list(np.unravel_index(flat_at, shape))
    assign: dict[int, int] = {}
    for s, members, choices, arg in reversed(history):
        counts = choices[int(arg[tuple(at)])]
        queue = iter(members)
        for y, k in enumerate(counts):
            for _ in range(k):
                assign[next(queue)] = y
            at[y] -= k * s
    return _Outcome(assign, True, "classes-years"), True


# --- HiGHS, for what the exact methods above cannot settle ---------------------------------------


def _new_highs() -> Any:
    """A silent HiGHS. The binding itself (``highspy._Highs``), not the ``highspy.Highs`` wrapper:
    the wrapper sets up its callbacks in its constructor, which prints HiGHS's banner on stdout
    before any option can silence it (and the command line's stdout is JSON)."""
    import highspy

    h = cast(Any, highspy)._Highs()  # exported by highspy, absent from its type stubs
    h.setOptionValue("output_flag", False)
    return h


def _highs(
    p: _Problem,
    items: Sequence[int],
    forced: frozenset[int],
    u: Mapping[int, int],
    caps: list[int],
    seconds: float,
) -> tuple[_Outcome | None, bool]:
    """MILP over ``items`` (``forced`` ones retained). Returns (outcome, solved): (None, True) when
    HiGHS proves it infeasible, (None, False) when it found nothing in the time given."""
    import highspy

    m = len(caps)
    columns = [(i, y) for i in items for y in range(m) if p.masks[i] >> y & 1 and u[i] <= caps[y]]
    if not columns:
        return (_Outcome({}, True, "highs"), True) if not forced else (None, True)
    row_of = {i: r for r, i in enumerate(items)}
    n_rows = len(items) + m
    lp = highspy.HighsLp()
    lp.num_col_ = len(columns)
    lp.num_row_ = n_rows
    lp.col_cost_ = np.array([float(p.values[i]) for i, _ in columns])
    lp.col_lower_ = np.zeros(len(columns))
    lp.col_upper_ = np.ones(len(columns))
    lower = [1.0 if i in forced else 0.0 for i in items] + [-highspy.kHighsInf] * m
    lp.row_lower_ = np.array(lower)
    lp.row_upper_ = np.array([1.0] * len(items) + [float(c) for c in caps])
    index = np.empty(2 * len(columns), dtype=np.int32)
    coef = np.empty(2 * len(columns))
    for k, (i, y) in enumerate(columns):
        index[2 * k], coef[2 * k] = row_of[i], 1.0
        index[2 * k + 1], coef[2 * k + 1] = len(items) + y, float(u[i])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.arange(0, 2 * len(columns) + 1, 2, dtype=np.int32)
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = coef
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.integrality_ = [highspy.HighsVarType.kInteger] * len(columns)
    h = _new_highs()
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 1e-6)
    h.setOptionValue("time_limit", max(seconds, 0.01))
    h.passModel(lp)
    h.run()
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kInfeasible:
        return None, True
    solution = h.getSolution()
    if not solution.value_valid:
        return None, False
    x = solution.col_value
    assign = {i: y for k, (i, y) in enumerate(columns) if x[k] > 0.5}
    load = [0] * m
    for i, y in assign.items():
        load[y] += u[i]
    exact = all(load[y] <= caps[y] for y in range(m)) and forced <= assign.keys()
    # Within HiGHS's tolerances an answer could overshoot a year by a few steps: never kept.
    for y in range(m):
        for i in sorted((i for i in assign if assign[i] == y), key=lambda i: p.values[i]):
            if load[y] <= caps[y]:
                break
            if i not in forced:
                del assign[i]
                load[y] -= u[i]
    if any(load[y] > caps[y] for y in range(m)) or not forced <= assign.keys():
        return None, False
    proven = (
        status == highspy.HighsModelStatus.kOptimal
        and exact
        and sum(p.values[i] for i in items) < 2**53
    )
    return _Outcome(assign, proven, "highs"), True


# --- the solver ----------------------------------------------------------------------------------


def _greedy_fill(
    order: Iterable[int], start: dict[int, int], u: Mapping[int, int], masks: Sequence[int],
    caps: Sequence[int],
) -> dict[int, int]:  # fmt: skip
    """Best fit: each item of ``order`` into the fullest year where it still fits."""
    assign = dict(start)
    left = list(caps)
    for i, y in assign.items():
        left[y] -= u[i]
    for i in order:
        if i in assign:
            continue
        fit = [y for y in range(len(caps)) if masks[i] >> y & 1 and u[i] <= left[y]]
        if fit:
            y = min(fit, key=lambda y: left[y])
            assign[i] = y
            left[y] -= u[i]
    return assign


def _solve_problem(p: _Problem, pinned: frozenset[int], deadline: float) -> _Outcome:
    """The best programming of ``p`` with ``pinned`` retained (raises ``_Infeasible``)."""
    m = len(p.years)
    candidates = []
    for i in range(len(p.ids)):
        if i in p.excluded or (p.values[i] == 0 and i not in pinned):
            continue
        if not p.fit[i]:
            if i in pinned:
                raise _Infeasible(i)
            continue
        candidates.append(i)
    assign: dict[int, int] = {}
    items = []
    for i in candidates:
        if p.weights[i] == 0:  # costs nothing: retained, on the first year it may go to
            assign[i] = next(y for y in range(m) if p.masks[i] >> y & 1)
        else:
            items.append(i)
    if not items:
        return _Outcome(assign, True, "trivial")
    step = math.gcd(*(p.weights[i] for i in items))
    caps = [c // step for c in p.caps]
    u = {i: p.weights[i] // step for i in items}
    values = p.values
    pins = [i for i in items if i in pinned]
    pin_assign, proven = _pack(pins, u, p.masks, caps)
    if pin_assign is None and proven:
        raise _Infeasible(None)
    free = [i for i in items if i not in pinned]
    room = sum(caps) - sum(u[i] for i in pins)
    pin_value = sum(values[i] for i in pins)

    def done(extra: dict[int, int], optimal: bool, method: str) -> _Outcome:
        return _Outcome({**assign, **extra}, optimal, method)

    # 1. The merged knapsack by amount classes, when amounts are few (flat amounts).
    merged = _classes_merged(free, u, values, room) if pin_assign is not None else None
    if merged is not None:
        packed, _ = _pack(pins + merged[1], u, p.masks, caps)
        if packed is not None:
            return done(packed, True, "classes")
    # 2. A feasible programming (greedy), the Lagrangian bound and the reduced core.
    order = sorted(free, key=lambda i: values[i] / u[i], reverse=True)
    incumbent: dict[int, int] | None = None
    if pin_assign is not None:
        incumbent = _greedy_fill(order, pin_assign, u, p.masks, caps)
    best = -1  # the incumbent's value (none: -1, below any programming's)
    if incumbent is not None:
        best = pin_value + sum(values[i] for i in incumbent if i not in pinned)
    filled, num, den = 0, 0, 1  # λ = num / den, the value per step of the break item
    for i in order:
        if filled + u[i] > room:
            num, den = values[i], u[i]
            break
        filled += u[i]
    reduced = {i: values[i] * den - num * u[i] for i in free}
    bound = num * room + den * pin_value + sum(r for r in reduced.values() if r > 0)
    threshold = (best + 1) * den  # a programming better than the incumbent is worth ≥ best + 1
    if incumbent is not None and bound < threshold:
        return done(incumbent, True, "bound")
    if incumbent is not None and merged is not None and pin_value + merged[0] <= best:
        return done(incumbent, True, "classes")
    ones = [i for i in free if reduced[i] > 0 and bound - reduced[i] < threshold]
    core = [
        i for i in free if i not in ones and not (reduced[i] < 0 and bound + reduced[i] < threshold)
    ]
    core_room = room - sum(u[i] for i in ones)
    if incumbent is not None and core_room < 0:
        return done(incumbent, True, "bound")
    # 3. The merged knapsack over the core, exactly, then split into years.
    if merged is None:
        merged_core = _by_value(core, u, values, core_room) if core_room >= 0 else None
        if merged_core is None and core_room >= 0:
            merged_core = _classes_merged(core, u, values, core_room)
        if merged_core is not None:
            top = pin_value + sum(values[i] for i in ones) + merged_core[0]
            if incumbent is not None and top <= best:
                return done(incumbent, True, "core")
            packed, _ = _pack(pins + ones + merged_core[1], u, p.masks, caps)
            if packed is not None:
                return done(packed, True, "core")
    # 4. Exact over the years: the class DP when small enough, else HiGHS on the core.
    forced = frozenset(pins) | frozenset(ones)
    restricted = pins + ones + core
    outcome, applicable = _classes_by_year(p, restricted, forced, u, caps)
    if not applicable:
        seconds = deadline - time.monotonic()
        outcome, solved = _highs(p, restricted, forced, u, caps, seconds)
        if outcome is None and not solved:
            if incumbent is None:
                raise TimeoutError
            return done(incumbent, False, "greedy")
    if outcome is None:  # the forced set does not fit: nothing better than the incumbent
        if incumbent is None:
            raise _Infeasible(None)
        return done(incumbent, True, "bound")
    if incumbent is not None and outcome.value(p) < best:
        return done(incumbent, outcome.optimal, outcome.method)
    return done(outcome.assign, outcome.optimal, outcome.method)


# --- what the committee's page shows -------------------------------------------------------------


def format_value(value: Fraction) -> str:
    """A value in French: « 37,5 », « 12 », « 12,33 » (two decimals at most, rounded)."""
    rounded = Decimal(value.numerator) / Decimal(value.denominator)
    text = f"{rounded.quantize(Decimal('0.01')):f}".rstrip("0").rstrip(".")
    whole, _, decimals = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    digits = whole.lstrip("-")
    groups: list[str] = []
    while digits:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    shown = sign + "\u00a0".join(groups or ["0"])
    return f"{shown},{decimals}" if decimals else shown


def _names(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " et " + names[-1]


def _left(p: _Problem, assign: Mapping[int, int]) -> dict[int, Decimal]:
    used = [0] * len(p.years)
    for i, y in assign.items():
        used[y] += p.weights[i]
    return {year: Decimal(p.caps[y] - used[y]) / 100 for y, year in enumerate(p.years)}


def _retained(p: _Problem, instance: Instance, assign: Mapping[int, int]) -> tuple[Retained, ...]:
    return tuple(
        Retained(
            id=p.ids[i],
            year=p.years[assign[i]],
            amount=instance.dossiers[i].amount,
            value=p.values[i] * p.unit,
        )
        for i in sorted(assign)
    )


def _by_rank(p: _Problem, items: Iterable[int]) -> list[int]:
    chosen = set(items)
    return [i for i in p.ranked if i in chosen]


def _greedy(p: _Problem, instance: Instance, pinned_years: Mapping[int, int]) -> GreedyResult:
    assign = dict(pinned_years)
    left = list(p.caps)
    for i, y in assign.items():
        left[y] -= p.weights[i]
    years = range(len(p.years))
    for i in p.ranked:
        if p.values[i] == 0:
            break
        if i in assign or i in p.excluded or not p.fit[i]:
            continue
        w = p.weights[i]
        for y in years:
            if w <= left[y] and p.masks[i] >> y & 1:
                assign[i] = y
                left[y] -= w
                break
    return GreedyResult(
        objective=sum((p.values[i] for i in assign), 0) * p.unit,
        selected=_retained(p, instance, assign),
        left=_left(p, assign),
    )


def _earliest_years(p: _Problem, assign: Mapping[int, int]) -> dict[int, int]:
    """The same dossiers, each moved to the earliest year where it fits once those ranked before
    it are placed: the current year's envelope is spent first (the proposal's value is unchanged,
    and the same dossiers give the same years)."""
    left = list(p.caps)
    for i, y in assign.items():
        left[y] -= p.weights[i]
    moved = dict(assign)
    for i in _by_rank(p, assign):
        for y in range(moved[i]):
            if p.masks[i] >> y & 1 and p.weights[i] <= left[y]:
                left[y] -= p.weights[i]
                left[moved[i]] += p.weights[i]
                moved[i] = y
                break
    return moved


def _euros_by_year(p: _Problem, left: Mapping[int, Decimal], years: Iterable[int]) -> str:
    parts = [f"{format_euros(left[p.years[y]])} en {p.years[y]}" for y in years]
    return _names(parts)


def _explain(
    p: _Problem, instance: Instance, outcome: _Outcome, time_limit: float
) -> tuple[Reason, ...]:
    selected = outcome.assign
    chosen = [p.values[i] for i in selected if i not in p.pinned]
    if not chosen:  # only what the committee imposed: no ranking of the solver's to explain
        return ()
    lowest = min(chosen)
    total = outcome.value(p)
    left = _left(p, {})
    names = [d.name for d in instance.dossiers]
    reasons = []
    budget_end = time.monotonic() + time_limit  # all the explanations share one solve's time
    for i in p.ranked:
        if i in selected or p.values[i] <= lowest:
            continue
        value = p.values[i] * p.unit
        d = instance.dossiers[i]
        allowed = [y for y in range(len(p.years)) if p.masks[i] >> y & 1]
        if i in p.excluded:
            reasons.append(Reason(d.id, value, "excluded", "Écarté par le comité."))
            continue
        if not p.fit[i]:
            only = (
                ""
                if len(allowed) == len(p.years)
                else f" (il ne peut être imputé que sur {_names([str(p.years[y]) for y in allowed])})"
            )
            text = (
                f"Il ne tient dans aucune enveloppe{only} : il demande {format_euros(d.amount)} "
                f"et il reste {_euros_by_year(p, left, allowed)}."
            )
            reasons.append(Reason(d.id, value, "no_room", text))
            continue
        if time.monotonic() >= budget_end:
            text = "Non expliqué : le temps de calcul imparti aux explications est épuisé."
            reasons.append(Reason(d.id, value, "unexplained", text, proven=False))
            continue
        try:
            other = _solve_problem(p, p.pinned | {i}, budget_end)
        except TimeoutError:
            text = "Non expliqué : le temps de calcul imparti aux explications est épuisé."
            reasons.append(Reason(d.id, value, "unexplained", text, proven=False))
            continue
        except _Infeasible:
            pins = sorted(p.pinned)
            after_pins = _left(p, {j: selected[j] for j in pins if j in selected})
            text = (
                f"Avec les dossiers imposés par le comité ({_names([names[j] for j in pins])}), "
                f"il ne tient dans aucune enveloppe : il demande {format_euros(d.amount)} et il "
                f"reste {_euros_by_year(p, after_pins, allowed)} une fois ceux-ci imputés."
            )
            reasons.append(Reason(d.id, value, "no_room", text))
            continue
        with_it = other.value(p)
        out = _by_rank(p, set(selected) - set(other.assign))
        added = _by_rank(p, set(other.assign) - set(selected) - {i})
        lost = (total - with_it) * p.unit
        out_value = sum((p.values[j] for j in out), 0) * p.unit
        added_value = sum((p.values[j] for j in added), 0) * p.unit
        # Not proven: a better programming retaining it may exist, so the loss is at most this.
        at_most = "" if other.optimal else "au plus "
        proof = "" if other.optimal else " (calcul interrompu avant la preuve)"
        found = "" if other.optimal else "trouvée "
        if with_it > total:  # only when the proposal is not proven optimal
            text = (
                f"Le retenir donnerait une meilleure programmation "
                f"({format_value(with_it * p.unit)}) : la proposition n'est pas prouvée optimale."
            )
            kind = "better"
        elif with_it == total:
            text = (
                f"À valeur égale : le retenir à la place de {_names([names[j] for j in out])} "
                f"donne la même valeur totale ({format_value(total * p.unit)}) ; la proposition "
                f"retient l'autre choix."
            )
            kind = "tie"
        else:
            also = (
                f" ; même en ajoutant {_names([names[j] for j in added])} "
                f"({format_value(added_value)}), le total baisse"
                if added
                else ""
            )
            worth = "la valeur cumulée" if len(out) > 1 else "la valeur"
            text = (
                f"Le retenir imposerait d'écarter {_names([names[j] for j in out])}, dont "
                f"{worth} ({format_value(out_value)}) est plus haute que la sienne "
                f"({format_value(value)}){also} : la meilleure programmation {found}qui le "
                f"retient vaut "
                f"{format_value(with_it * p.unit)}, soit {at_most}{format_value(lost)} de moins"
                f"{proof}."
            )
            kind = "displaces"
        reasons.append(
            Reason(
                d.id,
                value,
                kind,
                text,
                displaced=tuple(p.ids[j] for j in out),
                added=tuple(p.ids[j] for j in added),
                value_lost=lost,
                best_with_it=with_it * p.unit,
                proven=other.optimal,
            )
        )
    return tuple(reasons)


def _waiting_list(
    p: _Problem, instance: Instance, assign: Mapping[int, int], size: int
) -> tuple[WaitingEntry, ...]:
    """The next best dossiers left out, by value (an optimal proposal leaves none that would still
    fit: each would enter when retained ones leave or are reduced)."""
    ranked: list[int] = []
    for i in p.ranked:
        if len(ranked) >= size or p.values[i] == 0:
            break
        if i not in assign and i not in p.excluded and p.fit[i]:
            ranked.append(i)
    return tuple(
        WaitingEntry(
            rank=rank,
            id=p.ids[i],
            value=p.values[i] * p.unit,
            amount=instance.dossiers[i].amount,
            years=tuple(year for y, year in enumerate(p.years) if p.fit[i] >> y & 1),
        )
        for rank, i in enumerate(ranked, start=1)
    )


def solve(
    instance: Instance,
    *,
    explain: bool = True,
    waiting_list: int = 10,
    time_limit: float = DEFAULT_TIME_LIMIT,
) -> Proposal:
    """The committee's proposal for ``instance`` (raises ``InstanceError`` for a malformed one,
    or when the pinned dossiers cannot all be charged). ``explain=False`` skips the reasons (one
    more solve per dossier explained); ``time_limit`` bounds each solve, in seconds."""
    started = time.perf_counter()
    p = _problem(instance)
    try:
        outcome = _solve_problem(p, p.pinned, time.monotonic() + time_limit)
    except _Infeasible as exc:
        raise InstanceError("pinned", _pinned_message(p, instance, exc.culprit)) from None
    except TimeoutError:
        raise InstanceError(
            "pinned",
            "aucune programmation retenant tous les dossiers imposés n'a été trouvée dans le "
            "temps imparti.",
        ) from None
    outcome.assign = _earliest_years(p, outcome.assign)
    pinned_years = {i: y for i, y in outcome.assign.items() if i in p.pinned}
    greedy = _greedy(p, instance, pinned_years)
    objective = outcome.value(p) * p.unit
    if not outcome.optimal and greedy.objective > objective:
        position = {d: i for i, d in enumerate(p.ids)}
        greedy_assign = {position[r.id]: p.years.index(r.year) for r in greedy.selected}
        outcome = _Outcome(greedy_assign, False, outcome.method)
        objective = greedy.objective
    reasons = _explain(p, instance, outcome, time_limit) if explain else ()
    return Proposal(
        objective=objective,
        optimal=outcome.optimal,
        selected=_retained(p, instance, outcome.assign),
        left=_left(p, outcome.assign),
        method=outcome.method,
        greedy=greedy,
        gain_over_greedy=objective - greedy.objective,
        reasons=reasons,
        waiting_list=_waiting_list(p, instance, outcome.assign, waiting_list),
        seconds=time.perf_counter() - started,
    )


def _pinned_message(p: _Problem, instance: Instance, culprit: int | None) -> str:
    envelopes = _names([f"{format_euros(instance.envelopes[y])} en {y}" for y in p.years])
    if culprit is not None:
        d = instance.dossiers[culprit]
        return (
            f"le dossier imposé {d.name} ({format_euros(d.amount)}) ne tient dans aucune "
            f"enveloppe : il reste {envelopes}."
        )
    pinned = [instance.dossiers[i] for i in sorted(p.pinned)]
    total = sum((d.amount for d in pinned), Decimal(0))
    return (
        f"les dossiers imposés ({_names([d.name for d in pinned])}, {format_euros(total)} en "
        f"tout) ne tiennent pas ensemble dans les enveloppes : il reste {envelopes}."
    )


def _number(value: Fraction | Decimal) -> int | float:
    if isinstance(value, Fraction) and value.denominator == 1:
        return int(value)
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return float(value)


def proposal_as_json(proposal: Proposal) -> dict[str, Any]:
    """The command line's answer. The first four keys are the stable contract."""

    def retained(rows: Iterable[Retained]) -> list[dict[str, Any]]:
        return [{"id": r.id, "year": r.year} for r in rows]

    def left(by_year: Mapping[int, Decimal]) -> dict[str, int | float]:
        return {str(y): _number(a) for y, a in sorted(by_year.items())}

    return {
        "objective": _number(proposal.objective),
        "optimal": proposal.optimal,
        "selected": retained(proposal.selected),
        "left": left(proposal.left),
        "objective_exact": str(proposal.objective),
        "method": proposal.method,
        "greedy": {
            "objective": _number(proposal.greedy.objective),
            "selected": retained(proposal.greedy.selected),
            "left": left(proposal.greedy.left),
        },
        "gain_over_greedy": _number(proposal.gain_over_greedy),
        "reasons": [
            {
                "id": r.id,
                "value": _number(r.value),
                "kind": r.kind,
                "text": r.text,
                "displaced": list(r.displaced),
                "added": list(r.added),
                "value_lost": None if r.value_lost is None else _number(r.value_lost),
                "proven": r.proven,
            }
            for r in proposal.reasons
        ],
        "waiting_list": [
            {
                "rank": w.rank,
                "id": w.id,
                "value": _number(w.value),
                "amount": _number(w.amount),
                "years": list(w.years),
            }
            for w in proposal.waiting_list
        ],
        "seconds": round(proposal.seconds, 4),
    }


# --- the textbook model, for comparison ----------------------------------------------------------


@dataclass(frozen=True)
class PlainResult:
    objective: float  # the best programming found (nan when none)
    bound: float  # HiGHS's dual bound: no programming is worth more
    optimal: bool
    selected: tuple[tuple[str, int], ...]
    seconds: float


def plain_milp(instance: Instance, *, time_limit: float = 600.0) -> PlainResult:
    """The plain MILP the solver is measured against (tests and ``bench/programming.py``): one
    binary x[i, y] per dossier and allowed year, Σ_y x[i, y] ≤ 1 (= 1 when pinned, 0 when
    excluded), Σ_i amount_i x[i, y] ≤ remainder_y, maximise Σ value_i x[i, y]; euros and values
    as floats, HiGHS with a zero gap. Built from the instance, so its time includes the model."""
    import highspy

    started = time.perf_counter()
    years = sorted(instance.envelopes)
    weight = float(instance.priority_small)
    columns = []
    for n, d in enumerate(instance.dossiers):
        for y, year in enumerate(years):
            if d.years is None or year in d.years:
                columns.append((n, y))
    n_items, m = len(instance.dossiers), len(years)
    lp = highspy.HighsLp()
    lp.num_col_ = len(columns)
    lp.num_row_ = n_items + m
    cost = [float(d.score) * (weight if d.small else 1.0) for d in instance.dossiers]
    lp.col_cost_ = np.array([cost[n] for n, _ in columns])
    lp.col_lower_ = np.zeros(len(columns))
    lp.col_upper_ = np.ones(len(columns))
    lower = [1.0 if d.id in instance.pinned else 0.0 for d in instance.dossiers]
    upper = [0.0 if d.id in instance.excluded else 1.0 for d in instance.dossiers]
    lp.row_lower_ = np.array(lower + [-highspy.kHighsInf] * m)
    lp.row_upper_ = np.array(upper + [float(instance.envelopes[y]) for y in years])
    index = np.empty(2 * len(columns), dtype=np.int32)
    coef = np.empty(2 * len(columns))
    amounts = [float(d.amount) for d in instance.dossiers]
    for k, (n, y) in enumerate(columns):
        index[2 * k], coef[2 * k] = n, 1.0
        index[2 * k + 1], coef[2 * k + 1] = n_items + y, amounts[n]
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.arange(0, 2 * len(columns) + 1, 2, dtype=np.int32)
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = coef
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.integrality_ = [highspy.HighsVarType.kInteger] * len(columns)
    h = _new_highs()
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 0.0)
    h.setOptionValue("time_limit", time_limit)
    h.passModel(lp)
    h.run()
    status = h.getModelStatus()
    solution = h.getSolution()
    selected: tuple[tuple[str, int], ...] = ()
    objective = float("nan")
    if solution.value_valid:
        x = solution.col_value
        selected = tuple(
            (instance.dossiers[n].id, years[y]) for k, (n, y) in enumerate(columns) if x[k] > 0.5
        )
        objective = float(h.getInfo().objective_function_value)
    return PlainResult(
        objective=objective,
        bound=float(h.getInfo().mip_dual_bound),
        optimal=status == highspy.HighsModelStatus.kOptimal,
        selected=selected,
        seconds=time.perf_counter() - started,
    )


__all__ = [
    "DossierInput",
    "GreedyResult",
    "Instance",
    "InstanceError",
    "PlainResult",
    "Proposal",
    "Reason",
    "Retained",
    "WaitingEntry",
    "dossier_value",
    "format_value",
    "is_small",
    "parse_instance",
    "plain_milp",
    "priority_weight",
    "proposal_as_json",
    "solve",
]
