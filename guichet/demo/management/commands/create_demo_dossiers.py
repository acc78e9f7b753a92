import time

from django.core.management.base import BaseCommand, CommandError
from django_tasks import task_backends
from django_tasks.backends.immediate import ImmediateBackend

from guichet.demo import dossiers as demo
from guichet.dossiers.workflow import STATE_LABELS, State


class Command(BaseCommand):
    help = (
        "Crée (ou recrée) une soixantaine de dossiers de démonstration de collectivités réelles du "
        "Puy-de-Dôme, dans tous les états, sur l’appel de démonstration, avec deux séances du "
        "comité de sélection (l’une close, l’autre convoquée), le suivi des subventions de la "
        "première (engagements, avance, solde), et affiche leurs comptes."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--delete-only",
            action="store_true",
            help=(
                "Supprime seulement les dossiers de démonstration et leur historique (séances, "
                "subventions, registre des enveloppes), sans les recréer : make setup le lance "
                "avant load_calls, qui déplace les dates et les années de l’appel de "
                "démonstration."
            ),
        )

    def handle(self, *args, **options):
        started = time.monotonic()
        if options["delete_only"]:
            deleted = demo.delete()
            self.stdout.write(f"{deleted} dossiers de démonstration supprimés.")
            return
        immediate = isinstance(task_backends["default"], ImmediateBackend)
        self.stdout.write(f"Dossiers de démonstration de l’appel « {demo.DEMO_CALL} » :")

        def progress(done: int, total: int) -> None:
            if done % 10 == 0 or done == total:
                self.stdout.write(f"  {done}/{total} dossiers…")
            if done == total:
                self.stdout.write("  séances du comité (note de synthèse, procès-verbal)…")
            if done == total and immediate:
                self.stdout.write("  rendu des accusés de réception (PDF)…")

        try:
            result = demo.create(progress=progress)
        except demo.DemoError as exc:
            raise CommandError(str(exc)) from None

        if result.deleted:
            self.stdout.write(f"  {result.deleted} dossiers de démonstration précédents supprimés.")
        total = sum(result.counts.values())
        self.stdout.write(self.style.SUCCESS(f"{total} dossiers créés :"))
        for state in State:
            self.stdout.write(f"  {STATE_LABELS[state]} : {result.counts[state.value]}")
        if immediate:
            self.stdout.write(f"{result.receipts} accusés de réception rendus.")
        else:
            self.stdout.write(
                f"{result.receipts} accusés de réception en file d’attente : le processus "
                "« manage.py db_worker » les produit (make demo le lance)."
            )
        if result.meetings:
            self.stdout.write("Comité de sélection :")
            for line in [*result.meetings, *result.envelopes]:
                self.stdout.write(f"  {line}")
        if result.grants:
            self.stdout.write("Suivi des subventions de la séance n° 1 :")
            for line in result.grants:
                self.stdout.write(f"  {line}")
        self.stdout.write(
            f"{result.unsent_emails} courriels de cet historique fictif n’ont pas été envoyés."
        )
        self.stdout.write("")
        self.stdout.write(
            f"Comptes de démonstration des dossiers (mot de passe : {result.password}) :"
        )
        for email, role in result.accounts:
            self.stdout.write(f"  {email} — {role}")
        self.stdout.write(f"Mot de passe de tous ces comptes : {result.password}")
        self.stdout.write(f"Terminé en {time.monotonic() - started:.1f} s.")
