"""Reading call and fund definition files (YAML), with errors that name the file, line and field.

A definition may ``extends:`` another one of the same folder (by slug): mappings are merged key by
key, anything else (lists, texts, numbers) is replaced. ``shift_dates`` moves a derived call in
time (used by the demonstration call): its dates, and the dates and years written in the texts it
inherits (titles, quotes, session labels; see ``shift_text``), so that a page never shows a
quote saying « 30 juin 2021 » beside a deadline in 2026. The texts the derived file writes itself
are its own, written for the moved call, and are left as they are. Validation itself is the pure rules core's
``parse_call_rules``; this module only adds where in which file a problem stands.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from guichet.rules.parameters import CallRules, DefinitionError, parse_call_rules
from guichet.rules.timing import MONTHS, french_date

CALLS_DIR = Path(__file__).parent / "definitions"
FUNDS_DIR = Path(__file__).parent / "funds"
_PATH_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


class _Loader(yaml.SafeLoader):
    """Safe YAML, but dates stay text: the rules core parses them and names a wrong one."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class CallDefinitionError(Exception):
    """A definition file that cannot be loaded. The message is French and names file/line/field."""

    def __init__(self, file: Path, message: str, *, line: int | None = None, field: str = ""):
        self.file = file
        self.line = line
        self.field = field
        self.message = message
        where = file.name + (f", ligne {line}" if line else "")
        what = f"champ « {field} » : " if field else ""
        super().__init__(f"{where} : {what}{message}")


@dataclass(frozen=True)
class LoadedCall:
    path: Path
    data: dict[str, Any]
    rules: CallRules


@dataclass
class _Source:
    path: Path
    node: yaml.Node


def _read(path: Path) -> tuple[Any, yaml.Node]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CallDefinitionError(path, f"fichier illisible ({exc}).") from None
    try:
        node = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise CallDefinitionError(path, f"YAML invalide : {exc.problem}.", line=line) from None
    except yaml.YAMLError as exc:
        raise CallDefinitionError(path, f"YAML invalide : {exc}.") from None
    if not isinstance(data, dict) or node is None:
        raise CallDefinitionError(path, "le fichier doit contenir une table de clés et de valeurs.")
    return data, node


def _line_of(node: yaml.Node, field: str) -> int | None:
    """The line (1-based) of the deepest node of ``field`` that exists in this YAML tree."""
    line = None
    for key, index in _PATH_TOKEN.findall(field):
        found = None
        if key and isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == key:
                    line, found = k.start_mark.line + 1, v
                    break
        elif index and isinstance(node, yaml.SequenceNode) and int(index) < len(node.value):
            found = node.value[int(index)]
            line = found.start_mark.line + 1
        if found is None:
            return line
        node = found
    return line


def _merge(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = _merge(base.get(key), value) if key in base else value
        return merged
    return override


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


_MONTH_NUMBER = {name: i for i, name in enumerate(MONTHS, start=1)}
# « 30 juin 2021 », « 1er juillet », « le 7 juin » ; « fin 2021 » ; a year alone (« en 2021 »,
# « pour 2021 et 2022 »), but not an amount (« 2000 € ») nor a part of an ISO date or a code.
_TEXT_DATE = re.compile(
    r"\b(?P<day>1er|[12]\d|3[01]|0?[1-9])\s+(?P<month>" + "|".join(MONTHS) + r")"
    r"(?:\s+(?P<year>(?:19|20)\d{2})\b)?"
    r"|\bfin\s+(?P<end_of>(?:19|20)\d{2})\b"
    r"|(?<![\w/.-])(?P<alone>(?:19|20)\d{2})(?![\w/-]|[.,]\d)(?!\s*(?:€|euros?\b))"
)
# Fields that hold no prose: identifiers, addresses, ISO dates, codes.
_NOT_TEXT = frozenset(
    {"slug", "fund", "source_url", "apply_url", "reference_vintage", "timezone", "dates",
     "date", "territory", "kinds", "code", "rule", "extends",
     # The law the decisions quote and their recours: dated texts that a moved call still obeys.
     "committee"}
)  # fmt: skip


def _day_month(day: dt.date) -> str:
    return f"{'1er' if day.day == 1 else day.day} {MONTHS[day.month - 1]}"


def shift_text(text: str, delta: dt.timedelta, opens: dt.date) -> str:
    """The dates and years of ``text`` moved as the call's dates are moved by ``delta``.

    ``opens`` is the call's opening date before the move. A full date moves by ``delta``
    (« 30 juin 2021 » → « 14 décembre 2026 »); a day and month without year is read in the
    opening's year and keeps that form (its year is added when it leaves the moved year);
    « fin 2021 » is the 31 December and becomes « le 16 juin 2027 »; a year alone moves by as
    many years as the opening did, as the envelopes' years do.
    """
    base_year = opens.year
    years = (opens + delta).year - base_year

    def moved(match: re.Match[str]) -> str:
        if match["alone"]:
            return str(int(match["alone"]) + years)
        if match["end_of"]:
            return "le " + french_date(dt.date(int(match["end_of"]), 12, 31) + delta)
        day = 1 if match["day"] == "1er" else int(match["day"])
        year = int(match["year"]) if match["year"] else base_year
        try:
            new = dt.date(year, _MONTH_NUMBER[match["month"]], day) + delta
        except ValueError:  # « 31 juin »: not a date, left as written
            return match[0]
        if match["year"] or new.year != base_year + years:
            return french_date(new)
        return _day_month(new)

    return _TEXT_DATE.sub(moved, text)


def _shift_texts(value: Any, own: Any, delta: dt.timedelta, opens: dt.date) -> Any:
    """Every inherited text of ``value`` moved (``shift_text``); ``own`` is what the file itself
    wrote at the same place (left as it is)."""
    if isinstance(value, str):
        return value if isinstance(own, str) else shift_text(value, delta, opens)
    if isinstance(value, dict):
        own = own if isinstance(own, dict) else {}
        return {
            k: v if k in _NOT_TEXT else _shift_texts(v, own.get(k), delta, opens)
            for k, v in value.items()
        }
    if isinstance(value, list):
        # A list the file writes replaces the inherited one whole: all of it is its own.
        if isinstance(own, list):
            return value
        return [_shift_texts(v, None, delta, opens) for v in value]
    return value


def _shift(
    data: dict[str, Any], today: dt.date, path: Path, own: dict[str, Any] | None = None
) -> dict[str, Any]:
    spec = data.pop("shift_dates", None)
    if spec is None:
        return data
    if not isinstance(spec, dict) or not isinstance(spec.get("opened_days_ago"), int):
        raise DefinitionError("shift_dates.opened_days_ago", "doit être un nombre entier de jours.")
    try:
        opens = dt.date.fromisoformat(str(data["dates"]["opens_on"]))
    except (KeyError, TypeError, ValueError):
        raise DefinitionError("dates.opens_on", "date d'ouverture requise pour décaler.") from None
    delta = today - dt.timedelta(days=spec["opened_days_ago"]) - opens

    def moved(value: Any) -> str:
        return (dt.date.fromisoformat(str(value)) + delta).isoformat()

    texts = _shift_texts(data, own or {}, delta, opens)
    data.update(texts)
    data["dates"] = {k: moved(v) for k, v in data["dates"].items()}
    data["sessions"] = [{**s, "date": moved(s["date"])} for s in data.get("sessions", [])]
    years = (opens + delta).year - opens.year
    data["envelopes"] = [{**e, "year": e["year"] + years} for e in data.get("envelopes", [])]
    if isinstance(data.get("settings"), dict) and "default_envelope_year" in data["settings"]:
        data["settings"]["default_envelope_year"] += years
    return data


def load_call_file(
    path: Path, *, today: dt.date | None = None, _seen: tuple[Path, ...] = ()
) -> LoadedCall:
    """Read, merge, shift and validate one call definition file."""
    data, sources = _resolve(path, _seen)
    own = _read(path)[0] if "shift_dates" in data else {}
    try:
        data = _shift(data, today or dt.date.today(), path, own)
        rules = parse_call_rules(data)
    except DefinitionError as exc:
        line, file = None, path
        for source in sources:
            line = _line_of(source.node, exc.path)
            if line:
                file = source.path
                break
        raise CallDefinitionError(file, exc.message, line=line, field=exc.path) from None
    if rules.slug != path.stem:
        raise CallDefinitionError(
            path,
            f"le slug « {rules.slug} » doit être le nom du fichier ({path.stem}).",
            line=_line_of(sources[0].node, "slug"),
            field="slug",
        )
    return LoadedCall(path=path, data=_jsonable(data), rules=rules)


def _resolve(path: Path, seen: tuple[Path, ...]) -> tuple[dict[str, Any], list[_Source]]:
    if path in seen:
        raise CallDefinitionError(path, "héritage circulaire (extends).")
    data, node = _read(path)
    sources = [_Source(path, node)]
    parent_slug = data.pop("extends", None)
    if parent_slug is None:
        return data, sources
    parent_path = path.parent / f"{parent_slug}.yaml"
    if not parent_path.exists():
        raise CallDefinitionError(
            path,
            f"l'appel parent « {parent_slug} » est introuvable.",
            line=_line_of(node, "extends"),
            field="extends",
        )
    parent, parent_sources = _resolve(parent_path, (*seen, path))
    parent.pop("demo", None)
    return _merge(parent, data), sources + parent_sources


def load_all_calls(
    directory: Path = CALLS_DIR, *, today: dt.date | None = None
) -> list[LoadedCall]:
    return [load_call_file(p, today=today) for p in sorted(directory.glob("*.yaml"))]


# --- funds ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FundAxisData:
    number: int
    title: str
    amount: int


@dataclass(frozen=True)
class FundData:
    slug: str
    name: str
    total: int
    axes: tuple[FundAxisData, ...]


def _fund_field(path: Path, node: yaml.Node) -> Callable[[str, str], CallDefinitionError]:
    def error(field: str, message: str) -> CallDefinitionError:
        return CallDefinitionError(path, message, line=_line_of(node, field), field=field)

    return error


def load_fund_file(path: Path) -> FundData:
    data, node = _read(path)
    error = _fund_field(path, node)
    for key in ("slug", "name", "total", "axes"):
        if data.get(key) in (None, ""):
            raise error(key, "champ obligatoire manquant.")
    if not isinstance(data["total"], int) or data["total"] <= 0:
        raise error("total", "doit être un montant entier positif en euros.")
    axes = []
    for i, axis in enumerate(data["axes"] if isinstance(data["axes"], list) else []):
        if not isinstance(axis, dict) or not isinstance(axis.get("number"), int):
            raise error(f"axes[{i}].number", "doit être un nombre entier.")
        if not isinstance(axis.get("amount"), int) or axis["amount"] <= 0:
            raise error(f"axes[{i}].amount", "doit être un montant entier positif en euros.")
        axes.append(FundAxisData(axis["number"], str(axis.get("title") or ""), axis["amount"]))
    if not axes:
        raise error("axes", "doit être une liste d'axes non vide.")
    if sum(a.amount for a in axes) != data["total"]:
        raise error("total", "la somme des axes ne fait pas le total du fonds.")
    return FundData(str(data["slug"]), str(data["name"]), data["total"], tuple(axes))


def load_all_funds(directory: Path = FUNDS_DIR) -> list[FundData]:
    return [load_fund_file(p) for p in sorted(directory.glob("*.yaml"))]
