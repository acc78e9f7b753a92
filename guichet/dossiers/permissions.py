"""Who may see and act on a dossier.

Members of a dossier's team see it; reviewers and programme managers act on the submitted dossiers
routed to them (``guichet.review.permissions``: roles by call and arrondissement). Anybody else gets
"not found" (404), never "forbidden": the existence of a dossier is not revealed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .workflow import Actor

if TYPE_CHECKING:
    from guichet.accounts.models import User

    from .models import Dossier


def is_member(user: User, dossier: Dossier) -> bool:
    if not user.is_authenticated:
        return False
    return dossier.memberships.filter(user=user).exists()


def is_reviewer(user: User, dossier: Dossier) -> bool:
    from guichet.review.permissions import Do, can

    return can(user, Do.START_REVIEW, dossier)


def actor_for(user: User, dossier: Dossier) -> Actor | None:
    """The role in which ``user`` acts on ``dossier``, or None if they may not see it."""
    if is_member(user, dossier):
        return Actor.APPLICANT
    if is_reviewer(user, dossier) and dossier.state != "draft":
        return Actor.REVIEWER
    return None
