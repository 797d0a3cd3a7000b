"""Group rules of aggregate answers: no demographic slicing for viewers, minimum group size *k*.

Part of :mod:`gazemap.service.policy` (import from there).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.orm import Session

from gazemap.errors import GroupTooSmallError, NotFoundError, PermissionDeniedError
from gazemap.service.actor import Actor
from gazemap.service.policy.roles import study_role
from gazemap.store.models import Study
from gazemap.store.queries import count_participants
from gazemap.store.slices import Slice

if TYPE_CHECKING:
    from gazemap.config import Settings
    from gazemap.service.context import ServiceContext
    from gazemap.service.points import GazePoints

__all__ = [
    "check_contributor_count",
    "check_contributors",
    "check_group_size",
    "check_slice_allowed",
    "check_slice_role",
    "contributors",
    "enforce_contributors",
    "min_group_size",
]


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
    check_slice_role(role, slice)


def check_slice_role(role: str, slice: Slice) -> None:
    """:func:`check_slice_allowed` once the caller's role in the study is known (no query).

    Raises
    ------
    PermissionDeniedError
        Naming the first demographic filter, when ``role`` is ``"viewer"``.
    """
    filters = slice.demographic_filters
    if role == "viewer" and filters:
        raise PermissionDeniedError(
            f"viewers may not filter by {filters[0]} (demographic filters: {', '.join(filters)}); "
            "ask a researcher of the study"
        )


class _GroupSizeColumn(Protocol):
    @property
    def min_group_size(self) -> int | None: ...


def min_group_size(study: Study | _GroupSizeColumn, settings: Settings | None = None) -> int:
    """The minimum distinct participants a non-admin's slice of ``study`` must cover.

    ``study.min_group_size`` when set, else ``settings.security.min_group_size``
    (the process settings when ``settings`` is ``None``). ``study`` may be a result
    row holding that column instead of a ``Study``.
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
        raise _too_small(study, minimum)
    return count


def _too_small(study: Study, minimum: int) -> GroupTooSmallError:
    return _too_small_id(study.id, minimum)


def _too_small_id(study_id: int, minimum: int) -> GroupTooSmallError:
    # never the count itself: repeated queries must not count people
    return GroupTooSmallError(
        f"this selection covers fewer than {minimum} participants, the minimum group size "
        f"of study {study_id}; widen the filters or the time window"
    )


def contributors(points: GazePoints) -> int:
    """Distinct participants who contribute weight to a heat map of ``points``.

    A participant counts when at least one of their points is valid, inside the time
    window and of positive weight; a participant whose recordings were selected but
    left nothing after the window does not.

    Parameters
    ----------
    points:
        The gathered points (:func:`gazemap.service.points.gather`).

    Returns
    -------
    int
    """
    import numpy as np

    n = len(points.participant_ids)
    if n == 0 or points.n_points == 0:
        return 0
    totals = np.bincount(points.participant_index, weights=points.weights, minlength=n)
    return int(np.count_nonzero(totals > 0))


def check_contributors(
    session: Session,
    actor: Actor,
    study_id: int,
    meta: Mapping[str, Any],
    *,
    settings: Settings | None = None,
) -> None:
    """Refuse a computed heat map whose points come from fewer than *k* participants.

    The second half of the minimum-group-size rule (see the module docstring): run on
    the metadata of a computed or cached density, so a time window that shrinks a
    slice below *k* is refused even though :func:`check_group_size` passed.

    Parameters
    ----------
    session:
        Open session.
    actor:
        The caller; admins are exempt.
    study_id:
        The stimulus's study.
    meta:
        The density's metadata: ``contributors`` (participants with points after the
        window), or ``participants`` in entries cached before that was recorded.
    settings:
        Source of the default minimum.

    Raises
    ------
    GroupTooSmallError
        When a non-admin's map rests on fewer participants than the minimum.
    """
    if actor.is_admin:
        return
    study = session.get(Study, study_id)
    if study is None:
        raise NotFoundError(f"study {study_id} not found")
    check_contributor_count(actor, study_id, min_group_size(study, settings), meta)


def check_contributor_count(
    actor: Actor, study_id: int, minimum: int, meta: Mapping[str, Any]
) -> None:
    """:func:`check_contributors` once the study's minimum is known (no query).

    Raises
    ------
    GroupTooSmallError
        When a non-admin's map rests on fewer than ``minimum`` participants.
    """
    if actor.is_admin:
        return
    count = int(meta.get("contributors", meta.get("participants", 0)))
    if count < minimum:
        raise _too_small_id(study_id, minimum)


def enforce_contributors(
    ctx: ServiceContext, actor: Actor, study_id: int, meta: Mapping[str, Any]
) -> None:
    """:func:`check_contributors` in a session of its own (none for admins).

    Raises
    ------
    GroupTooSmallError
        As :func:`check_contributors`.
    """
    if actor.is_admin:
        return
    with ctx.session() as session:
        check_contributors(session, actor, study_id, meta, settings=ctx.settings)
