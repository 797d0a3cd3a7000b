"""Who may see and do what: the one place for gazemap's access rules.

Roles rank ``viewer < researcher < admin``. A global admin (and the built-in
:data:`~gazemap.service.actor.SYSTEM` actor) has the ``admin`` role in every study;
everyone else has the role of their membership, or none.

Rule for objects the caller may not see: :class:`~gazemap.errors.NotFoundError` with
exactly the message a missing id gets ("study 7 not found"), so ids cannot be probed.
Only when the caller can see the object but their role is too low do they get
:class:`~gazemap.errors.PermissionDeniedError`.

Privacy rules for heat maps live here too: viewers may not slice by who people are
(:func:`check_slice_allowed`), and nobody but an admin sees a map of fewer people
than the study's minimum group size (:func:`check_group_size`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from gazemap.errors import (
    GroupTooSmallError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from gazemap.service.actor import Actor
from gazemap.store.models import Membership, Participant, Recording, Stimulus, Study
from gazemap.store.queries import count_participants
from gazemap.store.slices import Slice

if TYPE_CHECKING:
    from gazemap.config import Settings

__all__ = [
    "Need",
    "Role",
    "check_group_size",
    "check_slice_allowed",
    "min_group_size",
    "require_admin",
    "require_participant",
    "require_recording",
    "require_stimulus",
    "require_study",
    "study_role",
]

Role = Literal["admin", "researcher", "viewer"]
Need = Literal["viewer", "researcher", "admin"]
_RANK: dict[str, int] = {"viewer": 0, "researcher": 1, "admin": 2}


def study_role(session: Session, actor: Actor, study_id: int) -> Role | None:
    """The role ``actor`` has in study ``study_id``, or ``None`` when they have none.

    Parameters
    ----------
    session:
        Open session.
    actor:
        The caller.
    study_id:
        Study id (not checked for existence: a global admin gets ``"admin"`` anyway).

    Returns
    -------
    str or None
        ``"admin"`` for global admins, else the membership role
        (``"researcher"`` or ``"viewer"``), else ``None``.
    """
    if actor.is_admin:
        return "admin"
    if actor.user_id is None:
        return None
    role = session.scalar(
        select(Membership.role).where(
            Membership.user_id == actor.user_id, Membership.study_id == study_id
        )
    )
    if role == "researcher":
        return "researcher"
    if role == "viewer":
        return "viewer"
    return None


def _check_need(need: str) -> None:
    if need not in _RANK:
        raise InvalidInputError(f"need must be one of {sorted(_RANK)}, got {need!r}", field="need")


def require_admin(actor: Actor, *, action: str) -> None:
    """Raise unless ``actor`` is a global admin.

    Parameters
    ----------
    actor:
        The caller.
    action:
        What was attempted, for the message ("list users").

    Raises
    ------
    PermissionDeniedError
        For anyone but an admin.
    """
    if not actor.is_admin:
        raise PermissionDeniedError(f"only an admin may {action}")


def require_study(session: Session, actor: Actor, study_id: int, *, need: Need) -> Study:
    """The study ``study_id`` if ``actor`` has at least role ``need`` in it.

    Parameters
    ----------
    session:
        Open session.
    actor:
        The caller.
    study_id:
        Study id.
    need:
        Lowest role allowed: ``"viewer"``, ``"researcher"`` or ``"admin"`` (global admins only).

    Returns
    -------
    Study
        The ORM row, attached to ``session``.

    Raises
    ------
    NotFoundError
        When the study does not exist or the caller has no role in it (same message).
    PermissionDeniedError
        When the caller sees the study but their role is below ``need``.
    """
    _check_need(need)
    study = session.get(Study, study_id)
    role = study_role(session, actor, study_id) if study is not None else None
    if study is None or role is None:
        raise NotFoundError(f"study {study_id} not found")
    if _RANK[role] < _RANK[need]:
        raise PermissionDeniedError(
            f"this needs the {need} role in study {study_id}; you have {role}"
        )
    return study


def require_stimulus(session: Session, actor: Actor, stimulus_id: int, *, need: Need) -> Stimulus:
    """The stimulus ``stimulus_id`` if ``actor`` has at least ``need`` in its study.

    Raises
    ------
    NotFoundError
        When the stimulus does not exist or its study is invisible to the caller.
    PermissionDeniedError
        When the caller sees the study but their role is below ``need``.
    """
    stimulus = session.get(Stimulus, stimulus_id)
    if stimulus is None or study_role(session, actor, stimulus.study_id) is None:
        raise NotFoundError(f"stimulus {stimulus_id} not found")
    require_study(session, actor, stimulus.study_id, need=need)
    return stimulus


def require_participant(
    session: Session, actor: Actor, participant_id: int, *, need: Need
) -> Participant:
    """The participant ``participant_id`` if ``actor`` has at least ``need`` in its study.

    Raises
    ------
    NotFoundError
        When the participant does not exist or its study is invisible to the caller.
    PermissionDeniedError
        When the caller sees the study but their role is below ``need``.
    """
    participant = session.get(Participant, participant_id)
    if participant is None or study_role(session, actor, participant.study_id) is None:
        raise NotFoundError(f"participant {participant_id} not found")
    require_study(session, actor, participant.study_id, need=need)
    return participant


def require_recording(
    session: Session, actor: Actor, recording_id: int, *, need: Need
) -> Recording:
    """The recording ``recording_id`` if ``actor`` has at least ``need`` in its study.

    Raises
    ------
    NotFoundError
        When the recording does not exist or its study is invisible to the caller.
    PermissionDeniedError
        When the caller sees the study but their role is below ``need``.
    """
    recording = session.get(Recording, recording_id)
    if recording is None or study_role(session, actor, recording.study_id) is None:
        raise NotFoundError(f"recording {recording_id} not found")
    require_study(session, actor, recording.study_id, need=need)
    return recording


def check_slice_allowed(session: Session, actor: Actor, study: Study, slice: Slice) -> None:
    """Refuse demographic filters to viewers.

    Viewers see aggregate attention only; selecting people by gender, age, attributes
    or id could single someone out, so only researchers and admins may.

    Parameters
    ----------
    session:
        Open session.
    actor:
        The caller (already known to see ``study``).
    study:
        The study the slice applies to.
    slice:
        The requested filters.

    Raises
    ------
    PermissionDeniedError
        Naming the first demographic filter, when the caller is a viewer of the study.
    NotFoundError
        When the caller has no role in the study at all.
    """
    role = study_role(session, actor, study.id)
    if role is None:
        raise NotFoundError(f"study {study.id} not found")
    filters = slice.demographic_filters
    if role == "viewer" and filters:
        raise PermissionDeniedError(
            f"viewers may not filter by {filters[0]} (demographic filters: {', '.join(filters)}); "
            "ask a researcher of the study"
        )


def min_group_size(study: Study, settings: Settings | None = None) -> int:
    """The minimum distinct participants a non-admin's slice of ``study`` must cover.

    ``study.min_group_size`` when set, else ``settings.security.min_group_size``
    (the process settings when ``settings`` is ``None``).
    """
    if study.min_group_size is not None:
        return int(study.min_group_size)
    if settings is None:
        from gazemap.config import get_settings

        settings = get_settings()
    return int(settings.security.min_group_size)


def check_group_size(
    session: Session,
    actor: Actor,
    study: Study,
    *,
    stimulus_id: int,
    slice: Slice,
    settings: Settings | None = None,
) -> int:
    """Refuse a heat map of fewer people than the study's minimum group size.

    Admins are exempt. The message does not say how many participants the slice
    covers, only that it is below the minimum, so repeated queries cannot count people.

    Parameters
    ----------
    session:
        Open session.
    actor:
        The caller.
    study:
        The stimulus's study.
    stimulus_id:
        Stimulus the slice applies to.
    slice:
        The requested filters.
    settings:
        Source of the default minimum (``ctx.settings``); the process settings if ``None``.

    Returns
    -------
    int
        The number of distinct participants the slice covers.

    Raises
    ------
    GroupTooSmallError
        When a non-admin's slice covers fewer participants than the minimum.
    """
    count = count_participants(session, stimulus_id=stimulus_id, slice=slice)
    if actor.is_admin:
        return count
    minimum = min_group_size(study, settings)
    if count < minimum:
        raise GroupTooSmallError(
            f"this selection covers fewer than {minimum} participants, the minimum group size "
            f"of study {study.id}; widen the filters"
        )
    return count
