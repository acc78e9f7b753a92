"""``manage.py load_territories [--vintage 2021 …]``: (re)load the shipped reference data."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from guichet.rules.money import format_int
from guichet.territories.loader import LoadError, load_vintage, shipped_vintages


def _thousands(n: int) -> str:
    return format_int(n)


class Command(BaseCommand):
    help = (
        "Charge (ou recharge) le référentiel territorial livré dans guichet/territories/data : "
        "chaque millésime est remplacé en une seule transaction."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--vintage",
            action="append",
            dest="vintages",
            metavar="MILLÉSIME",
            help="millésime à charger (répétable) ; par défaut tous les millésimes livrés",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        vintages = options["vintages"] or shipped_vintages()
        if not vintages:
            raise CommandError("Aucun millésime livré dans guichet/territories/data.")
        for vintage in vintages:
            start = time.perf_counter()
            try:
                result = load_vintage(vintage)
            except LoadError as exc:
                raise CommandError(str(exc)) from exc
            elapsed = time.perf_counter() - start
            counts = ", ".join(f"{_thousands(n)} {label}" for label, n in result.counts.items())
            if options["verbosity"] >= 1:
                self.stdout.write(
                    f"Référentiel {vintage} (decoupage-administratif {result.source_version}) "
                    f"chargé en {elapsed:.1f} s : {counts}."
                )
