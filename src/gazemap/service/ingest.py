"""Ingest of a gaze file onto one stimulus: read → clean → map → store, all or nothing.

Steps of :func:`ingest_recordings`:

1. the caller must be a researcher of the stimulus's study (checked before the file is
   read, and again inside the write transaction);
2. :func:`gazemap.formats.read` parses the file into recordings;
3. recordings naming another stimulus (their ``stimulus`` field, compared without
   case and image file suffix with the target's ``name`` and ``page_key``) are refused
   with :class:`~gazemap.errors.InvalidInputError` (``other_stimuli="reject"``, the
   default) or left out with a note (``other_stimuli="skip"``). Recordings naming no
   stimulus are taken when none names this one, else left out with a note;
4. :func:`gazemap.gaze.clean` against the recording's screen (or the study's), then
   screen → stimulus mapping (:mod:`gazemap.service.placement`);
5. each recording's arrays are encoded and written to the blob store;
6. one transaction: bump ``stimulus.data_version`` (an SQL increment, first, so
   concurrent ingests of one stimulus serialise on its row), find or create each
   participant by pseudonym, insert the recording rows, write the audit entry.

A failure anywhere leaves no row behind; blobs written in step 5 are then orphans for
:func:`gazemap.store.gc.collect_orphan_blobs`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from gazemap.errors import InvalidInputError, NotFoundError, PayloadTooLargeError
from gazemap.gaze import CleaningReport, Recording, ScreenGeometry, clean
from gazemap.service.actor import Actor
from gazemap.service.audit import record_audit
from gazemap.service.auditing import audit_refusals
from gazemap.service.context import ServiceContext
from gazemap.service.ingest_values import (
    RECORDING_ATTRIBUTES,
    form_text,
    json_value,
    parse_age,
    select_recordings,
    started_at,
    stimulus_key,
)
from gazemap.service.participants import pseudonymise
from gazemap.service.placement import PlacementSpec, place
from gazemap.service.policy import require_stimulus
from gazemap.service.schemas import IngestResult, RecordingOut
from gazemap.store.codec import encode_recording_arrays
from gazemap.store.models import Participant, Stimulus
from gazemap.store.models import Recording as RecordingRow

__all__ = ["ingest_recordings"]


@dataclass(frozen=True)
class _Target:
    id: int
    study_id: int
    names: frozenset[str]
    width: int
    height: int
    screen: ScreenGeometry | None


@dataclass
class _Prepared:
    recording: Recording
    external_id: str
    gender: str | None
    age: int | None
    attributes: dict[str, Any]
    started_at: datetime | None


def _target(session: Session, actor: Actor, stimulus_id: int) -> _Target:
    stimulus = require_stimulus(session, actor, stimulus_id, need="researcher")
    study = stimulus.study
    screen = None
    if study.screen_width_px and study.screen_height_px:
        screen = ScreenGeometry(
            study.screen_width_px,
            study.screen_height_px,
            study.screen_width_mm,
            study.screen_height_mm,
            study.viewing_distance_mm,
        )
    return _Target(
        id=stimulus.id,
        study_id=stimulus.study_id,
        names=frozenset({stimulus_key(stimulus.name), stimulus_key(stimulus.page_key)}),
        width=stimulus.width,
        height=stimulus.height,
        screen=screen,
    )


def _prepare(
    rec: Recording,
    target: _Target,
    *,
    participant: str | None,
    gender: str | None,
    age: int | None,
    device: str | None,
    placement: PlacementSpec,
) -> _Prepared:
    external = participant if participant is not None else rec.participant
    if external is None or not str(external).strip():
        raise InvalidInputError(
            "the file does not say who was recorded; pass participant=... "
            "(it is pseudonymised, never stored)",
            field="participant",
        )
    screen = rec.screen if rec.screen is not None and rec.screen.width_px else target.screen
    cleaned = clean(rec, screen=screen)
    mapped = place(cleaned, placement, width=target.width, height=target.height, screen=screen)
    if device is not None:
        mapped.device = device
    attributes = {
        key: json_value(value)
        for key, value in rec.attributes.items()
        if key not in RECORDING_ATTRIBUTES and key not in ("gender", "age")
    }
    file_gender = json_value(rec.attributes.get("gender"))
    return _Prepared(
        recording=mapped,
        external_id=str(external),
        gender=gender if gender is not None else (str(file_gender)[:32] if file_gender else None),
        age=age if age is not None else parse_age(rec.attributes.get("age"), strict=False),
        attributes=attributes,
        started_at=started_at(rec.attributes.get("start_time")),
    )


def _participant_ids(
    session: Session, target: _Target, prepared: list[_Prepared], pseudonym_key: str
) -> list[int]:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    ids: list[int] = []
    for item in prepared:
        pseudonym = pseudonymise(pseudonym_key, target.study_id, item.external_id)
        session.execute(
            insert(Participant.__table__)  # type: ignore[arg-type]  # a Table, as Core wants
            .values(study_id=target.study_id, pseudonym=pseudonym, attributes={})
            .on_conflict_do_nothing(index_elements=["study_id", "pseudonym"])
        )
        row = session.scalars(
            select(Participant).where(
                Participant.study_id == target.study_id, Participant.pseudonym == pseudonym
            )
        ).one()
        # values given now (form fields, then the file) replace what an earlier upload said
        if item.gender is not None:
            row.gender = item.gender
        if item.age is not None:
            row.age = item.age
        if item.attributes:
            row.attributes = {**(row.attributes or {}), **item.attributes}
        ids.append(row.id)
    return ids


# nothing of the call is kept: ``participant=`` is a raw participant id
@audit_refusals("recordings.ingest", target="stimulus:{stimulus_id}")
def ingest_recordings(
    ctx: ServiceContext,
    *,
    actor: Actor,
    stimulus_id: int,
    path: Path,
    format: str = "auto",
    participant: str | None = None,
    gender: str | None = None,
    age: int | None = None,
    device: str | None = None,
    source_name: str | None = None,
    options: dict[str, Any] | None = None,
    placement: PlacementSpec = None,
    other_stimuli: Literal["reject", "skip"] = "reject",
) -> IngestResult:
    """Read a gaze file and store its recordings on one stimulus, all or nothing.

    Parameters
    ----------
    ctx:
        Service context.
    actor:
        Needs the researcher role in the stimulus's study.
    stimulus_id:
        Target stimulus.
    path:
        The uploaded file (any format :func:`gazemap.formats.read` knows).
    format:
        Format name, or ``"auto"`` to detect it.
    participant:
        Participant id for every recording, overriding the file's (required when the
        file names none, e.g. EyeLink ASC). Pseudonymised; never stored.
    gender, age, device:
        Override the file's values for every recording.
    source_name:
        Original file name, stored with each recording; default ``path.name``.
    options:
        Reader options passed to :func:`gazemap.formats.read`.
    placement:
        How the stimulus was shown; see :func:`gazemap.service.placement.place`.
    other_stimuli:
        ``"reject"`` (default) or ``"skip"`` recordings whose ``stimulus`` names
        another stimulus.

    Returns
    -------
    IngestResult
        The stored recordings in file order, the merged cleaning report and the
        stimulus's new ``data_version``.

    Raises
    ------
    FormatError
        The file cannot be parsed (file, line, column).
    InvalidInputError
        A bad form field, no participant id, recordings of other stimuli, or every
        row dropped by cleaning.
    NotFoundError, PermissionDeniedError
        See :func:`gazemap.service.policy.require_stimulus`.
    PayloadTooLargeError
        The file is larger than ``settings.max_upload_bytes``.
    StorageError
        The blob store failed; nothing was stored.
    """
    from gazemap.formats import read  # the reader registry imports every reader

    if other_stimuli not in ("reject", "skip"):
        raise InvalidInputError(
            f"other_stimuli must be 'reject' or 'skip', got {other_stimuli!r}",
            field="other_stimuli",
        )
    participant = form_text(participant, "participant", 255)
    gender = form_text(gender, "gender", 32)
    device = form_text(device, "device", 100)
    checked_age = parse_age(age, strict=True) if age is not None else None
    with ctx.session() as session:
        target = _target(session, actor, stimulus_id)
    size = Path(path).stat().st_size if Path(path).is_file() else 0
    if size > ctx.settings.max_upload_bytes:
        raise PayloadTooLargeError(
            f"file is {size} bytes, more than the upload limit of {ctx.settings.max_upload_bytes}"
        )
    recordings, notes = select_recordings(
        read(Path(path), format, **(options or {})), target.names, other_stimuli
    )
    prepared = [
        _prepare(
            rec,
            target,
            participant=participant,
            gender=gender,
            age=checked_age,
            device=device,
            placement=placement,
        )
        for rec in recordings
    ]
    empty = sum(1 for item in prepared if len(item.recording) == 0)
    if empty:
        notes.append(f"{empty} recording(s) had no rows left after cleaning and were not stored")
    report = CleaningReport(notes=notes)
    for item in prepared:
        report = report.merge(item.recording.report)
    if report.rows_kept == 0:
        raise InvalidInputError(
            f"cleaning dropped every row of the file: {report.to_dict()['dropped']}", field="file"
        )
    prepared = [item for item in prepared if len(item.recording) > 0]
    keys = [ctx.blobs.put(encode_recording_arrays(item.recording)) for item in prepared]
    name = source_name or Path(path).name
    with ctx.session() as session:
        version = session.execute(
            update(Stimulus)
            .where(Stimulus.id == stimulus_id)
            .values(data_version=Stimulus.data_version + 1)
            .returning(Stimulus.data_version)
            .execution_options(synchronize_session=False)
        ).scalar_one_or_none()
        if version is None:
            raise NotFoundError(f"stimulus {stimulus_id} not found")
        _target(session, actor, stimulus_id)  # membership may have changed meanwhile
        participant_ids = _participant_ids(
            session, target, prepared, ctx.settings.security.pseudonym_key
        )
        rows = [
            _row(item, target, participant_id, key, name)
            for item, participant_id, key in zip(prepared, participant_ids, keys, strict=True)
        ]
        session.add_all(rows)
        session.flush()
        record_audit(
            session,
            actor=actor,
            action="recordings.ingest",
            study_id=target.study_id,
            target=f"stimulus:{stimulus_id}",
            parameters={
                "recordings": len(rows),
                "participants": len(set(participant_ids)),
                "rows_kept": report.rows_kept,
                "rows_dropped": report.rows_dropped,
                "format": format,
            },
        )
        outs = [RecordingOut.model_validate(row) for row in rows]
    return IngestResult(recordings=outs, report=report.to_dict(), data_version=int(version))


def _row(
    item: _Prepared, target: _Target, participant_id: int, key: str, source_name: str
) -> RecordingRow:
    rec = item.recording
    screen = rec.screen or target.screen or ScreenGeometry()
    return RecordingRow(
        study_id=target.study_id,
        participant_id=participant_id,
        stimulus_id=target.id,
        started_at=item.started_at,
        device=(rec.device or None) and str(rec.device)[:100],
        sampling_rate=rec.sampling_rate if rec.sampling_rate and rec.sampling_rate > 0 else None,
        screen_width_px=screen.width_px,
        screen_height_px=screen.height_px,
        screen_width_mm=screen.width_mm,
        screen_height_mm=screen.height_mm,
        viewing_distance_mm=screen.distance_mm,
        kind=rec.kind,
        sample_count=len(rec),
        gaze_key=key,
        source_name=source_name[:255],
        cleaning_report=rec.report.to_dict(),
    )
