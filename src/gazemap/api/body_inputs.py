"""Slices and heat-map parameters given in a JSON body (AOI metrics), validated like queries.

A bad value is a 422 whose ``errors`` name ``body`` and the field, as for query
parameters in :mod:`gazemap.api.heatmap_query`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from gazemap.api.validation import validated
from gazemap.service.params import HeatmapParams
from gazemap.store.slices import Slice

__all__ = ["body_params", "body_slice"]

T = TypeVar("T")


def _body_built(build: Callable[[], T], where: str) -> T:
    return validated(build, lambda field: ("body", where, field or where))


def body_slice(canonical: Mapping[str, Any]) -> Slice:
    """A :class:`Slice` from a JSON body's ``slice`` object; 422 naming ``body.slice.<field>``."""
    return _body_built(lambda: Slice.from_canonical(canonical), "slice")


def body_params(**fields: Any) -> HeatmapParams:
    """:class:`HeatmapParams` from JSON body fields; 422 naming the field."""
    return _body_built(lambda: HeatmapParams(**fields), "params")
