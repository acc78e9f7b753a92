"""Suite-wide fixtures.

The test databases get the real reference data (every shipped vintage) once per session, so
every test of the suite can look collectivités up as in production.
"""

import pytest
from django.core.management import call_command


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("load_territories", verbosity=0)
        call_command("load_calls", verbosity=0)


def pytest_collection_modifyitems(items):
    """Browser journeys last, and after them the tests whose rows are committed (committed_db)."""
    items.sort(
        key=lambda item: (
            "committed_db" in getattr(item, "fixturenames", ()),
            "/e2e/" in str(item.path),
        )
    )


@pytest.fixture
def committed_db(transactional_db, django_db_blocker):
    """For tests whose rows other connections must see (a live server, threads) and whose
    on-commit work must run.

    Rows are committed for real (on PostgreSQL the server has its own connection), and the
    tables are emptied afterwards, reference data included: reload it if an earlier test of this
    kind emptied it. Such tests run after all the others (pytest_collection_modifyitems).
    """
    from django.core.management import call_command

    from guichet.calls.models import Call
    from guichet.territories.models import Commune

    if not Commune.objects.exists():
        call_command("load_territories", verbosity=0)
    if not Call.objects.exists():
        call_command("load_calls", verbosity=0)


@pytest.fixture(autouse=True)
def clock_left_as_found():
    """A test must not leave the process-wide clock frozen (later tests would run in its past)."""
    from guichet import clock

    before = clock._frozen
    yield
    leaked, clock._frozen = clock._frozen, before
    assert leaked == before, f"the clock was left frozen at {leaked}"


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's admin client, with the second factor the admin requires verified
    (guichet.www.accounts.admin_site)."""
    from tests.accounts.two_factor_helpers import verified_login

    verified_login(client, admin_user)
    return client
