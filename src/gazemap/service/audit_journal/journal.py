"""The audit journal: entries submitted, journalled and inserted in batches by a thread.

See :mod:`gazemap.service.audit_journal` for what it guarantees; the files it writes are
:mod:`~gazemap.service.audit_journal.segments`, the checks and rows
:mod:`~gazemap.service.audit_journal.entries`.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from gazemap.errors import AuditUnavailableError, InvalidInputError
from gazemap.service.audit_journal.entries import insert_entries, problem_of
from gazemap.service.audit_journal.segments import (
    Sealed,
    append_line,
    claim_dead_writers,
    close_segment,
    lock_path,
    open_segment,
    remove_sealed,
    take_writer_lock,
)

__all__ = ["MAX_BACKOFF", "WAKE_AT", "AuditJournal"]

log = logging.getLogger("gazemap.audit")

# serialises the reset of journals in a forked child (see AuditJournal._forget_parent)
_FORK_GUARD = threading.Lock()

#: Pending entries that wake the flusher before ``flush_seconds`` is up.
WAKE_AT = 500
#: Longest wait, in seconds, between retries while the database fails.
MAX_BACKOFF = 5.0


class AuditJournal:
    """Append-only local journal of read audit entries, inserted in batches.

    Parameters
    ----------
    folder:
        Journal folder (``settings.resolved_audit_journal``); created on first use. It
        should be on a local disk: ``flock`` is what tells live writers from dead ones.
    engine:
        Engine of the database holding ``audit_events``.
    flush_seconds:
        Longest wait before pending entries are inserted (> 0).
    max_pending:
        Entries that may wait for the database; beyond that :meth:`submit` refuses.
    fsync:
        ``fsync`` the segment after each entry (survives a power loss; one disk flush
        per read).

    Attributes
    ----------
    flush_errors:
        Failed insert rounds since the journal was built.
    torn_lines:
        Unreadable journal lines skipped while recovering dead writers' segments.
    writer:
        This journal's writer id (prefix of its lock and segment files).
    """

    def __init__(
        self,
        folder: Path,
        engine: Engine,
        *,
        flush_seconds: float,
        max_pending: int,
        fsync: bool = False,
    ) -> None:
        if flush_seconds <= 0:
            raise InvalidInputError(
                f"flush_seconds must be > 0 for a journal, got {flush_seconds}",
                field="flush_seconds",
            )
        if max_pending <= 0:
            raise InvalidInputError(
                f"max_pending must be > 0, got {max_pending}", field="max_pending"
            )
        self.folder = Path(folder)
        self.engine = engine
        self.flush_seconds = float(flush_seconds)
        self.max_pending = int(max_pending)
        self.fsync = fsync
        self.writer = f"{os.getpid()}-{secrets.token_hex(6)}"
        self.flush_errors = 0
        self.torn_lines = 0
        self._lock = threading.Lock()  # entries, segment descriptor, sealed files
        self._flushing = threading.Lock()  # one insert round at a time
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._pending: list[dict[str, Any]] = []
        self._in_flight = 0
        self._sealed = Sealed()
        self._seq = 0
        self._fd: int | None = None
        self._segment: Path | None = None
        self._lock_fd: int | None = None
        self._thread: threading.Thread | None = None
        self._closed = False
        self._pid = os.getpid()

    # -- writing ---------------------------------------------------------------------

    @property
    def pending(self) -> int:
        """Entries written to the journal (or recovered) but not yet in the database."""
        with self._lock:
            return len(self._pending) + self._in_flight

    def submit(self, entry: Mapping[str, Any]) -> str:
        """Journal one ``"ok"`` read entry; it reaches the database within ``flush_seconds``.

        Parameters
        ----------
        entry:
            ``user_id``, ``action``, ``target``, ``parameters`` (JSON-ready),
            ``outcome``, ``request_id`` and ``refs`` (see
            :mod:`gazemap.service.audit_journal`). ``at`` and ``journal_key`` are stamped
            here unless given.

        Returns
        -------
        str
            The entry's ``journal_key``.

        Raises
        ------
        AuditUnavailableError
            When the journal cannot be written (disk full, folder missing or read-only),
            more than ``max_pending`` entries wait for the database, or the journal is
            closed. The caller must not answer the read.
        InvalidInputError
            For an empty or over-long action, target or request id, an unknown outcome,
            parameters that are not a dict, or a naive or unreadable ``at``.
        """
        record = dict(entry)
        record.setdefault("at", datetime.now(UTC).isoformat())
        record.setdefault("journal_key", uuid.uuid4().hex)
        problem = problem_of(record)
        if problem is not None:
            field_name, message = problem
            raise InvalidInputError(message, field=field_name)
        line = (json.dumps(record, separators=(",", ":"), allow_nan=False) + "\n").encode()
        if self._pid != os.getpid():
            self._forget_parent()
        with self._lock:
            if self._closed:
                raise AuditUnavailableError("the audit journal is closed; the read is refused")
            if self._thread is None:
                self._start_locked()
            waiting = len(self._pending) + self._in_flight
            if waiting >= self.max_pending:
                raise AuditUnavailableError(
                    f"{waiting} audit entries are waiting for the database (at most "
                    f"{self.max_pending}, GAZEMAP_AUDIT__MAX_PENDING); reads are refused until "
                    "it accepts them again"
                )
            self._append_locked(line)
            self._pending.append(record)
            waiting += 1
        if waiting >= WAKE_AT:
            self._wake.set()
        return str(record["journal_key"])

    def _forget_parent(self) -> None:
        """In a forked child: start over with a writer of its own.

        The parent's segment, lock and pending entries stay the parent's (closing the
        inherited descriptors here does not release the parent's ``flock``); the flusher
        thread did not survive the fork.
        """
        with _FORK_GUARD:
            if self._pid == os.getpid():
                return  # another thread of this child did it
            inherited = [self._fd, self._lock_fd, *(fd for _, fd in self._sealed.locks)]
            for fd in inherited:
                if fd is not None:
                    os.close(fd)
            self._lock = threading.Lock()
            self._flushing = threading.Lock()
            self._wake = threading.Event()
            self._stop = threading.Event()
            self._pending, self._in_flight, self._sealed = [], 0, Sealed()
            self._fd = self._lock_fd = None
            self._segment, self._thread, self._seq = None, None, 0
            self.writer = f"{os.getpid()}-{secrets.token_hex(6)}"
            self._pid = os.getpid()

    def _append_locked(self, line: bytes) -> None:
        try:
            fd = self._fd if self._fd is not None else self._open_segment_locked()
            append_line(fd, line, fsync=self.fsync)
        except OSError as exc:
            # a torn line may end this segment: seal it so the next entry starts a clean
            # file (replay skips a torn last line)
            self._seal_segment_locked()
            raise AuditUnavailableError(
                f"the audit journal in {self.folder} cannot be written ({exc}); the read is "
                "refused because it could not be audited"
            ) from exc

    def _open_segment_locked(self) -> int:
        self._seq += 1
        self._segment, self._fd = open_segment(self.folder, self.writer, self._seq)
        return self._fd

    def _seal_segment_locked(self) -> None:
        if self._fd is not None:
            close_segment(self._fd, self._segment)
            if self._segment is not None:
                self._sealed.segments.append(self._segment)
        self._fd = None
        self._segment = None

    # -- starting and recovering -------------------------------------------------------

    def _start_locked(self) -> None:
        """Take this writer's lock, adopt dead writers' segments, start the flusher."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._lock_fd = take_writer_lock(self.folder, self.writer)
        except OSError as exc:
            raise AuditUnavailableError(
                f"the audit journal folder {self.folder} cannot be used ({exc}); reads are "
                "refused because they could not be audited"
            ) from exc
        self._adopt_dead_writers_locked()
        self._thread = threading.Thread(
            target=self._run, name=f"gazemap-audit-{self.writer}", daemon=True
        )
        self._thread.start()

    def _adopt_dead_writers_locked(self) -> int:
        adopted = 0
        for dead in claim_dead_writers(self.folder, self.writer):
            self.torn_lines += dead.torn_lines
            self._pending[:0] = dead.entries
            self._sealed.segments.extend(dead.segments)
            self._sealed.locks.append((dead.lock, dead.fd))
            adopted += len(dead.entries)
            if dead.entries:
                log.warning(
                    "audit journal: replaying %d entries of dead writer %s from %d segments",
                    len(dead.entries),
                    dead.writer,
                    len(dead.segments),
                )
        return adopted

    def recover(self) -> int:
        """Start the journal now and insert what dead writers of the folder left behind.

        Called at application startup so that a crashed process's entries reach the
        database without waiting for the first read. A database failure is logged, not
        raised: the entries stay pending and the flusher retries them.

        Returns
        -------
        int
            Entries found in dead writers' segments (0 when there were none).

        Raises
        ------
        AuditUnavailableError
            When the journal folder cannot be created or locked.
        """
        with self._lock:
            if self._closed:
                raise AuditUnavailableError("the audit journal is closed")
            if self._thread is None:
                before = len(self._pending)
                self._start_locked()
                found = len(self._pending) - before
            else:
                found = self._adopt_dead_writers_locked()
        if found:
            try:
                self.flush()
            except AuditUnavailableError as exc:
                log.warning("audit journal: recovered entries stay pending: %s", exc)
        return found

    # -- flushing -----------------------------------------------------------------------

    def flush(self, timeout: float = 30.0) -> None:
        """Insert every entry pending now, synchronously.

        Parameters
        ----------
        timeout:
            Seconds to wait for an insert round already running (the flusher's).

        Raises
        ------
        AuditUnavailableError
            When the database refused the batch (the entries stay pending and are
            retried), or a running round did not end within ``timeout``.
        """
        if not self._flushing.acquire(timeout=timeout):
            raise AuditUnavailableError(
                f"the audit journal could not flush within {timeout} s: an insert is still running"
            )
        try:
            error = self._flush_round()
        finally:
            self._flushing.release()
        if error is not None:
            raise AuditUnavailableError(
                f"audit entries could not be inserted ({error}); they stay pending in "
                f"{self.folder} and are retried"
            ) from error

    def _flush_round(self) -> SQLAlchemyError | None:
        """One round: seal, insert, delete. Returns the database error, if any."""
        with self._lock:
            self._seal_segment_locked()
            batch, self._pending = self._pending, []
            self._in_flight = len(batch)
            sealed, self._sealed = self._sealed, Sealed()
        try:
            if batch:
                insert_entries(self.engine, batch)
        except SQLAlchemyError as exc:
            self._restore(batch, sealed)
            log.warning(
                "audit journal: %d entries could not be inserted, retrying: %s", len(batch), exc
            )
            return exc
        except BaseException:
            self._restore(batch, sealed)  # a bug must not drop entries either
            raise
        with self._lock:
            self._in_flight = 0
        remove_sealed(sealed)
        return None

    def _restore(self, batch: list[dict[str, Any]], sealed: Sealed) -> None:
        with self._lock:
            self._pending[:0] = batch  # before what arrived meanwhile: order kept
            self._in_flight = 0
            self._sealed.segments[:0] = sealed.segments
            self._sealed.locks[:0] = sealed.locks
        self.flush_errors += 1

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            delay = min(self.flush_seconds * 2**failures, max(MAX_BACKOFF, self.flush_seconds))
            self._wake.wait(delay)
            self._wake.clear()
            if self._stop.is_set():
                break
            with self._flushing:
                try:
                    error = self._flush_round()
                except Exception:  # the flusher must outlive a bug: logged loudly, retried
                    log.exception("audit journal: flush round failed unexpectedly")
                    failures += 1
                    continue
            failures = failures + 1 if error is not None else 0

    # -- closing -------------------------------------------------------------------------

    def close(self, timeout: float = 30.0) -> None:
        """Insert what is pending, stop the flusher and release this writer's lock.

        Entries that cannot be inserted stay in their segments; the next journal started
        on this folder replays them. Later :meth:`submit` calls raise.

        Parameters
        ----------
        timeout:
            Seconds to wait for the final insert and for the flusher to stop.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            started = self._thread is not None
        if not started:
            return
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        clean = True
        try:
            self.flush(timeout)
        except AuditUnavailableError as exc:
            clean = False
            log.warning("audit journal: closing with entries left for recovery: %s", exc)
        with self._lock:
            self._seal_segment_locked()
            if not clean:
                # release dead writers' locks (their files stay); own lock file stays too
                for _, fd in self._sealed.locks:
                    os.close(fd)
                self._sealed = Sealed()
            lock_fd, self._lock_fd = self._lock_fd, None
        if clean:
            lock_path(self.folder, self.writer).unlink(missing_ok=True)
        if lock_fd is not None:
            os.close(lock_fd)
