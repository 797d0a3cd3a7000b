"""Shared helpers for service tests: a migrated database, a context, and rows with real blobs.

The database is migrated once per backend and test session; every test gets its own
:class:`~gazemap.service.context.ServiceContext` (fresh blob folder and cache under
``tmp_path``) and creates its own study, so tests never see each other's rows.
Rows are written the way ingestion writes them: blob first, rows in one transaction,
``stimulus.data_version`` bumped.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from gazemap.config import CacheSettings, KDESettings, Settings
from gazemap.gaze import Recording
from gazemap.service.context import ServiceContext
from gazemap.store.codec import encode_recording_arrays
from gazemap.store.migrate import upgrade
from gazemap.store.models import Participant, Stimulus, Study
from gazemap.store.models import Recording as RecordingRow
from tests.store.conftest import NewDatabase

_counter = itertools.count(1)


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def service_database(request: pytest.FixtureRequest, new_database: NewDatabase) -> str:
    """URL of a migrated database: SQLite, and a private PostgreSQL schema."""
    url = new_database(str(request.param))
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def sqlite_database(new_database: NewDatabase) -> str:
    """URL of a migrated SQLite database, for tests that need only one backend."""
    url = new_database("sqlite")
    upgrade(url)
    return url


def service_settings(
    home: Path, database_url: str, *, redis_url: str | None = None, **overrides: Any
) -> Settings:
    """Settings with everything under ``home``: blob folder, memory + disk cache."""
    return Settings(
        environment="test",
        home=home,
        database_url=database_url,
        redis_url=redis_url,
        cache=CacheSettings(
            memory_bytes=64 * 2**20,
            disk_bytes=256 * 2**20,
            array_cache_bytes=overrides.pop("array_cache_bytes", 64 * 2**20),
        ),
        kde=KDESettings(**overrides.pop("kde", {})),
        **overrides,
    )


@pytest.fixture
def ctx(tmp_path: Path, service_database: str) -> Iterator[ServiceContext]:
    """A service context on both backends with its own blobs and cache."""
    context = ServiceContext.from_settings(service_settings(tmp_path / "home", service_database))
    yield context
    context.close()


@pytest.fixture
def sqlite_ctx(tmp_path: Path, sqlite_database: str) -> Iterator[ServiceContext]:
    """A service context on SQLite only."""
    context = ServiceContext.from_settings(service_settings(tmp_path / "home", sqlite_database))
    yield context
    context.close()


def add_study(ctx: ServiceContext, **fields: Any) -> int:
    """A new study; returns its id."""
    with ctx.session() as session:
        study = Study(**{"name": f"study {next(_counter)}", **fields})
        session.add(study)
        session.flush()
        return study.id


def image_bytes(width: int, height: int, *, colour: str = "white") -> bytes:
    """A plain PNG of the given size."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def add_stimulus(
    ctx: ServiceContext,
    study_id: int,
    *,
    width: int = 800,
    height: int = 600,
    image: bytes | None = None,
    **fields: Any,
) -> int:
    """A new stimulus with its image in the blob store; returns its id."""
    data = image if image is not None else image_bytes(width, height)
    key = ctx.blobs.put(data)
    n = next(_counter)
    with ctx.session() as session:
        stimulus = Stimulus(
            **{
                "study_id": study_id,
                "name": f"page {n}",
                "page_key": f"page-{n}",
                "version": "1",
                "width": width,
                "height": height,
                "image_key": key,
                "content_type": "image/png",
                **fields,
            }
        )
        session.add(stimulus)
        session.flush()
        return stimulus.id


def add_participant(ctx: ServiceContext, study_id: int, **fields: Any) -> int:
    """A new participant; returns its id."""
    with ctx.session() as session:
        participant = Participant(
            **{"study_id": study_id, "pseudonym": f"p{next(_counter):08d}", **fields}
        )
        session.add(participant)
        session.flush()
        return participant.id


def add_recording(
    ctx: ServiceContext,
    stimulus_id: int,
    participant_id: int,
    recording: Recording,
    **fields: Any,
) -> int:
    """Store ``recording``'s arrays as a blob and its row; bumps the stimulus's data version."""
    key = ctx.blobs.put(encode_recording_arrays(recording))
    with ctx.session() as session:
        stimulus = session.get(Stimulus, stimulus_id)
        if stimulus is None:
            raise LookupError(f"stimulus {stimulus_id} not found")
        row = RecordingRow(
            **{
                "study_id": stimulus.study_id,
                "participant_id": participant_id,
                "stimulus_id": stimulus_id,
                "started_at": datetime(2024, 1, 1, tzinfo=UTC),
                "kind": recording.kind,
                "sample_count": len(recording),
                "sampling_rate": recording.sampling_rate,
                "gaze_key": key,
                **fields,
            }
        )
        session.add(row)
        stimulus.data_version += 1
        session.flush()
        return row.id


def fixations(
    rng: np.random.Generator,
    n: int,
    *,
    centre: tuple[float, float] = (400.0, 300.0),
    spread: float = 60.0,
    width: int = 800,
    height: int = 600,
) -> Recording:
    """``n`` fixations around ``centre``, 150–400 ms each, back to back from t = 0."""
    xy = rng.normal(centre, spread, size=(n, 2))
    xy[:, 0] = np.clip(xy[:, 0], 0, width - 1)
    xy[:, 1] = np.clip(xy[:, 1], 0, height - 1)
    duration = rng.uniform(150, 400, size=n)
    t = np.concatenate(([0.0], np.cumsum(duration + 30.0)[:-1]))
    return Recording("fixations", t, xy[:, 0], xy[:, 1], np.ones(n, bool), duration=duration)


def samples(
    rng: np.random.Generator,
    n: int,
    *,
    rate: float = 250.0,
    centre: tuple[float, float] = (400.0, 300.0),
    spread: float = 60.0,
    width: int = 800,
    height: int = 600,
) -> Recording:
    """``n`` raw samples at ``rate`` Hz: dwells of 250 ms at random spots around ``centre``."""
    per = max(1, int(rate * 0.25))
    spots = rng.normal(centre, spread, size=(n // per + 1, 2))
    xy = np.repeat(spots, per, axis=0)[:n] + rng.normal(0, 2.0, size=(n, 2))
    xy[:, 0] = np.clip(xy[:, 0], 0, width - 1)
    xy[:, 1] = np.clip(xy[:, 1], 0, height - 1)
    t = np.arange(n) * (1000.0 / rate)
    return Recording("samples", t, xy[:, 0], xy[:, 1], np.ones(n, bool), sampling_rate=rate)
