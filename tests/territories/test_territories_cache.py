"""The reference data held in memory follows the database: a reload is seen at the next lookup."""

import shutil

import pytest

from guichet.territories import services
from guichet.territories.loader import DATA_DIR, load_vintage
from guichet.territories.services import search, to_applicant

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh_memory():
    # A rolled-back reload gives its ids back: forget what it left in memory.
    services.forget_loaded_vintages()
    yield
    services.forget_loaded_vintages()


def test_a_reload_is_seen_by_the_next_lookup(tmp_path, fresh_memory):
    assert to_applicant("commune", "63040", "2021").population == 4777
    assert search("billom", "2021")[0].population == 4777
    folder = tmp_path / "2021"
    shutil.copytree(DATA_DIR / "2021", folder)
    communes = folder / "communes.csv"
    lines = communes.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    code, pop = header.index("insee_code"), header.index("population")
    for n, line in enumerate(lines):
        cells = line.rstrip("\n").split(",")
        if len(cells) == len(header) and cells[code] == "63040":
            cells[pop] = "5123"
            lines[n] = ",".join(cells) + "\n"
    communes.write_text("".join(lines), encoding="utf-8")

    load_vintage("2021", data_dir=tmp_path)

    assert to_applicant("commune", "63040", "2021").population == 5123
    billom = search("billom", "2021")[0]
    assert billom.population == 5123
    assert billom.label == "Billom (63) — commune, 5\u00a0123 hab."
    # The other vintage was not reloaded and is unchanged.
    assert to_applicant("commune", "63040", "2026").population != 5123


def test_one_query_per_lookup_once_loaded(django_assert_num_queries, fresh_memory):
    to_applicant("commune", "63040", "2021")  # loads the vintage
    with django_assert_num_queries(1):
        to_applicant("commune", "63113", "2021")
    with django_assert_num_queries(1):
        search("clermont", "2021", departements=["63"])


def test_an_unknown_vintage_finds_nothing(fresh_memory):
    assert search("billom", "1999") == []
    with pytest.raises(services.UnknownCollectivity, match="référentiel 1999"):
        to_applicant("commune", "63040", "1999")
