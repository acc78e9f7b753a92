"""From a DS dossier (the GraphQL answer) to guichet's values, through a mapping.

Everything here reads plain data and the reference data; nothing is written. A value that cannot
be read raises ``DossierRefused`` with a French message naming the champ, and the import reports
it for that dossier alone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from guichet.calls.models import Call
from guichet.dossiers.models import Dossier
from guichet.rules.money import AmountError, parse_euros
from guichet.rules.siret import SiretError, compact, parse_siret
from guichet.territories.models import METROPOLE_TYPES, Commune, Epci
from guichet.territories.services import UnknownCollectivity, to_applicant

from .mapping import ChampRef, Mapping

# guichet's field name in the mapping → the Dossier's field.
DOSSIER_FIELDS: dict[str, str] = {
    "title": "title",
    "summary": "summary",
    "description": "description",
    "daily_life_effect": "daily_life_effect",
    "category": "category",
    "requested_amount": "requested_amount",
    "engaged_on": "engagement_date",
    "end_date": "end_date",
    "contact_name": "contact_name",
    "contact_function": "contact_function",
    "contact_email": "contact_email",
    "contact_phone": "contact_phone",
    "siret": "siret",
}


# The amounts' columns hold 12 digits, 2 of them after the point.
MAX_AMOUNT = Decimal(10) ** 10


class DossierRefused(Exception):
    """This DS dossier cannot be imported as it is. ``str`` is French."""


@dataclass(frozen=True)
class FileRef:
    filename: str
    url: str
    checksum: str


@dataclass
class Mapped:
    """What a DS dossier gives guichet."""

    applicant_kind: str
    applicant_code: str
    fields: dict[str, Any]
    cost: Decimal
    cost_incl_vat: Decimal
    pieces: dict[str, list[FileRef]] = field(default_factory=dict)
    # Why no SIRET could be found ('' when one was): said in the history, not in the checksum.
    siret_note: str = ""

    def checksum(self) -> str:
        data = {
            "applicant": [self.applicant_kind, self.applicant_code],
            "fields": {k: _plain(v) for k, v in sorted(self.fields.items())},
            "cost": [str(self.cost), str(self.cost_incl_vat)],
            "pieces": {
                k: [[f.filename, f.checksum] for f in files]
                for k, files in sorted(self.pieces.items())
            },
        }
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal | dt.date):
        return str(value)
    return value


def find_champ(node: dict[str, Any], ref: ChampRef) -> dict[str, Any] | None:
    for champ in node.get("champs") or []:
        if ref.id is not None and ref.id in (champ.get("champDescriptorId"), champ.get("id")):
            return champ
        if ref.label is not None and (champ.get("label") or "").strip() == ref.label:
            return champ
    return None


def map_dossier(node: dict[str, Any], mapping: Mapping, call: Call) -> Mapped:
    """The guichet values of one DS dossier, or ``DossierRefused``."""
    champs: dict[str, dict[str, Any] | None] = {}
    missing = []
    for key, ref in mapping.entries.items():
        if ref.demandeur:
            continue
        champ = find_champ(node, ref)
        if champ is None and not ref.optional:
            missing.append(ref.name)
        champs[key] = champ
    if missing:
        names = ", ".join(missing)
        raise DossierRefused(
            f"champ{'s' if len(missing) > 1 else ''} absent{'s' if len(missing) > 1 else ''} "
            f"du dossier : {names}."
        )
    kind, code, siret_from_collectivity = _collectivity(node, mapping, champs, call)
    fields: dict[str, Any] = {}
    for key, name in DOSSIER_FIELDS.items():
        ref = mapping.get(key)
        if ref is None:
            continue
        if key == "siret" and ref.demandeur:
            fields[name] = _demandeur_siret(node) or ""
            continue
        champ = champs.get(key)
        if champ is None:
            continue
        fields[name] = _value(ref, champ, name)
    if not fields.get("siret") and siret_from_collectivity:
        fields["siret"] = siret_from_collectivity
    if fields.get("siret"):
        fields["siret"] = _check_siret(fields["siret"], kind, code, call)
    siret_note = ""
    if not fields.get("siret"):
        # guichet requires the SIRET at submission (the open data's idBeneficiaire): failing a
        # champ, the demandeur's personne morale, if it is the collectivité's establishment.
        # Never an empty value: an import does not clear a SIRET given in guichet since.
        fields.pop("siret", None)
        fallback = _demandeur_siret(node)
        try:
            found = _check_siret(fallback, kind, code, call) if fallback else ""
        except DossierRefused:
            found = ""
        if found:
            fields["siret"] = found
        else:
            siret_note = (
                f"le SIRET du demandeur ({fallback}) n’est pas celui de la collectivité"
                if fallback
                else "sans SIRET sur DS"
            )
    # The DS usager's address when no contact address is given, here so that the checksum and
    # every later update see it (an update would otherwise wipe it).
    usager = node.get("usager")
    usager_email = usager.get("email") if isinstance(usager, dict) else None
    if not fields.get("contact_email") and isinstance(usager_email, str) and usager_email:
        fields["contact_email"] = usager_email.strip()[:254]
    cost_ref = mapping.entries["cost"]
    cost = _money(cost_ref, champs["cost"])
    if cost is None:
        raise DossierRefused(f"champ {cost_ref.name} : le coût du projet est vide.")
    if cost <= 0:
        raise DossierRefused(f"champ {cost_ref.name} : le coût du projet doit dépasser 0 €.")
    incl_ref = mapping.get("cost_incl_vat")
    cost_incl_vat = cost
    if incl_ref is not None and champs.get("cost_incl_vat") is not None:
        cost_incl_vat = _money(incl_ref, champs["cost_incl_vat"]) or cost
        if cost_incl_vat < cost:
            raise DossierRefused(f"champ {incl_ref.name} : le coût TTC est inférieur au coût HT.")
    if fields.get("requested_amount") == Decimal(0):
        fields["requested_amount"] = None
    end, start = fields.get("end_date"), fields.get("engagement_date")
    if end is not None and start is not None and end < start:
        raise DossierRefused("la date de fin du projet précède sa date d’engagement.")
    pieces: dict[str, list[FileRef]] = {}
    for kind_name, ref in mapping.pieces.items():
        champ = champs.get(f"pieces.{kind_name}")
        if champ is None:
            continue
        files = champ.get("files")
        if not isinstance(files, list):
            raise DossierRefused(
                f"champ {ref.name} : ce n’est pas un champ « pièce justificative »."
            )
        pieces[kind_name] = [
            FileRef(
                str(f.get("filename") or "fichier"),
                str(f.get("url") or ""),
                str(f.get("checksum") or ""),
            )
            for f in files
            if isinstance(f, dict)
        ]
    return Mapped(kind, code, fields, cost, cost_incl_vat, pieces, siret_note)


def _text(champ: dict[str, Any]) -> str:
    value = champ.get("stringValue")
    return value.strip() if isinstance(value, str) else ""


def _value(ref: ChampRef, champ: dict[str, Any], name: str) -> Any:
    if ref.kind == "money":
        return _money(ref, champ)
    if ref.kind == "date":
        return _date(ref, champ)
    if ref.kind == "choice":
        text = _text(champ)
        if not text:
            return ""
        if text not in ref.values:
            raise DossierRefused(
                f"champ {ref.name} : l’option « {text} » n’a pas de correspondance (values:)."
            )
        return ref.values[text]
    if ref.kind == "siret":
        etablissement = champ.get("etablissement")
        if isinstance(etablissement, dict) and etablissement.get("siret"):
            return str(etablissement["siret"])
        return _text(champ)
    text = _text(champ)
    if ref.kind == "email" and text:
        try:
            validate_email(text)
        except ValidationError:
            raise DossierRefused(
                f"champ {ref.name} : « {text} » n’est pas une adresse électronique."
            ) from None
    limit = Dossier._meta.get_field(name).max_length
    if limit is not None and len(text) > limit:
        raise DossierRefused(
            f"champ {ref.name} : {len(text)} caractères, {limit} au plus dans guichet."
        )
    return text


def _money(ref: ChampRef, champ: dict[str, Any] | None) -> Decimal | None:
    if champ is None:
        return None
    text = _text(champ)
    if not text:
        return None
    # DS writes decimal numbers with a point (« 12000.5 »); people type « 12 000,50 ».
    try:
        amount = parse_euros(text.replace("€", "").strip(), allow_zero=True)
    except AmountError as exc:
        raise DossierRefused(f"champ {ref.name} : {exc}") from None
    if amount >= MAX_AMOUNT:
        raise DossierRefused(
            f"champ {ref.name} : « {text} » dépasse le plus grand montant que guichet garde "
            "(9 999 999 999,99 €)."
        )
    return amount


def _date(ref: ChampRef, champ: dict[str, Any]) -> dt.date | None:
    text = champ.get("date") or _text(champ)
    if not text:
        return None
    for parse in (dt.date.fromisoformat, lambda t: dt.datetime.strptime(t, "%d/%m/%Y").date()):
        try:
            return parse(str(text)[:10])
        except ValueError:
            continue
    raise DossierRefused(f"champ {ref.name} : « {text} » n’est pas une date.")


def _demandeur_siret(node: dict[str, Any]) -> str | None:
    demandeur = node.get("demandeur")
    if isinstance(demandeur, dict) and demandeur.get("siret"):
        return str(demandeur["siret"])
    return None


def _collectivity(
    node: dict[str, Any], mapping: Mapping, champs: dict[str, dict[str, Any] | None], call: Call
) -> tuple[str, str, str]:
    """(kind, code, the SIRET it was found by or '')."""
    ref = mapping.entries["collectivity"]
    vintage = call.reference_vintage
    if ref.demandeur:
        siret = _demandeur_siret(node)
        if not siret:
            raise DossierRefused(
                "le demandeur du dossier n’est pas une personne morale avec un SIRET."
            )
        return (*_by_siret(siret, ref, vintage), compact(siret))
    champ = champs["collectivity"]
    assert champ is not None
    kind = code = ""
    siret = ""
    if isinstance(champ.get("commune"), dict):
        kind, code = "commune", str(champ["commune"].get("code") or "")
    elif isinstance(champ.get("epci"), dict):
        code = str(champ["epci"].get("code") or "")
        kind = _epci_kind(code, vintage)
    elif isinstance(champ.get("etablissement"), dict):
        siret = str(champ["etablissement"].get("siret") or "")
        kind, code = _by_siret(siret, ref, vintage)
    else:
        text = compact(_text(champ))
        if len(text) == 5:
            kind, code = "commune", text.upper()
        elif len(text) == 9 and text.isdigit():
            kind, code = _epci_kind(text, vintage), text
        elif len(text) == 14 and text.isdigit():
            siret = text
            kind, code = _by_siret(text, ref, vintage)
    if not code:
        raise DossierRefused(
            f"champ {ref.name} : aucune commune, aucun EPCI ni SIRET n’y est renseigné."
        )
    try:
        to_applicant(kind, code, vintage)
    except UnknownCollectivity as exc:
        raise DossierRefused(f"champ {ref.name} : {exc} (référentiel {vintage}).") from None
    return kind, code, compact(siret)


def _epci_kind(siren: str, vintage: str) -> str:
    epci = Epci.objects.filter(vintage=vintage, siren=siren).only("epci_type").first()
    return "metropole" if epci is not None and epci.epci_type in METROPOLE_TYPES else "epci"


def _by_siret(siret: str, ref: ChampRef, vintage: str) -> tuple[str, str]:
    try:
        number = parse_siret(siret)
    except SiretError as exc:
        raise DossierRefused(f"champ {ref.name} : {exc}") from None
    siren = number[:9]
    commune = (
        Commune.objects.filter(vintage=vintage, siren=siren)
        .values_list("insee_code", flat=True)
        .first()
    )
    if commune:
        return "commune", commune
    if Epci.objects.filter(vintage=vintage, siren=siren).exists():
        return _epci_kind(siren, vintage), siren
    raise DossierRefused(
        f"champ {ref.name} : aucune commune ni aucun EPCI du référentiel {vintage} n’a le SIREN {siren}."
    )


def _check_siret(siret: str, kind: str, code: str, call: Call) -> str:
    from guichet.dossiers.services import applicant_siren

    probe = Dossier(
        applicant_kind=kind, applicant_code=code, applicant_vintage=call.reference_vintage
    )
    try:
        return parse_siret(siret, applicant_siren(probe))
    except SiretError as exc:
        raise DossierRefused(f"SIRET {siret} : {exc}") from None
