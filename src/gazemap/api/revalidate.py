"""Entity tags of heat maps, computed without building the map.

A heat map's ETag is a hash of its cache key(s) (:func:`gazemap.service.density.etag_of`),
and a cache key needs only the stimulus's ``data_version`` and the canonical request
(:func:`gazemap.cache.make_key`). So ``If-None-Match`` is answered with one authorised
read of the stimulus row, and a 304 costs no density and no blob read. The format is
appended (``<tag>.json``), because the density's JSON and ``.npy`` share one cache key
but are different representations.
"""

from __future__ import annotations

from typing import Any

from gazemap.cache import make_key
from gazemap.service.actor import Actor
from gazemap.service.auditing import audit_refusals
from gazemap.service.authorise import authorised_stimulus
from gazemap.service.context import ServiceContext
from gazemap.service.density import etag_of
from gazemap.service.params import HeatmapParams, RenderOptions
from gazemap.store.slices import Slice

__all__ = ["heatmap_etag", "representation_tag"]


def representation_tag(service_etag: str, format: str) -> str:
    """The HTTP entity tag of one representation of a heat map.

    Examples
    --------
    >>> representation_tag("ab12", "npy")
    'ab12.npy'
    """
    return f"{service_etag}.{format}"


@audit_refusals("heatmap.view", target="stimulus:{stimulus_id}", keep=("params", "slice"))
def heatmap_etag(
    ctx: ServiceContext,
    *,
    actor: Actor,
    stimulus_id: int,
    params: HeatmapParams,
    slice: Slice,
    render: RenderOptions | None,
    format: str,
) -> str:
    """The entity tag :func:`gazemap.service.heatmaps.build_heatmap` would give, cheaply.

    Runs the same authorisation as the build (the caller, the slice and the group size),
    so a 304 never answers a request that would have been refused.
    """
    view = authorised_stimulus(ctx, actor, stimulus_id, slice=slice)
    common: dict[str, Any] = {
        "stimulus_id": view.id,
        "data_version": view.data_version,
        "params": params.canonical(),
        "slice": slice.canonical(),
    }
    keys = [make_key("density", **common)]
    if render is not None:
        keys.append(make_key("image", **common, render=render.canonical()))
    return representation_tag(etag_of(*keys), format)
