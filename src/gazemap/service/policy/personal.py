"""What viewers see of a person: ages only as bands.

Part of :mod:`gazemap.service.policy` (import from there).
"""

from __future__ import annotations

from collections.abc import Iterable

from gazemap.errors import InvalidInputError
from gazemap.service.policy.roles import Role

__all__ = ["age_band", "redact_age"]


def age_band(age: int | None, *, width: int = 10) -> str | None:
    """The band of ``width`` years an age falls in, as viewers see it.

    Examples
    --------
    >>> age_band(24), age_band(30), age_band(7, width=5), age_band(None)
    ('20–29', '30–39', '5–9', None)
    """
    if age is None:
        return None
    if width < 1:
        raise InvalidInputError(f"width must be >= 1 year, got {width}", field="width")
    low = (int(age) // width) * width
    return f"{low}–{low + width - 1}"


def redact_age(role: Role | None, ages: Iterable[int | None]) -> list[int | str | None]:
    """Ages as ``role`` may see them: exact for researchers and admins, bands for viewers.

    Examples
    --------
    >>> redact_age("viewer", [24, None]), redact_age("researcher", [24])
    (['20–29', None], [24])
    """
    if role in ("researcher", "admin"):
        return list(ages)
    return [age_band(a) for a in ages]
