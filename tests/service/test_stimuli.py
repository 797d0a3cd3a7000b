"""Stimulus upload: Pillow validation, limits, conflicts, listing with counts, deletion."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image

from gazemap.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    StorageError,
)
from gazemap.service import stimuli
from gazemap.service.actor import Actor
from gazemap.service.context import ServiceContext
from gazemap.service.recordings import ingest_recordings, list_recordings
from gazemap.service.schemas import StimulusOut, StudyOut
from gazemap.store.blobs.base import key_for_bytes
from gazemap.store.gc import collect_orphan_blobs
from gazemap.store.models import Stimulus
from tests.service.fixtures import image_bytes
from tests.service.gazefiles import PEOPLE, fixation_csv


def encoded(fmt: str, size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    if fmt == "GIF":
        frames = [Image.new("P", size, i) for i in range(2)]
        frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
    else:
        Image.new("RGB", size, "navy").save(buffer, format=fmt)
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` pixels and holds none (a bomb's header)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 16)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [
        ("PNG", "image/png"),
        ("JPEG", "image/jpeg"),
        ("WEBP", "image/webp"),
        ("GIF", "image/gif"),
        ("BMP", "image/bmp"),
    ],
)
def test_accepted_formats(
    ctx: ServiceContext,
    study: StudyOut,
    researcher: Actor,
    viewer: Actor,
    fmt: str,
    content_type: str,
) -> None:
    data = encoded(fmt)
    out = stimuli.ingest_stimulus(
        ctx,
        actor=researcher,
        study_id=study.id,
        image=io.BytesIO(data),
        name="A page",
        page_key="a",
    )
    assert (out.width, out.height, out.content_type) == (64, 48, content_type)
    assert out.sha256 == hashlib.sha256(data).hexdigest()
    assert (out.version, out.data_version, out.recording_count) == ("1", 0, 0)
    assert stimuli.stimulus_image(ctx, actor=viewer, stimulus_id=out.id) == (data, content_type)


@pytest.mark.parametrize(
    "data",
    [
        b"not an image at all",
        encoded("PNG")[:60],  # truncated
        encoded("TIFF"),  # a real image, not an accepted format
        b"GIF89a" + b"\x00" * 20,
    ],
    ids=["text", "truncated-png", "tiff", "broken-gif"],
)
def test_non_images_name_the_image_field(
    ctx: ServiceContext, study: StudyOut, researcher: Actor, data: bytes
) -> None:
    with pytest.raises(InvalidInputError) as err:
        stimuli.ingest_stimulus(
            ctx, actor=researcher, study_id=study.id, image=data, name="x", page_key="x"
        )
    assert err.value.field == "image"
    assert list(ctx.blobs.keys()) == []  # nothing stored for a refused upload


def test_pixel_limit_is_checked_before_decoding(
    ctx: ServiceContext, study: StudyOut, researcher: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ctx.settings, "max_image_pixels", 50_000)
    for data in (
        png_header_only(300, 200),
        png_header_only(100_000, 100_000),
        image_bytes(300, 200),
    ):
        with pytest.raises(PayloadTooLargeError, match="pixels"):
            stimuli.ingest_stimulus(
                ctx, actor=researcher, study_id=study.id, image=data, name="x", page_key="x"
            )
    ok = stimuli.ingest_stimulus(
        ctx,
        actor=researcher,
        study_id=study.id,
        image=image_bytes(250, 200),
        name="x",
        page_key="x",
    )
    assert ok.width * ok.height == 50_000


def test_upload_size_limit(
    ctx: ServiceContext, study: StudyOut, researcher: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = image_bytes(40, 30)
    monkeypatch.setattr(ctx.settings, "max_upload_bytes", len(data) - 1)
    with pytest.raises(PayloadTooLargeError, match="upload limit"):
        stimuli.ingest_stimulus(
            ctx, actor=researcher, study_id=study.id, image=io.BytesIO(data), name="x", page_key="x"
        )


def test_who_may_upload(
    ctx: ServiceContext, study: StudyOut, viewer: Actor, outsider: Actor, admin: Actor
) -> None:
    data = image_bytes(10, 10)
    with pytest.raises(PermissionDeniedError):
        stimuli.ingest_stimulus(
            ctx, actor=viewer, study_id=study.id, image=data, name="x", page_key="x"
        )
    with pytest.raises(NotFoundError, match=f"study {study.id} not found"):
        stimuli.ingest_stimulus(
            ctx, actor=outsider, study_id=study.id, image=data, name="x", page_key="x"
        )
    assert (
        stimuli.ingest_stimulus(
            ctx, actor=admin, study_id=study.id, image=data, name="x", page_key="x"
        ).study_id
        == study.id
    )


def test_duplicate_page_and_version_conflicts_and_leaves_an_orphan(
    ctx: ServiceContext, study: StudyOut, researcher: Actor, stimulus: StimulusOut
) -> None:
    other = image_bytes(800, 600, colour="black")
    with pytest.raises(ConflictError, match="page_key 'osie-1010' and version '1'"):
        stimuli.ingest_stimulus(
            ctx,
            actor=researcher,
            study_id=study.id,
            image=other,
            name="again",
            page_key="osie-1010",
        )
    v2 = stimuli.ingest_stimulus(
        ctx,
        actor=researcher,
        study_id=study.id,
        image=image_bytes(800, 600, colour="grey"),
        name="again",
        page_key="osie-1010",
        version="2",
    )
    assert v2.version == "2"
    # the refused upload's blob was written first and is now an orphan, and only it
    with ctx.session() as session:
        report = collect_orphan_blobs(session, ctx.blobs, older_than=timedelta(0), dry_run=True)
    assert report.deleted == [key_for_bytes(other)]


@pytest.mark.parametrize(
    ("field", "value"), [("name", " "), ("page_key", ""), ("version", "v" * 65)]
)
def test_bad_text_fields(
    ctx: ServiceContext, study: StudyOut, researcher: Actor, field: str, value: str
) -> None:
    fields = {"name": "n", "page_key": "p", "version": "1", field: value}
    with pytest.raises(InvalidInputError) as err:
        stimuli.ingest_stimulus(
            ctx, actor=researcher, study_id=study.id, image=image_bytes(5, 5), **fields
        )
    assert err.value.field == field


def test_listing_with_counts(
    ctx: ServiceContext,
    study: StudyOut,
    stimulus: StimulusOut,
    researcher: Actor,
    viewer: Actor,
    outsider: Actor,
    tmp_path: Path,
) -> None:
    other = stimuli.ingest_stimulus(
        ctx, actor=researcher, study_id=study.id, image=image_bytes(20, 20), name="b", page_key="b"
    )
    ingest_recordings(
        ctx,
        actor=researcher,
        stimulus_id=stimulus.id,
        path=fixation_csv(tmp_path / "f.csv", PEOPLE),
    )
    page = stimuli.list_stimuli(ctx, actor=viewer, study_id=study.id)
    assert [
        (s.page_key, s.participant_count, s.recording_count, s.data_version) for s in page.items
    ] == [
        ("b", 0, 0, 0),
        ("osie-1010", 3, 3, 1),
    ]
    only = stimuli.list_stimuli(ctx, actor=viewer, study_id=study.id, page_key="b")
    assert ([s.id for s in only.items], only.total) == ([other.id], 1)
    got = stimuli.get_stimulus(ctx, actor=viewer, stimulus_id=stimulus.id)
    assert (got.participant_count, got.recording_count) == (3, 3)
    with pytest.raises(NotFoundError):
        stimuli.list_stimuli(ctx, actor=outsider, study_id=study.id)
    with pytest.raises(NotFoundError):
        stimuli.get_stimulus(ctx, actor=outsider, stimulus_id=stimulus.id)


def test_delete_stimulus(
    ctx: ServiceContext,
    stimulus: StimulusOut,
    researcher: Actor,
    viewer: Actor,
    tmp_path: Path,
) -> None:
    ingest_recordings(
        ctx,
        actor=researcher,
        stimulus_id=stimulus.id,
        path=fixation_csv(tmp_path / "f.csv", PEOPLE),
    )
    with pytest.raises(PermissionDeniedError):
        stimuli.delete_stimulus(ctx, actor=viewer, stimulus_id=stimulus.id)
    stimuli.delete_stimulus(ctx, actor=researcher, stimulus_id=stimulus.id)
    with pytest.raises(NotFoundError):
        stimuli.get_stimulus(ctx, actor=researcher, stimulus_id=stimulus.id)
    with pytest.raises(NotFoundError):
        list_recordings(ctx, actor=researcher, stimulus_id=stimulus.id)
    assert len(list(ctx.blobs.keys())) == 1 + len(PEOPLE)  # left to the garbage collector


def test_a_missing_image_blob_is_a_storage_error(
    ctx: ServiceContext, stimulus: StimulusOut, viewer: Actor
) -> None:
    with ctx.session() as session:
        row = session.get(Stimulus, stimulus.id)
        assert row is not None
        key = row.image_key
    assert key is not None
    ctx.blobs.delete(key)
    with pytest.raises(StorageError, match=f"image of stimulus {stimulus.id} is missing"):
        stimuli.stimulus_image(ctx, actor=viewer, stimulus_id=stimulus.id)
