"""Blobs as files under a folder: ``<root>/sha256/ab/cd/<hex>``.

Writes are atomic: the bytes go to a temporary file in ``<root>/tmp``, are flushed
and ``fsync``-ed, then renamed into place with :func:`os.replace` and the folder is
``fsync``-ed, so a reader sees the whole blob or none of it, even after a power cut.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from gazemap.errors import NotFoundError, StorageError
from gazemap.store.blobs.base import CHUNK, KEY_PATTERN, BlobInfo, BlobStore, key_for_digest

__all__ = ["FolderBlobStore"]


def _fsync_folder(folder: Path) -> None:
    if not hasattr(os, "O_DIRECTORY"):  # Windows cannot open a folder for fsync
        return
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FolderBlobStore(BlobStore):
    """Blob store in a local (or network-mounted) folder.

    Parameters
    ----------
    root:
        Folder that holds ``sha256/`` and ``tmp/``; created if missing.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser().resolve()
        self._tmp = self.root / "tmp"
        try:
            (self.root / "sha256").mkdir(parents=True, exist_ok=True)
            self._tmp.mkdir(exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create blob folder {self.root}: {exc}") from exc

    def __repr__(self) -> str:
        return f"FolderBlobStore({str(self.root)!r})"

    def _path(self, key: str) -> Path:
        return self.root / key  # key is validated: no '..', no absolute part

    def _refresh(self, path: Path) -> bool:
        """Touch an existing blob (for the GC grace period); False if it is absent."""
        try:
            os.utime(path)
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise StorageError(f"cannot touch blob {path}: {exc}") from exc
        return True

    def _commit(self, temp: Path, key: str) -> None:
        final = self._path(key)
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temp, final)
            _fsync_folder(final.parent)
        except OSError as exc:
            raise StorageError(f"cannot store blob {key}: {exc}") from exc

    @contextlib.contextmanager
    def _temporary(self) -> Iterator[tuple[Path, IO[bytes]]]:
        fd, name = tempfile.mkstemp(dir=self._tmp, prefix="put-")
        temp = Path(name)
        try:
            with os.fdopen(fd, "wb") as handle:
                yield temp, handle
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException:
            temp.unlink(missing_ok=True)
            raise

    def _write_bytes(self, key: str, data: bytes) -> None:
        if self._refresh(self._path(key)):
            return
        try:
            with self._temporary() as (temp, handle):
                handle.write(data)
        except OSError as exc:
            raise StorageError(f"cannot write blob {key}: {exc}") from exc
        self._commit(temp, key)

    def _write_file(self, key: str, file: IO[bytes]) -> None:
        if self._refresh(self._path(key)):
            return
        try:
            with self._temporary() as (temp, handle):
                shutil.copyfileobj(file, handle, CHUNK)
        except OSError as exc:
            raise StorageError(f"cannot write blob {key}: {exc}") from exc
        self._commit(temp, key)

    def _put_stream(self, stream: IO[bytes]) -> str:
        # hash while writing the temporary file: one pass, no spool
        digest = hashlib.sha256()
        try:
            with self._temporary() as (temp, handle):
                while chunk := stream.read(CHUNK):
                    digest.update(chunk)
                    handle.write(chunk)
        except OSError as exc:
            raise StorageError(f"cannot write blob: {exc}") from exc
        key = key_for_digest(digest.hexdigest())
        if self._refresh(self._path(key)):
            temp.unlink(missing_ok=True)
        else:
            self._commit(temp, key)
        return key

    def _read(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise NotFoundError(f"blob {key} not found") from None
        except OSError as exc:
            raise StorageError(f"cannot read blob {key}: {exc}") from exc

    def _stream(self, key: str, chunk_size: int) -> Iterator[bytes]:
        try:
            handle = self._path(key).open("rb")
        except FileNotFoundError:
            raise NotFoundError(f"blob {key} not found") from None
        except OSError as exc:
            raise StorageError(f"cannot read blob {key}: {exc}") from exc

        def chunks() -> Iterator[bytes]:
            with handle:
                while chunk := handle.read(chunk_size):
                    yield chunk

        return chunks()

    def _exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def _stat(self, key: str) -> BlobInfo:
        try:
            st = self._path(key).stat()
        except FileNotFoundError:
            raise NotFoundError(f"blob {key} not found") from None
        except OSError as exc:
            raise StorageError(f"cannot stat blob {key}: {exc}") from exc
        return BlobInfo(key, st.st_size, datetime.fromtimestamp(st.st_mtime, UTC))

    def _delete(self, key: str) -> None:
        try:
            self._path(key).unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot delete blob {key}: {exc}") from exc

    def remove_stale_uploads(self, *, before: datetime) -> int:
        """Delete temporary files in ``<root>/tmp`` last written before ``before``."""
        removed = 0
        cutoff = before.timestamp()
        with os.scandir(self._tmp) as entries:
            for entry in entries:
                try:
                    if entry.is_file() and entry.stat().st_mtime < cutoff:
                        os.unlink(entry.path)
                        removed += 1
                except FileNotFoundError:
                    continue  # finished or removed meanwhile
                except OSError as exc:
                    raise StorageError(f"cannot remove stale upload {entry.path}: {exc}") from exc
        return removed

    def _iter(self) -> Iterator[BlobInfo]:
        top = self.root / "sha256"
        for first in sorted(p for p in top.iterdir() if p.is_dir()):
            for second in sorted(p for p in first.iterdir() if p.is_dir()):
                with os.scandir(second) as entries:
                    for entry in entries:
                        key = f"sha256/{first.name}/{second.name}/{entry.name}"
                        if entry.is_file() and KEY_PATTERN.fullmatch(key):
                            st = entry.stat()
                            yield BlobInfo(
                                key, st.st_size, datetime.fromtimestamp(st.st_mtime, UTC)
                            )
