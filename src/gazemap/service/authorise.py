"""The first step of every heat-map function: may this caller see this stimulus?

Returns a detached :class:`~gazemap.service.stimulus_view.StimulusView` read in the same
transaction as the check, so the ``data_version`` in the cache key is the one the
caller was allowed to see.
"""

from __future__ import annotations

from sqlalchemy import and_, bindparam, select

from gazemap.errors import NotFoundError
from gazemap.service import policy
from gazemap.service.actor import Actor
from gazemap.service.context import ServiceContext
from gazemap.service.stimulus_view import StimulusView, screen_of
from gazemap.store.models import Membership, Stimulus, Study
from gazemap.store.slices import Slice

__all__ = ["authorised_stimulus", "heatmap_access"]


def authorised_stimulus(
    ctx: ServiceContext, actor: Actor, stimulus_id: int, *, slice: Slice | None = None
) -> StimulusView:
    """The stimulus ``actor`` asked for, once the policy allows it.

    Parameters
    ----------
    ctx:
        Service context.
    actor:
        The caller; needs at least the ``viewer`` role in the stimulus's study.
    stimulus_id:
        The stimulus.
    slice:
        The slice the caller wants to see: checked with
        :func:`~gazemap.service.policy.check_slice_allowed` (no demographic filters for
        viewers) and :func:`~gazemap.service.policy.check_group_size`.

    Returns
    -------
    StimulusView

    Raises
    ------
    NotFoundError
        No such stimulus, or one the caller may not see (one message for both).
    PermissionDeniedError
        A viewer asked for a demographic filter.
    GroupTooSmallError
        A non-admin's slice covers fewer participants than the study's minimum.
    """
    with ctx.session() as session:
        stimulus = policy.require_stimulus(session, actor, stimulus_id, need="viewer")
        if slice is not None:
            # already in the identity map (require_stimulus loaded it): no query
            study = session.get(Study, stimulus.study_id)
            if study is None:  # deleted between the two reads
                raise NotFoundError(f"stimulus {stimulus_id} not found")
            policy.check_slice_allowed(session, actor, study, slice)
            # admins are exempt from the group size (see check_group_size), so their
            # requests, cached ones included, skip its COUNT query
            if not actor.is_admin:
                policy.check_group_size(
                    session,
                    actor,
                    study,
                    stimulus_id=stimulus.id,
                    slice=slice,
                    settings=ctx.settings,
                )
        return StimulusView.of(session, stimulus)


def heatmap_access(
    ctx: ServiceContext, actor: Actor, stimulus_id: int, *, slice: Slice
) -> tuple[StimulusView, int | None]:
    """The stimulus, checked for a heat map, in one query, and the minimum group size to apply.

    The cache-first form of :func:`authorised_stimulus`: stimulus, study and the
    caller's membership role come from one joined ``SELECT``, and the group-size count
    is left to the caller, who checks it against the cached density's contributors on
    a hit (:func:`~gazemap.service.policy.check_contributor_count`: contributors never
    exceed the participants the slice selects, so the refusal is the same) and runs
    :func:`~gazemap.service.policy.check_group_size` before computing on a miss.

    Parameters
    ----------
    ctx, actor, stimulus_id, slice:
        As for :func:`authorised_stimulus`.

    Returns
    -------
    tuple
        The :class:`StimulusView` and the study's minimum group size, or ``None`` for an
        admin (exempt).

    Raises
    ------
    NotFoundError
        No such stimulus, or one the caller may not see (one message for both).
    PermissionDeniedError
        A viewer asked for a demographic filter.
    """
    user_id = -1 if actor.user_id is None else actor.user_id
    # columns through a Core connection: no ORM session, objects to build, identity-map
    # or detach, which was most of this query's cost on a cached heat map; the one
    # statement object keeps its memoised cache key (no per-request compilation)
    with ctx.read() as connection:
        found = connection.execute(
            _ACCESS_QUERY, {"stimulus_id": stimulus_id, "user_id": user_id}
        ).first()
    if found is None:
        raise NotFoundError(f"stimulus {stimulus_id} not found")
    role = "admin" if actor.is_admin else found.member_role
    if role not in ("admin", "researcher", "viewer"):
        raise NotFoundError(f"stimulus {stimulus_id} not found")
    view = StimulusView(
        id=found.id,
        study_id=found.study_id,
        width=found.width,
        height=found.height,
        image_key=found.image_key,
        data_version=found.data_version,
        study_screen=screen_of(found),
    )
    policy.check_slice_role(role, slice)
    if actor.is_admin:
        return view, None
    return view, policy.min_group_size(found, ctx.settings)


# Built once: a bound-parameter statement compiles once per engine (SQLAlchemy's cache).
_ACCESS_QUERY = (
    select(
        Stimulus.id,
        Stimulus.study_id,
        Stimulus.width,
        Stimulus.height,
        Stimulus.image_key,
        Stimulus.data_version,
        Study.screen_width_px,
        Study.screen_height_px,
        Study.screen_width_mm,
        Study.screen_height_mm,
        Study.viewing_distance_mm,
        Study.min_group_size,
        Membership.role.label("member_role"),
    )
    .join(Study, Study.id == Stimulus.study_id)
    .outerjoin(
        Membership,
        and_(
            Membership.study_id == Stimulus.study_id,
            Membership.user_id == bindparam("user_id"),
        ),
    )
    .where(Stimulus.id == bindparam("stimulus_id"))
)
