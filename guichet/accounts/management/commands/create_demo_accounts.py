from django.core.management.base import BaseCommand
from django.utils import timezone

from guichet.accounts.models import User
from guichet.accounts.services import collectivity_by_ref, current_vintage

# One password for every demo account, these and those of the demo dossiers (the same value as
# the demo dossiers' PASSWORD, which a test checks), written in the README's table. It follows
# the CNIL's rules (guichet/accounts/passwords.py).
PASSWORD = "Demo-guichet-2026!"

DEMO_ACCOUNTS = [
    # (e-mail, first name, last name, is_superuser)
    ("gestionnaire@demo.guichet.fr", "Camille", "Gestionnaire", True),
]

# The selection committee of the demonstration calls (rule COMMITTEE): the sous-préfets of the
# arrondissements, the sous-préfet de Thiers in the chair. (e-mail, first name, last name,
# function, chairs). The demo dossiers' meetings need them (create_demo_dossiers runs after).
DEMO_COMMITTEE = [
    ("sous-prefet-thiers@demo.guichet.fr", "Marc", "Delorme", "Sous-préfet de Thiers", True),
    ("sous-prefete-ambert@demo.guichet.fr", "Anne", "Vidal", "Sous-préfète d’Ambert", False),
    ("sous-prefet-issoire@demo.guichet.fr", "Jean-Baptiste", "Morel", "Sous-préfet d’Issoire",
     False),
    ("sous-prefete-riom@demo.guichet.fr", "Nadia", "Berthier", "Sous-préfète de Riom", False),
]  # fmt: skip

# Applicant agents: (e-mail, first name, last name, function, collectivité).
DEMO_AGENTS = [
    (
        "secretariat@mairie-billom.demo.guichet.fr",
        "Dominique",
        "Faure",
        "Secrétaire de mairie",
        "commune:63040",  # Billom
    ),
    (
        "numerique@billom-communaute.demo.guichet.fr",
        "Sacha",
        "Roux",
        "Chargé·e de mission numérique (cheffe de projet)",
        "epci:200067627",  # CC Billom Communauté
    ),
]


class Command(BaseCommand):
    help = "Crée (ou remet à zéro) les comptes de démonstration et les affiche."

    def handle(self, *args, **options):
        now = timezone.now()
        password = PASSWORD
        self.stdout.write(f"Comptes de démonstration (mot de passe de chacun : {password}) :")
        for email, first, last, superuser in DEMO_ACCOUNTS:
            user, _ = User.objects.get_or_create(email=email)
            user.first_name, user.last_name = first, last
            user.is_staff = user.is_superuser = superuser
            user.email_confirmed_at = user.email_confirmed_at or now
            user.set_password(password)
            user.save()
            role = "gestionnaire du programme (administration)" if superuser else "agent"
            if superuser:
                from guichet.calls.models import Call
                from guichet.review.models import AgentRole, Role

                for call in Call.objects.all():
                    AgentRole.objects.get_or_create(user=user, call=call, role=Role.MANAGER)
                role += ", gestionnaire de chaque appel"
                role += " ; double authentification à configurer à la première connexion"
            self.stdout.write(f"  {email} — {role}")

        self._committee(now, password)

        vintage = current_vintage()
        for email, first, last, function, ref in DEMO_AGENTS:
            collectivity = collectivity_by_ref(ref, vintage)
            if collectivity is None:
                self.stderr.write(
                    f"  {email} : {ref} absent du référentiel {vintage or '(vide)'} ; lancez "
                    "d’abord « manage.py load_territories »."
                )
                continue
            user, _ = User.objects.get_or_create(email=email)
            user.first_name, user.last_name, user.function = first, last, function
            user.set_collectivity(
                collectivity.kind, collectivity.code, collectivity.name, collectivity.vintage
            )
            user.email_confirmed_at = user.email_confirmed_at or now
            user.terms_accepted_at = user.terms_accepted_at or now
            user.is_staff = user.is_superuser = False
            user.is_active = True
            user.set_password(password)
            user.save()
            self.stdout.write(f"  {email} — agent de {collectivity.name} ({function.lower()})")

    def _committee(self, now, password):
        """The committee's members on every demonstration call, the chair marked (one per call:
        a chair someone else was given is taken back)."""
        from guichet.calls.models import Call
        from guichet.review.models import AgentRole, Role

        calls = list(Call.objects.filter(is_demo=True))
        if not calls:
            self.stderr.write(
                "  Aucun appel de démonstration : lancez d’abord « manage.py load_calls » pour "
                "créer son comité de sélection."
            )
            return
        for email, first, last, function, chair in DEMO_COMMITTEE:
            user, _ = User.objects.get_or_create(email=email)
            user.first_name, user.last_name, user.function = first, last, function
            user.email_confirmed_at = user.email_confirmed_at or now
            user.is_staff = user.is_superuser = False
            user.is_active = True
            user.set_password(password)
            user.save()
            for call in calls:
                if chair:
                    AgentRole.objects.filter(call=call, chair=True).exclude(user=user).update(
                        chair=False
                    )
                role, _ = AgentRole.objects.get_or_create(user=user, call=call, role=Role.COMMITTEE)
                if role.chair != chair:
                    role.chair = chair
                    role.save(update_fields=["chair"])
            what = "président du comité de sélection" if chair else "membre du comité de sélection"
            title = function[:1].lower() + function[1:]
            self.stdout.write(f"  {email} — {what} ({title}), appels de démonstration")
