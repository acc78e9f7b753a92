"""manage.py import_ds --demarche NUMBER --call SLUG [--mapping FILE] [--json]

Exit codes: 0 when the import ran to its end, even with errors on some dossiers (they are listed,
and read again next run); 2 for bad arguments (unknown call, unreadable or wrong mapping, missing
token, a démarche already imported into another call); 1 when Démarches Simplifiées cannot be reached or refuses, or another import of the
démarche is running.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from guichet.calls.models import Call
from guichet.ds import importer, locks, mapping
from guichet.ds.client import Client, ConfigurationError, DSError


class Command(BaseCommand):
    help = "Importe les dossiers d’une démarche Démarches Simplifiées dans un appel à projets."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--demarche", type=int, required=True, help="numéro de la démarche DS")
        parser.add_argument("--call", required=True, help="slug de l’appel à projets")
        parser.add_argument("--mapping", help="fichier YAML de correspondance des champs")
        parser.add_argument("--json", action="store_true", help="bilan en JSON")
        parser.add_argument("--page-size", type=int, default=importer.PAGE_SIZE)

    def handle(self, *args: Any, **options: Any) -> None:
        as_json = options["json"]
        call = Call.objects.filter(slug=options["call"]).first()
        if call is None:
            self._stop(2, f"Appel à projets inconnu : « {options['call']} ».")
        if options["demarche"] <= 0 or not 1 <= options["page_size"] <= 100:
            self._stop(
                2, "Le numéro de démarche et la taille de page (1 à 100) sont des entiers positifs."
            )
        try:
            categories = {c.code for c in call.rules.categories} if call.rules.categories else None
            field_mapping = mapping.parse(
                mapping.load_data(options["mapping"]), categories=categories
            )
        except mapping.MappingError as exc:
            self._stop(2, str(exc))
        try:
            client = Client.from_environment()
        except ConfigurationError as exc:
            self._stop(2, str(exc))
        try:
            importer.check_demarche_free(options["demarche"], call)
        except importer.DemarcheTaken as exc:
            self._stop(2, str(exc))
        report = importer.Report()
        try:
            importer.run(
                demarche=options["demarche"], call=call, mapping=field_mapping, client=client,
                page_size=options["page_size"], report=report,
            )  # fmt: skip
        except (DSError, locks.ImportLocked, locks.LockLost) as exc:
            self._print(report, as_json, fatal=str(exc))
            self._stop(1, str(exc))
        self._print(report, as_json)

    def _stop(self, code: int, message: str) -> None:
        self.stderr.write(message)
        sys.exit(code)

    def _print(self, report: importer.Report, as_json: bool, fatal: str = "") -> None:
        if as_json:
            data = report.as_json()
            if fatal:
                data["errors"].append({"dossier": None, "message": fatal})
            self.stdout.write(json.dumps(data, ensure_ascii=False))
            return
        self.stdout.write(
            f"{report.created} dossier(s) créé(s), {report.updated} mis à jour, "
            f"{report.unchanged} inchangé(s), {report.deactivated} retiré(s)."
        )
        for error in report.errors:
            where = f"Dossier DS n° {error['dossier']}" if error["dossier"] else "Import"
            self.stdout.write(f"{where} : {error['message']}")
        if fatal:
            self.stdout.write(
                f"Import interrompu : {fatal} Relancez-le : il reprendra à la dernière page lue."
            )
