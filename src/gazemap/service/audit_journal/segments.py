"""The audit journal on disk: writer lock files and append-only segment files.

Every journal holds an exclusive ``flock`` on ``<writer>.lock`` in its folder and names its
segments ``<writer>-<seq:08d>.jsonl``, one JSON line per entry. A lock file that can be
locked belonged to a dead writer: :func:`claim_dead_writers` takes it and reads its
segments back (a torn last line is skipped and counted).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gazemap.service.audit_journal.entries import problem_of

__all__ = [
    "DeadWriter",
    "Sealed",
    "append_line",
    "claim_dead_writers",
    "close_segment",
    "lock_path",
    "open_segment",
    "read_segment",
    "remove_sealed",
    "segments_in",
    "take_writer_lock",
]

log = logging.getLogger("gazemap.audit")


@dataclass
class Sealed:
    """Files to delete once the entries read from them are in the database."""

    segments: list[Path] = field(default_factory=list)
    # lock files (and their open, flocked descriptors) of dead writers being replayed
    locks: list[tuple[Path, int]] = field(default_factory=list)


@dataclass
class DeadWriter:
    """A dead writer's files, claimed by :func:`claim_dead_writers`.

    Attributes
    ----------
    writer:
        The dead writer's id (prefix of its files).
    lock:
        Its lock file, now locked through ``fd``.
    fd:
        Open, flocked descriptor of ``lock``; closed by :func:`remove_sealed`.
    segments:
        Its segment files, oldest first.
    entries:
        The entries read back from ``segments``, in order.
    torn_lines:
        Unreadable lines skipped while reading ``segments``.
    """

    writer: str
    lock: Path
    fd: int
    segments: list[Path]
    entries: list[dict[str, Any]]
    torn_lines: int


def lock_path(folder: Path, writer: str) -> Path:
    """The lock file of ``writer`` in ``folder``."""
    return folder / f"{writer}.lock"


def take_writer_lock(folder: Path, writer: str) -> int:
    """Create and ``flock`` the lock file of ``writer``; returns its open descriptor.

    Raises
    ------
    OSError
        When the file cannot be created, locked or renamed (nothing is left behind).
    """
    # locked under a temporary name, then renamed: no other journal can see (and take)
    # the lock file of a live writer before it is locked
    temporary = folder / f"{writer}.lock.new"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.rename(temporary, lock_path(folder, writer))
    except OSError:
        os.close(fd)
        temporary.unlink(missing_ok=True)
        raise
    return fd


def open_segment(folder: Path, writer: str, seq: int) -> tuple[Path, int]:
    """Open (create) segment ``seq`` of ``writer`` for appending: (path, descriptor).

    Raises
    ------
    OSError
        When the file cannot be opened.
    """
    path = folder / f"{writer}-{seq:08d}.jsonl"
    return path, os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)


def append_line(fd: int, line: bytes, *, fsync: bool) -> None:
    """Append ``line`` to the segment open at ``fd`` with one ``os.write``.

    Raises
    ------
    OSError
        When the write fails or is short, or ``fsync`` fails.
    """
    written = os.write(fd, line)
    if written != len(line):
        raise OSError(f"short write: {written} of {len(line)} bytes")
    if fsync:
        os.fsync(fd)


def close_segment(fd: int, path: Path | None) -> None:
    """Close the descriptor of segment ``path``; a failure is logged."""
    try:
        os.close(fd)
    except OSError as exc:  # pragma: no cover - close of a regular file
        log.warning("closing audit journal segment %s failed: %s", path, exc)


def claim_dead_writers(folder: Path, writer: str) -> Iterator[DeadWriter]:
    """Lock and read back, one by one, the files of every dead writer of ``folder``.

    Parameters
    ----------
    folder:
        The journal folder.
    writer:
        The calling journal's own writer id (skipped).

    Yields
    ------
    DeadWriter
        Each writer whose lock file could be locked, with its segments read back. The
        caller owns the lock descriptor from then on.
    """
    for lock in sorted(folder.glob("*.lock")):
        dead = lock.name.removesuffix(".lock")
        if dead == writer:
            continue
        try:
            fd = os.open(lock, os.O_RDWR)
        except FileNotFoundError:
            continue  # another journal finished replaying it meanwhile
        except OSError as exc:
            log.warning("audit journal: cannot open %s: %s", lock, exc)
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)  # its writer is alive (or another journal is replaying it)
            continue
        segments = sorted(folder.glob(f"{dead}-{'[0-9]' * 8}.jsonl"))
        entries: list[dict[str, Any]] = []
        torn = 0
        for segment in segments:
            read, skipped = read_segment(segment)
            entries.extend(read)
            torn += skipped
        yield DeadWriter(dead, lock, fd, segments, entries, torn)


def read_segment(path: Path) -> tuple[list[dict[str, Any]], int]:
    """The valid entries of segment ``path`` and the number of unreadable lines skipped.

    An unreadable file gives no entries (logged); each unreadable line (a torn last line
    after a crash) is skipped and logged.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        log.warning("audit journal: cannot read %s (%s); its entries are skipped", path, exc)
        return [], 0
    lines = data.split(b"\n")
    entries = []
    torn = 0
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        entry = _parse_line(raw)
        if entry is None:
            torn += 1
            where = "torn last line" if number >= len(lines) - 1 else "unreadable line"
            log.warning(
                "audit journal: %s %d of %s skipped (%d bytes)", where, number, path, len(raw)
            )
            continue
        entries.append(entry)
    return entries, torn


def _parse_line(raw: bytes) -> dict[str, Any] | None:
    try:
        entry = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(entry, dict) or problem_of(entry) is not None:
        return None
    return entry


def remove_sealed(sealed: Sealed) -> None:
    """Delete the sealed segments and dead writers' lock files, closing their locks."""
    for path in sealed.segments:
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            # harmless: a replay of it inserts nothing new (ON CONFLICT DO NOTHING)
            log.warning("audit journal: cannot delete %s: %s", path, exc)
    for path, fd in sealed.locks:
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("audit journal: cannot delete %s: %s", path, exc)
        os.close(fd)


def segments_in(folder: Path) -> list[Path]:
    """The journal segment files in ``folder``, oldest first per writer (operators, tests)."""
    return sorted(Path(folder).glob("*.jsonl"))
