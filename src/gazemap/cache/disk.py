"""A cache in a folder: survives restarts, shared safely by several processes.

Layout: the key's SHA-256 names the file, ``<root>/<h[:2]>/<h>``, so no key can
reach outside the folder whatever characters it holds. Each file is::

    b"GZD1" | key length (u32) | value length (u64) | CRC-32 of value (u32) | key | value

Writers write a temporary file in the same sub-folder and ``os.replace`` it over
the final name, which is atomic on POSIX: a reader opens either the old complete
file or the new complete one, never a half-written one, whichever process wrote
it. The lengths and checksum catch what atomic rename cannot (a truncated file
after a power cut, since the cache does not pay for ``fsync``); such a file reads
as a miss and is counted as an error.

Recency is the file's modification time, set explicitly on every write and hit
(one ``utime`` call), so least-recently-used eviction needs no index file that
processes would have to share.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import struct
import tempfile
import threading
import time
import zlib
from pathlib import Path

from gazemap.cache.base import Cache
from gazemap.errors import InvalidInputError, StorageError

__all__ = ["DiskCache"]

_MAGIC = b"GZD1"
_HEADER = struct.Struct(">4sIQI")
_TMP_PREFIX = ".tmp-"
# a temporary file this old belongs to a writer that died; scans remove it
_STALE_TMP_NS = 3600 * 10**9
# eviction goes below the bound by this fraction so that scans stay rare
_LOW_WATER = 0.9


class _CorruptFileError(OSError):
    """A cache file whose header, length or checksum does not match."""


class DiskCache(Cache):
    """Least-recently-used cache in a folder, bounded by the bytes of its files.

    Parameters
    ----------
    path:
        The folder; created if missing. Several processes may share it.
    max_bytes:
        Upper bound of the summed file sizes (header and key included). When a
        write takes the total over it, the least recently used files are removed
        until the total is at most 90 % of the bound.
    tier:
        Name in outcomes, logs and metrics.
    rescan_seconds:
        A process learns of other processes' writes only by listing the folder;
        it does so on a write at least this often, and whenever its own running
        total crosses the bound.

    Raises
    ------
    StorageError
        If the folder cannot be created.

    Notes
    -----
    Reads are one ``open`` and two ``read`` calls plus a ``utime``; writes are a
    temporary file, a ``utime`` and an ``os.replace``. Listing the folder is
    O(files) and happens only on the occasions above. With several processes
    writing, the folder can briefly exceed the bound by what the others wrote
    since this process last listed it.
    """

    failures = (OSError,)

    def __init__(
        self,
        path: str | os.PathLike[str],
        max_bytes: int,
        *,
        tier: str = "disk",
        rescan_seconds: float = 60.0,
    ) -> None:
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0:
            raise InvalidInputError(
                f"max_bytes must be an int >= 0, got {max_bytes!r}", field="max_bytes"
            )
        super().__init__(tier=tier)
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.rescan_seconds = rescan_seconds
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"disk cache folder {self.path} cannot be created: {exc}") from exc
        self._lock = threading.Lock()
        self._evicting = threading.Lock()
        self._last_stamp = 0
        # running totals, exact for this process's own writes, re-read by each scan
        self._estimate = 0
        self._entries = 0
        self._scanned_at = 0.0
        self._scan_and_evict()

    def file_for(self, key: str) -> Path:
        """The file that holds ``key``: its SHA-256, inside the cache folder."""
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        return self.path / digest[:2] / digest

    # -- hooks --------------------------------------------------------------------

    def _load(self, key: str) -> bytes | None:
        path = self.file_for(key)
        try:
            f = open(path, "rb")  # noqa: SIM115 (closed by the with block below)
        except FileNotFoundError:
            return None
        with f:
            head = f.read(_HEADER.size)
            if len(head) != _HEADER.size:
                raise _CorruptFileError(f"{path}: truncated header")
            magic, klen, vlen, crc = _HEADER.unpack(head)
            if magic != _MAGIC:
                raise _CorruptFileError(f"{path}: not a gazemap cache file")
            if f.read(klen) != key.encode("utf-8"):
                return None  # a SHA-256 collision: astronomically rare, still a miss
            value = f.read(vlen)
            if len(value) != vlen or f.read(1) or zlib.crc32(value) != crc:
                raise _CorruptFileError(f"{path}: length or checksum mismatch")
        stamp = self._stamp()
        # evicted by another process since we opened it: the value read is still good
        with contextlib.suppress(FileNotFoundError):
            os.utime(path, ns=(stamp, stamp))
        return value

    def _store(self, key: str, value: bytes) -> None:
        kb = key.encode("utf-8")
        size = _HEADER.size + len(kb) + len(value)
        if size > self.max_bytes:
            return
        path = self.file_for(key)
        path.parent.mkdir(parents=True, exist_ok=True)  # parents: the folder may have been wiped
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_TMP_PREFIX)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(_HEADER.pack(_MAGIC, len(kb), len(value), zlib.crc32(value)))
                f.write(kb)
                f.write(value)
            stamp = self._stamp()
            os.utime(tmp, ns=(stamp, stamp))
            replaced = _size_or_none(path)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        with self._lock:
            self._estimate += size - (replaced or 0)
            self._entries += replaced is None
            self.stats.set_size(nbytes=self._estimate, entries=self._entries)
            due = (
                self._estimate > self.max_bytes
                or time.monotonic() - self._scanned_at > self.rescan_seconds
            )
        if due:
            self._scan_and_evict()

    def _remove(self, key: str) -> None:
        path = self.file_for(key)
        size = _size_or_none(path)
        path.unlink(missing_ok=True)
        if size is not None:
            with self._lock:
                self._estimate -= size
                self._entries -= 1
                self.stats.set_size(nbytes=self._estimate, entries=self._entries)

    def _clear(self) -> None:
        for sub in self._subfolders():
            for entry in os.scandir(sub):
                if not entry.name.startswith(_TMP_PREFIX):
                    Path(entry.path).unlink(missing_ok=True)
        self._scan_and_evict()

    # -- bookkeeping --------------------------------------------------------------

    def _stamp(self) -> int:
        """Wall-clock nanoseconds, strictly increasing within this process.

        File-system clocks tick coarsely; explicit, strictly increasing stamps
        keep the least-recently-used order exact for one process's operations.
        """
        with self._lock:
            self._last_stamp = max(self._last_stamp + 1, time.time_ns())
            return self._last_stamp

    def _subfolders(self) -> list[str]:
        return [e.path for e in os.scandir(self.path) if e.is_dir() and len(e.name) == 2]

    def _scan_and_evict(self) -> None:
        """List the folder, evict the least recently used files if over the bound."""
        if not self._evicting.acquire(blocking=False):
            return  # another thread is already doing it
        try:
            files: list[tuple[int, int, str]] = []
            total = 0
            now = time.time_ns()
            for sub in self._subfolders():
                for entry in os.scandir(sub):
                    try:
                        st = entry.stat()
                    except FileNotFoundError:
                        continue  # removed by another process meanwhile
                    if entry.name.startswith(_TMP_PREFIX):
                        if now - st.st_mtime_ns > _STALE_TMP_NS:
                            Path(entry.path).unlink(missing_ok=True)
                        else:
                            total += st.st_size
                        continue
                    files.append((st.st_mtime_ns, st.st_size, entry.path))
                    total += st.st_size
            evicted = 0
            if total > self.max_bytes:
                files.sort()
                target = int(self.max_bytes * _LOW_WATER)
                for _, size, victim in files:
                    if total <= target:
                        break
                    Path(victim).unlink(missing_ok=True)
                    total -= size
                    evicted += 1
            with self._lock:
                self._estimate = total
                self._entries = len(files) - evicted
                self._scanned_at = time.monotonic()
                self.stats.set_size(nbytes=total, entries=self._entries)
            if evicted:
                self.stats.add("evictions", evicted)
        finally:
            self._evicting.release()


def _size_or_none(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return None
