"""Recordings: ingest (see :mod:`gazemap.service.ingest`), listing, deletion and export.

Recordings are researcher business: they link a participant to their gaze, so viewers
only ever see aggregates (heat maps). Deleting a recording bumps its stimulus's
``data_version`` in the same transaction, so cached heat maps that used it are never
served again.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import func, select, update

from gazemap.errors import InvalidInputError
from gazemap.service.actor import Actor
from gazemap.service.audit import record_audit
from gazemap.service.auditing import audit_refusals
from gazemap.service.blob_io import read_blob
from gazemap.service.context import ServiceContext
from gazemap.service.ingest import ingest_recordings
from gazemap.service.paging import check_page
from gazemap.service.policy import (
    require_export,
    require_participant,
    require_recording,
    require_stimulus,
)
from gazemap.service.schemas import Page, RecordingOut
from gazemap.store.codec import decode_recording_arrays
from gazemap.store.models import Recording, Stimulus

__all__ = [
    "delete_recording",
    "export_recording",
    "get_recording",
    "ingest_recordings",
    "list_recordings",
]


def list_recordings(
    ctx: ServiceContext,
    *,
    actor: Actor,
    stimulus_id: int | None = None,
    participant_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[RecordingOut]:
    """Recordings of a stimulus and/or a participant (researchers), oldest first.

    Raises
    ------
    InvalidInputError
        When neither ``stimulus_id`` nor ``participant_id`` is given.
    NotFoundError, PermissionDeniedError
        See :mod:`gazemap.service.policy`.
    """
    if stimulus_id is None and participant_id is None:
        raise InvalidInputError("give stimulus_id or participant_id (or both)", field="stimulus_id")
    check_page(limit, offset)
    conditions = []
    with ctx.session() as session:
        if stimulus_id is not None:
            require_stimulus(session, actor, stimulus_id, need="researcher")
            conditions.append(Recording.stimulus_id == stimulus_id)
        if participant_id is not None:
            require_participant(session, actor, participant_id, need="researcher")
            conditions.append(Recording.participant_id == participant_id)
        total = session.scalar(select(func.count()).select_from(Recording).where(*conditions))
        rows = session.scalars(
            select(Recording).where(*conditions).order_by(Recording.id).limit(limit).offset(offset)
        )
        items = [RecordingOut.model_validate(r) for r in rows]
    return Page[RecordingOut](items=items, total=int(total or 0), limit=limit, offset=offset)


def get_recording(ctx: ServiceContext, *, actor: Actor, recording_id: int) -> RecordingOut:
    """One recording's metadata (researchers)."""
    with ctx.session() as session:
        return RecordingOut.model_validate(
            require_recording(session, actor, recording_id, need="researcher")
        )


@audit_refusals("recording.delete", target="recording:{recording_id}")
def delete_recording(ctx: ServiceContext, *, actor: Actor, recording_id: int) -> None:
    """Delete a recording (researchers) and bump its stimulus's ``data_version``.

    The gaze blob stays until :func:`gazemap.store.gc.collect_orphan_blobs` finds it
    unreferenced (another recording may share identical content).
    """
    with ctx.session() as session:
        recording = require_recording(session, actor, recording_id, need="researcher")
        stimulus_id, study_id = recording.stimulus_id, recording.study_id
        session.delete(recording)
        session.flush()
        session.execute(
            update(Stimulus)
            .where(Stimulus.id == stimulus_id)
            .values(data_version=Stimulus.data_version + 1)
            .execution_options(synchronize_session=False)
        )
        record_audit(
            session,
            actor=actor,
            action="recording.delete",
            study_id=study_id,
            target=f"recording:{recording_id}",
            parameters={"stimulus_id": stimulus_id},
        )


@audit_refusals("recording.export", target="recording:{recording_id}")
def export_recording(
    ctx: ServiceContext, *, actor: Actor, recording_id: int
) -> dict[str, np.ndarray[Any, Any]]:
    """The stored gaze columns of one recording (researchers; audited).

    Returns
    -------
    dict of str to ndarray
        ``t``, ``x``, ``y``, ``valid``, ``duration`` (fixations) and ``extra.<name>``,
        exactly as stored (after cleaning and mapping to stimulus px).
    """
    with ctx.session() as session:
        recording = require_export(session, actor, recording_id)
        key = recording.gaze_key
        record_audit(
            session,
            actor=actor,
            action="recording.export",
            study_id=recording.study_id,
            target=f"recording:{recording_id}",
        )
    return decode_recording_arrays(
        read_blob(ctx, key, what=f"the gaze data of recording {recording_id}")
    )
