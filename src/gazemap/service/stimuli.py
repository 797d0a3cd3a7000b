"""Stimulus images: validated upload, listing with counts, image bytes, deletion.

An upload is checked by Pillow before anything is stored: the header must name one of
the accepted formats, the pixel count must be within ``settings.max_image_pixels``
(checked from the header, before any decoding, so a decompression bomb costs nothing),
the file must pass ``verify()`` and decode fully. The original bytes are stored (an
animated GIF keeps its frames; sizes are those of the first frame).
"""

from __future__ import annotations

import hashlib
import io
from typing import BinaryIO

from PIL import Image, UnidentifiedImageError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gazemap.errors import ConflictError, InvalidInputError, PayloadTooLargeError
from gazemap.service.actor import Actor
from gazemap.service.audit import record_audit
from gazemap.service.auditing import audit_refusals
from gazemap.service.blob_io import read_blob
from gazemap.service.context import ServiceContext
from gazemap.service.paging import check_page
from gazemap.service.policy import require_stimulus, require_study
from gazemap.service.schemas import Page, StimulusOut
from gazemap.store.models import Recording, Stimulus

__all__ = [
    "IMAGE_FORMATS",
    "delete_stimulus",
    "get_stimulus",
    "ingest_stimulus",
    "list_stimuli",
    "stimulus_image",
    "validate_image",
]

#: Pillow format name → MIME type of the accepted stimulus images.
IMAGE_FORMATS = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "WEBP": "image/webp",
    "GIF": "image/gif",
    "BMP": "image/bmp",
}


def _read_upload(image: bytes | BinaryIO, limit: int) -> bytes:
    if isinstance(image, bytes | bytearray | memoryview):
        data = bytes(image)
    else:
        data = image.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLargeError(f"image is larger than the upload limit of {limit} bytes")
    if not data:
        raise InvalidInputError("image is empty", field="image")
    return data


def validate_image(data: bytes, *, max_pixels: int) -> tuple[int, int, str]:
    """Width, height and MIME type of an image, or a named error.

    Parameters
    ----------
    data:
        The file's bytes.
    max_pixels:
        Largest width × height accepted.

    Returns
    -------
    tuple
        ``(width, height, content_type)``.

    Raises
    ------
    InvalidInputError
        ``field="image"``: not an image, not an accepted format, or corrupt.
    PayloadTooLargeError
        More than ``max_pixels`` pixels.

    Examples
    --------
    >>> from PIL import Image
    >>> buffer = io.BytesIO()
    >>> Image.new("RGB", (4, 3)).save(buffer, format="PNG")
    >>> validate_image(buffer.getvalue(), max_pixels=100)
    (4, 3, 'image/png')
    """
    formats = tuple(IMAGE_FORMATS)
    try:
        with Image.open(io.BytesIO(data), formats=formats) as probe:
            fmt = probe.format or ""
            width, height = probe.size
            # before any decoding: a bomb's header already tells its size
            if width * height > max_pixels:
                raise PayloadTooLargeError(
                    f"image is {width}x{height} = {width * height} pixels, more than the "
                    f"limit of {max_pixels}"
                )
            probe.verify()
        with Image.open(io.BytesIO(data), formats=formats) as image:
            image.load()  # first frame; verify() does not decode JPEG or WebP data
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # the warning arrives as an exception only where warnings are errors (tests)
        raise PayloadTooLargeError(f"image has too many pixels: {exc}") from exc
    except UnidentifiedImageError as exc:
        raise InvalidInputError(
            f"image must be a {', '.join(formats[:-1])} or {formats[-1]} file; this is none of them",
            field="image",
        ) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        # Pillow reports truncated or corrupt data as OSError or SyntaxError
        raise InvalidInputError(f"image is corrupt or truncated: {exc}", field="image") from exc
    if width < 1 or height < 1:
        raise InvalidInputError(f"image has no pixels ({width}x{height})", field="image")
    return int(width), int(height), IMAGE_FORMATS[fmt]


def _text(value: str, field: str, maximum: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > maximum:
        raise InvalidInputError(
            f"{field} must be 1 to {maximum} characters, got {value!r}", field=field
        )
    return value.strip()


def _counts(session: Session, ids: list[int]) -> dict[int, tuple[int, int]]:
    """``stimulus id -> (participants, recordings)``."""
    if not ids:
        return {}
    rows = session.execute(
        select(
            Recording.stimulus_id,
            func.count(Recording.participant_id.distinct()),
            func.count(Recording.id),
        )
        .where(Recording.stimulus_id.in_(ids))
        .group_by(Recording.stimulus_id)
    ).all()
    return {int(s): (int(p), int(r)) for s, p, r in rows}


def stimulus_out(session: Session, stimulus: Stimulus) -> StimulusOut:
    """The :class:`StimulusOut` of a row, with its participant and recording counts."""
    participants, recordings = _counts(session, [stimulus.id]).get(stimulus.id, (0, 0))
    return StimulusOut.model_validate(stimulus).model_copy(
        update={"participant_count": participants, "recording_count": recordings}
    )


@audit_refusals("stimulus.create", target="study:{study_id}")
def ingest_stimulus(
    ctx: ServiceContext,
    *,
    actor: Actor,
    study_id: int,
    image: bytes | BinaryIO,
    name: str,
    page_key: str,
    version: str = "1",
) -> StimulusOut:
    """Validate an image and add it to a study as a stimulus (researchers).

    Parameters
    ----------
    ctx:
        Service context.
    actor:
        Needs the researcher role in the study.
    study_id:
        Study to add to.
    image:
        PNG, JPEG, WebP, GIF (first frame) or BMP bytes, or a binary file object.
    name:
        Display name, also matched against a recording file's stimulus column.
    page_key:
        Stable key of the page or picture across layout versions.
    version:
        Layout version as text.

    Returns
    -------
    StimulusOut
        With ``data_version`` 0 and no recordings.

    Raises
    ------
    InvalidInputError
        ``field="image"`` for a non-image, unaccepted format or corrupt file; or for
        a bad name, page key or version.
    PayloadTooLargeError
        Over ``settings.max_upload_bytes`` or ``settings.max_image_pixels``.
    ConflictError
        When the study already has this ``(page_key, version)``.
    NotFoundError, PermissionDeniedError
        See :func:`gazemap.service.policy.require_study`.

    Notes
    -----
    The blob is written before the row commits; if the transaction fails the blob is
    an orphan that :func:`gazemap.store.gc.collect_orphan_blobs` removes later.
    """
    name = _text(name, "name", 255)
    page_key = _text(page_key, "page_key", 255)
    version = _text(version, "version", 64)
    with ctx.session() as session:  # refuse strangers before reading their upload
        require_study(session, actor, study_id, need="researcher")
    data = _read_upload(image, ctx.settings.max_upload_bytes)
    width, height, content_type = validate_image(data, max_pixels=ctx.settings.max_image_pixels)
    conflict = ConflictError(
        f"study {study_id} already has a stimulus with page_key {page_key!r} and version {version!r}"
    )
    key = ctx.blobs.put(data)
    try:
        with ctx.session() as session:
            require_study(session, actor, study_id, need="researcher")
            taken = session.scalar(
                select(Stimulus.id).where(
                    Stimulus.study_id == study_id,
                    Stimulus.page_key == page_key,
                    Stimulus.version == version,
                )
            )
            if taken is not None:
                raise conflict
            stimulus = Stimulus(
                study_id=study_id,
                name=name,
                page_key=page_key,
                version=version,
                image_key=key,
                width=width,
                height=height,
                sha256=hashlib.sha256(data).hexdigest(),
                content_type=content_type,
                data_version=0,
            )
            session.add(stimulus)
            session.flush()
            record_audit(
                session,
                actor=actor,
                action="stimulus.create",
                study_id=study_id,
                target=f"stimulus:{stimulus.id}",
                parameters={"width": width, "height": height, "content_type": content_type},
            )
            return StimulusOut.model_validate(stimulus)
    except IntegrityError as exc:  # a concurrent upload of the same page and version
        raise conflict from exc


def list_stimuli(
    ctx: ServiceContext,
    *,
    actor: Actor,
    study_id: int,
    page_key: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[StimulusOut]:
    """Stimuli of a study (viewers), by page key and version, with counts."""
    check_page(limit, offset)
    conditions = [Stimulus.study_id == study_id]
    if page_key is not None:
        conditions.append(Stimulus.page_key == page_key)
    with ctx.session() as session:
        require_study(session, actor, study_id, need="viewer")
        total = session.scalar(select(func.count()).select_from(Stimulus).where(*conditions))
        rows = session.scalars(
            select(Stimulus)
            .where(*conditions)
            .order_by(Stimulus.page_key, Stimulus.version, Stimulus.id)
            .limit(limit)
            .offset(offset)
        ).all()
        counts = _counts(session, [s.id for s in rows])
        items = [
            StimulusOut.model_validate(s).model_copy(
                update=dict(
                    zip(
                        ("participant_count", "recording_count"),
                        counts.get(s.id, (0, 0)),
                        strict=True,
                    )
                )
            )
            for s in rows
        ]
    return Page[StimulusOut](items=items, total=int(total or 0), limit=limit, offset=offset)


def get_stimulus(ctx: ServiceContext, *, actor: Actor, stimulus_id: int) -> StimulusOut:
    """One stimulus with its counts (viewers)."""
    with ctx.session() as session:
        stimulus = require_stimulus(session, actor, stimulus_id, need="viewer")
        return stimulus_out(session, stimulus)


def stimulus_image(ctx: ServiceContext, *, actor: Actor, stimulus_id: int) -> tuple[bytes, str]:
    """The stimulus's image bytes and MIME type (viewers)."""
    with ctx.session() as session:
        stimulus = require_stimulus(session, actor, stimulus_id, need="viewer")
        key, content_type = stimulus.image_key, stimulus.content_type
    if key is None:
        raise InvalidInputError(f"stimulus {stimulus_id} has no image", field="stimulus_id")
    data = read_blob(ctx, key, what=f"the image of stimulus {stimulus_id}")
    return data, content_type or "application/octet-stream"


@audit_refusals("stimulus.delete", target="stimulus:{stimulus_id}")
def delete_stimulus(ctx: ServiceContext, *, actor: Actor, stimulus_id: int) -> None:
    """Delete a stimulus and its recordings (researchers); blobs are left to GC."""
    with ctx.session() as session:
        stimulus = require_stimulus(session, actor, stimulus_id, need="researcher")
        record_audit(
            session,
            actor=actor,
            action="stimulus.delete",
            study_id=stimulus.study_id,
            target=f"stimulus:{stimulus_id}",
        )
        session.delete(stimulus)
