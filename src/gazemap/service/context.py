"""Everything a service function needs, built once per process by :meth:`ServiceContext.from_settings`.

The API's ``create_app(settings)``, the CLI and the job workers each build one context and
pass it to service functions; tests build their own. Nothing here is created at import.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from gazemap.cache import Cache, build_cache
from gazemap.config import Settings
from gazemap.jobs.base import JobRunner
from gazemap.service.arrays import ArrayCache
from gazemap.service.audit_journal import AuditJournal
from gazemap.store.blobs import BlobStore, build_blob_store
from gazemap.store.engine import engine_from_settings, make_session_factory

__all__ = ["ServiceContext"]


@dataclass
class ServiceContext:
    """The database, blob store and caches of one gazemap process.

    Attributes
    ----------
    settings:
        The settings everything was built from.
    engine:
        SQLAlchemy engine (SQLite file by default, PostgreSQL via URL).
    sessions:
        Session factory bound to ``engine``.
    blobs:
        Image and gaze-array blob store (folder or S3).
    cache:
        Heat-map cache (memory, disk and, when configured, Redis tiers).
    arrays:
        Decoded gaze arrays and stimulus images, bounded by
        ``settings.cache.array_cache_bytes``; built from the settings.
    jobs:
        The job runner, once :func:`gazemap.service.jobs.enable_jobs` attached one
        (the API and ``gazemap worker`` do); ``None`` means jobs cannot be submitted.
    readonly_sessions:
        Session factory for :meth:`session` with ``readonly=True``; built from ``engine``.
    readonly_engine:
        ``engine`` with the read-only options (autocommit on PostgreSQL, ``BEGIN
        DEFERRED`` on SQLite), same pool; :meth:`read` connects through it.
    audit:
        The journal that takes the ``"ok"`` audit entries of reads and inserts them in
        batches (:class:`~gazemap.service.audit_journal.AuditJournal`, folder
        ``settings.resolved_audit_journal``); ``None`` when ``settings.audit.flush_seconds``
        is 0, and reads' entries are then inserted synchronously.
    """

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    blobs: BlobStore
    cache: Cache
    jobs: JobRunner | None = None
    arrays: ArrayCache = field(init=False, repr=False)
    readonly_sessions: sessionmaker[Session] = field(init=False, repr=False)
    readonly_engine: Engine = field(init=False, repr=False)
    audit: AuditJournal | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.arrays = ArrayCache(self.settings.cache.array_cache_bytes)
        journal = self.settings.audit
        # files and the flusher thread appear on the first audited read, not here
        self.audit = (
            AuditJournal(
                self.settings.resolved_audit_journal,
                self.engine,
                flush_seconds=journal.flush_seconds,
                max_pending=journal.max_pending,
                fsync=journal.fsync,
            )
            if journal.flush_seconds > 0
            else None
        )
        # Same pool. On SQLite its transactions begin DEFERRED (see gazemap.store.engine).
        # On PostgreSQL they run in autocommit: under READ COMMITTED each statement takes
        # its own snapshot inside a transaction too, so BEGIN and COMMIT bought nothing but
        # two round trips, which on a cached heat map doubled the database time.
        readonly = (
            self.engine.execution_options(isolation_level="AUTOCOMMIT")
            if self.engine.dialect.name == "postgresql"
            else self.engine.execution_options(sqlite_begin="DEFERRED")
        )
        self.readonly_engine = readonly
        self.readonly_sessions = make_session_factory(readonly)

    @classmethod
    def from_settings(cls, settings: Settings) -> ServiceContext:
        """Build the engine, session factory, blob store and cache that ``settings`` describe.

        Creates ``settings.home`` when the defaults live there. Does not run migrations:
        call :func:`gazemap.store.migrate.upgrade` (``gazemap db upgrade``) first.
        """
        settings.home.mkdir(parents=True, exist_ok=True)
        engine = engine_from_settings(settings)
        return cls(
            settings=settings,
            engine=engine,
            sessions=make_session_factory(engine),
            blobs=build_blob_store(settings),
            cache=build_cache(settings),
        )

    @contextmanager
    def session(self, *, readonly: bool = False) -> Iterator[Session]:
        """A session in one transaction: committed when the block ends, rolled back on error.

        ``readonly=True`` is for transactions that only read (the cached heat-map path):
        on SQLite they begin ``DEFERRED`` instead of ``IMMEDIATE``, so they do not queue
        behind each other or a writer; on PostgreSQL they run in autocommit (each
        statement its own READ COMMITTED snapshot, as inside a transaction, without the
        BEGIN and COMMIT round trips). Writing in one is a programming error: on SQLite
        it may fail with "database is locked", on PostgreSQL each write commits alone.
        """
        factory = self.readonly_sessions if readonly else self.sessions
        with factory() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A Core connection for a few reads, without an ORM session around it.

        Behaves as :meth:`session` with ``readonly=True`` (autocommit on PostgreSQL,
        ``BEGIN DEFERRED`` on SQLite, rolled back at the end) for callers that select
        columns and build no ORM objects: the cached heat-map path, where the session's
        bookkeeping cost more than its one query.
        """
        with self.readonly_engine.connect() as connection:
            yield connection

    def close(self) -> None:
        """Stop the job runner (if any), insert pending audit entries, release connections.

        Audit entries the database refuses now stay in the journal folder; the next
        process started on it replays them.
        """
        if self.jobs is not None:
            self.jobs.shutdown()
            self.jobs = None
        if self.audit is not None:
            self.audit.close()
        close = getattr(self.cache, "close", None)
        if callable(close):
            close()
        self.engine.dispose()
