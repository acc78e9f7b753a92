"""The suite's own guards (tests/conftest.py, config/settings/test.py) catch what they promise,
and let through what Django allows."""

import pytest
from django.conf import settings
from django.template import Context, Engine, Template, engines

from config.settings.test import UndefinedTemplateVariable, UndefinedVariable
from tests import conftest


def taken() -> tuple[list[str], list[str]]:
    """What the guards recorded so far in this test, then forgotten: these tests trip them on
    purpose, and the check after each test would fail them."""
    undefined = UndefinedVariable.found
    found = (list(undefined), list(conftest._violations))
    undefined.clear()
    conftest._violations.clear()
    return found


def render(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


def test_printing_a_missing_variable_fails():
    with pytest.raises(UndefinedTemplateVariable, match="missing"):
        render("Bonjour {{ missing }}")
    assert taken()[0] == ["undefined template variable in <unknown source>, line 1: « missing »"]


def test_a_missing_attribute_and_a_string_filter_fail():
    with pytest.raises(UndefinedTemplateVariable, match=r"dossier\.nmuber"):
        render("{{ dossier.nmuber }}", dossier=object())
    with pytest.raises(UndefinedTemplateVariable, match=r"missing\|upper"):
        render("{{ missing|upper }}")
    assert len(taken()[0]) == 2
    with pytest.raises(UndefinedTemplateVariable, match=r"missing\|date"):
        render('{{ missing|date:"j F Y" }}')
    assert len(taken()[0]) == 1


def test_a_missing_variable_given_to_a_tag_fails():
    with pytest.raises(UndefinedTemplateVariable):
        render("{% url 'applicant:dossier' missing %}")
    assert len(taken()[0]) == 1


def test_tests_and_defaults_keep_django_behaviour():
    assert render("{% if missing %}oui{% else %}non{% endif %}") == "non"
    assert render("{% for x in missing %}{{ x }}{% empty %}rien{% endfor %}") == "rien"
    assert render('{{ missing|default:"—" }}') == "—"
    assert render('{{ dossier.missing|default:"" }}', dossier=object()) == ""
    assert render("{{ present }}", present="là") == "là"
    assert taken() == ([], [])


def test_the_test_settings_use_it():
    assert isinstance(settings.TEMPLATES[0]["OPTIONS"]["string_if_invalid"], UndefinedVariable)


def test_third_party_templates_are_exempt(tmp_path):
    """A template outside guichet prints nothing for a missing variable, as in production."""
    (tmp_path / "outside.html").write_text("[{{ missing }}]")
    engine = Engine(
        dirs=[str(tmp_path)],
        string_if_invalid=settings.TEMPLATES[0]["OPTIONS"]["string_if_invalid"],
    )
    assert engine.get_template("outside.html").render(Context()) == "[]"
    assert Template("x").render(Context()) == "x"
    assert taken() == ([], [])


@pytest.mark.django_db
def test_locking_a_row_with_its_join_fails():
    from guichet.dossiers.models import Dossier

    with pytest.raises(conftest.LockingQueryJoins, match="calls_call"):
        list(Dossier.objects.select_for_update().select_related("call"))
    with pytest.raises(conftest.LockingQueryJoins, match="calls_call"):
        list(Dossier.objects.select_for_update().filter(call__slug="x"))
    assert len(taken()[1]) == 2


@pytest.mark.django_db
def test_locking_only_its_own_rows_passes():
    from guichet.dossiers.models import Dossier

    assert list(Dossier.objects.select_for_update(of=("self",)).select_related("call")) == []
    assert list(Dossier.objects.select_for_update().filter(number="x")) == []
    assert list(Dossier.objects.select_related("call")) == []
    assert taken() == ([], [])


def test_a_warning_is_an_error():
    import warnings

    with pytest.raises(DeprecationWarning):
        warnings.warn("old", DeprecationWarning, stacklevel=1)
