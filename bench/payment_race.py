"""The payments race: many connections certifying and paying the same grants at once (after the
decision, décret n° 2018-514 art. 12: at most 80 % of a grant before its balance).

Run by ``bench/run.py --only payments`` in a child process on its own PostgreSQL database
(``BENCH_PAYMENT_DATABASE_URL``, default ``guichet_bench_payments``, created when missing):
migrate, load the calls, keep ``PAYMENT_GRANTS`` (300) accepted dossiers of the real call (made
once, kept between runs), empty every grant table (TRUNCATE … CASCADE: the ledger's trigger
refuses row deletions, and in this database of its own no committee decision refers to them),
size both envelopes to what the grants take, then prepare each grant: committed at a flat amount
(5 000, 10 000 or 20 000 €, on 2021 or 2022), its engagement proven and validated, one
engagement juridique for the whole grant, and three instalment requests of 40 % each (each with
its own invoice of half the grant, so the cost never binds), checked by a reviewer. Only two of
the three fit under 80 %.

How the grants are prepared. Every grant is committed by ``grants.services.commit``. The first
``PAYMENT_SERVICE_GRANTS`` (12: each amount and year twice) go through every service a real grant
goes through (``submit_engagement`` with a PDF, ``validate_engagement``,
``record_legal_commitment``, ``request_payment`` with its statement of expenses and its invoice,
``check_request``). Running those for 300 grants would store 1 200 files and take minutes, so
the others are copies, made with ``bulk_create``, of a service-made grant of the same amount and
year: its proof, its requests, their expense lines and pieces (the same stored files), its
history events (EJ number replaced), a new EJ number, ``Grant.engaged_on`` and the dossier
« Engagé ». The rows are inserted into PostgreSQL under the same constraints, and before racing
every grant is compared with its model: the same money as the services see it
(``postaward.money``), the same ceilings (``due_ceiling``) and statuses, pieces and expense lines
per request, the same EJ total and dossier state (``prepared.mismatches``, must be 0).

The race. ``PAYMENT_CONNECTIONS`` threads (16), each with its own connection, released together
by a barrier: every request is offered to both certifying agents (two managers; the reviewer who
checked it is neither), so each request is certified at most once and each grant at most 80 %.
Then, after a second barrier, each certified request's payment is recorded by both agents at once
(two numbers of demande de paiement): one is kept. Recorded: attempts, successes, refusals counted
by their French reason (numbers replaced by N), other errors (must be 0), paid, the grants paid
beyond 80 % or beyond the grant (``overpaid_grants``, must be 0), whether ``Grant.paid`` and
``certified``, the ``Payment`` rows and the ledger's payment lines agree, the envelopes' ``paid``
against the ledger (and every line's remainder), the dossiers' states, and each phase's wall time
with its certifications and payments per second. E-mails are rendered as in service and kept in
memory (locmem backend): nothing leaves the machine.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
import threading
import time
import traceback
import uuid
from collections import Counter
from decimal import Decimal

GRANTS = int(os.environ.get("PAYMENT_GRANTS", "300"))
CONNECTIONS = int(os.environ.get("PAYMENT_CONNECTIONS", "16"))
SERVICE_GRANTS = int(os.environ.get("PAYMENT_SERVICE_GRANTS", "12"))
DATABASE = os.environ.get(
    "BENCH_PAYMENT_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/guichet_bench_payments"
)
PREFIX = "PAY-"
SLUG = "fitn7-axe3-puy-de-dome-2021"
AMOUNTS = (Decimal(5000), Decimal(10000), Decimal(20000))
YEARS = (2021, 2022)
INSTALMENTS = 3
INSTALMENT_SHARE = Decimal("0.40")
EXPENSE_SHARE = Decimal("0.50")  # each request's own invoice: the cost never caps the 80 %
SIGNED_ON = dt.date(2021, 9, 1)
INVOICED_ON = dt.date(2021, 9, 10)
BENCH_DOMAIN = "bench.guichet.invalid"
GRANT_TABLES = (
    "grants_payment", "grants_requestpiece", "grants_expenseline", "grants_paymentrequest",
    "grants_legalcommitment", "grants_engagementproof", "grants_reminder",
    "grants_grantdocument", "grants_ledgerentry", "grants_grant",
)  # fmt: skip


def _plan(i: int) -> tuple[Decimal, int]:
    """Grant ``i``'s amount and year: every (amount, year) pair once in six grants."""
    return AMOUNTS[i % len(AMOUNTS)], YEARS[i % len(YEARS)]


def _pdf(title: str) -> bytes:
    from guichet.demo.dossiers import pdf_document

    return pdf_document(title, ["Banc d’essai des versements"])


def _upload(name: str, title: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, _pdf(title), content_type="application/pdf")


def _people(call):
    """The dossiers' owner, the reviewer who checks, the two managers who certify and pay."""
    from guichet.accounts.models import User
    from guichet.review.models import AgentRole

    def user(local: str, first: str, last: str, role: str | None) -> User:
        u, _ = User.objects.get_or_create(
            email=f"{local}@{BENCH_DOMAIN}", defaults={"first_name": first, "last_name": last}
        )
        if role:
            AgentRole.objects.get_or_create(user=u, call=call, role=role)
        return u

    return (
        user("versements-porteur", "Claire", "Porteur", None),
        user("versements-instructeur", "Paul", "Instructeur", "reviewer"),
        user("versements-gestion-a", "Anne", "Gestionnaire", "manager"),
        user("versements-gestion-b", "Bruno", "Ordonnateur", "manager"),
    )


def _dossiers(call, owner, count: int) -> list[int]:
    from bench.race_data import submitted_dossiers
    from guichet.dossiers.models import Membership

    ids, made = submitted_dossiers(
        call, owner, count, prefix=PREFIX, state="accepted", title="Versements"
    )
    Membership.objects.bulk_create(
        [Membership(dossier=d, user=owner, role="owner") for d in made], batch_size=2000
    )
    return ids


def _empty() -> None:
    """Every grant table emptied and the files of the last run deleted (before ``load_calls``,
    which refuses an envelope below what the last run committed)."""
    from django.db import connection

    from guichet.calls.models import Envelope
    from guichet.documents.storage import private_storage
    from guichet.grants.models import EngagementProof, RequestPiece

    names = set(EngagementProof.objects.values_list("file", flat=True))
    names |= set(RequestPiece.objects.values_list("file", flat=True))
    storage = private_storage()
    for name in names:
        if name:
            storage.delete(name)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(GRANT_TABLES)} CASCADE")
    Envelope.objects.update(committed=0, released=0, paid=0)


def _reset(call, ids: list[int]) -> None:
    """The dossiers back to « Accepté » with no history after the decision, the envelopes sized
    to the grants, their sums at zero."""
    from guichet.calls.models import Envelope
    from guichet.dossiers.models import Dossier, Event

    Event.objects.filter(dossier_id__in=ids).delete()
    Dossier.objects.filter(pk__in=ids).exclude(state="accepted").update(state="accepted")
    per_year = {y: Decimal(0) for y in YEARS}
    for i in range(len(ids)):
        amount, year = _plan(i)
        per_year[year] += amount
    for year, amount in per_year.items():
        Envelope.objects.filter(call=call, year=year).update(
            amount=amount, committed=0, released=0, paid=0
        )


def _through_services(grant, owner, reviewer, manager) -> None:
    """One grant prepared as in service: proof, validation, EJ, three requests, checked."""
    from guichet.grants import postaward
    from guichet.grants.postaward import ExpenseInput

    proof = postaward.submit_engagement(
        grant, owner, _upload("devis-signe.pdf", "Devis signé"), SIGNED_ON
    )
    postaward.validate_engagement(proof, reviewer)
    grant.refresh_from_db()
    postaward.record_legal_commitment(
        grant, manager, f"{grant.envelope.year % 100}{grant.pk:08d}", grant.envelope.year,
        grant.amount,
    )  # fmt: skip
    half = (grant.amount * EXPENSE_SHARE).quantize(Decimal("0.01"))
    for n in range(1, INSTALMENTS + 1):
        expense = ExpenseInput(
            supplier="Numérique Auvergne SARL", invoiced_on=INVOICED_ON,
            nature="Prestation d’accompagnement", amount_excl_vat=half,
            amount_incl_vat=half * Decimal("1.2"), invoice_number=f"F-21-{n:04d}",
        )  # fmt: skip
        request = postaward.request_payment(
            grant, owner, "instalment", (grant.amount * INSTALMENT_SHARE).quantize(Decimal("0.01")),
            [expense], [("invoice", _upload("facture.pdf", f"Facture F-21-{n:04d}"))],
        )  # fmt: skip
        postaward.check_request(request, reviewer)


def _fields(obj, **changes) -> dict:
    """A row's column values (a stored file by its name: the copy shares the model's file)."""
    from django.db.models.fields.files import FieldFile

    data = {}
    for f in obj._meta.concrete_fields:
        if not f.primary_key:
            value = getattr(obj, f.attname)
            data[f.attname] = value.name if isinstance(value, FieldFile) else value
    data.update(changes)
    return data


def _copies(models_of: dict, grants: list) -> None:
    """The other grants, copied in bulk from the service-made grant of the same amount and year."""
    from guichet.dossiers.models import Dossier, Event
    from guichet.grants.models import (
        EngagementProof,
        ExpenseLine,
        Grant,
        LegalCommitment,
        PaymentRequest,
        RequestPiece,
    )

    proofs, commitments, requests, events, engaged = [], [], [], [], []
    sources = []  # (template request, new request) in insertion order
    for grant in grants:
        t = models_of[(grant.amount, grant.envelope.year)]
        engaged.append(grant.pk)
        proofs.append(EngagementProof(**_fields(t["proof"], grant_id=grant.pk)))
        number = f"{grant.envelope.year % 100}{grant.pk:08d}"
        commitments.append(LegalCommitment(**_fields(t["ej"], grant_id=grant.pk, number=number)))
        for r in t["requests"]:
            new = PaymentRequest(**_fields(r, grant_id=grant.pk, uuid=uuid.uuid4()))
            requests.append(new)
            sources.append((r, new))
        for e in t["events"]:
            events.append(
                Event(
                    **_fields(
                        e, dossier_id=grant.dossier_id,
                        summary=e.summary.replace(t["ej"].number, number),
                    )
                )
            )  # fmt: skip
    EngagementProof.objects.bulk_create(proofs, batch_size=1000)
    LegalCommitment.objects.bulk_create(commitments, batch_size=1000)
    PaymentRequest.objects.bulk_create(requests, batch_size=1000)
    Event.objects.bulk_create(events, batch_size=2000)
    lines, pieces = [], []
    for template, new in sources:
        for line in template.expenses.all():
            lines.append(ExpenseLine(**_fields(line, request_id=new.pk)))
        for piece in template.pieces.all():
            pieces.append(RequestPiece(**_fields(piece, request_id=new.pk)))
    ExpenseLine.objects.bulk_create(lines, batch_size=2000)
    RequestPiece.objects.bulk_create(pieces, batch_size=2000)
    Grant.objects.filter(pk__in=engaged).update(engaged_on=SIGNED_ON)
    Dossier.objects.filter(grants__pk__in=engaged).update(state="engaged")


def _signature(grant) -> tuple:
    """What a grant looks like to the services: the same for a copy and its model."""
    from django.db.models import Sum

    from guichet.dossiers.models import Dossier
    from guichet.grants import postaward

    grant.refresh_from_db()
    m = postaward.money(grant)
    rows = []
    for r in grant.payment_requests.order_by("number"):
        rows.append(
            (
                r.number, r.kind, r.status, r.amount_requested, r.expenses_total,
                r.checked_by_id, r.submitted_by_id, r.expenses.count(), r.pieces.count(),
                postaward.due_ceiling(r),
            )
        )  # fmt: skip
    return (
        grant.amount, grant.envelope.year, grant.status, grant.certified, grant.paid,
        grant.engaged_on, Dossier.objects.values_list("state", flat=True).get(pk=grant.dossier_id), m,
        grant.legal_commitments.aggregate(s=Sum("amount"))["s"],
        grant.engagement_proofs.filter(status="validated").count(), tuple(rows),
        Dossier.objects.get(pk=grant.dossier_id).events.count(),
    )  # fmt: skip


def prepare(call, ids, owner, reviewer, manager) -> dict:
    from guichet.dossiers.models import Dossier
    from guichet.grants import services
    from guichet.grants.models import Grant

    started = time.perf_counter()
    _reset(call, ids)
    dossiers = {d.pk: d for d in Dossier.objects.filter(pk__in=ids).select_related("call")}
    grants = []
    for i, pk in enumerate(ids):
        amount, year = _plan(i)
        grants.append(services.commit(dossiers[pk], year, amount, manager))
    committed = time.perf_counter()
    by_pk = Grant.objects.select_related("envelope", "dossier__call").in_bulk(
        [g.pk for g in grants]
    )
    grants = [by_pk[g.pk] for g in grants]
    service_count = min(max(SERVICE_GRANTS, 0), len(grants))
    for grant in grants[:service_count]:
        _through_services(grant, owner, reviewer, manager)
    served = time.perf_counter()
    models_of: dict = {}
    for grant in grants[:service_count]:
        key = (grant.amount, grant.envelope.year)
        if key in models_of:
            continue
        models_of[key] = {
            "grant": grant,
            "proof": grant.engagement_proofs.get(),
            "ej": grant.legal_commitments.get(),
            "requests": list(
                grant.payment_requests.order_by("number").prefetch_related("expenses", "pieces")
            ),
            "events": list(grant.dossier.events.order_by("at", "pk")),
        }
    rest = grants[service_count:]
    missing = {(g.amount, g.envelope.year) for g in rest} - set(models_of)
    if missing:
        raise RuntimeError(
            f"PAYMENT_SERVICE_GRANTS={SERVICE_GRANTS} ne couvre pas {sorted(missing)} : "
            "au moins 6 subventions passent par les services"
        )
    _copies(models_of, rest)
    copied = time.perf_counter()
    model_signature = {k: _signature(t["grant"]) for k, t in models_of.items()}
    mismatches = 0
    for grant in grants:
        ours = _signature(grant)
        mismatches += ours != model_signature[(grant.amount, grant.envelope.year)]
    checked = time.perf_counter()
    return {
        "grants": [g.pk for g in grants],
        "summary": {
            "service_grants": service_count,
            "copied_grants": len(rest),
            "mismatches": mismatches,
            "seconds": round(checked - started, 2),
            "commit_seconds": round(committed - started, 2),
            "services_seconds": round(served - committed, 2),
            "copy_seconds": round(copied - served, 2),
            "check_seconds": round(checked - copied, 2),
        },
    }


NUMBER = re.compile(r"\d(?:[\d\u00a0\u202f ,.]*\d)?")


def reason_kind(message: str) -> str:
    """A refusal's French message with its numbers replaced by N: one key per kind of reason."""
    return NUMBER.sub("N", message)


def _race(items: list[tuple], load, act) -> dict:
    """``CONNECTIONS`` threads released together, each on its own connection, each acting on its
    share (``items[k::CONNECTIONS]``: neighbours, which touch the same grant, land in different
    threads). ``load(share)`` runs before the barrier (not timed), ``act(item, loaded)`` after."""
    from django.db import connections

    from guichet.grants.postaward import NotAllowed, PostAwardRefused

    barrier = threading.Barrier(CONNECTIONS + 1)
    lock = threading.Lock()
    outcome = Counter()
    reasons: Counter = Counter()
    errors: list[str] = []

    def worker(share: list[tuple]) -> None:
        try:
            loaded = load(share)
        except Exception:
            errors.append(traceback.format_exc(limit=3))
            loaded = None
        barrier.wait()
        for item in share if loaded is not None else ():
            try:
                act(item, loaded)
                key, reason = "done", None
            except NotAllowed as exc:  # the bench's agents must have the right: an error
                key, reason = "errors", None
                errors.append(f"NotAllowed: {exc}")
            except PostAwardRefused as exc:
                key, reason = "refused", f"{exc.field}: {reason_kind(str(exc))}"
            except Exception:  # recorded: the race must have none
                key, reason = "errors", None
                errors.append(traceback.format_exc(limit=3))
            with lock:
                outcome[key] += 1
                if reason:
                    reasons[reason] += 1
        connections.close_all()

    threads = [
        threading.Thread(target=worker, args=(items[k::CONNECTIONS],)) for k in range(CONNECTIONS)
    ]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    return {
        "attempts": len(items),
        "done": outcome["done"],
        "refused": outcome["refused"],
        "refused_by_reason": dict(reasons.most_common()),
        "errors": outcome["errors"],
        "first_errors": errors[:3],
        "seconds": round(seconds, 2),
        "attempts_per_second": round(len(items) / seconds, 1),
        "done_per_second": round(outcome["done"] / seconds, 1),
    }


def _load(share: list[tuple]):
    """The thread's own copies of its requests and agents, read on its own connection."""
    from guichet.accounts.models import User
    from guichet.grants.models import PaymentRequest

    requests = PaymentRequest.objects.select_related("grant__envelope", "grant__dossier__call")
    by_pk = requests.in_bulk({item[0] for item in share})
    users = User.objects.in_bulk({item[1] for item in share})
    return by_pk, users


def _check(call, grant_ids: list[int]) -> dict:
    """After the race: nothing overpaid, every sum agreeing with the rows it sums."""
    from django.db.models import Count, F, Q, Sum

    from guichet.calls.models import Envelope
    from guichet.grants.models import Grant, LedgerEntry, Payment, PaymentRequest
    from guichet.rules.postaward import share_of

    cap = call.rules.post_award.instalments_max_share
    grants = Grant.objects.filter(pk__in=grant_ids).annotate(
        due=Sum(
            "payment_requests__amount_due",
            filter=Q(payment_requests__status__in=["certified", "paid"]),
        ),
        n_certified=Count(
            "payment_requests", filter=Q(payment_requests__status__in=["certified", "paid"])
        ),
    )
    payments = dict(
        Payment.objects.filter(request__grant_id__in=grant_ids)
        .values_list("request__grant_id")
        .annotate(s=Sum("amount"))
    )
    ledger = dict(
        LedgerEntry.objects.filter(grant_id__in=grant_ids, kind="payment")
        .values_list("grant_id")
        .annotate(s=Sum("amount"))
    )
    zero = Decimal(0)
    overpaid = overcertified = disagree = 0
    certified_counts: Counter = Counter()
    for g in grants:
        before_balance = share_of(g.amount, cap)
        paid_rows = payments.get(g.pk, zero)
        overpaid += max(g.paid, paid_rows) > before_balance or max(g.paid, paid_rows) > g.amount
        overcertified += g.certified > before_balance
        disagree += not (
            g.paid == paid_rows == ledger.get(g.pk, zero) and g.certified == (g.due or zero)
        )
        certified_counts[g.n_certified] += 1
    # Each payment: its request paid, its ledger line of the same amount and grant.
    bad_payments = (
        Payment.objects.filter(request__grant_id__in=grant_ids)
        .exclude(request__status="paid")
        .count()
        + sum(
            1
            for p in Payment.objects.filter(request__grant_id__in=grant_ids).select_related(
                "ledger_entry", "request"
            )
            if p.ledger_entry.amount != p.amount
            or p.ledger_entry.grant_id != p.request.grant_id
            or p.ledger_entry.kind != "payment"
        )
        + PaymentRequest.objects.filter(
            grant_id__in=grant_ids, status="paid", payment__isnull=True
        ).count()
    )
    envelopes = {}
    lines_agree = True
    for e in Envelope.objects.filter(call=call).order_by("year"):
        sums = {
            kind: LedgerEntry.objects.filter(envelope=e, kind=kind).aggregate(s=Sum("amount"))["s"]
            or zero
            for kind in ("commitment", "release", "payment")
        }
        left = e.amount
        for line in LedgerEntry.objects.filter(envelope=e).order_by("pk"):
            left += {"commitment": -line.amount, "release": line.amount}.get(line.kind, zero)
            lines_agree &= line.remaining_after == left
        envelopes[str(e.year)] = {
            "amount": float(e.amount),
            "committed": float(e.committed),
            "paid": float(e.paid),
            "ledger_paid": float(sums["payment"]),
            "agrees": e.paid == sums["payment"]
            and e.committed == sums["commitment"]
            and e.released == sums["release"],
        }
    # Four eyes: no request certified by the agent who checked it.
    four_eyes_broken = PaymentRequest.objects.filter(
        grant_id__in=grant_ids, certified_by_id=F("checked_by_id")
    ).count()
    states = Counter(
        Grant.objects.filter(pk__in=grant_ids).values_list("dossier__state", flat=True)
    )
    expected_states = sum(
        1
        for state, paid in Grant.objects.filter(pk__in=grant_ids).values_list(
            "dossier__state", "paid"
        )
        if state != ("partly_paid" if paid > 0 else "engaged")
    )
    paid_total = sum(payments.values(), zero)
    return {
        "overpaid_grants": overpaid,
        "overcertified_grants": overcertified,
        "grants_by_certified_requests": {str(k): v for k, v in sorted(certified_counts.items())},
        "grant_sums_agree": disagree == 0 and bad_payments == 0,
        "grants_disagreeing": disagree,
        "payments_disagreeing": bad_payments,
        "paid_total": float(paid_total),
        "envelopes": envelopes,
        "envelope_paid_agrees": all(e["agrees"] for e in envelopes.values())
        and sum(Decimal(str(e["paid"])) for e in envelopes.values()) == paid_total,
        "ledger_lines_agree": lines_agree,
        "dossier_states": dict(states),
        "dossier_states_wrong": expected_states,
        "certified_by_their_checker": four_eyes_broken,
    }


def run() -> dict:
    import django

    django.setup()
    from django.conf import settings
    from django.core import mail
    from django.core.management import call_command
    from django.db import connection

    from guichet import clock
    from guichet.calls.models import Call
    from guichet.grants import postaward
    from guichet.grants.models import PaymentRequest

    if connection.vendor != "postgresql":
        return {"skipped": "la course se mesure sur PostgreSQL (BENCH_PAYMENT_DATABASE_URL)"}
    # The e-mails are rendered as in service, and kept in memory: nothing is sent.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    call_command("migrate", "--noinput", verbosity=0)
    _empty()
    call_command("load_calls", verbosity=0)
    call = Call.objects.get(slug=SLUG)
    owner, reviewer, manager_a, manager_b = _people(call)
    ids = _dossiers(call, owner, GRANTS)
    prepared = prepare(call, ids, owner, reviewer, manager_a)
    grant_ids = prepared["grants"]
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    mail.outbox = []

    # Certification: every request offered to both managers at once (grant by grant, request by
    # request: the neighbours land in different threads).
    requests = list(
        PaymentRequest.objects.filter(grant_id__in=grant_ids)
        .order_by("grant_id", "number")
        .values_list("pk", flat=True)
    )
    agents = (manager_a.pk, manager_b.pk)
    cert_items = [(pk, agent) for pk in requests for agent in agents]

    def certify(item, loaded):
        by_pk, users = loaded
        request = by_pk[item[0]]
        postaward.certify(request, users[item[1]], request.amount_requested)

    certification = _race(cert_items, _load, certify)

    # Payment: each certified request's payment recorded by both managers at once.
    certified = list(
        PaymentRequest.objects.filter(grant_id__in=grant_ids, status="certified")
        .order_by("grant_id", "number")
        .values_list("pk", flat=True)
    )
    pay_items = [
        (pk, agent, f"{9_000_000 + 2 * i + j}")
        for i, pk in enumerate(certified)
        for j, agent in enumerate(agents)
    ]
    today = clock.today()

    def pay(item, loaded):
        by_pk, users = loaded
        request = by_pk[item[0]]
        postaward.record_payment(request, users[item[1]], item[2], today, request.amount_due)

    payment = _race(pay_items, _load, pay)
    checks = _check(call, grant_ids)
    for phase in (certification, payment):
        phase["certified" if phase is certification else "paid"] = phase.pop("done")
    certification["certified_per_second"] = certification.pop("done_per_second")
    payment["paid_per_second"] = payment.pop("done_per_second")
    seconds = certification["seconds"] + payment["seconds"]
    return {
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "grants": len(grant_ids),
        "requests": len(requests),
        "connections": CONNECTIONS,
        "plan": (
            f"{INSTALMENTS} acomptes de {int(INSTALMENT_SHARE * 100)} % par subvention "
            "forfaitaire (5 000, 10 000 ou 20 000 €), plafond de 80 % avant le solde"
        ),
        "prepared": prepared["summary"],
        "certification": certification,
        "payment": payment,
        "attempts": certification["attempts"] + payment["attempts"],
        "certified": certification["certified"],
        "refused": certification["refused"] + payment["refused"],
        "errors": certification["errors"] + payment["errors"],
        "paid": payment["paid"],
        **checks,
        "emails": len(mail.outbox),
        "seconds": round(seconds, 2),
        "load_average_at_start": load_at_start,
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
    }


if __name__ == "__main__":  # pragma: no cover - run by bench/run.py
    import json

    print(json.dumps(run(), ensure_ascii=False))
    sys.exit(0)
