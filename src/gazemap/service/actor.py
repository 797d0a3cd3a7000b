"""Who is asking: the :class:`Actor` every service function takes.

Routes build it from the validated access token, the CLI uses :data:`SYSTEM`, and jobs
carry the id of the user who asked and rebuild it. Service functions never see HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["SYSTEM", "Actor", "GlobalRole", "StudyRole"]

GlobalRole = Literal["admin", "researcher", "viewer"]
StudyRole = Literal["researcher", "viewer"]


@dataclass(frozen=True)
class Actor:
    """The caller of a service function.

    Attributes
    ----------
    user_id:
        Database id of the user, or ``None`` for the built-in :data:`SYSTEM` actor.
    username:
        Login name, for audit entries and logs (never a participant id).
    role:
        Global role. ``admin`` may do everything; ``researcher`` and ``viewer`` act
        only in studies they are members of, with the role of that membership.
    """

    user_id: int | None
    username: str
    role: GlobalRole = "viewer"

    @property
    def is_admin(self) -> bool:
        """True for administrators and the :data:`SYSTEM` actor."""
        return self.role == "admin"


#: The actor for command-line maintenance (``gazemap demo``, ``gazemap import``): an
#: administrator without a user row.
SYSTEM = Actor(user_id=None, username="system", role="admin")
