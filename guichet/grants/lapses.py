"""What follows a lapse (caducité): the notice, its e-mail, and the waiting list's next chance.

Called by ``grants.postaward.lapse`` inside its transaction, once the money is released.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from guichet.accounts.models import User

    from .models import Grant


def after_lapse(grant: Grant, user: User) -> None:
    """Write the lapse notice, e-mail it to the beneficiary, and offer the freed money to the
    first dossier of the waiting list that it can fund, for the next meeting."""
