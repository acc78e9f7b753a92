"""Synthetic dossiers at a country's scale, for the back-office benchmarks.

`python -m bench.generate 100000` (Django settings from DJANGO_SETTINGS_MODULE) adds N submitted
dossiers to the demo call, each for a real collectivité drawn from every département of the
call's reference vintage, with its real arrondissement, population and flat amount, spread over
every state after submission. They are numbered `BENCH-000001`…; `--reset` removes them first.
Rows are written with bulk inserts (a few tens of seconds for 100 000 on PostgreSQL), not through
the services: this is data for measuring lists, searches and exports, not a story.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from decimal import Decimal

DEMO_CALL = "demo-fitn7-axe3-puy-de-dome"
PREFIX = "BENCH-"
BATCH = 5000

STATES = [  # (state, weight)
    ("submitted", 40), ("in_review", 25), ("correction_requested", 10), ("proposed", 10),
    ("accepted", 8), ("refused", 4), ("withdrawn", 3),
]  # fmt: skip
TITLES = [
    "Dématérialisation des demandes d’état civil",
    "Prise de rendez-vous en ligne pour les titres d’identité",
    "Formation des agents aux outils collaboratifs",
    "Accompagnement par un expert pour le schéma numérique",
    "Portail famille : inscriptions scolaires et périscolaires",
    "Modernisation de la téléphonie de la mairie",
    "Serveur vocal interactif pour l’accueil des usagers",
    "Espace numérique pour l’information des jeunes",
    "Plateforme de signalements citoyens",
    "Déploiement d’un logiciel libre de gestion du courrier",
]


def _reset(call) -> int:
    from guichet.dossiers.models import Dossier

    deleted, _ = Dossier.objects.filter(call=call, number__startswith=PREFIX).delete()
    return deleted


def generate(n: int, *, reset: bool = False, seed: int = 2021, out=sys.stdout) -> int:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from guichet.accounts.models import User
    from guichet.calls.models import Call
    from guichet.dossiers.models import CostLine, Dossier, MemberRole, Membership
    from guichet.dossiers.searchtext import search_text
    from guichet.review.models import Assignment
    from guichet.territories.models import Commune

    rng = random.Random(seed)
    call = Call.objects.get(slug=DEMO_CALL)
    rules = call.rules
    if reset:
        out.write(f"{_reset(call)} lignes supprimées.\n")
    start_number = Dossier.objects.filter(call=call, number__startswith=PREFIX).count()
    communes = list(
        Commune.objects.filter(vintage=call.reference_vintage, population__isnull=False)
        .exclude(arrondissement_code="")
        .values_list("insee_code", "name", "population", "arrondissement_code")
    )
    by_departement: dict[str, list] = {}
    for row in communes:
        by_departement.setdefault(
            row[3][:2] if not row[3].startswith("97") else row[3][:3], []
        ).append(row)
    departements = sorted(by_departement)
    sessions = list(call.sessions.all())
    opens = dt.datetime.combine(rules.opens_on, dt.time(9), tzinfo=dt.UTC)
    span = (rules.deadline - rules.opens_on).days or 1
    states, weights = zip(*STATES, strict=True)
    tiers = [t.amount for t in rules.flat_amounts]
    small, medium = tiers[0], tiers[1] if len(tiers) > 1 else tiers[0]
    password = make_password(None)
    started = time.perf_counter()
    made = 0
    while made < n:
        size = min(BATCH, n - made)
        with transaction.atomic():
            users = User.objects.bulk_create(
                [
                    User(
                        email=f"bench-{start_number + made + i}@bench.guichet.invalid",
                        password=password,
                        is_active=False,
                    )
                    for i in range(0, size, 50)
                ]
            )
            rows = []
            for i in range(size):
                number = start_number + made + i + 1
                dep = departements[number % len(departements)]
                insee, name, population, arrondissement = rng.choice(by_departement[dep])
                state = rng.choices(states, weights)[0]
                cost = Decimal(rng.randrange(5000, 60000))
                flat = small if population < 5000 else medium
                maximum = min(flat, cost)
                submitted = opens + dt.timedelta(
                    days=rng.randrange(span), minutes=rng.randrange(600)
                )
                session = next((s for s in sessions if s.date >= submitted.date()), sessions[-1])
                reviewed = state not in ("submitted", "withdrawn")
                title = f"{rng.choice(TITLES)} — {name}"
                proposed = state in ("proposed", "accepted", "refused")
                rows.append(
                    Dossier(
                        call=call, number=f"{PREFIX}{number:06d}", state=state, created_by=users[i // 50],
                        applicant_kind="commune", applicant_code=insee, applicant_name=name,
                        applicant_vintage=call.reference_vintage, arrondissement_code=arrondissement,
                        contact_name="Agent de démonstration", contact_email="contact@bench.guichet.invalid",
                        title=title, summary="Projet généré pour les mesures.",
                        category=str(1 + number % 3), requested_amount=maximum, engagement_date=rules.engagement_deadline,
                        end_date=rules.engagement_deadline + dt.timedelta(days=180), sworn_statement=True,
                        session=session, submitted_at=submitted,
                        review_started_at=submitted + dt.timedelta(days=3) if reviewed else None,
                        eligible_at_submission=True, maximum_amount=maximum, flat_amount=flat,
                        population_used=population,
                        score_average=Decimal(rng.randrange(0, 301)) / 100 if reviewed else None,
                        opinion=rng.choice(["favourable", "reserved", "unfavourable"]) if proposed else "",
                        proposed_amount=maximum if proposed else None,
                        search_text=search_text(name, title, f"{PREFIX}{number:06d}"),
                    )
                )  # fmt: skip
            created = Dossier.objects.bulk_create(rows, batch_size=1000)
            Membership.objects.bulk_create(
                [Membership(dossier=d, user=d.created_by, role=MemberRole.OWNER) for d in created],
                batch_size=2000,
            )
            CostLine.objects.bulk_create(
                [
                    CostLine(dossier=d, nature="Prestation", supplier="Prestataire", amount_excl_vat=d.maximum_amount * 2,
                             amount_incl_vat=d.maximum_amount * Decimal("2.4"))
                    for d in created
                ],
                batch_size=2000,
            )  # fmt: skip
            Assignment.objects.bulk_create(
                [
                    Assignment(
                        dossier=d,
                        arrondissement_code=d.arrondissement_code,
                        assigned_at=d.submitted_at,
                    )
                    for d in created
                ],
                batch_size=2000,
            )
        made += size
        out.write(f"{made}/{n} dossiers ({time.perf_counter() - started:.0f} s)\n")
        out.flush()
    return made


def main(argv: list[str] | None = None) -> int:
    import django

    parser = argparse.ArgumentParser(
        description="Dossiers synthétiques pour les mesures de vitesse."
    )
    parser.add_argument("count", type=int, help="nombre de dossiers à ajouter")
    parser.add_argument(
        "--reset", action="store_true", help="supprimer d’abord les dossiers synthétiques"
    )
    args = parser.parse_args(argv)
    django.setup()
    generate(args.count, reset=args.reset)
    return 0


if __name__ == "__main__":
    sys.exit(main())
