from django.core.management.base import BaseCommand, CommandError

from guichet.calls.definitions import CallDefinitionError
from guichet.calls.services import load_definitions


class Command(BaseCommand):
    help = "Charge les fonds et les appels à projets depuis leurs fichiers de définition."

    def handle(self, *args, **options):
        try:
            calls = load_definitions()
        except CallDefinitionError as exc:
            raise CommandError(f"Définition refusée — {exc}") from None
        for call in calls:
            demo = " (démonstration)" if call.is_demo else ""
            self.stdout.write(
                f"Appel « {call.slug} »{demo} : du {call.opens_on:%d/%m/%Y} "
                f"au {call.deadline:%d/%m/%Y}, référentiel {call.reference_vintage}."
            )
        self.stdout.write(self.style.SUCCESS(f"{len(calls)} appels chargés."))
