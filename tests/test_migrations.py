"""Every change of a model has its migration (CI also runs `make check-migrations`)."""

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_model_change_lacks_its_migration(capsys):
    try:
        call_command("makemigrations", "--check", "--dry-run", verbosity=1)
    except SystemExit as exc:  # makemigrations --check exits 1 when a migration is missing
        pytest.fail(
            f"missing migration (makemigrations --check exited {exc.code}):\n{capsys.readouterr().out}"
        )
