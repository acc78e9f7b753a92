"""`guichet`: the command line. Contracts (kept stable, other tools call them):

    guichet simulate --applicant KIND:CODE --cost EUROS [--category 1|2|3]
                     [--submitted-at ISO-8601] [--engaged-on YYYY-MM-DD]
                     [--partner KIND:CODE]... [--call SLUG] --json

    guichet envelope --call SLUG --json

    guichet opendata --call SLUG [--format csv|json]

``opendata`` writes the call's granted subsidies (lapsed and withdrawn grants left out) on
standard output in the SCDL Subventions 2.1.1 format: CSV (UTF-8, the schema's columns in its
order) or JSON (a list of the same rows, numbers and booleans typed). Exit 2 with a French message
on stderr for an unknown call or a call without ``open_data:``; a warning on stderr names the
beneficiaries published without a SIRET.

``envelope`` prints each budget year of the call as ``{"year", "amount", "committed",
"released", "paid", "remaining"}`` (a JSON list, summed from the envelope's ledger).

Exit 0 for any verdict, 2 with a French message on stderr for malformed input, 1 when the
application itself is not ready (database not set up).

    guichet program --instance FILE.json --json [--no-explain] [--time-limit SECONDS]
                    [--waiting-list N]

The committee's programming (``guichet.rules.programming``), without the database. The instance:
``{"envelopes": {"2021": 148500, "2022": 148500}, "priority_small": 1.5, "dossiers": [{"id":
"D001", "amount": 5000, "score": 12.5, "small": true, "arrondissement": "631"}, …], "pinned":
["D003"], "excluded": ["D007"]}`` (``pinned``, ``excluded``, ``priority_small`` (1) optional; a
dossier may also give ``years`` (the envelope years it may go to) and ``label`` (its name in the
explanations); any other key is an error). ``--instance -`` reads it from stdin. The answer starts
with ``{"objective": number, "optimal": bool, "selected": [{"id": str, "year": int}], "left":
{"2021": number, …}}``, then the greedy comparison, the explanations and the waiting list
(``programming.proposal_as_json``). Exit 0 with a proposal, 2 with a French message on stderr for
an unreadable file, bad JSON or a malformed instance (unknown keys, negative amounts, duplicate
ids, pinned dossiers that cannot fit…).
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
    od = sub.add_parser(
        "opendata",
        help="Les subventions attribuées d'un appel, au format SCDL Subventions 2.1.1.",
        description="Écrit les subventions attribuées d'un appel (données ouvertes) sur la sortie.",
    )
    od.add_argument("--call", required=True, metavar="SLUG", help="appel à projets")
    od.add_argument("--format", choices=("csv", "json"), default="csv", help="csv (défaut) ou json")
    prog = sub.add_parser(
        "program",
        help="Programmation optimale d'un comité de sélection.",
        description=(
            "Propose les dossiers à retenir et l'année de leur enveloppe, en maximisant la valeur "
            "totale de priorité dans ce qui reste de chaque enveloppe."
        ),
    )
    prog.add_argument(
        "--instance", required=True, metavar="FICHIER.json", help="la demande (« - » : stdin)"
    )
    prog.add_argument("--json", action="store_true", help="sortie JSON (un objet)")
    prog.add_argument(
        "--no-explain", action="store_true", help="sans les explications des dossiers écartés"
    )
    prog.add_argument(
        "--time-limit", type=_positive_seconds, default=None, metavar="SECONDES",
        help="temps de calcul maximal par résolution",
    )  # fmt: skip
    prog.add_argument(
        "--waiting-list",
        type=_count,
        default=10,
        metavar="N",
        help="longueur de la liste d'attente",
    )
    return parser


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (0 < value <= 3600):
        raise argparse.ArgumentTypeError(f"« {text} » : un nombre de secondes entre 0 et 3600.")
    return value


def _count(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) > 10_000:
        raise argparse.ArgumentTypeError(f"« {text} » : un nombre entier de 0 à 10 000.")
    return int(text)


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


def opendata_command(args: argparse.Namespace) -> int:
    from django.db import DatabaseError

    from guichet.calls.services import CallNotFound, get_call
    from guichet.grants import opendata

    try:
        table = opendata.rows(get_call(args.call))
    except (CallNotFound, opendata.NoOpenData) as exc:
        return _fail(f"--call : {exc}")
    except DatabaseError:
        return _fail("la base de données n'est pas prête : lancez « make setup ».", 1)
    missing = opendata.missing_siret(table)
    if missing:
        print(
            f"guichet : attention, {len(missing)} bénéficiaire(s) sans SIRET : "
            + ", ".join(missing),
            file=sys.stderr,
        )
    text = opendata.as_json(table) + "\n" if args.format == "json" else opendata.as_csv(table)
    if (getattr(sys.stdout, "encoding", "") or "").lower().replace("-", "") != "utf8":
        sys.stdout.reconfigure(encoding="utf-8")  # type: ignore[attr-defined]
    sys.stdout.write(text)
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


def _read_instance(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    with open(source, encoding="utf-8") as f:
        return f.read()


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    keys = [k for k, _ in pairs]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        raise ValueError(f"clé en double dans un objet : {', '.join(dupes)}")
    return dict(pairs)


def _non_finite(name: str) -> object:
    raise ValueError(f"nombre non fini ({name}) : un nombre s'écrit en chiffres")


def program_command(args: argparse.Namespace) -> int:
    from decimal import Decimal

    from guichet.rules import programming

    try:
        text = _read_instance(args.instance)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "encodage illisible"
        return _fail(f"--instance : fichier illisible ({reason}).")
    try:
        data = json.loads(
            text,
            parse_float=Decimal,
            parse_constant=_non_finite,
            object_pairs_hook=_no_duplicate_keys,
        )
    except json.JSONDecodeError as exc:
        return _fail(f"--instance : JSON invalide, ligne {exc.lineno}, colonne {exc.colno}.")
    except (ValueError, RecursionError) as exc:
        return _fail(f"--instance : JSON invalide : {exc}.")
    limits = {} if args.time_limit is None else {"time_limit": args.time_limit}
    try:
        proposal = programming.solve(
            programming.parse_instance(data),
            explain=not args.no_explain,
            waiting_list=args.waiting_list,
            **limits,
        )
    except programming.InstanceError as exc:
        return _fail(str(exc))
    result = programming.proposal_as_json(proposal)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(_human_program(proposal))
    return 0


def _human_program(proposal: object) -> str:
    from guichet.rules.money import format_euros
    from guichet.rules.programming import Proposal, format_value

    assert isinstance(proposal, Proposal)
    proof = "optimale (prouvé)" if proposal.optimal else "non prouvée optimale"
    retained = len(proposal.selected)
    lines = [
        f"Programmation {proof} : valeur totale {format_value(proposal.objective)}, "
        f"{retained} dossier{'s' if retained > 1 else ''} retenu{'s' if retained > 1 else ''}.",
    ]
    for year, left in sorted(proposal.left.items()):
        chosen = [r for r in proposal.selected if r.year == year]
        count = f"{len(chosen)} dossier{'s' if len(chosen) > 1 else ''}"
        lines.append(f"  {year} : {count}, reste {format_euros(left)}")
        lines += [
            f"    {r.id} — {format_euros(r.amount)} (valeur {format_value(r.value)})"
            for r in chosen
        ]
    lines.append(
        f"Classement par note (glouton) : {format_value(proposal.greedy.objective)}, soit "
        f"{format_value(proposal.gain_over_greedy)} de moins que la proposition."
    )
    if proposal.reasons:
        lines.append("Dossiers écartés malgré une valeur plus haute qu'un dossier retenu :")
        lines += [f"  {r.id} : {r.text}" for r in proposal.reasons]
    if proposal.waiting_list:
        lines.append("Liste d'attente :")
        lines += [
            f"  {w.rank}. {w.id} — {format_euros(w.amount)} (valeur {format_value(w.value)})"
            for w in proposal.waiting_list
        ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "program":  # pure rules: no Django, no database
        return program_command(args)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    import django

    django.setup()
    if args.command == "simulate":
        return simulate_command(args)
    if args.command == "envelope":
        return envelope_command(args)
    if args.command == "opendata":
        return opendata_command(args)
    return 2  # pragma: no cover - argparse requires a command


if __name__ == "__main__":
    sys.exit(main())
