"""Paging arguments shared by every listing."""

from __future__ import annotations

from gazemap.errors import InvalidInputError

__all__ = ["MAX_LIMIT", "check_page"]

#: Largest page a listing returns.
MAX_LIMIT = 500


def check_page(limit: int, offset: int) -> None:
    """Refuse a page size outside ``1..MAX_LIMIT`` or a negative offset.

    Examples
    --------
    >>> check_page(50, 0)
    >>> check_page(0, 0)
    Traceback (most recent call last):
    ...
    gazemap.errors.InvalidInputError: limit must be between 1 and 500, got 0
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidInputError(
            f"limit must be between 1 and {MAX_LIMIT}, got {limit!r}", field="limit"
        )
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise InvalidInputError(f"offset must be >= 0, got {offset!r}", field="offset")
