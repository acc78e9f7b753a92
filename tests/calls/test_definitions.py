"""Call definitions are data: loaded, merged, shifted, and refused with file, line and field."""

import datetime as dt
import re
import shutil
from decimal import Decimal

import pytest

from guichet.calls.definitions import (
    CALLS_DIR,
    FUNDS_DIR,
    CallDefinitionError,
    load_all_calls,
    load_call_file,
    load_fund_file,
    shift_text,
)
from guichet.rules.timing import MONTHS, french_date

TODAY = dt.date(2026, 11, 28)
PDD = "fitn7-axe3-puy-de-dome-2021"


@pytest.fixture
def calls_dir(tmp_path):
    for path in CALLS_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def rewrite(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path, fragment):
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if fragment in line:
            return number
    raise AssertionError(fragment)


def test_every_shipped_definition_loads():
    slugs = {c.rules.slug for c in load_all_calls(today=TODAY)}
    assert slugs == {PDD, "fitn7-axe3-haut-rhin-2021", "demo-fitn7-axe3-puy-de-dome"}


def test_puy_de_dome_parameters_match_the_call_text():
    r = load_call_file(CALLS_DIR / f"{PDD}.yaml", today=TODAY).rules
    assert r.departement == "63"
    assert r.deadline == dt.date(2021, 6, 30)
    assert r.engagement_deadline == dt.date(2021, 12, 31)
    assert [s.date for s in r.sessions] == [dt.date(2021, 6, 7), dt.date(2021, 7, 7)]
    assert r.cost_floor == Decimal(5000) and r.cost_ceiling is None
    assert [(t.population_below, t.amount) for t in r.flat_amounts] == [
        (5000, Decimal(5000)),
        (None, Decimal(10000)),
        (None, Decimal(20000)),
    ]
    assert [(e.year, e.amount) for e in r.envelopes] == [(2021, Decimal(148500)), (2022, 148500)]
    assert r.total_envelope == Decimal(297000)
    assert len(r.categories) == 3 and len(r.examples) == 6
    assert r.reference_vintage == "2021"
    assert len(r.scoring.criteria) == 8


def test_haut_rhin_inherits_and_overrides():
    r = load_call_file(CALLS_DIR / "fitn7-axe3-haut-rhin-2021.yaml", today=TODAY).rules
    assert r.departement == "68"
    assert r.population_below == 100_000
    assert {k.value for k in r.eligible_kinds} == {"commune", "epci"}
    assert r.total_envelope == Decimal(270000)
    assert r.deadline == dt.date(2021, 6, 30)  # inherited
    assert "ELIG-SIZE" in r.rules


def test_demo_call_is_open_around_the_loading_day():
    r = load_call_file(CALLS_DIR / "demo-fitn7-axe3-puy-de-dome.yaml", today=TODAY).rules
    assert r.is_demo
    assert r.opens_on == TODAY - dt.timedelta(days=30)
    assert r.opens_on <= TODAY <= r.deadline
    assert r.deadline - r.opens_on == dt.date(2021, 6, 30) - dt.date(2021, 5, 18)
    assert [e.year for e in r.envelopes] == [2026, 2027]
    assert r.reference_vintage == "2026"


def test_fund_axes_add_up():
    fund = load_fund_file(FUNDS_DIR / "fitn7.yaml")
    assert fund.total == 88_000_000
    assert [a.amount for a in fund.axes] == [30_000_000, 24_000_000, 34_000_000]


@pytest.mark.parametrize(
    ("old", "new", "field", "words", "anchor"),
    [
        (
            "    amount: 10000\n",
            "    amount: -10\n",
            "flat_amounts[1].amount",
            "négatif",
            "amount: -10",
        ),
        (
            "    amount: 10000\n",
            "    amount: 10000.5\n",
            "flat_amounts[1].amount",
            "virgule flottante",
            "amount: 10000.5",
        ),
        (
            "  deadline: 2021-06-30",
            "  deadline: 2021-06-31",
            "dates.deadline",
            "AAAA-MM-JJ",
            "deadline: 2021-06-31",
        ),
        ("  floor: 5000", "  floor: cinq mille", "cost.floor", "montant", "floor: cinq mille"),
        (
            "kinds: [commune, epci, metropole",
            "kinds: [commune, syndicat, metropole",
            "eligibility.kinds[1]",
            "syndicat",
            "kinds: [commune, syndicat",
        ),
        (
            "  - date: 2021-07-07\n",
            "  - date: 2021-06-01\n",
            "sessions[1].date",
            "ordre",
            "date: 2021-06-01",
        ),
        (
            "    weight: 3\n",
            "    weight: trois\n",
            "scoring.criteria[0].weight",
            "montant",
            "weight: trois",
        ),
        ("  ENGAGEMENT:\n", "  ENGAGEMENT-X:\n", "rules.ENGAGEMENT-X", "inconnue", "ENGAGEMENT-X:"),
        (
            "        2: Effet concret sur un service",
            "        # Effet concret sur un service",
            "scoring.criteria[0].levels.2",
            "le sens de la note 2 manque",
            "      levels:",
        ),
        (
            "        3: Effet concret et mesurable",
            "        4: Effet concret et mesurable",
            "scoring.criteria[0].levels.4",
            "les notes vont de 0 à 3",
            "        4: Effet concret",
        ),
        (
            "        0: Aucune démarche participative.",
            "        0: ''",
            "scoring.criteria[1].levels.0",
            "texte non vide",
            "        0: ''",
        ),
    ],
)
def test_a_mistake_is_refused_with_file_line_and_field(calls_dir, old, new, field, words, anchor):
    path = calls_dir / f"{PDD}.yaml"
    rewrite(path, old, new)
    with pytest.raises(CallDefinitionError) as caught:
        load_call_file(path, today=TODAY)
    error = caught.value
    assert error.file.name == path.name
    assert error.field == field
    assert words in error.message
    assert error.line == line_of(path, anchor)
    assert f"{path.name}, ligne {error.line}" in str(error)


def test_missing_required_field(calls_dir):
    path = calls_dir / f"{PDD}.yaml"
    rewrite(path, "  engagement_deadline: 2021-12-31\n", "")
    with pytest.raises(CallDefinitionError, match=r"engagement_deadline.*obligatoire"):
        load_call_file(path, today=TODAY)


def test_missing_quote_is_refused(calls_dir):
    path = calls_dir / f"{PDD}.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  COST-FLOOR:")
    end = text.index("  ENVELOPE:")
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    with pytest.raises(CallDefinitionError, match="citation manquante pour : COST-FLOOR"):
        load_call_file(path, today=TODAY)


def test_broken_yaml_names_the_line(calls_dir):
    path = calls_dir / f"{PDD}.yaml"
    rewrite(path, "  floor: 5000", "  floor: [5000")
    with pytest.raises(CallDefinitionError, match="YAML invalide") as caught:
        load_call_file(path, today=TODAY)
    assert caught.value.line is not None


def test_error_in_parent_is_reported_in_the_parent_file(calls_dir):
    rewrite(calls_dir / f"{PDD}.yaml", "  opens_on: 2021-05-18", "  opens_on: 2021-13-18")
    with pytest.raises(CallDefinitionError) as caught:
        load_call_file(calls_dir / "fitn7-axe3-haut-rhin-2021.yaml", today=TODAY)
    assert caught.value.file.name == f"{PDD}.yaml"
    assert caught.value.field == "dates.opens_on"


def test_unknown_parent_and_slug_mismatch(calls_dir):
    path = calls_dir / "fitn7-axe3-haut-rhin-2021.yaml"
    rewrite(path, "extends: fitn7-axe3-puy-de-dome-2021", "extends: nulle-part")
    with pytest.raises(CallDefinitionError, match="nulle-part"):
        load_call_file(path, today=TODAY)
    other = calls_dir / f"{PDD}.yaml"
    rewrite(other, f"slug: {PDD}", "slug: autre-nom")
    with pytest.raises(CallDefinitionError, match="nom du fichier"):
        load_call_file(other, today=TODAY)


def test_a_new_departement_needs_no_code(calls_dir):
    """Adding a call is adding a file: the Ain's parameters from rules.md."""
    (calls_dir / "fitn7-axe3-ain-2021.yaml").write_text(
        "extends: fitn7-axe3-puy-de-dome-2021\n"
        "slug: fitn7-axe3-ain-2021\n"
        "title: Ain 2021\n"
        "service: Préfecture de l'Ain\n"
        "territory: {departement: '01'}\n"
        "eligibility: {kinds: [commune, epci]}\n"
        "flat_amounts:\n"
        "  - {label: Commune, kinds: [commune], amount: 5000}\n"
        "  - {label: EPCI, kinds: [epci], amount: 20000}\n"
        "envelopes: [{year: 2021, amount: 297000}]\n",
        encoding="utf-8",
    )
    r = load_call_file(calls_dir / "fitn7-axe3-ain-2021.yaml", today=TODAY).rules
    assert r.departement == "01" and r.total_envelope == Decimal(297000)


def test_a_criterion_without_levels_is_refused_at_the_criterion(calls_dir):
    path = calls_dir / f"{PDD}.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("      levels:\n", text.index("code: governance"))
    end = text.index("    - code: pooling")
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    with pytest.raises(CallDefinitionError) as caught:
        load_call_file(path, today=TODAY)
    assert caught.value.field == "scoring.criteria[5].levels"
    assert "champ obligatoire manquant" in caught.value.message


def test_each_level_of_each_criterion_has_its_meaning():
    call = next(c for c in load_all_calls(today=TODAY) if c.rules.slug == PDD)
    grid = call.rules.scoring
    for criterion in grid.criteria:
        choices = criterion.level_choices(grid.scale_min)
        assert [mark for mark, _ in choices] == [0, 1, 2, 3], criterion.code
        assert all(text.strip() for _, text in choices)
    daily_life = grid.criteria[0].level_choices(grid.scale_min)
    assert daily_life[0] == (
        0,
        "Aucun effet sur les habitants ni sur leur relation avec la collectivité.",
    )


# --------------------------------------------------------------------------------------------
# A shifted call's texts: their dates and years move with its dates

OPENS = dt.date(2021, 5, 18)
DEMO_DELTA = dt.date(2026, 11, 1) - OPENS  # the demo loaded on 1 December 2026


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jusqu'au 30 juin 2021", "jusqu'au 14 décembre 2026"),
        ("le 7 juin, puis le 7 juillet.", "le 21 novembre, puis le 21 décembre."),
        ("engagés avant fin 2021 (signature)", "engagés avant le 16 juin 2027 (signature)"),
        ("Engagement avant fin 2021", "Engagement avant le 16 juin 2027"),
        ("en 2021 :", "en 2026 :"),
        ("par an pour 2021 et 2022.", "par an pour 2026 et 2027."),
        ("le 1er juin 2021", "le 15 novembre 2026"),
        ("le 18 mai 2021", "le 1er novembre 2026"),  # the French ordinal
        ("le 31 juin", "le 31 juin"),  # no such date: left as written
        ("un plafond de 2000 € et 2021 euros", "un plafond de 2000 € et 2021 euros"),
        ("le code 2021-06-07, la version 2021.5", "le code 2021-06-07, la version 2021.5"),
        ("297 000 euros, 5 000 habitants", "297 000 euros, 5 000 habitants"),
    ],
)
def test_shift_text(text, expected):
    assert shift_text(text, DEMO_DELTA, OPENS) == expected


def test_a_day_and_month_leaving_the_moved_year_gets_its_year():
    # Opened on 1 December 2026: « le 7 juin » stays in 2026, the 7 July falls in 2027.
    delta = dt.date(2026, 12, 1) - OPENS
    assert shift_text("en 2021 : le 7 juin", delta, OPENS) == "en 2026 : le 21 décembre"
    assert shift_text("le 7 juillet", delta, OPENS) == "le 20 janvier 2027"
    assert shift_text("le 7 juillet", dt.timedelta(0), OPENS) == "le 7 juillet"


@pytest.mark.parametrize(
    "today", [dt.date(2026, 1, 1), TODAY, dt.date(2026, 12, 31), dt.date(2027, 2, 28)]
)
def test_the_demo_calls_texts_say_its_moved_dates(today):
    demo = load_call_file(CALLS_DIR / "demo-fitn7-axe3-puy-de-dome.yaml", today=today).rules
    real = load_call_file(CALLS_DIR / f"{PDD}.yaml", today=today).rules
    texts = [demo.title, demo.summary, *(s.label for s in demo.sessions)]
    texts += [t for r in demo.rules.values() for t in (r.title, r.quote)]
    shown_years = {str(e.year) for e in demo.envelopes}
    for text in texts:
        for year in re.findall(r"\b(?:19|20)\d{2}\b", text):
            assert year in shown_years | {str(demo.engagement_deadline.year)}, text
    assert french_date(demo.deadline) in demo.rules["DEADLINE"].quote
    assert french_date(demo.engagement_deadline) in demo.rules["ENGAGEMENT"].quote
    assert french_date(demo.engagement_deadline) in demo.rules["ENGAGEMENT"].title
    sessions = demo.rules["SESSIONS"].quote
    for session in demo.sessions:
        day = "1er" if session.date.day == 1 else str(session.date.day)
        assert f"le {day} {MONTHS[session.date.month - 1]}" in sessions
    # The real call is not moved.
    assert "jusqu'au 30 juin 2021" in real.rules["DEADLINE"].quote


def test_the_texts_a_shifted_file_writes_are_its_own(calls_dir):
    demo = calls_dir / "demo-fitn7-axe3-puy-de-dome.yaml"
    rewrite(demo, "summary: >-\n", "summary: >-\n  Copie de l'appel de 2021.\n")
    rewrite(
        demo,
        "apply_url:",
        'rules:\n  DEADLINE:\n    quote: "Dépôt jusqu\'au 30 juin 2021."\napply_url:',
    )
    r = load_call_file(demo, today=TODAY).rules
    assert r.summary.startswith("Copie de l'appel de 2021.")
    assert r.rules["DEADLINE"].quote == "Dépôt jusqu'au 30 juin 2021."
    assert "2026" in r.rules["SESSIONS"].quote  # inherited, so moved


# --- the programming's priority to small and medium collectivités (PRIORITY-SIZE) ---------------


def test_every_call_has_its_priority_to_small_collectivities():
    from guichet.rules.applicant import ApplicantKind

    for call in load_all_calls(today=TODAY):
        rule = call.rules.programming.priority_small
        assert rule.weight == Decimal("1.5"), call.rules.slug
        assert rule.population_below == 20000
        assert rule.kinds == {ApplicantKind.COMMUNE, ApplicantKind.EPCI}
        assert "petites et moyennes collectivités" in call.rules.rule("PRIORITY-SIZE").quote


def test_a_call_without_programming_gives_no_priority(calls_dir):
    from guichet.rules.programming import is_small, priority_weight

    path = calls_dir / f"{PDD}.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("programming:\n")
    end = text.index("settings:\n")
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    rules = load_call_file(path, today=TODAY).rules
    assert rules.programming is None
    assert priority_weight(rules) == 1
    assert not is_small(rules, "commune", 100)


@pytest.mark.parametrize(
    ("old", "new", "field", "words", "anchor"),
    [
        (
            "    weight: 1.5\n",
            "    weight: -1\n",
            "programming.priority_small.weight",
            "supérieur à zéro",
            "weight: -1",
        ),
        (
            "    weight: 1.5\n",
            "    weight: .nan\n",
            "programming.priority_small.weight",
            "n'est pas un nombre",
            "weight: .nan",
        ),
        (
            "    weight: 1.5\n",
            "    weight: beaucoup\n",
            "programming.priority_small.weight",
            "n'est pas un nombre",
            "weight: beaucoup",
        ),
        (
            "    weight: 1.5\n",
            "    weight: 1000\n",
            "programming.priority_small.weight",
            "au plus 100",
            "weight: 1000",
        ),
        (
            "    population_below: 20000\n",
            "    population_below: vingt mille\n",
            "programming.priority_small.population_below",
            "nombre entier",
            "population_below: vingt mille",
        ),
        (
            "    population_below: 20000\n    kinds: [commune, epci]\n",
            "    population_below: 20000\n    kinds: [commune, association]\n",
            "programming.priority_small.kinds[1]",
            "association",
            "kinds: [commune, association]",
        ),
        (
            "    population_below: 20000\n    kinds: [commune, epci]\n",
            "    population_below: 20000\n",
            "programming.priority_small.kinds",
            "champ obligatoire manquant",
            "  priority_small:",
        ),
        (
            "  priority_small:\n",
            "  priority_small:\n    bonus: 2\n",
            "programming.priority_small.bonus",
            "clé inconnue",
            "bonus: 2",
        ),
        (
            "  priority_small:\n",
            "  priority_large: {}\n  priority_small:\n",
            "programming.priority_large",
            "clé inconnue",
            "priority_large",
        ),
    ],
)
def test_a_wrong_priority_is_refused_with_its_field(calls_dir, old, new, field, words, anchor):
    path = calls_dir / f"{PDD}.yaml"
    rewrite(path, old, new)
    with pytest.raises(CallDefinitionError) as caught:
        load_call_file(path, today=TODAY)
    error = caught.value
    assert error.field == field
    assert words in error.message
    assert error.line == line_of(path, anchor)


def test_the_priority_needs_its_quote(calls_dir):
    path = calls_dir / f"{PDD}.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  PRIORITY-SIZE:")
    end = text.index("  PRIORITY-IMPACT:")
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    with pytest.raises(CallDefinitionError) as caught:
        load_call_file(path, today=TODAY)
    assert caught.value.field == "programming.priority_small"
    assert "PRIORITY-SIZE" in caught.value.message
