"""What a simulation hands to the dossier it starts: the collectivité, the cost, the category.

The simulator's « Déposer un dossier » link carries them signed (``sign``), through sign-in and
sign-up as the ``next`` address, up to the applicant's « Commencer le dossier » form, whose view
reads them back (``read``) and fills the new draft (``fill``). Nothing is kept on the server in
between, so the link survives a sign-up confirmed from another browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core import signing

from guichet.accounts.models import User
from guichet.calls.models import Call
from guichet.dossiers import services
from guichet.dossiers.models import Dossier
from guichet.dossiers.workflow import Actor
from guichet.simulator.inputs import InputError, parse_applicant_ref

SALT = "guichet.public.prefill"
MAX_AGE = 7 * 24 * 3600  # a week: from the simulator to a confirmed account and back
PARAMETER = "simulation"  # the query and form field that carries it
MAX_COST = Decimal(10) ** 10  # what a cost line holds (12 digits, 2 of them decimals)
COST_LINE_NATURE = "Coût global du projet estimé dans le simulateur (à détailler)"


@dataclass(frozen=True)
class Prefill:
    call: str  # slug: a simulation of one call does not fill a dossier of another
    applicant: str  # « commune:63040 », as the simulator takes it
    cost: Decimal | None = None
    category: str = ""

    @property
    def kind(self) -> str:
        return self.applicant.partition(":")[0]

    @property
    def code(self) -> str:
        return self.applicant.partition(":")[2]


def sign(prefill: Prefill) -> str:
    cost = "" if prefill.cost is None else str(prefill.cost)
    data = {"c": prefill.call, "a": prefill.applicant, "m": cost, "k": prefill.category}
    return signing.dumps(data, salt=SALT, compress=True)


def read(token: str | None, call: Call) -> Prefill | None:
    """The prefill signed in ``token`` for ``call``; None when absent, forged, stale or for
    another call (the dossier then starts empty, as from « Mes dossiers »)."""
    if not token:
        return None
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
        ref = parse_applicant_ref(str(data["a"]))
        cost = Decimal(data["m"]) if data["m"] else None
    except (signing.BadSignature, InputError, KeyError, TypeError, ArithmeticError):
        return None
    if data.get("c") != call.slug:
        return None
    if cost is not None:
        if not 0 < cost < MAX_COST:
            return None
        cost = cost.quantize(Decimal("0.01"))
    return Prefill(call.slug, str(ref).lower(), cost, str(data.get("k") or ""))


def matches(prefill: Prefill, kind: str, code: str) -> bool:
    """Whether the simulation was for the collectivité ``kind:code`` (an account's)."""
    same_kind = prefill.kind == kind or {prefill.kind, kind} <= {"epci", "metropole"}
    return same_kind and prefill.code.upper() == code.upper()


def fill(dossier: Dossier, user: User, prefill: Prefill) -> None:
    """A new draft takes the simulation's cost (one cost line, to detail) and category."""
    if prefill.cost is not None:
        line = {
            "nature": COST_LINE_NATURE,
            "supplier": "",
            "amount_excl_vat": prefill.cost,
            "amount_incl_vat": prefill.cost,
        }
        services.replace_cost_lines(dossier, user, Actor.APPLICANT, [line])
    if prefill.category and dossier.call.rules.category(prefill.category) is not None:
        services.update(dossier, user, Actor.APPLICANT, {"category": prefill.category})
