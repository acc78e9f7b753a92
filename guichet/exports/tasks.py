"""Background work of the exports: building a large export's file."""

from __future__ import annotations

from django_tasks import task


@task()
def build_export(export_id: int) -> str:
    """Build the file of an export of the reviewers' list; return its final status.

    Failures are recorded on the Export (status « failed », a French message), never raised.
    """
    from .services import build

    return build(export_id).status
