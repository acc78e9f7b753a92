"""The submitted dossiers the races work on, made once per bench database and kept between runs."""

from __future__ import annotations

import datetime as dt
from typing import Any


def submitted_dossiers(call: Any, owner: Any, count: int, *, prefix: str, state: str,
                       title: str) -> tuple[list[int], list[Any]]:  # fmt: skip
    """``count`` dossiers of Billom on ``call`` numbered ``prefix``000000…: their ids, and those
    this call had to make (bulk, submitted on 1 June 2021 in the call's first session)."""
    from guichet.dossiers.models import Dossier

    session = call.sessions.order_by("date").first()
    submitted = dt.datetime(2021, 6, 1, 10, 0, tzinfo=dt.UTC)
    existing = Dossier.objects.filter(call=call, number__startswith=prefix)
    missing = count - existing.count()
    made: list[Any] = []
    if missing > 0:
        start = existing.count()
        made = Dossier.objects.bulk_create(
            [
                Dossier(
                    call=call, number=f"{prefix}{start + i:06d}", state=state,
                    created_by=owner, applicant_kind="commune", applicant_code="63040",
                    applicant_name="Billom", applicant_vintage="2021", title=title,
                    session=session, submitted_at=submitted,
                )
                for i in range(missing)
            ],
            batch_size=2000,
        )  # fmt: skip
    return list(existing.order_by("pk").values_list("pk", flat=True)[:count]), made
