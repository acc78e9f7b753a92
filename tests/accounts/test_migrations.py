"""Existing accounts keep their authenticator application when the secrets move to django-otp."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from guichet import clock

from . import two_factor_helpers as helpers

BEFORE = [("accounts", "0003_totp")]
AFTER = [("accounts", "0005_cache_table")]


@pytest.fixture
def back_to_every_migration(committed_db):
    """Going back to accounts 0003 also unapplies the migrations of other apps that depend on
    it: afterwards every app is migrated forward again. The tables are emptied after the test
    (committed_db, which runs it among the last tests and reloads the reference data for the
    next such test)."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_totp_secrets_become_devices_and_keep_working(back_to_every_migration):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    OldUser = old.get_model("accounts", "User")
    now = dt.datetime(2026, 11, 30, 9, 0, 5, tzinfo=dt.UTC)
    step = int(now.timestamp() // 30)
    with_app = OldUser.objects.create(
        email="gestion@puy-de-dome.gouv.fr",
        totp_secret=helpers.SECRET.lower(),
        totp_confirmed_at=now,
        totp_last_step=step,
    )
    unconfirmed = OldUser.objects.create(email="a@b.fr", totp_secret=helpers.SECRET)
    OldUser.objects.create(email="c@d.fr")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)

    from guichet.accounts import two_factor
    from guichet.accounts.models import User

    user = User.objects.get(pk=with_app.pk)
    device = two_factor.totp_device(user)
    assert device is not None and device.key == helpers.KEY and device.last_t == step
    assert not User.objects.get(pk=unconfirmed.pk).totp_enabled
    with clock.frozen(now):
        # The code already used before the move is still refused, the next one accepted.
        assert not two_factor.verify(user, helpers.code_at(now)).accepted
        assert two_factor.verify(user, helpers.code_at(now, 1)).accepted
