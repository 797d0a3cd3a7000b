"""Blob stores: content-addressed bytes in a folder or an S3-compatible bucket (or memory, for tests)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from gazemap.config import Settings
from gazemap.errors import InvalidInputError
from gazemap.store.blobs.base import BlobInfo, BlobStore, check_key, key_for_bytes, key_for_digest
from gazemap.store.blobs.folder import FolderBlobStore
from gazemap.store.blobs.memory import MemoryBlobStore
from gazemap.store.blobs.s3 import S3BlobStore

__all__ = [
    "BlobInfo",
    "BlobStore",
    "FolderBlobStore",
    "MemoryBlobStore",
    "S3BlobStore",
    "blob_store_from_url",
    "build_blob_store",
    "check_key",
    "key_for_bytes",
    "key_for_digest",
]


def blob_store_from_url(url: str, *, s3_endpoint_url: str | None = None) -> BlobStore:
    """The blob store a location string names.

    Parameters
    ----------
    url:
        A folder path, a ``file://`` URL, or ``s3://bucket/prefix``.
    s3_endpoint_url:
        Endpoint of an S3-compatible service, for ``s3://`` locations.

    Returns
    -------
    BlobStore
        :class:`FolderBlobStore` or :class:`S3BlobStore`.

    Raises
    ------
    InvalidInputError
        For any other scheme, or an ``s3://`` URL without a bucket.

    Examples
    --------
    >>> blob_store_from_url("gs://bucket")
    Traceback (most recent call last):
    ...
    gazemap.errors.InvalidInputError: blob URL must be a folder, file:// or s3://bucket/prefix, got 'gs://bucket'
    """
    parts = urlsplit(url)
    if parts.scheme == "s3":
        if not parts.netloc:
            raise InvalidInputError(f"s3 blob URL needs a bucket, got {url!r}", field="blob_url")
        return S3BlobStore(parts.netloc, unquote(parts.path), endpoint_url=s3_endpoint_url)
    if parts.scheme == "file":
        return FolderBlobStore(Path(unquote(parts.path)))
    if parts.scheme == "" or (len(parts.scheme) == 1 and url[1:3] in (":\\", ":/")):
        return FolderBlobStore(Path(url))  # a plain path (or a Windows drive letter)
    raise InvalidInputError(
        f"blob URL must be a folder, file:// or s3://bucket/prefix, got {url!r}", field="blob_url"
    )


def build_blob_store(settings: Settings) -> BlobStore:
    """The blob store configured by ``GAZEMAP_BLOB_URL`` (default ``$GAZEMAP_HOME/blobs``).

    Parameters
    ----------
    settings:
        gazemap settings; ``resolved_blob_url`` and ``s3_endpoint_url`` are read.

    Returns
    -------
    BlobStore
        See :func:`blob_store_from_url`.
    """
    return blob_store_from_url(settings.resolved_blob_url, s3_endpoint_url=settings.s3_endpoint_url)
