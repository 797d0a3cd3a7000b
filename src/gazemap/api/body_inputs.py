"""Slices and heat-map parameters given in a JSON body (AOI metrics), validated like queries.

A bad value is a 422 whose ``errors`` name ``body`` and the field, as for query
parameters in :mod:`gazemap.api.heatmap_query`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from gazemap.errors import InvalidInputError
from gazemap.service.params import HeatmapParams
from gazemap.store.slices import Slice

__all__ = ["body_params", "body_slice"]

T = TypeVar("T")


def _body_built(build: Callable[[], T], where: str) -> T:
    try:
        return build()
    except ValidationError as exc:
        errors = []
        for item in exc.errors():
            cause = (item.get("ctx") or {}).get("error")
            field = getattr(cause, "field", None) or ".".join(str(p) for p in item["loc"])
            message = str(cause) if cause is not None else item["msg"]
            errors.append(
                {"loc": ("body", where, field), "msg": message, "type": item["type"], "input": None}
            )
        raise RequestValidationError(errors) from None
    except InvalidInputError as exc:
        raise RequestValidationError(
            [
                {
                    "loc": ("body", where, exc.field or where),
                    "msg": str(exc),
                    "type": "value_error",
                    "input": None,
                }
            ]
        ) from None


def body_slice(canonical: Mapping[str, Any]) -> Slice:
    """A :class:`Slice` from a JSON body's ``slice`` object; 422 naming ``body.slice.<field>``."""
    return _body_built(lambda: Slice.from_canonical(canonical), "slice")


def body_params(**fields: Any) -> HeatmapParams:
    """:class:`HeatmapParams` from JSON body fields; 422 naming the field."""
    return _body_built(lambda: HeatmapParams(**fields), "params")
