"""The first step of every heat-map function: may this caller see this stimulus?

Returns a detached :class:`~gazemap.service.stimulus_view.StimulusView` read in the same
transaction as the check, so the ``data_version`` in the cache key is the one the
caller was allowed to see.
"""

from __future__ import annotations

from gazemap.errors import NotFoundError
from gazemap.service import policy
from gazemap.service.actor import Actor
from gazemap.service.context import ServiceContext
from gazemap.service.stimulus_view import StimulusView
from gazemap.store.models import Study
from gazemap.store.slices import Slice

__all__ = ["authorised_stimulus"]


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
