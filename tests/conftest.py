"""Suite-wide fixtures and guards.

The test databases get the real reference data (every shipped vintage) once per session, so
every test of the suite can look collectivités up as in production.

Guards, after les-emplois' tests/conftest.py: a test fails when a template of guichet prints a
variable that does not exist (config/settings/test.py), when a locking query joins another table
without ``of=``, when it leaves the clock frozen; every warning is an error (pyproject.toml).
"""

import pytest
from django.core.management import call_command


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("load_territories", verbosity=0)
        call_command("load_calls", verbosity=0)


def pytest_collection_modifyitems(items):
    """Browser journeys last, and after them the tests whose rows are committed (committed_db).

    A test that commits empties every table when it ends, reference data included: it must go
    through ``committed_db`` (which runs last and reloads that data), never through
    ``django_db(transaction=True)`` or ``transactional_db`` alone, which would leave the tests after
    it in the same process without communes or calls."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        commits = (marker is not None and marker.kwargs.get("transaction")) or (
            "transactional_db" in getattr(item, "fixturenames", ())
        )
        if commits and "committed_db" not in getattr(item, "fixturenames", ()):
            raise pytest.UsageError(
                f"{item.nodeid} commits its rows: use the committed_db fixture (tests/conftest.py)"
            )
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


class LockingQueryJoins(Exception):
    """A ``select_for_update()`` joins other tables without ``of=``."""


# What the guards found during the current test, also in another thread (the live server's).
_violations: list[str] = []


@pytest.fixture(scope="session", autouse=True)
def locking_queries_lock_their_own_rows():
    """``select_for_update()`` with ``select_related`` (or a filter across a relation) locks every
    joined row on PostgreSQL: locking a dossier with its call would serialise every write of the
    call. Such a query must say which rows it locks (``of=("self",)``). Checked when the query is
    compiled, on SQLite too, which ignores the lock but builds the same joins."""
    from django.db.models.sql.compiler import SQLCompiler
    from django.db.models.sql.datastructures import BaseTable

    original = SQLCompiler.get_from_clause

    def get_from_clause(self):
        # Called while the query is compiled, when each alias counts the references to it (the
        # counts are reset once the SQL is written).
        result = original(self)
        query = self.query
        if query.select_for_update and not query.select_for_update_of:
            joined = sorted(
                join.table_name
                for alias, join in query.alias_map.items()
                if query.alias_refcount.get(alias) and not isinstance(join, BaseTable)
            )
            if joined:
                message = (
                    f"select_for_update() on {query.model._meta.label} also locks "
                    f'{", ".join(joined)}: say which rows it locks, of=("self",)'
                )
                _violations.append(message)
                raise LockingQueryJoins(message)
        return result

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(SQLCompiler, "get_from_clause", get_from_clause)
        yield


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Fail the test if a guard found something, even where its exception was swallowed or was
    raised in another thread (a page drawn by the live server for a browser journey)."""
    from config.settings.test import UndefinedVariable

    undefined = UndefinedVariable.found  # shared by every copy, whatever overrides TEMPLATES
    undefined.clear()
    _violations.clear()
    result = yield
    found = list(dict.fromkeys([*undefined, *_violations]))
    if found:
        pytest.fail("\n".join(found), pytrace=False)
    return result


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's admin client, with the second factor the admin requires verified
    (guichet.www.accounts.admin_site)."""
    from tests.accounts.two_factor_helpers import verified_login

    verified_login(client, admin_user)
    return client
