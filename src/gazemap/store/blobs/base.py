"""The blob store interface and its content-addressed key scheme.

A blob's key is ``sha256/<h0h1>/<h2h3>/<64 hex digits>``, the SHA-256 of its bytes.
Keys are computed, never chosen by a caller, so a name can never reach outside the
store (no ``..``, no absolute paths), the same bytes are stored once, and a key that
does not have this exact shape is refused before any storage is touched.

Blobs are written before the database row that names them is committed, so a row
never points to a missing blob; :func:`gazemap.store.gc.collect_orphan_blobs`
removes what a crash in between leaves behind.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from gazemap.errors import InvalidInputError

__all__ = ["BlobInfo", "BlobStore", "check_key", "key_for_bytes", "key_for_digest"]

KEY_PATTERN = re.compile(r"sha256/([0-9a-f]{2})/([0-9a-f]{2})/(\1\2[0-9a-f]{60})")
CHUNK = 1 << 20
SPOOL_BYTES = 16 << 20


def key_for_digest(hexdigest: str) -> str:
    """The blob key of a SHA-256 hex digest.

    Parameters
    ----------
    hexdigest:
        64 lowercase hex digits.

    Returns
    -------
    str
        ``sha256/ab/cd/abcd…``.

    Examples
    --------
    >>> key_for_digest("ab" * 32)[:16]
    'sha256/ab/ab/aba'
    """
    return check_key(f"sha256/{hexdigest[:2]}/{hexdigest[2:4]}/{hexdigest}")


def key_for_bytes(data: bytes) -> str:
    """The blob key ``data`` would be stored under.

    Parameters
    ----------
    data:
        Blob content.

    Returns
    -------
    str
        Its content-addressed key.
    """
    return key_for_digest(hashlib.sha256(data).hexdigest())


def check_key(key: str) -> str:
    """Return ``key`` if it is a well-formed blob key, else raise.

    Parameters
    ----------
    key:
        Candidate key.

    Returns
    -------
    str
        ``key`` unchanged.

    Raises
    ------
    InvalidInputError
        If ``key`` is not ``sha256/<2 hex>/<2 hex>/<64 hex>`` with matching prefixes.

    Examples
    --------
    >>> check_key("../../etc/passwd")
    Traceback (most recent call last):
    ...
    gazemap.errors.InvalidInputError: blob key must look like sha256/ab/cd/<64 hex digits>, got '../../etc/passwd'
    """
    if not isinstance(key, str) or KEY_PATTERN.fullmatch(key) is None:
        raise InvalidInputError(
            f"blob key must look like sha256/ab/cd/<64 hex digits>, got {key!r}", field="key"
        )
    return key


@dataclass(frozen=True)
class BlobInfo:
    """A stored blob: its key, size in bytes and last write time (UTC)."""

    key: str
    size: int
    modified_at: datetime


class BlobStore(ABC):
    """Content-addressed storage of immutable byte strings.

    Subclasses implement the ``_``-prefixed primitives for validated keys; the
    public methods hash, validate and stream. ``put`` of bytes that are already
    stored refreshes the blob's modification time, so the garbage collector's grace
    period also protects a blob that an in-flight upload is about to reference again.
    """

    def put(self, data: bytes | bytearray | memoryview | IO[bytes]) -> str:
        """Store ``data`` (bytes or a binary file object read to its end); return its key.

        Parameters
        ----------
        data:
            Content, or an open binary file positioned where the content starts.

        Returns
        -------
        str
            The content-addressed key.

        Raises
        ------
        StorageError
            If the backend cannot write.
        """
        if isinstance(data, bytes | bytearray | memoryview):
            content = bytes(data)
            key = key_for_bytes(content)
            self._write_bytes(key, content)
            return key
        return self._put_stream(data)

    def _put_stream(self, stream: IO[bytes]) -> str:
        # the key is known only at the end, so spool (memory, then disk) while hashing
        digest = hashlib.sha256()
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
                spool.write(chunk)
            spool.seek(0)
            key = key_for_digest(digest.hexdigest())
            self._write_file(key, spool)
        return key

    def get(self, key: str) -> bytes:
        """The bytes stored under ``key``.

        Raises
        ------
        InvalidInputError
            If ``key`` is malformed (checked before storage is touched).
        NotFoundError
            If no blob has that key.
        StorageError
            If the backend cannot read.
        """
        return self._read(check_key(key))

    def stream(self, key: str, *, chunk_size: int = CHUNK) -> Iterator[bytes]:
        """The bytes under ``key`` in chunks of at most ``chunk_size``, for large blobs.

        Raises
        ------
        InvalidInputError, NotFoundError, StorageError
            As :meth:`get`; ``NotFoundError`` is raised before the first chunk.
        """
        if chunk_size < 1:
            raise InvalidInputError(
                f"chunk_size must be >= 1, got {chunk_size}", field="chunk_size"
            )
        return self._stream(check_key(key), chunk_size)

    def exists(self, key: str) -> bool:
        """Whether a blob is stored under ``key`` (malformed keys raise ``InvalidInputError``)."""
        return self._exists(check_key(key))

    def stat(self, key: str) -> BlobInfo:
        """Size and modification time of the blob under ``key``; ``NotFoundError`` if absent."""
        return self._stat(check_key(key))

    def delete(self, key: str) -> None:
        """Remove the blob under ``key``; removing a missing blob is not an error."""
        self._delete(check_key(key))

    def iter_blobs(self) -> Iterator[BlobInfo]:
        """Every stored blob, in no particular order (for garbage collection)."""
        return self._iter()

    def keys(self) -> Iterator[str]:
        """Every stored key, in no particular order."""
        return (info.key for info in self._iter())

    def remove_stale_uploads(self, *, before: datetime) -> int:
        """Delete partial uploads last written before ``before``; return how many.

        A crash in the middle of a ``put`` can leave a partial upload behind (a
        temporary file in a folder store). The default does nothing: single S3 PUTs
        are atomic, and abandoned multipart uploads are best expired by a bucket
        lifecycle rule.
        """
        return 0

    @abstractmethod
    def _write_bytes(self, key: str, data: bytes) -> None: ...

    @abstractmethod
    def _write_file(self, key: str, file: IO[bytes]) -> None: ...

    @abstractmethod
    def _read(self, key: str) -> bytes: ...

    @abstractmethod
    def _stream(self, key: str, chunk_size: int) -> Iterator[bytes]: ...

    @abstractmethod
    def _exists(self, key: str) -> bool: ...

    @abstractmethod
    def _stat(self, key: str) -> BlobInfo: ...

    @abstractmethod
    def _delete(self, key: str) -> None: ...

    @abstractmethod
    def _iter(self) -> Iterator[BlobInfo]: ...
