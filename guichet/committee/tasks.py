"""Background work of the committee: the documents of a closed meeting's decisions."""

from __future__ import annotations

from django_tasks import task


@task()
def generate_documents(run_id: int) -> str:
    """Generate the arrêtés and refusal letters of a meeting; return the run's final status.

    Failures are recorded on the ``GenerationRun`` (status « failed », a French message), never
    raised."""
    from .decisions import run_generation

    return run_generation(run_id).status
