import datetime as dt

import pytest

from guichet.calls.definitions import CALLS_DIR, load_call_file

TODAY = dt.date(2026, 11, 28)


@pytest.fixture(scope="session")
def puy_de_dome():
    return load_call_file(CALLS_DIR / "fitn7-axe3-puy-de-dome-2021.yaml", today=TODAY).rules


@pytest.fixture(scope="session")
def haut_rhin():
    return load_call_file(CALLS_DIR / "fitn7-axe3-haut-rhin-2021.yaml", today=TODAY).rules
