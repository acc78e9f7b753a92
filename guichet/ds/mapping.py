"""The mapping from a démarche's champs to guichet's fields: a YAML file préfectures write.

Its keys are guichet's field names (``FIELDS``, and ``pieces.<kind>``); each value names the DS
champ by ``label:`` or ``id:`` (the champ descriptor's id, which survives a renaming), may say
``optional: true`` (an absent champ then leaves the field empty instead of being an error), and a
choice field (``category``) adds ``values:`` from the DS options to guichet's codes. The
collectivité may instead come from the dossier's demandeur (``collectivity: {demandeur: true}``,
a personne morale's SIRET). Every error names the dotted key, in French.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from guichet.dossiers.attachments import TEAM_PIECES

DEFAULT_MAPPING = Path(__file__).parent / "mappings" / "fitn7-axe3.yaml"

# guichet's field name → what kind of value the champ gives.
FIELDS: dict[str, str] = {
    "collectivity": "collectivity",
    "siret": "siret",
    "title": "text",
    "summary": "text",
    "description": "text",
    "daily_life_effect": "text",
    "category": "choice",
    "cost": "money",
    "cost_incl_vat": "money",
    "requested_amount": "money",
    "engaged_on": "date",
    "end_date": "date",
    "contact_name": "text",
    "contact_function": "text",
    "contact_email": "email",
    "contact_phone": "text",
}
PIECE_KINDS: tuple[str, ...] = tuple(k.value for k in TEAM_PIECES)
REQUIRED_KEYS = ("collectivity", "cost")
ENTRY_KEYS = {"label", "id", "values", "optional", "demandeur"}


class MappingError(Exception):
    """The mapping file is wrong; ``str`` names the file's key in French."""

    def __init__(self, key: str, message: str):
        self.key = key
        super().__init__(
            f"Correspondance des champs, clé « {key} » : {message}" if key else message
        )


@dataclass(frozen=True)
class ChampRef:
    """Where one guichet field comes from in a DS dossier."""

    key: str  # "cost", "pieces.quote"
    kind: str  # FIELDS' kinds, or "files"
    label: str | None = None
    id: str | None = None
    optional: bool = False
    values: dict[str, str] = field(default_factory=dict)
    demandeur: bool = False

    @property
    def name(self) -> str:
        """How a message names the champ: its label, else its id."""
        if self.demandeur:
            return "demandeur du dossier"
        return f"« {self.label} »" if self.label else f"d’identifiant {self.id}"


@dataclass(frozen=True)
class Mapping:
    entries: dict[str, ChampRef]

    def get(self, key: str) -> ChampRef | None:
        return self.entries.get(key)

    @property
    def pieces(self) -> dict[str, ChampRef]:
        return {
            k.removeprefix("pieces."): v for k, v in self.entries.items() if k.startswith("pieces.")
        }


def load(path: Path | str | None = None, *, categories: set[str] | None = None) -> Mapping:
    """Read and check a mapping file (the shipped axe-3 mapping by default)."""
    return parse(load_data(path), categories=categories)


def load_data(path: Path | str | None = None) -> Any:
    """The YAML of a mapping file, unchecked (``MappingError`` when unreadable)."""
    path = Path(path) if path else DEFAULT_MAPPING
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise MappingError(
            "", f"Le fichier de correspondance {path} est illisible : {exc.strerror}."
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (ligne {mark.line + 1})" if mark is not None else ""
        raise MappingError(
            "", f"Le fichier de correspondance {path} n’est pas du YAML valide{where}."
        ) from None
    return data


def parse(data: Any, *, categories: set[str] | None = None) -> Mapping:
    """Check plain data; ``categories`` (the call's codes), when given, bounds ``values:``."""
    if not isinstance(data, dict):
        raise MappingError("", "Le fichier de correspondance doit être un dictionnaire de champs.")
    flat: dict[str, Any] = {}
    for key, value in data.items():
        key = str(key)
        if key == "pieces":
            if not isinstance(value, dict):
                raise MappingError("pieces", "donnez une pièce par nature (quote, deliberation…).")
            for kind, entry in value.items():
                flat[f"pieces.{kind}"] = entry
        else:
            flat[key] = value
    entries: dict[str, ChampRef] = {}
    for key, value in flat.items():
        entries[key] = _entry(key, value, categories)
    for key in REQUIRED_KEYS:
        if key not in entries:
            raise MappingError(key, "cette clé est obligatoire.")
    return Mapping(entries=entries)


def _entry(key: str, value: Any, categories: set[str] | None) -> ChampRef:
    if key.startswith("pieces."):
        piece = key.removeprefix("pieces.")
        if piece not in PIECE_KINDS:
            raise MappingError(
                key, f"nature de pièce inconnue ; natures possibles : {', '.join(PIECE_KINDS)}."
            )
        kind = "files"
    elif key in FIELDS:
        kind = FIELDS[key]
    else:
        raise MappingError(
            key,
            "clé inconnue ; clés possibles : "
            + ", ".join([*FIELDS, *(f"pieces.{p}" for p in PIECE_KINDS)])
            + ".",
        )
    if isinstance(value, str):
        value = {"label": value}
    if not isinstance(value, dict):
        raise MappingError(key, "donnez le champ par « label: » ou « id: ».")
    unknown = sorted(str(k) for k in value if k not in ENTRY_KEYS)
    if unknown:
        raise MappingError(
            f"{key}.{unknown[0]}",
            "clé inconnue ; clés possibles : label, id, optional, values, demandeur.",
        )
    demandeur = value.get("demandeur", False)
    if demandeur not in (True, False) or (demandeur and key not in {"collectivity", "siret"}):
        raise MappingError(
            f"{key}.demandeur",
            "seuls « collectivity » et « siret » peuvent venir du demandeur (true).",
        )
    label, champ_id = value.get("label"), value.get("id")
    if demandeur:
        if label is not None or champ_id is not None:
            raise MappingError(key, "donnez soit « demandeur: true », soit un champ.")
    elif (label is None) == (champ_id is None):
        raise MappingError(key, "donnez le champ par « label: » ou par « id: » (l’un des deux).")
    for sub, text in (("label", label), ("id", champ_id)):
        if text is not None and (not isinstance(text, str | int) or not str(text).strip()):
            raise MappingError(f"{key}.{sub}", "donnez un texte non vide.")
    optional = value.get("optional", False)
    if optional not in (True, False):
        raise MappingError(f"{key}.optional", "donnez true ou false.")
    if optional and key in REQUIRED_KEYS:
        raise MappingError(f"{key}.optional", "ce champ est obligatoire pour l’import.")
    values = value.get("values")
    if kind == "choice":
        if not isinstance(values, dict) or not values:
            raise MappingError(
                f"{key}.values",
                "donnez la correspondance des options DS vers les codes de guichet.",
            )
        clean: dict[str, str] = {}
        for option, code in values.items():
            if not isinstance(option, str | int) or not str(option).strip():
                raise MappingError(f"{key}.values", "chaque option DS doit être un texte non vide.")
            if not isinstance(code, str | int) or not str(code).strip():
                raise MappingError(
                    f"{key}.values.{option}", "donnez le code de guichet (texte non vide)."
                )
            if categories is not None and str(code) not in categories:
                raise MappingError(
                    f"{key}.values.{option}",
                    f"code « {code} » inconnu de l’appel ; codes possibles : {', '.join(sorted(categories))}.",
                )
            clean[str(option).strip()] = str(code).strip()
        values = clean
    elif values is not None:
        raise MappingError(f"{key}.values", "seul un champ à choix (category) prend « values: ».")
    return ChampRef(
        key=key,
        kind=kind,
        label=str(label).strip() if label is not None else None,
        id=str(champ_id).strip() if champ_id is not None else None,
        optional=bool(optional),
        values=values or {},
        demandeur=bool(demandeur),
    )
