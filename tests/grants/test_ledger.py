"""The envelope's ledger (rule ENVELOPE): one service commits, the remainder is summed from the
ledger, a refusal says in French how much is left, and the database itself refuses both an
overcommitted envelope and an edited ledger line."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F

from guichet.calls.definitions import CallDefinitionError
from guichet.calls.models import Call, Envelope
from guichet.calls.services import load_definitions
from guichet.grants import services
from guichet.grants.models import (
    AppendOnly,
    Grant,
    GrantStatus,
    LedgerEntry,
    ReleaseCause,
)
from guichet.grants.services import EnvelopeRefused
from tests.dossiers.factories import REAL_CALL, agent, draft, reviewer

pytestmark = pytest.mark.django_db

E = Decimal


@pytest.fixture
def call():
    return Call.objects.get(slug=REAL_CALL)


@pytest.fixture
def chair():
    return reviewer(role="committee")


def dossiers(n):
    owner = agent()
    return [draft(owner) for _ in range(n)]


def test_commit_writes_the_grant_its_line_and_the_sums(call, chair):
    (d,) = dossiers(1)
    grant = services.commit(d, 2021, E("5000"), chair)
    assert (grant.amount, grant.decided_amount, grant.status) == (E(5000), E(5000), "active")
    (line,) = LedgerEntry.objects.filter(grant=grant)
    assert (line.kind, line.amount, line.remaining_after) == ("commitment", E(5000), E(143500))
    assert line.actor == chair and line.actor_label == str(chair)
    envelope = Envelope.objects.get(call=call, year=2021)
    assert (envelope.committed, envelope.remaining) == (E(5000), E(143500))
    p2021, p2022 = services.positions(call)
    assert (p2021.year, p2021.committed, p2021.remaining) == (2021, E(5000), E(143500))
    assert (p2022.year, p2022.committed, p2022.remaining) == (2022, E(0), E(148500))


def test_the_last_euro_fits_and_one_cent_more_is_refused_with_what_is_left(call, chair):
    a, b, c = dossiers(3)
    services.commit(a, 2021, E("148000.00"), chair)
    with pytest.raises(EnvelopeRefused) as refused:
        services.commit(b, 2021, E("500.01"), chair)
    assert str(refused.value).replace("\xa0", " ") == (
        "L’enveloppe 2021 ne permet pas d’engager 500,01 € : il reste 500 €."
    )
    assert refused.value.remaining == E(500)
    assert not Grant.objects.filter(dossier=b).exists()
    services.commit(c, 2021, E("500.00"), chair)
    assert services.position(call, 2021).remaining == 0


def test_a_year_without_envelope_and_bad_amounts_are_refused(chair):
    (d,) = dossiers(1)
    with pytest.raises(EnvelopeRefused, match="pas d’enveloppe pour l’année 2023"):
        services.commit(d, 2023, E(5000), chair)
    for amount in (E(0), E(-5), E("0.001"), Decimal("NaN")):
        with pytest.raises(EnvelopeRefused):
            services.commit(d, 2021, amount, chair)
    assert not LedgerEntry.objects.exists()


def test_one_active_grant_per_dossier(chair):
    (d,) = dossiers(1)
    services.commit(d, 2021, E(5000), chair)
    with pytest.raises(EnvelopeRefused, match="déjà une subvention"):
        services.commit(d, 2022, E(5000), chair)
    assert LedgerEntry.objects.count() == 1


def test_a_reduction_releases_part_and_a_lapse_the_rest(call, chair):
    (d,) = dossiers(1)
    grant = services.commit(d, 2021, E(10000), chair)
    with pytest.raises(EnvelopeRefused, match="Une réduction laisse un montant"):
        services.release(grant, E(10000), ReleaseCause.REDUCTION, chair)
    services.release(grant, E(4000), ReleaseCause.REDUCTION, chair, note="coût réel plus bas")
    assert (grant.amount, grant.status) == (E(6000), GrantStatus.ACTIVE)
    with pytest.raises(EnvelopeRefused, match="libère tout ce qui reste"):
        services.release(grant, E(1000), ReleaseCause.LAPSE, chair)
    line = services.release(grant, E(6000), ReleaseCause.LAPSE, chair)
    assert (line.kind, line.cause, line.remaining_after) == ("release", "lapse", E(148500))
    assert (grant.amount, grant.status) == (E(0), GrantStatus.LAPSED)
    p = services.position(call, 2021)
    assert (p.committed, p.released, p.remaining) == (E(10000), E(10000), E(148500))
    with pytest.raises(EnvelopeRefused, match="plus en cours"):
        services.release(grant, E(1), ReleaseCause.REDUCTION, chair)
    # Released money can be committed again, and the dossier may receive a new grant.
    services.commit(d, 2021, E(148500), chair)


def test_more_than_the_grant_cannot_be_released(chair):
    (d,) = dossiers(1)
    grant = services.commit(d, 2021, E(5000), chair)
    with pytest.raises(EnvelopeRefused, match="plus que ce qui reste"):
        services.release(grant, E("5000.01"), ReleaseCause.REDUCTION, chair)


def test_the_maintained_sums_agree_with_the_ledger(call, chair):
    ds = dossiers(5)
    grants = [services.commit(d, 2021 + i % 2, E(5000 * (i + 1)), chair) for i, d in enumerate(ds)]
    services.release(grants[0], E(5000), ReleaseCause.WITHDRAWAL, chair)
    services.release(grants[3], E(1234.5), ReleaseCause.REDUCTION, chair)
    for p in services.positions(call):
        e = Envelope.objects.get(call=call, year=p.year)
        assert (e.committed, e.released, e.paid, e.remaining) == (
            p.committed,
            p.released,
            p.paid,
            p.remaining,
        )
        lines = LedgerEntry.objects.filter(envelope=e).order_by("pk")
        assert (lines.last().remaining_after if lines else e.amount) == p.remaining


def test_the_database_refuses_an_overcommitted_envelope(call):
    """Even a write that goes around the service cannot leave a remainder below zero."""
    with pytest.raises(IntegrityError), transaction.atomic():
        Envelope.objects.filter(call=call, year=2021).update(committed=F("amount") + 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Envelope.objects.filter(call=call, year=2021).update(released=1)  # above committed
    Envelope.objects.filter(call=call, year=2021).update(committed=F("amount"))  # exactly full


def test_a_ledger_line_is_never_edited_nor_deleted(chair):
    (d,) = dossiers(1)
    services.commit(d, 2021, E(5000), chair)
    line = LedgerEntry.objects.get()
    line.amount = E(1)
    with pytest.raises(AppendOnly):
        line.save()
    with pytest.raises(AppendOnly):
        line.delete()
    # The database refuses it too, whatever writes it.
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        LedgerEntry.objects.filter(pk=line.pk).update(amount=E(1))
    if connection.vendor == "postgresql":
        with (
            pytest.raises(Exception, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("DELETE FROM grants_ledgerentry")
    assert LedgerEntry.objects.get().amount == E(5000)


def test_a_definition_cannot_lower_an_envelope_below_its_commitments(call, chair, tmp_path):
    import shutil

    from guichet.calls.definitions import CALLS_DIR

    (d,) = dossiers(1)
    services.commit(d, 2021, E(20000), chair)
    for f in CALLS_DIR.glob("*.yaml"):
        shutil.copy(f, tmp_path / f.name)
    path = tmp_path / f"{REAL_CALL}.yaml"
    text = path.read_text()
    path.write_text(
        text.replace("  - year: 2021\n    amount: 148500", "  - year: 2021\n    amount: 15000")
    )
    with pytest.raises(
        CallDefinitionError, match="ne peut pas descendre sous ce qui est déjà engagé"
    ):
        load_definitions(calls_dir=tmp_path)
    path.write_text(text.replace("  - year: 2021\n    amount: 148500\n", ""))
    with pytest.raises(CallDefinitionError, match="l’enveloppe 2021 a déjà des engagements"):
        load_definitions(calls_dir=tmp_path)
    path.write_text(
        text.replace("  - year: 2021\n    amount: 148500", "  - year: 2021\n    amount: 20000")
    )
    load_definitions(calls_dir=tmp_path)
    assert services.position(call, 2021).remaining == 0
