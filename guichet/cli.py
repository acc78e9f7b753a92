"""`guichet`: the command line. Contract (kept stable, other tools call it):

    guichet simulate --applicant KIND:CODE --cost EUROS [--category 1|2|3]
                     [--submitted-at ISO-8601] [--engaged-on YYYY-MM-DD]
                     [--partner KIND:CODE]... [--call SLUG] --json

    guichet envelope --call SLUG --json

``envelope`` prints each budget year of the call as ``{"year", "amount", "committed",
"released", "paid", "remaining"}`` (a JSON list, summed from the envelope's ledger).

Exit 0 for any verdict, 2 with a French message on stderr for malformed input, 1 when the
application itself is not ready (database not set up).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import NoReturn


class FrenchParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        translated = (
            message.replace("the following arguments are required", "arguments obligatoires")
            .replace("unrecognized arguments", "arguments inconnus")
            .replace("invalid choice", "choix invalide")
            .replace("expected one argument", "une valeur est attendue")
        )
        self.exit(2, f"{self.prog} : erreur : {translated}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = FrenchParser(prog="guichet", description="guichet en ligne de commande.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=FrenchParser)
    sim = sub.add_parser(
        "simulate",
        help="Éligibilité et montant maximal d'un projet pour un appel.",
        description="Dit si une structure peut candidater et pour quel montant.",
    )
    sim.add_argument(
        "--applicant",
        required=True,
        metavar="KIND:CODE",
        help="commune:INSEE, epci:SIREN, departement:CODE, region:CODE, autre:…",
    )
    sim.add_argument("--cost", required=True, metavar="EUROS", help="coût global du projet")
    sim.add_argument("--category", metavar="1|2|3", help="type de projet")
    sim.add_argument("--submitted-at", metavar="ISO-8601", help="date et heure du dépôt")
    sim.add_argument("--engaged-on", metavar="AAAA-MM-JJ", help="date d'engagement du projet")
    sim.add_argument(
        "--partner",
        action="append",
        default=[],
        metavar="KIND:CODE",
        help="structure associée (répétable)",
    )
    sim.add_argument("--call", metavar="SLUG", help="appel à projets (défaut : Puy-de-Dôme 2021)")
    sim.add_argument("--json", action="store_true", help="sortie JSON (un objet)")
    env = sub.add_parser(
        "envelope",
        help="Ce qui est engagé, libéré, versé et ce qui reste de chaque enveloppe d'un appel.",
        description="La position de chaque enveloppe annuelle d'un appel, tirée de son registre.",
    )
    env.add_argument("--call", required=True, metavar="SLUG", help="appel à projets")
    env.add_argument("--json", action="store_true", help="sortie JSON (une liste)")
    return parser


def _fail(message: str, code: int = 2) -> int:
    print(f"guichet : {message}", file=sys.stderr)
    return code


def simulate_command(args: argparse.Namespace) -> int:
    from django.conf import settings
    from django.db import DatabaseError

    from guichet.calls.services import CallNotFound, get_call
    from guichet.simulator.inputs import (
        InputError,
        parse_applicant_ref,
        parse_category,
        parse_cost,
        parse_date,
        parse_moment,
    )
    from guichet.simulator.services import SimulationRequest, simulate, verdict_as_json

    try:
        request = SimulationRequest(
            applicant=parse_applicant_ref(args.applicant, "--applicant"),
            cost=parse_cost(args.cost, "--cost"),
            category=parse_category(args.category, "--category"),
            submitted_at=parse_moment(args.submitted_at, "--submitted-at"),
            engaged_on=parse_date(args.engaged_on, "--engaged-on"),
            partners=tuple(parse_applicant_ref(p, "--partner") for p in args.partner),
        )
        call = get_call(args.call or settings.GUICHET["DEFAULT_CALL"])
        verdict = simulate(call, request)
    except InputError as exc:
        return _fail(f"{exc.field} : {exc.message}")
    except CallNotFound as exc:
        return _fail(f"--call : {exc}")
    except DatabaseError:
        return _fail("la base de données n'est pas prête : lancez « make setup ».", 1)
    result = verdict_as_json(call, verdict)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(_human(result))
    return 0


def envelope_command(args: argparse.Namespace) -> int:
    from django.db import DatabaseError

    from guichet.calls.services import CallNotFound, get_call
    from guichet.grants.services import positions
    from guichet.rules.money import format_euros

    try:
        years = positions(get_call(args.call))
    except CallNotFound as exc:
        return _fail(f"--call : {exc}")
    except DatabaseError:
        return _fail("la base de données n'est pas prête : lancez « make setup ».", 1)
    if args.json:
        print(json.dumps([p.as_json() for p in years], ensure_ascii=False))
        return 0
    for p in years:
        print(
            f"{p.year} : {format_euros(p.amount)}, engagé {format_euros(p.committed)}, "
            f"libéré {format_euros(p.released)}, versé {format_euros(p.paid)}, "
            f"reste {format_euros(p.remaining)}"
        )
    return 0


def _human(result: dict) -> str:
    from guichet.rules.money import format_euros

    a = result["applicant"]
    lines = [
        f"{a['name']} — {'éligible' if result['eligible'] else 'non éligible'}",
        f"Montant maximal : {format_euros(result['amount'])}",
    ]
    marks = {"passed": "✓", "failed": "✗", "not_evaluated": "?"}
    lines += [f"  {marks[c['status']]} {c['rule']} : {c['message']}" for c in result["checks"]]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    import django

    django.setup()
    if args.command == "simulate":
        return simulate_command(args)
    if args.command == "envelope":
        return envelope_command(args)
    return 2  # pragma: no cover - argparse requires a command


if __name__ == "__main__":
    sys.exit(main())
