"""The parameters of one call (« règlement de l'appel »), validated from plain data.

A call definition file (YAML) is parsed elsewhere into plain dicts and lists; ``parse_call_rules``
turns them into a frozen ``CallRules`` or raises ``DefinitionError`` naming the field (as a dotted
path such as ``flat_amounts[1].amount``) and the problem, in French.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from .applicant import ApplicantKind
from .money import AmountError, parse_euros
from .postaward import PaymentKind, PieceKind, PostAwardRules
from .siret import SiretError, parse_siret

T = TypeVar("T")

# Every rule id the engine knows. A call definition gives the quote of each rule it uses.
RULE_IDS = (
    "ELIG-KIND",
    "ELIG-SIZE",
    "ELIG-TERRITORY",
    "JOINT",
    "CAT-1",
    "CAT-2",
    "CAT-3",
    "EXAMPLES",
    "DEADLINE",
    "SESSIONS",
    "ENGAGEMENT",
    "COST-FLOOR",
    "ENVELOPE",
    "FLAT-RATE",
    "FULL-RATE",
    "MODULATION",
    "COMMITTEE",
    "PRIORITY-SIZE",
    "PRIORITY-IMPACT",
)
REQUIRED_RULES = (
    "ELIG-KIND",
    "ELIG-TERRITORY",
    "JOINT",
    "DEADLINE",
    "SESSIONS",
    "ENGAGEMENT",
    "COST-FLOOR",
    "ENVELOPE",
    "FLAT-RATE",
)
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TIMEZONES = ("Europe/Paris",)


class DefinitionError(ValueError):
    """A call definition is wrong. ``path`` names the field, ``message`` says what is wrong."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path or '(racine)'} : {message}")
        self.path = path
        self.message = message


@dataclass(frozen=True)
class RuleText:
    id: str
    title: str
    quote: str


@dataclass(frozen=True)
class Category:
    code: str
    title: str
    description: str
    fundable: tuple[str, ...]

    @property
    def rule_id(self) -> str:
        return f"CAT-{self.code}"


@dataclass(frozen=True)
class FlatAmountTier:
    """One line of the flat-amount table; the first tier that matches the applicant applies."""

    label: str
    kinds: frozenset[ApplicantKind]
    amount: Decimal
    population_below: int | None = None

    def matches(self, kind: ApplicantKind, population: int | None) -> bool | None:
        """True/False, or None when the population it needs is unknown."""
        if kind not in self.kinds:
            return False
        if self.population_below is None:
            return True
        if population is None:
            return None
        return population < self.population_below


@dataclass(frozen=True)
class CollectionSessionRule:
    date: dt.date
    label: str


@dataclass(frozen=True)
class EnvelopeRule:
    year: int
    amount: Decimal


@dataclass(frozen=True)
class Criterion:
    """One criterion of the scoring grid; ``levels`` gives the meaning of each mark of the scale,
    from the lowest (``levels[0]`` is the meaning of ``scale_min``)."""

    code: str
    label: str
    weight: Decimal
    rule: str | None = None
    help: str = ""
    levels: tuple[str, ...] = ()

    def level_choices(self, scale_min: int) -> tuple[tuple[int, str], ...]:
        """(mark, meaning) for each mark of the scale."""
        return tuple((scale_min + i, text) for i, text in enumerate(self.levels))


@dataclass(frozen=True)
class ScoringGrid:
    scale_min: int
    scale_max: int
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True)
class CommitteeRules:
    """How the call's committee works: the clear days between the convocation and the meeting
    (0 for this call; 5 for DETR, CGCT L2334-37), the legal basis the decisions quote, who signs
    them, and the voies et délais de recours printed on them."""

    convocation_clear_days: int = 0
    legal_basis: str = ""
    signatory: str = ""
    recourse: str = ""


@dataclass(frozen=True)
class PrioritySmall:
    """Rule PRIORITY-SIZE as the committee's programming applies it: the value of a dossier carried
    by a collectivité of one of ``kinds`` with fewer than ``population_below`` inhabitants is its
    weighted score multiplied by ``weight``."""

    weight: Decimal
    population_below: int
    kinds: frozenset[ApplicantKind]
    rule: str = "PRIORITY-SIZE"


@dataclass(frozen=True)
class ProgrammingRules:
    """What the committee's programming assistant takes from the call."""

    priority_small: PrioritySmall | None = None


@dataclass(frozen=True)
class OpenDataRules:
    """``open_data:``: who grants (name and SIRET, the SCDL's nomAttribuant and idAttribuant) and
    the ``dispositifAide`` label of the SCDL Subventions file."""

    grantor_name: str
    grantor_siret: str
    dispositif_aide: str = ""


@dataclass(frozen=True)
class CallRules:
    slug: str
    title: str
    fund: str
    axis: int
    service: str
    departement: str
    reference_vintage: str
    timezone: str
    opens_on: dt.date
    deadline: dt.date
    engagement_deadline: dt.date
    sessions: tuple[CollectionSessionRule, ...]
    eligible_kinds: frozenset[ApplicantKind]
    population_below: int | None
    excluded: tuple[str, ...]
    cost_floor: Decimal
    cost_ceiling: Decimal | None
    flat_amounts: tuple[FlatAmountTier, ...]
    full_rate_population_below: int | None
    envelopes: tuple[EnvelopeRule, ...]
    categories: tuple[Category, ...]
    examples: tuple[str, ...]
    scoring: ScoringGrid
    rules: Mapping[str, RuleText]
    summary: str = ""
    source_url: str = ""
    apply_url: str = ""
    is_demo: bool = False
    settings: Mapping[str, Any] = field(default_factory=dict)
    committee: CommitteeRules = field(default_factory=CommitteeRules)
    programming: ProgrammingRules | None = None
    post_award: PostAwardRules = field(default_factory=PostAwardRules)
    open_data: OpenDataRules | None = None

    def rule(self, rule_id: str) -> RuleText:
        return self.rules[rule_id]

    def category(self, code: str) -> Category | None:
        return next((c for c in self.categories if c.code == code), None)

    @property
    def total_envelope(self) -> Decimal:
        return sum((e.amount for e in self.envelopes), Decimal(0))


# --- parsing helpers -------------------------------------------------------------------------


def _at(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _mapping(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise DefinitionError(path, "doit être une table de clés et de valeurs.")
    return value


def _list(value: Any, path: str, *, non_empty: bool = True) -> Sequence[Any]:
    if not isinstance(value, list):
        raise DefinitionError(path, "doit être une liste.")
    if non_empty and not value:
        raise DefinitionError(path, "ne doit pas être vide.")
    return value


def _required(data: Mapping[str, Any], key: str, path: str) -> Any:
    if key not in data or data[key] is None:
        raise DefinitionError(_at(path, key), "champ obligatoire manquant.")
    return data[key]


def _text(data: Mapping[str, Any], key: str, path: str, *, default: str | None = None) -> str:
    if default is not None and data.get(key) is None:
        return default
    value = _required(data, key, path)
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
        raise DefinitionError(_at(path, key), "doit être un texte non vide.")
    return str(value).strip()


def _date(data: Mapping[str, Any], key: str, path: str) -> dt.date:
    value = _required(data, key, path)
    if isinstance(value, dt.datetime):
        raise DefinitionError(_at(path, key), "doit être une date (AAAA-MM-JJ), sans heure.")
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise DefinitionError(
            _at(path, key), f"« {value} » n'est pas une date AAAA-MM-JJ."
        ) from None


def _euros(value: Any, path: str, *, allow_zero: bool = False) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        if isinstance(value, float):
            raise DefinitionError(
                path, "un montant s'écrit sans virgule flottante : entier ou texte « 1234.50 »."
            )
        raise DefinitionError(path, "doit être un montant en euros.")
    try:
        return parse_euros(value, allow_zero=allow_zero)
    except AmountError as exc:
        raise DefinitionError(path, str(exc)) from None


def _int(value: Any, path: str, *, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DefinitionError(path, "doit être un nombre entier.")
    if minimum is not None and value < minimum:
        raise DefinitionError(path, f"doit être au moins {minimum}.")
    return value


def _kinds(value: Any, path: str) -> frozenset[ApplicantKind]:
    kinds = set()
    for i, item in enumerate(_list(value, path)):
        try:
            kind = ApplicantKind(str(item))
        except ValueError:
            allowed = ", ".join(k.value for k in ApplicantKind if k is not ApplicantKind.OTHER)
            raise DefinitionError(
                _at(path, i), f"type de structure « {item} » inconnu (attendu : {allowed})."
            ) from None
        if kind is ApplicantKind.OTHER:
            raise DefinitionError(_at(path, i), "seules des collectivités peuvent être éligibles.")
        kinds.add(kind)
    return frozenset(kinds)


def _items(data: Mapping[str, Any], key: str, path: str, parse: Callable[[Any, str], T]) -> list[T]:
    items = _list(_required(data, key, path), _at(path, key))
    return [parse(item, _at(_at(path, key), i)) for i, item in enumerate(items)]


def _flat_tier(item: Any, path: str) -> FlatAmountTier:
    m = _mapping(item, path)
    below = m.get("population_below")
    return FlatAmountTier(
        label=_text(m, "label", path),
        kinds=_kinds(_required(m, "kinds", path), _at(path, "kinds")),
        amount=_euros(_required(m, "amount", path), _at(path, "amount")),
        population_below=None
        if below is None
        else _int(below, _at(path, "population_below"), minimum=1),
    )


def _session(item: Any, path: str) -> CollectionSessionRule:
    m = _mapping(item, path)
    return CollectionSessionRule(date=_date(m, "date", path), label=_text(m, "label", path))


def _envelope(item: Any, path: str) -> EnvelopeRule:
    m = _mapping(item, path)
    return EnvelopeRule(
        year=_int(_required(m, "year", path), _at(path, "year"), minimum=2000),
        amount=_euros(_required(m, "amount", path), _at(path, "amount")),
    )


def _category(item: Any, path: str) -> Category:
    m = _mapping(item, path)
    code = _text(m, "code", path)
    if code not in ("1", "2", "3"):
        raise DefinitionError(_at(path, "code"), "le type de projet doit être 1, 2 ou 3.")
    fundable = m.get("fundable") or []
    return Category(
        code=code,
        title=_text(m, "title", path),
        description=_text(m, "description", path),
        fundable=tuple(str(f) for f in _list(fundable, _at(path, "fundable"), non_empty=False)),
    )


def _levels(value: Any, path: str, lo: int, hi: int) -> tuple[str, ...]:
    """The meaning of each mark from ``lo`` to ``hi``: ``{0: ..., 1: ..., ...}``, none missing."""
    m = _mapping(value, path)
    by_mark: dict[int, Any] = {}
    for key, text in m.items():
        mark = key if isinstance(key, int) and not isinstance(key, bool) else None
        if (
            mark is None
            and isinstance(key, str)
            and key.strip().isascii()
            and key.strip().isdigit()
        ):
            mark = int(key)
        if mark is None or not lo <= mark <= hi:
            raise DefinitionError(
                _at(path, str(key)), f"niveau inconnu : les notes vont de {lo} à {hi}."
            )
        by_mark[mark] = text
    texts = []
    for mark in range(lo, hi + 1):
        if mark not in by_mark or by_mark[mark] is None:
            raise DefinitionError(_at(path, str(mark)), f"le sens de la note {mark} manque.")
        text = by_mark[mark]
        if not isinstance(text, str) or not text.strip():
            raise DefinitionError(_at(path, str(mark)), "doit être un texte non vide.")
        texts.append(" ".join(text.split()))
    return tuple(texts)


def _criterion(item: Any, path: str, lo: int, hi: int) -> Criterion:
    m = _mapping(item, path)
    rule = m.get("rule")
    if rule is not None and rule not in RULE_IDS:
        raise DefinitionError(_at(path, "rule"), f"règle « {rule} » inconnue.")
    weight = _euros(_required(m, "weight", path), _at(path, "weight"))
    return Criterion(
        code=_text(m, "code", path),
        label=_text(m, "label", path),
        weight=weight,
        rule=rule,
        help=str(m.get("help") or ""),
        levels=_levels(_required(m, "levels", path), _at(path, "levels"), lo, hi),
    )


def _scoring(value: Any, path: str) -> ScoringGrid:
    m = _mapping(value, path)
    scale = _mapping(_required(m, "scale", path), _at(path, "scale"))
    lo = _int(_required(scale, "min", _at(path, "scale")), _at(path, "scale.min"), minimum=0)
    hi = _int(_required(scale, "max", _at(path, "scale")), _at(path, "scale.max"), minimum=1)
    if hi <= lo:
        raise DefinitionError(_at(path, "scale.max"), "doit être supérieur à scale.min.")
    criteria = _items(m, "criteria", path, lambda item, at: _criterion(item, at, lo, hi))
    codes = [c.code for c in criteria]
    dupes = sorted({c for c in codes if codes.count(c) > 1})
    if dupes:
        raise DefinitionError(_at(path, "criteria"), f"critère en double : {', '.join(dupes)}.")
    return ScoringGrid(scale_min=lo, scale_max=hi, criteria=tuple(criteria))


def _committee(value: Any, path: str) -> CommitteeRules:
    data = _mapping(value, path)
    unknown = set(data) - {"convocation_clear_days", "legal_basis", "signatory", "recourse"}
    if unknown:
        raise DefinitionError(_at(path, sorted(unknown)[0]), "clé inconnue.")
    days = data.get("convocation_clear_days", 0)
    return CommitteeRules(
        convocation_clear_days=_int(days, _at(path, "convocation_clear_days"), minimum=0),
        legal_basis=_text(data, "legal_basis", path),
        signatory=_text(data, "signatory", path),
        recourse=_text(data, "recourse", path),
    )


def _ratio(value: Any, path: str, *, maximum: Decimal) -> Decimal:
    """A positive number such as a weight (« 1.5 »): an integer, a text or a YAML decimal, read as
    written (a YAML decimal is read back from its shortest text, so 1.5 is exactly 1.5)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise DefinitionError(path, "doit être un nombre (ex. 1.5).")
    text = repr(value) if isinstance(value, float) else str(value).strip()
    try:
        number = Decimal(text)
    except ArithmeticError:
        raise DefinitionError(path, f"« {value} » n'est pas un nombre (ex. 1.5).") from None
    if not text.isascii() or not number.is_finite():
        raise DefinitionError(path, f"« {value} » n'est pas un nombre (ex. 1.5).")
    if number <= 0:
        raise DefinitionError(path, "doit être supérieur à zéro.")
    if number > maximum:
        raise DefinitionError(path, f"doit être au plus {maximum}.")
    return number


_PROGRAMMING_KEYS = frozenset({"priority_small"})
_PRIORITY_SMALL_KEYS = frozenset({"weight", "population_below", "kinds"})


def _only(m: Mapping[str, Any], allowed: frozenset[str], path: str) -> None:
    unknown = sorted(str(k) for k in m if k not in allowed)
    if unknown:
        raise DefinitionError(
            _at(path, unknown[0]), f"clé inconnue (attendues : {', '.join(sorted(allowed))})."
        )


def _programming(value: Any, path: str, rules: Mapping[str, RuleText]) -> ProgrammingRules:
    m = _mapping(value, path)
    _only(m, _PROGRAMMING_KEYS, path)
    small = m.get("priority_small")
    if small is None:
        return ProgrammingRules()
    at = _at(path, "priority_small")
    s = _mapping(small, at)
    _only(s, _PRIORITY_SMALL_KEYS, at)
    if "PRIORITY-SIZE" not in rules:
        raise DefinitionError(at, "citation manquante pour PRIORITY-SIZE (rules.PRIORITY-SIZE).")
    return ProgrammingRules(
        priority_small=PrioritySmall(
            weight=_ratio(_required(s, "weight", at), _at(at, "weight"), maximum=Decimal(100)),
            population_below=_int(
                _required(s, "population_below", at), _at(at, "population_below"), minimum=1
            ),
            kinds=_kinds(_required(s, "kinds", at), _at(at, "kinds")),
        )
    )


_POST_AWARD_KEYS = frozenset(
    {"advance", "instalments_max_share", "completion_months", "reminder_days", "pieces"}
)


def _share(value: Any, path: str) -> Decimal:
    share = _ratio(value, path, maximum=Decimal(1))
    if share != share.quantize(Decimal("0.0001")):
        raise DefinitionError(path, "quatre décimales au plus (ex. 0.30 pour 30 %).")
    return share


def _post_award(value: Any, path: str) -> PostAwardRules:
    """``post_award:``: the advance (allowed, its maximum share), the share paid in all before the
    balance, the months from the decision to the balance, the reminders' days before the
    engagement deadline, and the pieces of each kind of payment request."""
    m = _mapping(value, path)
    _only(m, _POST_AWARD_KEYS, path)
    default = PostAwardRules()
    allowed, advance_share = default.advance_allowed, default.advance_max_share
    if m.get("advance") is not None:
        at = _at(path, "advance")
        a = _mapping(m["advance"], at)
        _only(a, frozenset({"allowed", "max_share"}), at)
        allowed = a.get("allowed", True)
        if not isinstance(allowed, bool):
            raise DefinitionError(_at(at, "allowed"), "doit valoir true ou false.")
        if "max_share" in a:
            advance_share = _share(a["max_share"], _at(at, "max_share"))
    instalments = default.instalments_max_share
    if "instalments_max_share" in m:
        instalments = _share(m["instalments_max_share"], _at(path, "instalments_max_share"))
    if advance_share > instalments:
        raise DefinitionError(
            _at(path, "advance"), "l'avance ne peut dépasser la part versée avant le solde."
        )
    months = default.completion_months
    if "completion_months" in m:
        months = _int(m["completion_months"], _at(path, "completion_months"), minimum=1)
    days = default.reminder_days
    if "reminder_days" in m:
        at = _at(path, "reminder_days")
        days = tuple(
            sorted(
                {
                    _int(d, f"{at}[{i}]", minimum=1)
                    for i, d in enumerate(_list(m["reminder_days"], at))
                },
                reverse=True,
            )
        )
    pieces = dict(default.pieces)
    if m.get("pieces") is not None:
        at = _at(path, "pieces")
        p = _mapping(m["pieces"], at)
        _only(p, frozenset(k.value for k in PaymentKind), at)
        known = [k.value for k in PieceKind]
        for kind, items in p.items():
            kat = _at(at, str(kind))
            names = _list(items, kat, non_empty=False)
            for i, name in enumerate(names):
                if name not in known:
                    raise DefinitionError(
                        f"{kat}[{i}]", f"pièce « {name} » inconnue (connues : {', '.join(known)})."
                    )
            pieces[PaymentKind(kind)] = tuple(PieceKind(n) for n in dict.fromkeys(names))
    return PostAwardRules(
        advance_allowed=allowed,
        advance_max_share=advance_share,
        instalments_max_share=instalments,
        completion_months=months,
        reminder_days=days,
        pieces=pieces,
    )


def _open_data(value: Any, path: str) -> OpenDataRules:
    m = _mapping(value, path)
    _only(m, frozenset({"grantor", "dispositif_aide"}), path)
    at = _at(path, "grantor")
    grantor = _mapping(_required(m, "grantor", path), at)
    _only(grantor, frozenset({"name", "siret"}), at)
    name = _text(grantor, "name", at)
    raw = _text(grantor, "siret", at)
    try:
        siret = parse_siret(raw)
    except SiretError as exc:
        raise DefinitionError(_at(at, "siret"), exc.message) from None
    aide = m.get("dispositif_aide")
    if aide is not None and not isinstance(aide, str):
        raise DefinitionError(_at(path, "dispositif_aide"), "doit être un texte.")
    return OpenDataRules(
        grantor_name=name, grantor_siret=siret, dispositif_aide=(aide or "").strip()
    )


def _rules(value: Any, path: str) -> dict[str, RuleText]:
    m = _mapping(value, path)
    texts = {}
    for rule_id, item in m.items():
        p = _at(path, str(rule_id))
        if rule_id not in RULE_IDS:
            raise DefinitionError(
                p, f"règle « {rule_id} » inconnue (connues : {', '.join(RULE_IDS)})."
            )
        entry = _mapping(item, p)
        texts[str(rule_id)] = RuleText(
            id=str(rule_id), title=_text(entry, "title", p), quote=_text(entry, "quote", p)
        )
    return texts


def parse_call_rules(data: Any) -> CallRules:
    """Validate a call definition (plain data) and return its CallRules."""
    root = _mapping(data, "")
    slug = _text(root, "slug", "")
    if not SLUG_RE.match(slug):
        raise DefinitionError(
            "slug", "minuscules, chiffres et tirets seulement (ex. fitn7-axe3-63-2021)."
        )
    timezone = _text(root, "timezone", "", default="Europe/Paris")
    if timezone not in TIMEZONES:
        raise DefinitionError("timezone", f"fuseau « {timezone} » non pris en charge.")

    territory = _mapping(_required(root, "territory", ""), "territory")
    departement = _text(territory, "departement", "territory")

    dates = _mapping(_required(root, "dates", ""), "dates")
    opens_on = _date(dates, "opens_on", "dates")
    deadline = _date(dates, "deadline", "dates")
    engagement = _date(dates, "engagement_deadline", "dates")
    if deadline < opens_on:
        raise DefinitionError("dates.deadline", "la date limite précède l'ouverture.")
    if engagement < deadline:
        raise DefinitionError("dates.engagement_deadline", "précède la date limite de dépôt.")

    sessions = _items(root, "sessions", "", _session)
    for i in range(1, len(sessions)):
        if sessions[i].date <= sessions[i - 1].date:
            raise DefinitionError(f"sessions[{i}].date", "les sessions doivent être dans l'ordre.")
    if sessions[-1].date < deadline:
        raise DefinitionError(
            f"sessions[{len(sessions) - 1}].date",
            "la dernière session doit tomber le jour de la date limite ou après.",
        )

    elig = _mapping(_required(root, "eligibility", ""), "eligibility")
    kinds = _kinds(_required(elig, "kinds", "eligibility"), "eligibility.kinds")
    pop_below = elig.get("population_below")
    excluded = elig.get("excluded") or []

    cost = _mapping(_required(root, "cost", ""), "cost")
    floor = _euros(_required(cost, "floor", "cost"), "cost.floor", allow_zero=True)
    ceiling = None if cost.get("ceiling") is None else _euros(cost["ceiling"], "cost.ceiling")
    if ceiling is not None and ceiling < floor:
        raise DefinitionError("cost.ceiling", "le plafond est inférieur au plancher.")

    tiers = _items(root, "flat_amounts", "", _flat_tier)
    uncovered = kinds - frozenset().union(*(t.kinds for t in tiers if t.population_below is None))
    if uncovered:
        names = ", ".join(sorted(k.value for k in uncovered))
        raise DefinitionError(
            "flat_amounts", f"aucun forfait sans seuil de population pour : {names}."
        )

    envelopes = _items(root, "envelopes", "", _envelope)
    years = [e.year for e in envelopes]
    if len(set(years)) != len(years):
        raise DefinitionError("envelopes", "une année d'enveloppe apparaît deux fois.")

    categories = _items(root, "categories", "", _category)
    rules = _rules(_required(root, "rules", ""), "rules")
    needed = list(REQUIRED_RULES) + [c.rule_id for c in categories]
    if pop_below is not None:
        needed.append("ELIG-SIZE")
    missing = [r for r in needed if r not in rules]
    if missing:
        raise DefinitionError("rules", f"citation manquante pour : {', '.join(missing)}.")

    full_rate = root.get("full_rate_population_below")
    settings = root.get("settings") or {}
    return CallRules(
        slug=slug,
        title=_text(root, "title", ""),
        fund=_text(root, "fund", ""),
        axis=_int(_required(root, "axis", ""), "axis", minimum=1),
        service=_text(root, "service", ""),
        departement=departement,
        reference_vintage=_text(root, "reference_vintage", ""),
        timezone=timezone,
        opens_on=opens_on,
        deadline=deadline,
        engagement_deadline=engagement,
        sessions=tuple(sessions),
        eligible_kinds=kinds,
        population_below=None
        if pop_below is None
        else _int(pop_below, "eligibility.population_below", minimum=1),
        excluded=tuple(str(x) for x in _list(excluded, "eligibility.excluded", non_empty=False)),
        cost_floor=floor,
        cost_ceiling=ceiling,
        flat_amounts=tuple(tiers),
        full_rate_population_below=None
        if full_rate is None
        else _int(full_rate, "full_rate_population_below", minimum=1),
        envelopes=tuple(envelopes),
        categories=tuple(categories),
        examples=tuple(
            str(e) for e in _list(root.get("examples") or [], "examples", non_empty=False)
        ),
        scoring=_scoring(_required(root, "scoring", ""), "scoring"),
        rules=rules,
        summary=str(root.get("summary") or ""),
        source_url=str(root.get("source_url") or ""),
        apply_url=str(root.get("apply_url") or ""),
        is_demo=bool(root.get("demo", False)),
        settings=dict(_mapping(settings, "settings")),
        committee=_committee(root["committee"], "committee")
        if root.get("committee") is not None
        else CommitteeRules(),
        programming=None
        if root.get("programming") is None
        else _programming(root["programming"], "programming", rules),
        post_award=PostAwardRules()
        if root.get("post_award") is None
        else _post_award(root["post_award"], "post_award"),
        open_data=None
        if root.get("open_data") is None
        else _open_data(root["open_data"], "open_data"),
    )
