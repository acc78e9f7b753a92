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
    """Browser journeys last, and last of all those whose rows are committed (committed_db)."""
    items.sort(
        key=lambda item: (
            "/e2e/" in str(item.path),
            "committed_db" in getattr(item, "fixturenames", ()),
        )
    )
