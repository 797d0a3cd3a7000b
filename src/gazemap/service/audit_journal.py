"""Write-behind audit entries for reads, through a crash-safe local journal.

A successful read (heat map, comparison, AOI metrics) must not be answered unaudited, but
inserting its entry in the request costs about half of a cached heat map's database work.
:class:`AuditJournal` makes the entry durable first and inserts it a little later:

1. :meth:`AuditJournal.submit` appends the entry as one JSON line to the writer's current
   segment file with a single ``os.write`` (optionally ``fsync``) and keeps it in memory.
   Once ``os.write`` returned the entry survives a crash of the process (it is in the
   kernel's page cache); a power loss can lose it unless ``fsync`` is on. If the line
   cannot be written, or too many entries wait, ``submit`` raises
   :class:`~gazemap.errors.AuditUnavailableError` and the read fails.
2. A daemon thread wakes every ``flush_seconds`` (sooner when :data:`WAKE_AT` wait), seals
   the segment, resolves the studies of the batch with one query per id kind and inserts
   the rows with ``INSERT ... ON CONFLICT (journal_key) DO NOTHING`` in one transaction.
   After the commit the sealed segments are deleted. On a database error the entries and
   segments are kept and retried, backing off up to :data:`MAX_BACKOFF` seconds.
3. Every journal holds an exclusive ``flock`` on ``<writer>.lock`` in the folder and names
   its segments ``<writer>-<seq:08d>.jsonl``. When a journal starts it tries to lock every
   other ``*.lock`` of the folder; each one it gets belonged to a dead writer, whose
   segments it replays (a torn last line is skipped and counted) through the same insert.
   ``ON CONFLICT DO NOTHING`` makes a replay after a crash between commit and delete
   harmless, so several processes may share one folder.

Entries are plain dicts: ``user_id``, ``action``, ``target``, ``parameters``, ``outcome``,
``request_id``, ``refs`` (the ``study_id``/``stimulus_id``/``recording_id``/
``participant_id`` arguments of the call, to find the study) and, stamped by ``submit``,
``at`` (ISO 8601, UTC) and ``journal_key`` (uuid4 hex).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import secrets
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from gazemap.errors import AuditUnavailableError, InvalidInputError
from gazemap.store.models import AUDIT_OUTCOMES, AuditEvent, Participant, Recording, Stimulus, Study

__all__ = ["MAX_BACKOFF", "STUDY_REFS", "WAKE_AT", "AuditJournal", "segments_in"]

log = logging.getLogger("gazemap.audit")

# serialises the reset of journals in a forked child (see AuditJournal._forget_parent)
_FORK_GUARD = threading.Lock()

#: Pending entries that wake the flusher before ``flush_seconds`` is up.
WAKE_AT = 500
#: Longest wait, in seconds, between retries while the database fails.
MAX_BACKOFF = 5.0
#: Rows per INSERT statement and ids per IN list (well under every driver's parameter limit).
CHUNK = 1000

#: Keyword arguments that name the study of an entry, in the order they are tried:
#: name -> (study id column, key column).
STUDY_REFS: dict[str, tuple[Any, Any]] = {
    "study_id": (Study.id, Study.id),
    "stimulus_id": (Stimulus.study_id, Stimulus.id),
    "recording_id": (Recording.study_id, Recording.id),
    "participant_id": (Participant.study_id, Participant.id),
}

# longest strings the columns take (audit_events); a longer one would fail its whole batch
_LIMITS = {"action": 64, "target": 255, "request_id": 64, "journal_key": 32}


@dataclass
class _Sealed:
    """Files to delete once the entries read from them are in the database."""

    segments: list[Path] = field(default_factory=list)
    # lock files (and their open, flocked descriptors) of dead writers being replayed
    locks: list[tuple[Path, int]] = field(default_factory=list)


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
        self._sealed = _Sealed()
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
            ``outcome``, ``request_id`` and ``refs`` (see the module docstring). ``at``
            and ``journal_key`` are stamped here unless given.

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
        problem = _problem(record)
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
            self._pending, self._in_flight, self._sealed = [], 0, _Sealed()
            self._fd = self._lock_fd = None
            self._segment, self._thread, self._seq = None, None, 0
            self.writer = f"{os.getpid()}-{secrets.token_hex(6)}"
            self._pid = os.getpid()

    def _append_locked(self, line: bytes) -> None:
        try:
            fd = self._fd if self._fd is not None else self._open_segment_locked()
            written = os.write(fd, line)
            if written != len(line):
                raise OSError(f"short write: {written} of {len(line)} bytes")
            if self.fsync:
                os.fsync(fd)
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
        path = self.folder / f"{self.writer}-{self._seq:08d}.jsonl"
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._segment = path
        return self._fd

    def _seal_segment_locked(self) -> None:
        if self._fd is not None:
            try:
                os.close(self._fd)
            except OSError as exc:  # pragma: no cover - close of a regular file
                log.warning("closing audit journal segment %s failed: %s", self._segment, exc)
            if self._segment is not None:
                self._sealed.segments.append(self._segment)
        self._fd = None
        self._segment = None

    # -- starting and recovering -------------------------------------------------------

    def _start_locked(self) -> None:
        """Take this writer's lock, adopt dead writers' segments, start the flusher."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._lock_fd = self._take_own_lock()
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

    def _take_own_lock(self) -> int:
        # locked under a temporary name, then renamed: no other journal can see (and take)
        # the lock file of a live writer before it is locked
        temporary = self.folder / f"{self.writer}.lock.new"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.rename(temporary, self.folder / f"{self.writer}.lock")
        except OSError:
            os.close(fd)
            temporary.unlink(missing_ok=True)
            raise
        return fd

    def _adopt_dead_writers_locked(self) -> int:
        adopted = 0
        for lock_path in sorted(self.folder.glob("*.lock")):
            writer = lock_path.name.removesuffix(".lock")
            if writer == self.writer:
                continue
            try:
                fd = os.open(lock_path, os.O_RDWR)
            except FileNotFoundError:
                continue  # another journal finished replaying it meanwhile
            except OSError as exc:
                log.warning("audit journal: cannot open %s: %s", lock_path, exc)
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)  # its writer is alive (or another journal is replaying it)
                continue
            segments = sorted(self.folder.glob(f"{writer}-{'[0-9]' * 8}.jsonl"))
            entries: list[dict[str, Any]] = []
            for segment in segments:
                entries.extend(self._read_segment(segment))
            self._pending[:0] = entries
            self._sealed.segments.extend(segments)
            self._sealed.locks.append((lock_path, fd))
            adopted += len(entries)
            if entries:
                log.warning(
                    "audit journal: replaying %d entries of dead writer %s from %d segments",
                    len(entries),
                    writer,
                    len(segments),
                )
        return adopted

    def _read_segment(self, path: Path) -> list[dict[str, Any]]:
        try:
            data = path.read_bytes()
        except OSError as exc:
            log.warning("audit journal: cannot read %s (%s); its entries are skipped", path, exc)
            return []
        lines = data.split(b"\n")
        entries = []
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            entry = _parse_line(raw)
            if entry is None:
                self.torn_lines += 1
                where = "torn last line" if number >= len(lines) - 1 else "unreadable line"
                log.warning(
                    "audit journal: %s %d of %s skipped (%d bytes)", where, number, path, len(raw)
                )
                continue
            entries.append(entry)
        return entries

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
            sealed, self._sealed = self._sealed, _Sealed()
        try:
            if batch:
                self._insert(batch)
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
        _remove(sealed)
        return None

    def _restore(self, batch: list[dict[str, Any]], sealed: _Sealed) -> None:
        with self._lock:
            self._pending[:0] = batch  # before what arrived meanwhile: order kept
            self._in_flight = 0
            self._sealed.segments[:0] = sealed.segments
            self._sealed.locks[:0] = sealed.locks
        self.flush_errors += 1

    def _insert(self, batch: list[dict[str, Any]]) -> None:
        postgres = self.engine.dialect.name == "postgresql"
        with self.engine.begin() as connection:
            studies: dict[str, dict[int, int | None]] = {}
            for name, (column, key) in STUDY_REFS.items():
                ids = sorted({v for entry in batch if (v := _ref(entry, name)) is not None})
                found: dict[int, int | None] = {}
                for start in range(0, len(ids), CHUNK):
                    pairs = connection.execute(
                        select(key, column).where(key.in_(ids[start : start + CHUNK]))
                    )
                    found.update({int(k): (int(s) if s is not None else None) for k, s in pairs})
                studies[name] = found
            rows = [_row(entry, studies) for entry in batch]
            # one executemany of a statement built once: SQLAlchemy compiles it once and
            # batches the rows into multi-row INSERTs itself ("insertmanyvalues"), where
            # .values(rows) would compile a new statement for every batch size
            connection.execute(_INSERT[postgres], rows)

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
                self._sealed = _Sealed()
            lock_fd, self._lock_fd = self._lock_fd, None
        if clean:
            (self.folder / f"{self.writer}.lock").unlink(missing_ok=True)
        if lock_fd is not None:
            os.close(lock_fd)


def _problem(entry: Mapping[str, Any]) -> tuple[str, str] | None:
    """What would make the database refuse ``entry`` (and so its batch): (field, message)."""
    action = entry.get("action")
    if not isinstance(action, str) or not action:
        return "action", f"action must be 1 to 64 characters, got {action!r}"
    for name, limit in _LIMITS.items():
        value = entry.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            return name, f"{name} must be a string of at most {limit} characters, got {value!r}"
    if entry.get("outcome") not in AUDIT_OUTCOMES:
        return (
            "outcome",
            f"outcome must be one of {list(AUDIT_OUTCOMES)}, got {entry.get('outcome')!r}",
        )
    if not isinstance(entry.get("journal_key"), str):
        return "journal_key", "journal_key must be a string"
    if not isinstance(entry.get("parameters", {}), dict):
        return (
            "parameters",
            f"parameters must be a dict, got {type(entry.get('parameters')).__name__}",
        )
    if not isinstance(entry.get("refs", {}), dict):
        return "refs", f"refs must be a dict, got {type(entry.get('refs')).__name__}"
    user_id = entry.get("user_id")
    if user_id is not None and (not isinstance(user_id, int) or isinstance(user_id, bool)):
        return "user_id", f"user_id must be an integer or None, got {user_id!r}"
    try:
        at = datetime.fromisoformat(str(entry.get("at")))
    except ValueError:
        return "at", f"at must be an ISO 8601 time, got {entry.get('at')!r}"
    if at.utcoffset() is None:
        return "at", f"at must be timezone-aware, got {entry.get('at')!r}"
    return None


def _parse_line(raw: bytes) -> dict[str, Any] | None:
    try:
        entry = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(entry, dict) or _problem(entry) is not None:
        return None
    return entry


def _ref(entry: Mapping[str, Any], name: str) -> int | None:
    value = (entry.get("refs") or {}).get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _study_of(
    entry: Mapping[str, Any], studies: Mapping[str, Mapping[int, int | None]]
) -> int | None:
    # the first id kind present decides, as the synchronous lookup does
    for name in STUDY_REFS:
        value = _ref(entry, name)
        if value is not None:
            return studies[name].get(value)
    return None


# a replayed entry (crash between commit and delete) is already there: skipped
_INSERT = {
    True: postgresql.insert(AuditEvent).on_conflict_do_nothing(index_elements=["journal_key"]),
    False: sqlite.insert(AuditEvent).on_conflict_do_nothing(index_elements=["journal_key"]),
}


def _row(
    entry: Mapping[str, Any], studies: Mapping[str, Mapping[int, int | None]]
) -> dict[str, Any]:
    return {
        "at": datetime.fromisoformat(str(entry["at"])),
        "user_id": entry.get("user_id"),
        "study_id": _study_of(entry, studies),
        "action": entry["action"],
        "target": entry.get("target"),
        "parameters": entry.get("parameters") or {},
        "outcome": entry["outcome"],
        "request_id": entry.get("request_id"),
        "journal_key": str(entry["journal_key"]),
    }


def _remove(sealed: _Sealed) -> None:
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
