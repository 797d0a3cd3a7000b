"""Blobs in a dict: for tests of the layers above, never for data that matters."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import IO

from gazemap.errors import NotFoundError
from gazemap.store.blobs.base import BlobInfo, BlobStore
from gazemap.store.models.base import utcnow

__all__ = ["MemoryBlobStore"]


class MemoryBlobStore(BlobStore):
    """Blob store held in process memory; passes the same contract as the real ones.

    Examples
    --------
    >>> store = MemoryBlobStore()
    >>> store.get(store.put(b"gaze"))
    b'gaze'
    """

    def __init__(self) -> None:
        self._blobs: dict[str, tuple[bytes, BlobInfo]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MemoryBlobStore(<{len(self._blobs)} blobs>)"

    def _write_bytes(self, key: str, data: bytes) -> None:
        with self._lock:
            self._blobs[key] = (data, BlobInfo(key, len(data), utcnow()))

    def _write_file(self, key: str, file: IO[bytes]) -> None:
        self._write_bytes(key, file.read())

    def _entry(self, key: str) -> tuple[bytes, BlobInfo]:
        try:
            return self._blobs[key]
        except KeyError:
            raise NotFoundError(f"blob {key} not found") from None

    def _read(self, key: str) -> bytes:
        return self._entry(key)[0]

    def _stream(self, key: str, chunk_size: int) -> Iterator[bytes]:
        data = self._entry(key)[0]
        return (data[i : i + chunk_size] for i in range(0, len(data), chunk_size))

    def _exists(self, key: str) -> bool:
        return key in self._blobs

    def _stat(self, key: str) -> BlobInfo:
        return self._entry(key)[1]

    def _delete(self, key: str) -> None:
        with self._lock:
            self._blobs.pop(key, None)

    def _iter(self) -> Iterator[BlobInfo]:
        with self._lock:
            infos = [info for _, info in self._blobs.values()]
        return iter(infos)
