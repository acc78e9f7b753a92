"""Two imports of one démarche started at the same moment: one takes the lease, the other is
refused. Real concurrency needs two connections that can race: PostgreSQL (the SQLite test
database is one in-memory connection; there the sequential refusal is tested in
test_import.py, and the conditional UPDATE is the same statement)."""

import threading

import pytest
from django.db import connection, connections

from guichet.ds import locks

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="four imports must race on real connections: the SQLite test database is one "
    "in-memory connection (the refusal of a held lease is tested in tests/ds/test_import.py); "
    "runs (never skipped) in .ci/run's PostgreSQL pass",
)


def test_two_simultaneous_imports_one_takes_the_lease(committed_db):
    barrier = threading.Barrier(4)
    tokens, refusals = [], []

    def take():
        try:
            barrier.wait()
            tokens.append(locks.acquire(77))
        except locks.ImportLocked as exc:
            refusals.append(str(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(tokens) == 1 and len(refusals) == 3
    assert all("Un import de la démarche 77 est déjà en cours" in r for r in refusals)
