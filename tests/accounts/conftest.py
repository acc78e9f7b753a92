import pytest
from django.core.cache import cache
from django.utils import timezone

from guichet.accounts.models import User

GOOD_PASSWORD = "Billom-Mairie-2026!"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()  # throttling counts and resend limits start from zero in every test
    yield
    cache.clear()


@pytest.fixture
def agent(db):
    user = User.objects.create_user(
        "secretariat@mairie-billom.fr",
        GOOD_PASSWORD,
        first_name="Dominique",
        last_name="Martin",
        function="Secrétaire de mairie",
        email_confirmed_at=timezone.now(),
    )
    user.set_collectivity("commune", "63040", "Billom", "2026")
    user.save()
    return user


def text(response):
    return " ".join(response.content.decode().replace("\u00a0", " ").split())
