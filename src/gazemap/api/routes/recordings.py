"""Recordings: uploading gaze files, listing, export and deletion."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, Response, UploadFile, status
from fastapi.responses import JSONResponse

from gazemap.api.deps import ActorDep, ContextDep
from gazemap.api.encoding import columns_csv, columns_json
from gazemap.api.errors import PROBLEM_RESPONSES
from gazemap.api.paths import Limit, Offset, RecordingId, StimulusId
from gazemap.api.schemas import RecordingsCreated
from gazemap.api.uploads import safe_name, spooled_upload
from gazemap.service import recordings
from gazemap.service.schemas import Page, RecordingOut

router = APIRouter(tags=["recordings"], responses=PROBLEM_RESPONSES)


@router.post(
    "/stimuli/{stimulus_id}/recordings",
    status_code=status.HTTP_201_CREATED,
    summary="Upload gaze recordings",
    responses={413: {"description": "The file is larger than the upload limit."}},
)
def upload_recordings(
    ctx: ContextDep,
    actor: ActorDep,
    stimulus_id: StimulusId,
    file: Annotated[
        UploadFile, File(description="A gaze file: CSV, TSV, JSON or a vendor export.")
    ],
    format: Annotated[
        str,
        Form(
            max_length=64,
            description="'auto' to detect the format, or a reader name of gazemap.formats.FORMATS (listed in docs/api.md).",
        ),
    ] = "auto",
    participant: Annotated[
        str | None,
        Form(
            max_length=255,
            description="Participant id for every recording in the file (stored only as a keyed hash).",
        ),
    ] = None,
    gender: Annotated[
        str | None, Form(max_length=32, description="Gender, overriding the file's.")
    ] = None,
    age: Annotated[
        int | None, Form(ge=0, le=150, description="Age in years, overriding the file's.")
    ] = None,
    device: Annotated[
        str | None, Form(max_length=100, description="Tracker model, overriding the file's.")
    ] = None,
    other_stimuli: Annotated[
        Literal["reject", "skip"],
        Form(
            description="Rows of the file naming another stimulus: 'reject' the upload or 'skip' them."
        ),
    ] = "reject",
) -> RecordingsCreated:
    """Read a gaze file, clean it and store its recordings on the stimulus in one transaction (researchers); a file that cannot be read is a 422 naming the line."""
    with spooled_upload(file, limit=ctx.settings.max_upload_bytes) as path:
        result = recordings.ingest_recordings(
            ctx,
            actor=actor,
            stimulus_id=stimulus_id,
            path=path,
            format=format,
            participant=participant,
            gender=gender,
            age=age,
            device=device,
            source_name=safe_name(file.filename),
            other_stimuli=other_stimuli,
        )
    return RecordingsCreated.of(result)


@router.get("/stimuli/{stimulus_id}/recordings", summary="List a stimulus's recordings")
def list_recordings(
    ctx: ContextDep, actor: ActorDep, stimulus_id: StimulusId, limit: Limit = 50, offset: Offset = 0
) -> Page[RecordingOut]:
    """List the recordings on the stimulus, oldest first (researchers)."""
    return recordings.list_recordings(
        ctx, actor=actor, stimulus_id=stimulus_id, limit=limit, offset=offset
    )


@router.get("/recordings/{recording_id}", summary="Get a recording")
def get_recording(ctx: ContextDep, actor: ActorDep, recording_id: RecordingId) -> RecordingOut:
    """Return one recording's metadata and cleaning report (researchers)."""
    return recordings.get_recording(ctx, actor=actor, recording_id=recording_id)


@router.delete(
    "/recordings/{recording_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a recording",
)
def delete_recording(ctx: ContextDep, actor: ActorDep, recording_id: RecordingId) -> Response:
    """Delete the recording; heat maps of its stimulus are recomputed on the next request (researchers)."""
    recordings.delete_recording(ctx, actor=actor, recording_id=recording_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/recordings/{recording_id}/export",
    summary="Export a recording's gaze data",
    response_class=Response,
    responses={
        200: {
            "description": "The stored columns.",
            "content": {"application/json": {}, "text/csv": {}},
        }
    },
)
def export_recording(
    ctx: ContextDep,
    actor: ActorDep,
    recording_id: RecordingId,
    format: Annotated[
        Literal["json", "csv"], Query(description="'json' (one list per column) or 'csv'.")
    ] = "json",
) -> Response:
    """Download the cleaned gaze columns (t, x, y, valid, duration, extras) in stimulus px (researchers; audited)."""
    columns = recordings.export_recording(ctx, actor=actor, recording_id=recording_id)
    if format == "csv":
        return Response(
            columns_csv(columns),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="recording-{recording_id}.csv"'},
        )
    return JSONResponse(columns_json(columns))
