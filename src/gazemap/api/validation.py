"""Turn validation problems raised while building domain values into 422 responses.

Query strings and JSON bodies are parsed into :class:`~gazemap.service.params.HeatmapParams`,
:class:`~gazemap.store.slices.Slice` and friends by their own validators; this module reports
what those validators refuse against the request field the value came from.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from gazemap.errors import InvalidInputError

__all__ = ["validated"]

T = TypeVar("T")


def validated(build: Callable[[], T], where: Callable[[str | None], tuple[str, ...]]) -> T:
    """``build()``, with every validation problem raised as a 422 located by ``where(field)``.

    ``field`` is the name a gazemap validator gave (``InvalidInputError.field``), else the
    pydantic location joined by dots, else ``None``.
    """
    try:
        return build()
    except ValidationError as exc:
        errors = []
        for item in exc.errors():
            cause = (item.get("ctx") or {}).get("error")
            field = getattr(cause, "field", None) or ".".join(str(p) for p in item["loc"])
            message = str(cause) if cause is not None else item["msg"]
            errors.append(
                {"loc": where(field or None), "msg": message, "type": item["type"], "input": None}
            )
        raise RequestValidationError(errors) from None
    except InvalidInputError as exc:
        raise RequestValidationError(
            [{"loc": where(exc.field), "msg": str(exc), "type": "value_error", "input": None}]
        ) from None
