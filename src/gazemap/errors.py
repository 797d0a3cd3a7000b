"""Every error gazemap raises on purpose, in one place.

The hierarchy::

    GazemapError                      base of everything below
    ├── InvalidInputError (ValueError)     bad argument or parameter; HTTP 422
    │   ├── InvalidPointsError             NaN/inf or wrongly shaped points
    │   ├── InvalidWeightsError            negative, NaN or mis-sized weights
    │   ├── InvalidBandwidthError          bandwidth <= 0, non-finite, unknown rule
    │   ├── InvalidGridError               empty grid, or more cells than allowed
    │   ├── UnknownKernelError             kernel name not in ``gazemap.kde.KERNELS``
    │   ├── UnknownColormapError           colormap name not known to the renderer
    │   └── FormatError                    a file that cannot be parsed (file, line, column)
    ├── NotFoundError                      no such object, or not visible to the caller; HTTP 404
    ├── PermissionDeniedError              authenticated but not allowed; HTTP 403
    ├── AuthenticationError                missing/invalid credentials or token; HTTP 401
    ├── ConflictError                      unique key already taken; HTTP 409
    ├── GroupTooSmallError                 slice below the minimum group size; HTTP 403
    ├── PayloadTooLargeError               upload or image over a configured limit; HTTP 413
    ├── RateLimitedError                   too many attempts; HTTP 429
    └── StorageError                       blob store or database unavailable; HTTP 503
        └── AuditUnavailableError          a read's audit entry cannot be recorded; HTTP 503

``InvalidInputError`` subclasses :class:`ValueError`, so library users who only know the
standard exceptions can still catch bad input with ``except ValueError``.

This module imports nothing outside the standard library, so the numeric core
(``gazemap.kde``) can use it without pulling in the web or database stack.
"""

from __future__ import annotations

__all__ = [
    "AuditUnavailableError",
    "AuthenticationError",
    "ConflictError",
    "FormatError",
    "GazemapError",
    "GroupTooSmallError",
    "InvalidBandwidthError",
    "InvalidGridError",
    "InvalidInputError",
    "InvalidPointsError",
    "InvalidWeightsError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitedError",
    "StorageError",
    "UnknownColormapError",
    "UnknownKernelError",
]


class GazemapError(Exception):
    """Base class of every error gazemap raises on purpose."""


class InvalidInputError(GazemapError, ValueError):
    """An argument or parameter has a value gazemap cannot work with.

    Parameters
    ----------
    message:
        What was wrong, naming the argument and the value, e.g.
        ``"bandwidth must be > 0, got -3"``.
    field:
        The name of the offending argument or request field, when there is one.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InvalidPointsError(InvalidInputError):
    """Points are not an ``(n, 2)`` array of finite numbers."""


class InvalidWeightsError(InvalidInputError):
    """Weights are negative, not finite, or do not match the points."""


class InvalidBandwidthError(InvalidInputError):
    """Bandwidth is not a positive finite number, pair, or known rule name."""


class InvalidGridError(InvalidInputError):
    """Grid has no cells, a non-positive extent, or more cells than allowed."""


class UnknownKernelError(InvalidInputError):
    """Kernel name is not one of ``gazemap.kde.KERNELS``."""


class UnknownColormapError(InvalidInputError):
    """Colormap name is not known to ``gazemap.render``."""


class FormatError(InvalidInputError):
    """A file could not be parsed.

    The message always names the file and, when known, the 1-based line and
    column and what was expected there, so a user can open the file and fix it.

    Parameters
    ----------
    message:
        What was expected and what was found.
    path:
        File name (or upload name) being read.
    line:
        1-based line number in the file, when known.
    column:
        Column name or 1-based column number, when known.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        column: str | int | None = None,
    ) -> None:
        self.reason = message
        self.path = path
        self.line = line
        self.column = column
        where = []
        if path is not None:
            where.append(str(path))
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column!s}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message, field="file")


class NotFoundError(GazemapError):
    """The object does not exist, or the caller may not know that it exists."""


class PermissionDeniedError(GazemapError):
    """The caller is known but their role does not allow this action."""


class AuthenticationError(GazemapError):
    """Credentials or token are missing, wrong, expired or revoked."""


class ConflictError(GazemapError):
    """The object would collide with one that exists (a unique key is taken)."""


class GroupTooSmallError(GazemapError):
    """A slice covers fewer distinct participants than the study's minimum group size."""


class PayloadTooLargeError(GazemapError):
    """An upload, image or requested grid is larger than the configured limit."""


class TooCostlyError(GazemapError):
    """A computation would exceed the caller's cost bound; run it as a background job.

    Raised by :func:`gazemap.service.heatmaps.build_heatmap` with ``max_cost`` on a cache
    miss; ``cost`` is the estimate (:func:`gazemap.kde.estimate_cost` units).
    """

    def __init__(self, message: str, *, cost: float) -> None:
        super().__init__(message)
        self.cost = cost


class RateLimitedError(GazemapError):
    """Too many attempts in the current window; retry after ``retry_after`` seconds."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class StorageError(GazemapError):
    """The database or blob store could not be reached or refused the operation."""


class AuditUnavailableError(StorageError):
    """A read's audit entry cannot be recorded, so the read is refused (no unaudited answers).

    Raised when the local audit journal cannot be written (disk full, folder missing or
    read-only) or too many entries wait for the database
    (``GAZEMAP_AUDIT__MAX_PENDING``). Retry once the database or disk is back.
    """
