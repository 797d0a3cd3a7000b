"""The audit journal: reads' entries are journalled before the answer and land exactly once.

Real files, real SQLite and PostgreSQL; crashes are real processes killed with SIGKILL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from gazemap.api.errors import problem_for
from gazemap.config import AuditSettings
from gazemap.errors import AuditUnavailableError, GroupTooSmallError, InvalidInputError
from gazemap.service.actor import Actor
from gazemap.service.audit import list_audit
from gazemap.service.audit_journal import AuditJournal, segments_in
from gazemap.service.context import ServiceContext
from gazemap.service.heatmaps import build_heatmap
from gazemap.service.params import HeatmapParams
from gazemap.store.engine import create_engine_for
from gazemap.store.migrate import upgrade
from gazemap.store.models import AuditEvent, Membership, User
from gazemap.store.slices import Slice
from tests.service.fixtures import (
    add_participant,
    add_recording,
    add_stimulus,
    add_study,
    fixations,
    service_settings,
)
from tests.store.conftest import NewDatabase

REPO = Path(__file__).resolve().parents[2]


def _context(tmp_path: Path, url: str, **audit: Any) -> ServiceContext:
    settings = service_settings(tmp_path / "home", url, audit=AuditSettings(**audit))
    return ServiceContext.from_settings(settings)


@pytest.fixture
def slow_ctx(tmp_path: Path, service_database: str) -> Iterator[ServiceContext]:
    """A context whose flusher never fires on its own: only ``flush()`` inserts."""
    context = _context(tmp_path, service_database, flush_seconds=3600, max_pending=3)
    yield context
    context.close()


def _viewer_and_stimulus(ctx: ServiceContext, *, k: int = 2) -> tuple[Actor, int, int]:
    rng = np.random.default_rng(11)
    study = add_study(ctx, min_group_size=k)
    stimulus = add_stimulus(ctx, study)
    for i in range(3):
        add_recording(
            ctx,
            stimulus,
            add_participant(ctx, study),
            fixations(rng, 10, centre=(100.0 * i + 100, 200)),
        )
    with ctx.session() as session:
        user = User(username=f"viewer-{uuid.uuid4().hex[:8]}", password_hash="x", role="viewer")
        session.add(user)
        session.flush()
        session.add(Membership(user_id=user.id, study_id=study, role="viewer"))
        viewer = Actor(user.id, user.username, "viewer")
    return viewer, study, stimulus


def _view(ctx: ServiceContext, actor: Actor, stimulus: int) -> None:
    build_heatmap(ctx, actor=actor, stimulus_id=stimulus, params=HeatmapParams(), slice=Slice())


def _views(ctx: ServiceContext, user_id: int) -> list[AuditEvent]:
    with ctx.session() as session:
        return list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.user_id == user_id, AuditEvent.action == "heatmap.view")
                .order_by(AuditEvent.id)
            )
        )


def _keyed(engine: Engine, keys: list[str]) -> dict[str, int]:
    """How many rows carry each journal key."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(AuditEvent.journal_key, func.count())
            .where(AuditEvent.journal_key.in_(keys))
            .group_by(AuditEvent.journal_key)
        )
        return {str(key): int(n) for key, n in rows}


def _entry(n: int = 0, **fields: Any) -> dict[str, Any]:
    return {
        "user_id": None,
        # not "heatmap.view": other tests count those in the session's shared database
        "action": "journal.test",
        "target": f"test:{n}",
        "parameters": {"n": n},
        "outcome": "ok",
        "request_id": None,
        "refs": {},
        **fields,
    }


def test_heatmap_views_land_after_flush_with_study_user_and_parameters(ctx: ServiceContext) -> None:
    assert ctx.audit is not None
    viewer, study, stimulus = _viewer_and_stimulus(ctx)
    _view(ctx, viewer, stimulus)
    _view(ctx, viewer, stimulus)  # the cached answer is audited too
    ctx.audit.flush()
    views = _views(ctx, viewer.user_id)
    assert [(v.study_id, v.target, v.outcome) for v in views] == [
        (study, f"stimulus:{stimulus}", "ok")
    ] * 2
    assert views[0].parameters["params"] == HeatmapParams().canonical()
    assert all(v.journal_key is not None and len(v.journal_key) == 32 for v in views)
    assert ctx.audit.pending == 0
    assert segments_in(ctx.settings.resolved_audit_journal) == []


def test_refusals_stay_synchronous(ctx: ServiceContext) -> None:
    assert ctx.audit is not None
    viewer, _, stimulus = _viewer_and_stimulus(ctx, k=5)
    with pytest.raises(GroupTooSmallError):
        _view(ctx, viewer, stimulus)
    # no flush: the refusal was written in its own transaction
    with ctx.session() as session:
        denied = session.scalars(
            select(AuditEvent).where(AuditEvent.user_id == viewer.user_id)
        ).one()
    assert (denied.outcome, denied.journal_key) == ("denied", None)
    assert ctx.audit.pending == 0


def test_the_audit_listing_flushes_this_instance_first(ctx: ServiceContext, admin: Actor) -> None:
    viewer, _, stimulus = _viewer_and_stimulus(ctx)
    _view(ctx, viewer, stimulus)
    page = list_audit(ctx, actor=admin, user_id=viewer.user_id, action="heatmap.view")
    assert page.total == 1


def test_flush_seconds_zero_writes_each_entry_synchronously(
    tmp_path: Path, service_database: str
) -> None:
    context = _context(tmp_path, service_database, flush_seconds=0)
    try:
        assert context.audit is None
        viewer, study, stimulus = _viewer_and_stimulus(context)
        _view(context, viewer, stimulus)
        views = _views(context, viewer.user_id)  # no flush
        assert [(v.study_id, v.journal_key) for v in views] == [(study, None)]
        assert not context.settings.resolved_audit_journal.exists()
    finally:
        context.close()


def test_entries_from_many_threads_land_exactly_once(ctx: ServiceContext) -> None:
    journal = ctx.audit
    assert journal is not None
    study = add_study(ctx)
    stimulus = add_stimulus(ctx, study)
    keys: list[list[str]] = [[] for _ in range(8)]

    def submit(slot: int) -> None:
        for n in range(150):
            keys[slot].append(journal.submit(_entry(n, refs={"stimulus_id": stimulus})))

    threads = [threading.Thread(target=submit, args=(slot,)) for slot in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ctx.audit.flush()
    everything = [key for slot in keys for key in slot]
    assert len(set(everything)) == 8 * 150
    assert _keyed(ctx.engine, everything) == dict.fromkeys(everything, 1)
    with ctx.engine.connect() as connection:
        studies = set(
            connection.scalars(
                select(AuditEvent.study_id).where(AuditEvent.journal_key.in_(everything))
            )
        )
    assert studies == {study}
    assert ctx.audit.pending == 0


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_entries_wait_while_the_database_is_unavailable_then_land(
    tmp_path: Path, backend: str, new_database: NewDatabase
) -> None:
    url = new_database(backend)  # not migrated yet: every insert fails
    engine = create_engine_for(url)
    journal = AuditJournal(tmp_path / "journal", engine, flush_seconds=3600, max_pending=100)
    try:
        keys = [journal.submit(_entry(n)) for n in range(5)]
        with pytest.raises(AuditUnavailableError, match="stay pending"):
            journal.flush()
        assert journal.pending == 5
        assert journal.flush_errors == 1
        assert len(segments_in(tmp_path / "journal")) == 1
        keys.append(journal.submit(_entry(5)))  # still journalled meanwhile

        upgrade(url)  # the database is back
        journal.flush()
        assert _keyed(engine, keys) == dict.fromkeys(keys, 1)
        assert journal.pending == 0
        assert segments_in(tmp_path / "journal") == []
    finally:
        journal.close()
        engine.dispose()


def test_the_flusher_thread_inserts_without_being_asked(
    tmp_path: Path, sqlite_database: str
) -> None:
    engine = create_engine_for(sqlite_database)
    journal = AuditJournal(tmp_path / "journal", engine, flush_seconds=0.01, max_pending=100)
    try:
        key = journal.submit(_entry())
        landed = threading.Event()
        for _ in range(2000):  # bounded wait for the flusher, not a timing assertion
            if _keyed(engine, [key]):
                landed.set()
                break
            landed.wait(0.01)
        assert landed.is_set()
    finally:
        journal.close()
        engine.dispose()


def test_over_max_pending_the_read_fails_and_nothing_is_answered_unaudited(
    slow_ctx: ServiceContext, tmp_path: Path
) -> None:
    assert slow_ctx.audit is not None
    viewer, _, stimulus = _viewer_and_stimulus(slow_ctx)
    for _ in range(3):  # max_pending
        _view(slow_ctx, viewer, stimulus)
    for _ in range(2):
        with pytest.raises(AuditUnavailableError, match="GAZEMAP_AUDIT__MAX_PENDING") as refused:
            _view(slow_ctx, viewer, stimulus)
        assert problem_for(refused.value).status == 503
    answered = 3
    slow_ctx.audit.flush()
    assert len(_views(slow_ctx, viewer.user_id)) == answered
    _view(slow_ctx, viewer, stimulus)  # room again once they are in the database


def test_an_unwritable_journal_refuses_the_read(tmp_path: Path, sqlite_database: str) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the journal folder should be")
    engine = create_engine_for(sqlite_database)
    journal = AuditJournal(blocker / "journal", engine, flush_seconds=3600, max_pending=10)
    try:
        with pytest.raises(AuditUnavailableError, match="cannot be used"):
            journal.submit(_entry())
        assert journal.pending == 0
    finally:
        journal.close()
        engine.dispose()


def test_a_folder_removed_under_a_running_journal_refuses_the_read(
    tmp_path: Path, sqlite_database: str
) -> None:
    engine = create_engine_for(sqlite_database)
    folder = tmp_path / "journal"
    journal = AuditJournal(folder, engine, flush_seconds=3600, max_pending=10)
    try:
        journal.submit(_entry())
        journal.flush()  # seals the segment: the next entry opens a new one
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()
        with pytest.raises(AuditUnavailableError, match="cannot be written"):
            journal.submit(_entry())
        assert journal.pending == 0
    finally:
        journal.close()
        engine.dispose()


_CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from gazemap.service.audit_journal import AuditJournal
    from gazemap.store.engine import create_engine_for

    folder, url, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    journal = AuditJournal(folder, create_engine_for(url), flush_seconds=3600, max_pending=10_000)
    for n in range(count):
        key = journal.submit({"user_id": None, "action": "journal.test", "target": None,
                              "parameters": {"n": n}, "outcome": "ok", "request_id": None,
                              "refs": {}})
        print(key, flush=True)
    print("ready", flush=True)
    time.sleep(600)
    """
)


def test_entries_of_a_process_killed_before_any_flush_are_recovered(
    tmp_path: Path, service_database: str
) -> None:
    folder = tmp_path / "journal"
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(folder), service_database, "40"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert child.stdout is not None
    keys = []
    for line in child.stdout:
        if line.strip() == "ready":
            break
        keys.append(line.strip())
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait() == -signal.SIGKILL
    child.stdout.close()
    assert len(keys) == 40

    engine = create_engine_for(service_database)
    journal = AuditJournal(folder, engine, flush_seconds=3600, max_pending=10_000)
    try:
        assert _keyed(engine, keys) == {}  # nothing reached the database before the kill
        assert journal.recover() == 40
        assert _keyed(engine, keys) == dict.fromkeys(keys, 1)
        assert sorted(p.name for p in folder.iterdir()) == [f"{journal.writer}.lock"]
    finally:
        journal.close()
        engine.dispose()
    assert list(folder.iterdir()) == []  # a clean close leaves nothing behind


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_child_journals_as_a_writer_of_its_own(
    tmp_path: Path, sqlite_database: str
) -> None:
    folder = tmp_path / "journal"
    engine = create_engine_for(sqlite_database)
    parent = AuditJournal(folder, engine, flush_seconds=3600, max_pending=100)
    try:
        mine = parent.submit(_entry(1))
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: journal one entry, then die without flushing
            try:
                key = parent.submit(_entry(2))
                os.write(write, f"{key} {parent.writer}".encode())
            finally:
                os._exit(0)
        os.close(write)
        with os.fdopen(read) as pipe:
            theirs, child_writer = pipe.read().split()
        os.waitpid(pid, 0)
        assert child_writer != parent.writer
        assert parent.pending == 1  # the child's entry is not the parent's
        successor = AuditJournal(folder, engine, flush_seconds=3600, max_pending=100)
        try:
            assert successor.recover() == 1  # the dead child's, not the live parent's
        finally:
            successor.close()
        parent.flush()
        assert _keyed(engine, [mine, theirs]) == {mine: 1, theirs: 1}
    finally:
        parent.close()
        engine.dispose()


def test_an_entry_the_database_would_refuse_is_refused_at_submit(
    tmp_path: Path, sqlite_database: str
) -> None:
    engine = create_engine_for(sqlite_database)
    journal = AuditJournal(tmp_path / "journal", engine, flush_seconds=3600, max_pending=10)
    try:
        for bad in ({"target": "x" * 256}, {"parameters": [1]}, {"at": "2026-12-04T10:00:00"}):
            with pytest.raises(InvalidInputError):
                journal.submit(_entry(**bad))
        assert journal.pending == 0
    finally:
        journal.close()
        engine.dispose()


def _dead_writer(folder: Path, name: str, lines: list[bytes]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.lock").touch()  # nobody holds its flock: its writer died
    (folder / f"{name}-00000001.jsonl").write_bytes(b"".join(lines))


def test_a_torn_last_line_is_skipped_and_counted(tmp_path: Path, sqlite_database: str) -> None:
    folder = tmp_path / "journal"
    good = [
        _entry(n, at="2026-12-04T10:00:00+00:00", journal_key=uuid.uuid4().hex) for n in range(2)
    ]
    lines = [json.dumps(e).encode() + b"\n" for e in good]
    torn = json.dumps(_entry(9, at="2026-12-04T10:00:01+00:00", journal_key=uuid.uuid4().hex))
    _dead_writer(folder, "1-dead", [*lines, torn[: len(torn) // 2].encode()])
    engine = create_engine_for(sqlite_database)
    journal = AuditJournal(folder, engine, flush_seconds=3600, max_pending=100)
    try:
        assert journal.recover() == 2
        assert journal.torn_lines == 1
        keys = [e["journal_key"] for e in good]
        assert _keyed(engine, keys) == dict.fromkeys(keys, 1)
        assert not (folder / "1-dead.lock").exists()
        assert segments_in(folder) == []
    finally:
        journal.close()
        engine.dispose()


def test_the_app_replays_dead_writers_at_startup(ctx: ServiceContext) -> None:
    from starlette.testclient import TestClient

    from gazemap.api.app import create_app

    folder = ctx.settings.resolved_audit_journal
    entry = _entry(at="2026-12-04T10:00:00+00:00", journal_key=uuid.uuid4().hex)
    _dead_writer(folder, "3-crashed", [json.dumps(entry).encode() + b"\n"])
    with TestClient(create_app(context=ctx)):
        assert _keyed(ctx.engine, [entry["journal_key"]]) == {entry["journal_key"]: 1}
    assert not (folder / "3-crashed.lock").exists()


def test_a_replay_after_commit_but_before_delete_inserts_no_duplicates(
    tmp_path: Path, service_database: str
) -> None:
    folder = tmp_path / "journal"
    engine = create_engine_for(service_database)
    first = AuditJournal(folder, engine, flush_seconds=3600, max_pending=100)
    second = AuditJournal(folder, engine, flush_seconds=3600, max_pending=100)
    try:
        keys = [first.submit(_entry(n)) for n in range(3)]
        (segment,) = segments_in(folder)
        # what a crash right after the commit leaves: the segment and an unheld lock
        _dead_writer(folder, "2-crashed", [segment.read_bytes()])
        first.flush()
        assert _keyed(engine, keys) == dict.fromkeys(keys, 1)
        assert second.recover() == 3
        assert second.pending == 0  # the replay committed (its rows were already there)
        assert _keyed(engine, keys) == dict.fromkeys(keys, 1)
        assert not (folder / "2-crashed.lock").exists()
    finally:
        first.close()
        second.close()
        engine.dispose()


def test_a_live_writer_is_never_replayed_by_another(tmp_path: Path, sqlite_database: str) -> None:
    folder = tmp_path / "journal"
    engine = create_engine_for(sqlite_database)
    live = AuditJournal(folder, engine, flush_seconds=3600, max_pending=100)
    other = AuditJournal(folder, engine, flush_seconds=3600, max_pending=100)
    try:
        key = live.submit(_entry())
        assert other.recover() == 0  # the live writer holds its flock
        assert live.pending == 1
        assert _keyed(engine, [key]) == {}
        live.flush()
        assert _keyed(engine, [key]) == {key: 1}
    finally:
        live.close()
        other.close()
        engine.dispose()


def test_a_close_that_cannot_insert_leaves_the_entries_for_the_next_start(
    tmp_path: Path, new_database: NewDatabase
) -> None:
    url = new_database("sqlite")
    engine = create_engine_for(url)
    folder = tmp_path / "journal"
    journal = AuditJournal(folder, engine, flush_seconds=3600, max_pending=100)
    keys = [journal.submit(_entry(n)) for n in range(4)]
    journal.close()  # the database has no tables yet: nothing can be inserted
    with pytest.raises(AuditUnavailableError, match="closed"):
        journal.submit(_entry())
    upgrade(url)
    successor = AuditJournal(folder, engine, flush_seconds=3600, max_pending=100)
    try:
        assert successor.recover() == 4
        assert _keyed(engine, keys) == dict.fromkeys(keys, 1)
    finally:
        successor.close()
        engine.dispose()


# PostgreSQL's JSON refuses NUL and lone surrogates; the audit's parameters never hold them
JSON_TEXT = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12
)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    # within 1e15 a float keeps its decimal point in JSON; PostgreSQL's JSONB would hand a
    # larger one back as an int (6.8e16 -> 68015916694286090), the same with or without journal
    | st.floats(min_value=-1e15, max_value=1e15, allow_nan=False)
    | JSON_TEXT,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(JSON_TEXT, children, max_size=4)
    ),
    max_leaves=12,
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(parameters=st.dictionaries(JSON_TEXT, JSON_VALUES, max_size=4))
def test_json_parameters_round_trip_through_the_journal(
    ctx: ServiceContext, parameters: dict[str, Any]
) -> None:
    assert ctx.audit is not None
    key = ctx.audit.submit(_entry(parameters=parameters))
    ctx.audit.flush()
    with ctx.engine.connect() as connection:
        stored = connection.scalar(
            select(AuditEvent.parameters).where(AuditEvent.journal_key == key)
        )
    assert stored == parameters
