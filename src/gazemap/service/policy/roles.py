"""Roles and visibility: who may see which study, stimulus, participant or recording.

Part of :mod:`gazemap.service.policy` (import from there).
"""

from __future__ import annotations

from typing import Literal, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from gazemap.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from gazemap.service.actor import Actor
from gazemap.store.models import Membership, Participant, Recording, Stimulus, Study

__all__ = [
    "EXPORT_ROLES",
    "Need",
    "Role",
    "require_admin",
    "require_export",
    "require_participant",
    "require_recording",
    "require_stimulus",
    "require_study",
    "study_role",
]

Role = Literal["admin", "researcher", "viewer"]
Need = Literal["viewer", "researcher", "admin"]
_RANK: dict[str, int] = {"viewer": 0, "researcher": 1, "admin": 2}
_InStudy = TypeVar("_InStudy", Stimulus, Participant, Recording)
#: Study roles that may download raw gaze data (:func:`require_export`).
EXPORT_ROLES: frozenset[str] = frozenset({"researcher", "admin"})


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


def _require_in_study(
    session: Session,
    actor: Actor,
    model: type[_InStudy],
    object_id: int,
    *,
    need: Need,
    label: str,
) -> _InStudy:
    # one rule for every object that belongs to a study: missing and invisible look alike
    found = session.get(model, object_id)
    if found is None or study_role(session, actor, found.study_id) is None:
        raise NotFoundError(f"{label} {object_id} not found")
    require_study(session, actor, found.study_id, need=need)
    return found


def require_stimulus(session: Session, actor: Actor, stimulus_id: int, *, need: Need) -> Stimulus:
    """The stimulus ``stimulus_id`` if ``actor`` has at least ``need`` in its study.

    Raises
    ------
    NotFoundError
        When the stimulus does not exist or its study is invisible to the caller.
    PermissionDeniedError
        When the caller sees the study but their role is below ``need``.
    """
    return _require_in_study(session, actor, Stimulus, stimulus_id, need=need, label="stimulus")


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
    return _require_in_study(
        session, actor, Participant, participant_id, need=need, label="participant"
    )


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
    return _require_in_study(session, actor, Recording, recording_id, need=need, label="recording")


def require_export(session: Session, actor: Actor, recording_id: int) -> Recording:
    """The recording ``recording_id`` if ``actor`` may download its raw gaze data.

    Export is a permission of its own, held by the roles in :data:`EXPORT_ROLES`
    (researchers of the study and admins); callers audit every attempt.

    Raises
    ------
    NotFoundError
        When the recording does not exist or its study is invisible to the caller.
    PermissionDeniedError
        When the caller's role in the study does not include export.
    """
    recording = session.get(Recording, recording_id)
    role = study_role(session, actor, recording.study_id) if recording is not None else None
    if recording is None or role is None:
        raise NotFoundError(f"recording {recording_id} not found")
    if role not in EXPORT_ROLES:
        raise PermissionDeniedError(
            f"exporting raw gaze data needs one of the roles {sorted(EXPORT_ROLES)} in study "
            f"{recording.study_id}; you have {role}"
        )
    return recording
