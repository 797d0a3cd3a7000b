"""Creating and reading job rows in tests."""

from __future__ import annotations

import itertools
from typing import Any

from gazemap.jobs import new_job_id
from gazemap.store.models import Job

_markers = itertools.count(1)


def marker() -> str:
    """A name unique in this test session, to find what a task recorded."""
    return f"m{next(_markers)}"


def add_job(ctx: Any, kind: str, *, status: str = "queued", **params: Any) -> str:
    """Commit a job row of ``kind``; its params get ``job_id`` too."""
    job_id = new_job_id()
    with ctx.session() as session:
        session.add(Job(id=job_id, kind=kind, status=status, params={"job_id": job_id, **params}))
    return job_id


def job_row(ctx: Any, job_id: str) -> dict[str, Any]:
    """Every column of a job, read in a fresh transaction."""
    with ctx.session() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return {c.name: getattr(job, c.name) for c in Job.__table__.columns}
