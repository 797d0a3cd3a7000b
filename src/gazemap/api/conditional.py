"""HTTP validators: ETag formatting and ``If-None-Match`` matching (RFC 9110 §13.1.2)."""

from __future__ import annotations

__all__ = ["etag_matches", "quoted"]


def quoted(tag: str) -> str:
    """The strong entity tag ``"tag"``.

    Examples
    --------
    >>> quoted("abc")
    '"abc"'
    """
    return f'"{tag}"'


def etag_matches(if_none_match: str | None, tag: str) -> bool:
    """Whether an ``If-None-Match`` header matches the entity tag ``tag`` (weak comparison).

    Examples
    --------
    >>> etag_matches('"a", W/"b"', "b")
    True
    >>> etag_matches("*", "x")
    True
    >>> etag_matches('"a"', "b") or etag_matches(None, "b")
    False
    """
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    for item in if_none_match.split(","):
        candidate = item.strip().removeprefix("W/").strip('"')
        if candidate == tag:
            return True
    return False
