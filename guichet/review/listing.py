"""The reviewers' list of a call's dossiers: tabs, filters, search, columns and sorting.

One entry point, ``filtered_dossiers(params, user, call)``, turns the list's GET parameters into
the queryset of the dossiers this agent may see (``permissions.visible_dossiers``) and the columns
they chose. The list page and the exports (CSV, XLSX, ODS) both call it, so an export holds exactly
the dossiers and the columns on screen (every page, not only the current one).

Columns (``COLUMNS``): key → ``Column(label, value, text, sort, kind, reads, annotations)``.
``value(dossier)`` is the raw value for a spreadsheet (Decimal, int, datetime, str or None);
``text(dossier)`` is what the page shows, in French; ``sort`` is the ORM expression the header
sorts on; ``reads`` the fields it reads (``narrow`` loads only those). The queryset carries the
annotations the columns shown and the sort read (``cost``, ``arrondissement_name``; ``amount``
always), follows the foreign keys they use (session, assignee) and gives every dossier the same
``call`` instance, so reading every column costs no query per dossier.

Search is case and accent insensitive: each word typed, normalised (lowercase, no French accents,
hyphens and apostrophes as spaces), must appear in the dossier's ``search_text``, the same
normalisation of its collectivité, title and number kept on save (``guichet.dossiers.searchtext``).
On PostgreSQL a trigram index serves it (migration dossiers 0003).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django import forms
from django.db.models import (
    Count,
    DecimalField,
    F,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from guichet.dossiers import searchtext
from guichet.dossiers.models import CostLine, Dossier
from guichet.dossiers.workflow import State
from guichet.rules.applicant import KIND_LABELS, ApplicantKind
from guichet.rules.money import AmountError, format_euros, format_int, parse_euros

from . import counts as state_counts
from .models import OpinionKind
from .permissions import Do, covered, visible_dossiers

if TYPE_CHECKING:
    from guichet.accounts.models import User
    from guichet.calls.models import Call


# ---------------------------------------------------------------- tabs


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    states: tuple[State, ...]
    heading: str  # the page's title and h1 when this tab is shown


TABS: tuple[Tab, ...] = (
    Tab("a-instruire", "À instruire", (State.SUBMITTED,), "Dossiers à instruire"),
    Tab("en-instruction", "En instruction", (State.IN_REVIEW,), "Dossiers en instruction"),
    Tab("corrections", "En attente de corrections", (State.CORRECTION_REQUESTED,),
        "Dossiers en attente de corrections"),
    Tab("proposes", "Proposés au comité", (State.PROPOSED, State.POSTPONED, State.WAITING_LIST),
        "Dossiers proposés au comité"),
    Tab("decides", "Décidés", (State.ACCEPTED, State.REFUSED), "Dossiers décidés"),
    Tab("subventions", "Subventions en cours", (State.ENGAGED, State.PARTLY_PAID),
        "Subventions engagées en cours de versement"),
    Tab("clos", "Versés ou caducs", (State.PAID, State.LAPSED), "Subventions versées ou caduques"),
    Tab("retires", "Retirés", (State.WITHDRAWN,), "Dossiers retirés"),
)  # fmt: skip
TABS_BY_KEY = {t.key: t for t in TABS}
DEFAULT_TAB = TABS[0].key


# ---------------------------------------------------------------- columns


def _euros(value: Decimal | None) -> str:
    return "" if value is None else format_euros(value)


def _score(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}".replace(".", ",")


def _datetime(value: dt.datetime | None) -> str:
    return "" if value is None else timezone.localtime(value).strftime("%d/%m/%Y %H:%M")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    value: Callable[[Dossier], Any]
    text: Callable[[Dossier], str]
    sort: str | None = None
    # What ``value`` returns, for spreadsheets: text, integer, number (the score), money, datetime.
    kind: str = "text"
    # The model fields ``value`` reads, and the relations it follows (``session__label``).
    # None: unknown, every field is loaded (correct, only slower).
    reads: tuple[str, ...] | None = None
    # The annotations (``annotate``) it shows and sorts on; only those of the columns shown and
    # of the sort are computed.
    annotations: tuple[str, ...] = ()

    @property
    def numeric(self) -> bool:
        return self.kind in ("integer", "number", "money")


def _column(
    key: str,
    label: str,
    value: Callable[[Dossier], Any],
    fmt: Callable[[Any], str] = lambda v: "" if v is None else str(v),
    sort: str | None = None,
    kind: str = "text",
    reads: tuple[str, ...] | None = None,
    annotations: tuple[str, ...] = (),
) -> Column:
    return Column(key, label, value, lambda d: fmt(value(d)), sort, kind, reads, annotations)


def _category(d: Dossier) -> str:
    category = d.call.rules.category(d.category) if d.category else None
    return f"{category.code}. {category.title}" if category else d.category


def _kind_label(kind: str) -> str:
    try:
        return KIND_LABELS[ApplicantKind(kind)]
    except ValueError:
        return kind


COLUMNS: dict[str, Column] = {
    c.key: c
    for c in (
        _column("number", "Numéro", lambda d: d.number, sort="number", reads=("number",)),
        _column("applicant", "Collectivité", lambda d: d.applicant_name, sort="applicant_name",
                reads=("applicant_name",)),
        _column("kind", "Type de collectivité", lambda d: _kind_label(d.applicant_kind),
                sort="applicant_kind", reads=("applicant_kind",)),
        _column("title", "Projet", lambda d: d.title, sort="title", reads=("title",)),
        _column("arrondissement", "Arrondissement",
                lambda d: d.arrondissement_name or "Préfecture", sort="arrondissement_name",
                reads=("arrondissement_code",), annotations=("arrondissement_name",)),
        _column("session", "Session", lambda d: d.session.label if d.session else None,
                sort="session__date", reads=("session__label", "session__date")),
        _column("category", "Type de projet", _category, sort="category",
                reads=("category", "call")),
        _column("population", "Population", lambda d: d.population_used,
                lambda v: "" if v is None else format_int(v), sort="population_used",
                kind="integer", reads=("population_used",)),
        _column("cost", "Coût HT", lambda d: d.cost, _euros, sort="cost", kind="money",
                reads=(), annotations=("cost",)),
        _column("maximum", "Montant maximal", lambda d: d.maximum_amount, _euros,
                sort="maximum_amount", kind="money", reads=("maximum_amount",)),
        _column("requested", "Montant demandé", lambda d: d.requested_amount, _euros,
                sort="requested_amount", kind="money", reads=("requested_amount",)),
        _column("proposed", "Montant proposé", lambda d: d.proposed_amount, _euros,
                sort="proposed_amount", kind="money", reads=("proposed_amount",)),
        _column("score", "Note", lambda d: d.score_average, _score, sort="score_average",
                kind="number", reads=("score_average",)),
        _column("opinion", "Avis",
                lambda d: OpinionKind(d.opinion).label if d.opinion in OpinionKind.values else "",
                sort="opinion", reads=("opinion",)),
        _column("state", "État", lambda d: d.state_label, sort="state", reads=("state",)),
        _column("submitted_at", "Déposé le", lambda d: d.submitted_at, _datetime,
                sort="submitted_at", kind="datetime", reads=("submitted_at",)),
        _column("assignee", "Instructeur",
                lambda d: d.assignee.get_full_name() or d.assignee.email if d.assignee else "",
                sort="assignee__last_name",
                reads=("assignee__first_name", "assignee__last_name", "assignee__email")),
    )
}  # fmt: skip
DEFAULT_COLUMNS: tuple[str, ...] = (
    "number", "applicant", "title", "arrondissement", "maximum", "score", "state", "assignee",
)  # fmt: skip
# The dossier's long texts, which no column reads: left out of the list's and the exports' rows.
UNLISTED_FIELDS = (
    "summary", "examples", "description", "daily_life_effect", "participatory_how",
    "innovation", "solution_choice", "governance", "pooling", "population_justification",
    "search_text",
)  # fmt: skip
DEFAULT_SORT = "submitted_at"  # oldest first: the dossiers that have waited longest come first


def narrow(
    queryset: QuerySet[Dossier], columns: Sequence[Column], *, also: tuple[str, ...] = ()
) -> QuerySet[Dossier]:
    """Load only the fields ``columns`` (and ``also``) read, and only the relations they follow:
    building a row's instances and decoding its values is most of what reading it costs."""
    if any(c.reads is None for c in columns):
        return queryset
    needed = {"pk", "call", *also} | {f for c in columns for f in c.reads or ()}
    relations = sorted({f.split("__")[0] for f in needed if "__" in f})
    # ``call`` stays: every row is given the listing's one Call from its call_id.
    return queryset.select_related(None).select_related(*relations).only(*sorted(needed))


# ---------------------------------------------------------------- accent-insensitive text

normalize = searchtext.normalize  # what the search compares: see guichet.dossiers.searchtext


# ---------------------------------------------------------------- filters

POPULATION_BANDS: dict[str, tuple[str, int | None, int | None]] = {
    "moins-de-1000": ("Moins de 1\u00a0000 habitants", None, 1000),
    "1000-4999": ("De 1\u00a0000 à 4\u00a0999 habitants", 1000, 5000),
    "5000-19999": ("De 5\u00a0000 à 19\u00a0999 habitants", 5000, 20000),
    "20000-et-plus": ("20\u00a0000 habitants ou plus", 20000, None),
}
PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = 50
NO_ARRONDISSEMENT = "prefecture"


class _DecimalText(forms.CharField):
    """A number typed the French way (« 3,5 » or « 3.5 »); a clear message otherwise."""

    def __init__(self, *, euros: bool = False, **kwargs: Any) -> None:
        self.euros = euros
        super().__init__(required=False, max_length=30, **kwargs)

    def clean(self, value: Any) -> Decimal | None:  # type: ignore[override]
        text = (super().clean(value) or "").strip()
        if not text:
            return None
        if self.euros:
            try:
                return parse_euros(text, allow_zero=True)
            except AmountError as exc:
                raise forms.ValidationError(f"{self.label} : {exc}") from None
        try:
            cleaned = text.replace(",", ".").replace("\u00a0", "").replace(" ", "")
            if not cleaned.isascii() or "_" in cleaned:  # Decimal() reads « ٣ » and « 1_0 »
                raise InvalidOperation
            number = Decimal(cleaned)
        except InvalidOperation:
            raise forms.ValidationError(
                f"{self.label} : « {text} » n’est pas une note (par exemple 3,5)."
            ) from None
        # adjusted() before abs(): abs(Decimal("1e999999999")) overflows the context.
        if not number.is_finite() or number.adjusted() >= 3:
            raise forms.ValidationError(f"{self.label} : « {text} » n’est pas une note.")
        return number


class ListForm(forms.Form):
    """The list's GET parameters. An invalid value is reported in French and then ignored."""

    q = forms.CharField(label="Rechercher", required=False, max_length=200)
    onglet = forms.ChoiceField(required=False, choices=[(t.key, t.label) for t in TABS])
    session = forms.ChoiceField(label="Session", required=False)
    arrondissement = forms.ChoiceField(label="Arrondissement", required=False)
    categorie = forms.ChoiceField(label="Type de projet", required=False)
    type = forms.ChoiceField(
        label="Type de collectivité",
        required=False,
        choices=[("", "Tous")] + [(k.value, KIND_LABELS[k].capitalize()) for k in ApplicantKind],
    )
    population = forms.ChoiceField(
        label="Population",
        required=False,
        choices=[("", "Toutes")] + [(k, v[0]) for k, v in POPULATION_BANDS.items()],
    )
    verdict = forms.ChoiceField(
        label="Règles de l’appel",
        required=False,
        choices=[("", "Tous"), ("eligible", "Éligible au dépôt"), ("non-eligible", "Non éligible")],
    )
    note_min = _DecimalText(label="Note minimale")
    note_max = _DecimalText(label="Note maximale")
    montant_min = _DecimalText(label="Montant minimal", euros=True)
    montant_max = _DecimalText(label="Montant maximal", euros=True)
    affectation = forms.ChoiceField(
        label="Affectation",
        required=False,
        choices=[("", "Tous"), ("moi", "Affectés à moi"), ("personne", "Non affectés")],
    )
    tri = forms.CharField(required=False, max_length=40)
    taille = forms.TypedChoiceField(
        label="Dossiers par page",
        required=False,
        coerce=int,
        empty_value=DEFAULT_PAGE_SIZE,
        choices=[(n, str(n)) for n in PAGE_SIZES],
    )
    colonnes = forms.MultipleChoiceField(
        label="Colonnes affichées",
        required=False,
        choices=[(c.key, c.label) for c in COLUMNS.values()],
    )
    # Present when the column picker was submitted: no box ticked then means « none chosen ».
    choix_colonnes = forms.BooleanField(required=False)

    error_messages = {"invalid_choice": "Valeur inconnue."}

    def __init__(
        self, data: Mapping[str, Any], *, call: Call, arrondissements: list[tuple[str, str]]
    ):
        super().__init__(data)
        self.fields["session"].choices = [("", "Toutes")] + [
            (str(s.pk), f"{s.label} ({s.date:%d/%m/%Y})") for s in call.sessions.all()
        ]
        self.fields["arrondissement"].choices = [("", "Tous"), *arrondissements]
        self.fields["categorie"].choices = [("", "Tous")] + [
            (c.code, f"{c.code}. {c.title}") for c in call.rules.categories
        ]
        for name, field in self.fields.items():
            field.error_messages["invalid_choice"] = (
                f"{field.label or name} : la valeur « %(value)s » est inconnue, elle est ignorée."
            )

    def clean_tri(self) -> str:
        value = self.cleaned_data.get("tri") or ""
        key = value.removeprefix("-")
        if value and (key not in COLUMNS or COLUMNS[key].sort is None):
            raise forms.ValidationError("Ce tri est inconnu : la liste suit l’ordre par défaut.")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for low, high, label in (
            ("note_min", "note_max", "La note minimale"),
            ("montant_min", "montant_max", "Le montant minimal"),
        ):
            if data.get(low) is not None and data.get(high) is not None and data[low] > data[high]:
                self.add_error(high, f"{label} dépasse le maximum : le maximum est ignoré.")
        return data


def arrondissement_choices(user: User, call: Call) -> list[tuple[str, str]]:
    """The arrondissements of the call's département this agent covers, named as in the
    reference data, and the préfecture's own dossiers (no arrondissement)."""
    from guichet.territories.models import Arrondissement

    codes = covered(user, call, Do.VIEW)
    rows = Arrondissement.objects.filter(
        vintage=call.reference_vintage, departement_code=call.departement_code
    ).order_by("code")
    choices = [(a.code, a.name) for a in rows if codes is None or a.code in codes]
    if codes is None:
        choices.append((NO_ARRONDISSEMENT, "Préfecture (sans arrondissement)"))
    return choices


# ---------------------------------------------------------------- the listing


@dataclass
class Listing:
    """Everything the list page shows; ``queryset`` and ``columns`` are what exports need."""

    queryset: QuerySet[Dossier]  # the current tab, filtered, searched and sorted
    columns: list[Column]
    form: ListForm
    tab: Tab
    sort: str  # "key" or "-key"
    page_size: int
    base: QuerySet[Dossier]  # filtered and searched, every tab (for the counts)
    columns_chosen: bool  # the column picker was submitted (to be remembered)

    call_id: int
    # The arrondissements this agent sees (None: all, and the préfecture's own dossiers).
    arrondissements: frozenset[str] | None
    filtered: bool  # a filter or a search narrowed ``base``

    def counts(self) -> dict[str, int]:
        """The number of dossiers in each tab, in one query. Unfiltered, from the counts the
        database keeps by arrondissement and state (``review.counts``: exact, without reading
        every dossier); filtered, one count per state of the filtered dossiers (on PostgreSQL,
        grouping by state reads the partial index on (call, state) in half the time of one
        filtered count per tab), added up by tab here."""
        if not self.filtered and state_counts.available():
            per_state = state_counts.per_state(self.call_id, self.arrondissements)
        else:
            per_state = dict(
                self.base.order_by()
                .values_list("state")
                .annotate(n=Count("*"))
                .values_list("state", "n")
            )
        return {t.key: sum(per_state.get(s, 0) for s in t.states) for t in TABS}


def annotate(
    queryset: QuerySet[Dossier], call: Call, only: Collection[str] | None = None
) -> QuerySet[Dossier]:
    """The values the columns and filters read, computed by the database: ``cost`` and
    ``arrondissement_name`` (a subquery per row each) when ``only`` names them or is None,
    ``amount`` always (the amount filters read it)."""
    from guichet.territories.models import Arrondissement

    money = DecimalField(max_digits=12, decimal_places=2)
    annotations: dict[str, Any] = {}
    if only is None or "cost" in only:
        cost = (
            CostLine.objects.filter(dossier=OuterRef("pk"))
            .values("dossier")
            .annotate(total=Sum("amount_excl_vat"))
            .values("total")
        )
        annotations["cost"] = Subquery(cost, output_field=money)
    if only is None or "arrondissement_name" in only:
        name = Arrondissement.objects.filter(
            vintage=call.reference_vintage, code=OuterRef("arrondissement_code")
        ).values("name")[:1]
        annotations["arrondissement_name"] = Subquery(name)
    annotations["amount"] = Coalesce("proposed_amount", "maximum_amount", output_field=money)
    return queryset.annotate(**annotations)


def search(queryset: QuerySet[Dossier], text: str) -> QuerySet[Dossier]:
    """Every word typed must appear in the collectivité, the title or the number.

    Compared with the dossier's stored ``search_text`` (normalised the same way), which a
    trigram index serves on PostgreSQL.
    """
    words = [w for w in re.split(r"\s+", normalize(text)) if w]
    for word in words[:10]:
        queryset = queryset.filter(search_text__contains=word)
    return queryset


def _filter(queryset: QuerySet[Dossier], data: Mapping[str, Any], user: User) -> QuerySet[Dossier]:
    """``queryset`` narrowed by every criterion given; the very same object when none applies
    (``Listing.filtered`` tells the two apart: only an unfiltered list reads the kept counts)."""
    if data.get("session"):
        queryset = queryset.filter(session_id=int(data["session"]))
    if data.get("arrondissement"):
        code = data["arrondissement"]
        queryset = queryset.filter(arrondissement_code="" if code == NO_ARRONDISSEMENT else code)
    if data.get("categorie"):
        queryset = queryset.filter(category=data["categorie"])
    if data.get("type"):
        queryset = queryset.filter(applicant_kind=data["type"])
    if data.get("population"):
        _, low, high = POPULATION_BANDS[data["population"]]
        if low is not None:
            queryset = queryset.filter(population_used__gte=low)
        if high is not None:
            queryset = queryset.filter(population_used__lt=high)
    if data.get("verdict"):
        queryset = queryset.filter(eligible_at_submission=data["verdict"] == "eligible")
    if data.get("note_min") is not None:
        queryset = queryset.filter(score_average__gte=data["note_min"])
    if data.get("note_max") is not None:
        queryset = queryset.filter(score_average__lte=data["note_max"])
    if data.get("montant_min") is not None:
        queryset = queryset.filter(amount__gte=data["montant_min"])
    if data.get("montant_max") is not None:
        queryset = queryset.filter(amount__lte=data["montant_max"])
    if data.get("affectation") == "moi":
        queryset = queryset.filter(assignee=user)
    elif data.get("affectation") == "personne":
        queryset = queryset.filter(assignee__isnull=True)
    if data.get("q"):
        queryset = search(queryset, data["q"])
    return queryset


def order(queryset: QuerySet[Dossier], sort: str) -> QuerySet[Dossier]:
    """Sort on the column, empty values last both ways, then by number: a stable order."""
    field = COLUMNS[sort.removeprefix("-")].sort or "submitted_at"
    expression = (
        F(field).desc(nulls_last=True) if sort.startswith("-") else F(field).asc(nulls_last=True)
    )
    return queryset.order_by(expression, "number", "pk")


def listing(
    params: Mapping[str, Any],
    user: User,
    call: Call,
    *,
    remembered_columns: list[str] | None = None,
    arrondissements: list[tuple[str, str]] | None = None,
) -> Listing:
    """The dossiers and columns for the list's GET parameters (see the module's docstring)."""
    form = ListForm(
        params, call=call, arrondissements=arrondissements or arrondissement_choices(user, call)
    )
    form.is_valid()
    data = form.cleaned_data  # only the valid values: the others are ignored
    tab = TABS_BY_KEY.get(data.get("onglet") or "", TABS_BY_KEY[DEFAULT_TAB])
    sort = data.get("tri") or DEFAULT_SORT
    chosen = bool(data.get("choix_colonnes")) and "colonnes" not in form.errors
    if chosen and data.get("colonnes"):
        keys = list(data["colonnes"])
    else:
        keys = [k for k in (remembered_columns or DEFAULT_COLUMNS) if k in COLUMNS]
        if chosen:
            form.add_error("colonnes", "Choisissez au moins une colonne.")
            chosen = False
    keys = [k for k in COLUMNS if k in keys] or list(DEFAULT_COLUMNS)
    columns = [COLUMNS[k] for k in keys]
    computed = {a for c in [*columns, COLUMNS[sort.removeprefix("-")]] for a in c.annotations}
    # Every dossier shares the one ``call`` instance (``call.dossiers`` tells the queryset so):
    # joining the call would build and decode it again for each row.
    visible = call.dossiers.all() & visible_dossiers(user, call)
    unfiltered = (
        annotate(visible.filter(submitted_at__isnull=False), call, computed)
        .select_related("session", "assignee")
        .defer(*UNLISTED_FIELDS)
    )
    base = _filter(unfiltered, data, user)  # the same queryset when no criterion applies
    return Listing(
        queryset=order(base.filter(state__in=list(tab.states)), sort),
        columns=columns,
        form=form,
        tab=tab,
        sort=sort,
        page_size=data.get("taille") or DEFAULT_PAGE_SIZE,
        base=base,
        columns_chosen=chosen,
        call_id=call.pk,
        arrondissements=covered(user, call, Do.VIEW),
        filtered=base is not unfiltered,
    )


def filtered_dossiers(
    params: Mapping[str, Any],
    user: User,
    call: Call,
    *,
    remembered_columns: list[str] | None = None,
) -> tuple[QuerySet[Dossier], list[Column]]:
    """For exports: the dossiers of the list as filtered, searched and sorted by ``params`` (the
    list page's query string, e.g. ``request.GET``), in the current tab, every page; and the
    columns chosen, in the list's order. Pass ``remembered_columns`` (the list view's
    ``remembered_columns(request, call)``) when ``params`` carries no column choice."""
    result = listing(params, user, call, remembered_columns=remembered_columns)
    return result.queryset, result.columns
