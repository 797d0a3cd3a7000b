"""Blob reads and deletes as the service needs them.

A row whose blob is gone is a broken store, not a missing object: the caller already
passed the policy for the row, so :func:`read_blob` turns the blob store's
:class:`~gazemap.errors.NotFoundError` (HTTP 404) into a
:class:`~gazemap.errors.StorageError` (HTTP 503). Deletes after a committed change
(:func:`delete_blobs`) must not undo the change's success: a blob that cannot be
deleted now is an orphan for :func:`gazemap.store.gc.collect_orphan_blobs`.
"""

from __future__ import annotations

from collections.abc import Iterable

import structlog

from gazemap.errors import NotFoundError, StorageError
from gazemap.service.context import ServiceContext

__all__ = ["delete_blobs", "read_blob"]

_log = structlog.get_logger(__name__)


def read_blob(ctx: ServiceContext, key: str, *, what: str) -> bytes:
    """The bytes under ``key``.

    Parameters
    ----------
    ctx:
        Service context.
    key:
        Blob key from a row the caller may see.
    what:
        What the blob is, for the message (``"the image of stimulus 3"``).

    Raises
    ------
    StorageError
        When the blob is missing or the store cannot be read.
    """
    try:
        return ctx.blobs.get(key)
    except NotFoundError as exc:
        raise StorageError(f"{what} is missing from the blob store") from exc


def delete_blobs(ctx: ServiceContext, keys: Iterable[str]) -> list[str]:
    """Delete ``keys``, carrying on past failures; return the keys left behind."""
    left = []
    for key in sorted(keys):
        try:
            ctx.blobs.delete(key)
        except StorageError as exc:
            _log.warning("blob_delete_failed", key=key, error=str(exc))
            left.append(key)
    return left
