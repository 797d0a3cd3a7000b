"""Stimuli: the images gaze was recorded on."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Header, Query, Response, UploadFile, status

from gazemap.api.conditional import etag_matches, quoted
from gazemap.api.deps import ActorDep, ContextDep
from gazemap.api.errors import PROBLEM_RESPONSES
from gazemap.api.paths import Limit, Offset, StimulusId, StudyId
from gazemap.service import stimuli
from gazemap.service.schemas import Page, StimulusOut

router = APIRouter(tags=["stimuli"], responses=PROBLEM_RESPONSES)

#: Images of a stimulus id never change (a new image is a new stimulus or version).
IMAGE_CACHE_CONTROL = "private, max-age=86400"


@router.post(
    "/studies/{study_id}/stimuli",
    status_code=status.HTTP_201_CREATED,
    summary="Upload a stimulus",
    responses={409: PROBLEM_RESPONSES[404] | {"description": "page_key and version taken."}},
)
def create_stimulus(
    ctx: ContextDep,
    actor: ActorDep,
    study_id: StudyId,
    image: Annotated[UploadFile, File(description="PNG, JPEG, WebP, GIF or BMP image.")],
    name: Annotated[str, Form(min_length=1, max_length=255, description="Display name.")],
    page_key: Annotated[
        str,
        Form(min_length=1, max_length=255, description="Stable key of the page across versions."),
    ],
    version: Annotated[
        str, Form(min_length=1, max_length=64, description="Layout version, e.g. '1'.")
    ] = "1",
) -> StimulusOut:
    """Add an image to the study as a stimulus (researchers); its pixel size becomes the heat-map extent."""
    return stimuli.ingest_stimulus(
        ctx,
        actor=actor,
        study_id=study_id,
        image=image.file,
        name=name,
        page_key=page_key,
        version=version,
    )


@router.get("/studies/{study_id}/stimuli", summary="List stimuli")
def list_stimuli(
    ctx: ContextDep,
    actor: ActorDep,
    study_id: StudyId,
    page_key: Annotated[
        str | None, Query(max_length=255, description="Only versions of this page.")
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[StimulusOut]:
    """List the study's stimuli by page key and version, with participant and recording counts."""
    return stimuli.list_stimuli(
        ctx, actor=actor, study_id=study_id, page_key=page_key, limit=limit, offset=offset
    )


@router.get("/stimuli/{stimulus_id}", summary="Get a stimulus")
def get_stimulus(ctx: ContextDep, actor: ActorDep, stimulus_id: StimulusId) -> StimulusOut:
    """Return one stimulus with its size, checksum, data version and counts."""
    return stimuli.get_stimulus(ctx, actor=actor, stimulus_id=stimulus_id)


@router.get(
    "/stimuli/{stimulus_id}/image",
    summary="Download the stimulus image",
    response_class=Response,
    responses={
        200: {"content": {"image/*": {}}, "description": "The image bytes."},
        304: {"description": "Not modified (If-None-Match matched the ETag)."},
    },
)
def get_stimulus_image(
    ctx: ContextDep,
    actor: ActorDep,
    stimulus_id: StimulusId,
    if_none_match: Annotated[
        str | None, Header(description="ETag of a copy you have; 304 if it is current.")
    ] = None,
) -> Response:
    """Download the image as uploaded; the ETag is its SHA-256, so send If-None-Match to revalidate."""
    meta = stimuli.get_stimulus(ctx, actor=actor, stimulus_id=stimulus_id)
    headers = {"Cache-Control": IMAGE_CACHE_CONTROL}
    if meta.sha256:
        headers["ETag"] = quoted(meta.sha256)
        if etag_matches(if_none_match, meta.sha256):
            return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    data, content_type = stimuli.stimulus_image(ctx, actor=actor, stimulus_id=stimulus_id)
    return Response(data, media_type=content_type, headers=headers)


@router.delete(
    "/stimuli/{stimulus_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a stimulus",
)
def delete_stimulus(ctx: ContextDep, actor: ActorDep, stimulus_id: StimulusId) -> Response:
    """Delete the stimulus and all recordings on it (researchers of the study)."""
    stimuli.delete_stimulus(ctx, actor=actor, stimulus_id=stimulus_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
