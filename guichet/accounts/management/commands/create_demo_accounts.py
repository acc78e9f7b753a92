from django.core.management.base import BaseCommand

from guichet.accounts.models import User

DEMO_ACCOUNTS = [
    # (e-mail, password, first name, last name, is_superuser)
    ("gestionnaire@demo.guichet.fr", "demo-gestionnaire-2026", "Camille", "Gestionnaire", True),
]


class Command(BaseCommand):
    help = "Crée (ou remet à zéro) les comptes de démonstration et les affiche."

    def handle(self, *args, **options):
        self.stdout.write("Comptes de démonstration :")
        for email, password, first, last, superuser in DEMO_ACCOUNTS:
            user, _ = User.objects.get_or_create(email=email)
            user.first_name, user.last_name = first, last
            user.is_staff = user.is_superuser = superuser
            user.set_password(password)
            user.save()
            role = "gestionnaire du programme (administration)" if superuser else "agent"
            self.stdout.write(f"  {email} / {password} — {role}")
