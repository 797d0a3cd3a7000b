"""Ingest of real and generated files, then listing, deletion and export of recordings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from gazemap.demo import demo_stimuli
from gazemap.errors import (
    FormatError,
    InvalidInputError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    StorageError,
)
from gazemap.service import recordings
from gazemap.service.actor import Actor
from gazemap.service.context import ServiceContext
from gazemap.service.participants import list_participants, pseudonymise
from gazemap.service.schemas import ParticipantOut, StimulusOut, StudyOut
from gazemap.service.stimuli import get_stimulus, ingest_stimulus
from gazemap.store.models import Participant
from tests.service.fixtures import image_bytes
from tests.service.gazefiles import PEOPLE, fixation_csv

TOBII = "tobii-prolab-dataexport-ivt/I-VT-normal Data export_short.tsv"
EYELINK = "eyelinker-sr-asc-matrix/mono250.asc.gz"
GAZEPOINT = "gazepoint-consent-form-reading/result/c0_User 5_fixations.csv"
STUDIO = "tobii-studio-webpage-export/tobiiData.tsv"


def new_stimulus(
    ctx: ServiceContext, actor: Actor, study: StudyOut, name: str, width: int, height: int
) -> StimulusOut:
    return ingest_stimulus(
        ctx,
        actor=actor,
        study_id=study.id,
        image=image_bytes(width, height),
        name=name,
        page_key=name,
    )


def test_demo_csv(ctx: ServiceContext, researcher: Actor, stimulus: StimulusOut) -> None:
    demo = demo_stimuli()[0]
    assert demo.name == stimulus.name
    result = recordings.ingest_recordings(
        ctx, actor=researcher, stimulus_id=stimulus.id, path=demo.fixations_csv_path
    )
    assert len(result.recordings) == demo.n_participants
    assert len({r.participant_id for r in result.recordings}) == demo.n_participants
    assert sum(r.sample_count for r in result.recordings) == demo.n_fixations
    assert {r.kind for r in result.recordings} == {"fixations"}
    assert {r.source_name for r in result.recordings} == {demo.fixations_csv_path.name}
    assert result.report["rows_in"] == demo.n_fixations
    assert result.report["rows_kept"] + result.report["rows_dropped"] == demo.n_fixations
    assert result.data_version == 1
    stored = get_stimulus(ctx, actor=researcher, stimulus_id=stimulus.id)
    assert (stored.recording_count, stored.participant_count, stored.data_version) == (
        demo.n_participants,
        demo.n_participants,
        1,
    )


def test_participants_split_and_attributes(
    ctx: ServiceContext, researcher: Actor, study: StudyOut, stimulus: StimulusOut, tmp_path: Path
) -> None:
    path = fixation_csv(tmp_path / "people.csv", PEOPLE, per_person=5)
    result = recordings.ingest_recordings(ctx, actor=researcher, stimulus_id=stimulus.id, path=path)
    assert [r.sample_count for r in result.recordings] == [5, 5, 5]
    assert [r.device for r in result.recordings] == [p[3] for p in PEOPLE]
    people = list_participants(ctx, actor=researcher, study_id=study.id).items
    key = ctx.settings.security.pseudonym_key
    expected = {pseudonymise(key, study.id, p[0]): (p[1], p[2]) for p in PEOPLE}
    assert {p.pseudonym: (p.gender, p.age) for p in people} == expected
    assert all(p.recording_count == 1 for p in people)
    # a second upload of the same people reuses their rows; form fields override the file
    again = recordings.ingest_recordings(
        ctx,
        actor=researcher,
        stimulus_id=stimulus.id,
        path=path,
        gender="x",
        age=50,
        device="webcam",
    )
    assert {r.participant_id for r in again.recordings} == {p.id for p in people}
    assert {r.device for r in again.recordings} == {"webcam"}
    assert again.data_version == 2
    people = list_participants(ctx, actor=researcher, study_id=study.id).items
    assert {(p.gender, p.age, p.recording_count) for p in people} == {("x", 50, 2)}


def test_raw_ids_are_never_stored(
    ctx: ServiceContext, researcher: Actor, study: StudyOut, stimulus: StimulusOut, tmp_path: Path
) -> None:
    path = fixation_csv(tmp_path / "people.csv", PEOPLE)
    recordings.ingest_recordings(ctx, actor=researcher, stimulus_id=stimulus.id, path=path)
    with ctx.session() as session:
        rows = session.scalars(select(Participant).where(Participant.study_id == study.id)).all()
        text = repr([(p.pseudonym, p.attributes, p.gender) for p in rows])
    assert len(rows) == 3
    for external, *_ in PEOPLE:
        assert external not in text


def test_tobii_pro_lab_export(
    ctx: ServiceContext, researcher: Actor, study: StudyOut, real_data: Path
) -> None:
    screen = new_stimulus(ctx, researcher, study, "screen", 1920, 1080)
    path = real_data / TOBII
    with pytest.raises(InvalidInputError, match="Eyetracker Calibration") as err:
        recordings.ingest_recordings(ctx, actor=researcher, stimulus_id=screen.id, path=path)
    assert err.value.field == "file"
    result = recordings.ingest_recordings(
        ctx, actor=researcher, stimulus_id=screen.id, path=path, other_stimuli="skip"
    )
    (rec,) = result.recordings
    assert (rec.kind, rec.device, rec.sampling_rate) == ("samples", "Tobii", 300)
    assert 0 < rec.sample_count <= 263
    assert any("Eyetracker Calibration" in note for note in result.report["notes"])
    assert result.report["rows_in"] == 284  # the reader's count, before its own drops
    assert rec.cleaning_report["rows_kept"] == rec.sample_count


def test_eyelink_asc_needs_a_participant(
    ctx: ServiceContext, researcher: Actor, study: StudyOut, real_data: Path
) -> None:
    screen = new_stimulus(ctx, researcher, study, "matrix", 1024, 768)
    path = real_data / EYELINK
    with pytest.raises(InvalidInputError, match="participant=") as err:
        recordings.ingest_recordings(ctx, actor=researcher, stimulus_id=screen.id, path=path)
    assert err.value.field == "participant"
    result = recordings.ingest_recordings(
        ctx, actor=researcher, stimulus_id=screen.id, path=path, participant="S1", age=30
    )
    assert len(result.recordings) == 4  # one per trial
    assert len({r.participant_id for r in result.recordings}) == 1
    assert {r.sampling_rate for r in result.recordings} == {250.0}
    assert result.data_version == 1  # once per upload, not per recording


def test_gazepoint_fixations_with_a_placement(
    ctx: ServiceContext, researcher: Actor, study: StudyOut, real_data: Path
) -> None:
    page = new_stimulus(ctx, researcher, study, "page1", 811, 1050)
    result = recordings.ingest_recordings(
        ctx,
        actor=researcher,
        stimulus_id=page.id,
        path=real_data / GAZEPOINT,
        options={"screen_width": 1680, "screen_height": 1050},
        placement="centred",
        other_stimuli="skip",
    )
    (rec,) = result.recordings
    assert rec.started_at is not None
    assert rec.started_at.year == 2019
    arrays = recordings.export_recording(ctx, actor=researcher, recording_id=rec.id)
    x, y = arrays["x"], arrays["y"]
    assert len(x) == rec.sample_count > 100
    assert np.all((x >= 0) & (x < 811))
    assert np.all((y >= 0) & (y < 1050))
    kept = result.report["rows_kept"]
    assert kept == rec.sample_count
    # without the placement the screen coordinates are kept, with a note saying so
    plain = recordings.ingest_recordings(
        ctx,
        actor=researcher,
        stimulus_id=page.id,
        path=real_data / GAZEPOINT,
        options={"screen_width": 1680, "screen_height": 1050},
        other_stimuli="skip",
    )
    assert any("differs from the stimulus" in n for n in plain.report["notes"])
    shown = recordings.export_recording(ctx, actor=researcher, recording_id=plain.recordings[0].id)
    assert shown["x"].max() > 811


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"age": 200}, "age"),
        ({"age": -1}, "age"),
        ({"gender": ""}, "gender"),
        ({"participant": " "}, "participant"),
        ({"other_stimuli": "keep"}, "other_stimuli"),
        ({"placement": "sideways"}, "placement"),
        ({"placement": {"offset_x": 1}}, "placement"),
    ],
)
def test_bad_form_fields(
    ctx: ServiceContext,
    researcher: Actor,
    stimulus: StimulusOut,
    tmp_path: Path,
    kwargs: dict[str, object],
    field: str,
) -> None:
    path = fixation_csv(tmp_path / "f.csv", PEOPLE[:1])
    with pytest.raises(InvalidInputError) as err:
        recordings.ingest_recordings(
            ctx,
            actor=researcher,
            stimulus_id=stimulus.id,
            path=path,
            **kwargs,  # type: ignore[arg-type]
        )
    assert err.value.field == field
    assert get_stimulus(ctx, actor=researcher, stimulus_id=stimulus.id).data_version == 0


def test_other_stimulus_names_and_unparseable_files(
    ctx: ServiceContext, researcher: Actor, stimulus: StimulusOut, tmp_path: Path
) -> None:
    wrong = fixation_csv(tmp_path / "wrong.csv", PEOPLE, stimulus="osie-1020")
    with pytest.raises(InvalidInputError, match="osie-1020"):
        recordings.ingest_recordings(ctx, actor=researcher, stimulus_id=stimulus.id, path=wrong)
    with pytest.raises(InvalidInputError, match="no recordings of this stimulus"):
        recordings.ingest_recordings(
            ctx, actor=researcher, stimulus_id=stimulus.id, path=wrong, other_stimuli="skip"
        )
    # names match without case or extension
    named = fixation_csv(tmp_path / "named.csv", PEOPLE[:1], stimulus="OSIE-1010.jpg")
    assert recordings.ingest_recordings(ctx, actor=researcher, stimulus_id=stimulus.id, path=named)
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(b"\x00\x01\x02 nothing to see")
    with pytest.raises(FormatError):
        recordings.ingest_recordings(ctx, actor=researcher, stimulus_id=stimulus.id, path=garbage)
    assert get_stimulus(ctx, actor=researcher, stimulus_id=stimulus.id).recording_count == 1


def test_who_may_ingest(
    ctx: ServiceContext, viewer: Actor, outsider: Actor, stimulus: StimulusOut, tmp_path: Path
) -> None:
    path = fixation_csv(tmp_path / "f.csv", PEOPLE)
    with pytest.raises(PermissionDeniedError):
        recordings.ingest_recordings(ctx, actor=viewer, stimulus_id=stimulus.id, path=path)
    with pytest.raises(NotFoundError, match=f"stimulus {stimulus.id} not found"):
        recordings.ingest_recordings(ctx, actor=outsider, stimulus_id=stimulus.id, path=path)
    assert len(list(ctx.blobs.keys())) == 1  # only the image


def test_list_get_delete_export(
    ctx: ServiceContext,
    researcher: Actor,
    viewer: Actor,
    study: StudyOut,
    stimulus: StimulusOut,
    tmp_path: Path,
) -> None:
    result = recordings.ingest_recordings(
        ctx,
        actor=researcher,
        stimulus_id=stimulus.id,
        path=fixation_csv(tmp_path / "f.csv", PEOPLE),
    )
    ids = [r.id for r in result.recordings]
    page = recordings.list_recordings(ctx, actor=researcher, stimulus_id=stimulus.id)
    assert ([r.id for r in page.items], page.total) == (ids, 3)
    first = result.recordings[0]
    by_person = recordings.list_recordings(
        ctx, actor=researcher, participant_id=first.participant_id
    )
    assert [r.id for r in by_person.items] == [first.id]
    assert recordings.get_recording(ctx, actor=researcher, recording_id=first.id) == first
    with pytest.raises(InvalidInputError):
        recordings.list_recordings(ctx, actor=researcher)
    for call in (
        lambda: recordings.list_recordings(ctx, actor=viewer, stimulus_id=stimulus.id),
        lambda: recordings.get_recording(ctx, actor=viewer, recording_id=first.id),
        lambda: recordings.export_recording(ctx, actor=viewer, recording_id=first.id),
        lambda: recordings.delete_recording(ctx, actor=viewer, recording_id=first.id),
    ):
        with pytest.raises(PermissionDeniedError):
            call()
    arrays = recordings.export_recording(ctx, actor=researcher, recording_id=first.id)
    assert set(arrays) >= {"t", "x", "y", "valid", "duration"}
    assert len(arrays["t"]) == first.sample_count
    recordings.delete_recording(ctx, actor=researcher, recording_id=first.id)
    with pytest.raises(NotFoundError):
        recordings.get_recording(ctx, actor=researcher, recording_id=first.id)
    after = get_stimulus(ctx, actor=researcher, stimulus_id=stimulus.id)
    assert (after.recording_count, after.data_version) == (2, 2)
    with ctx.session() as session:
        participants = session.scalar(
            select(func.count()).select_from(Participant).where(Participant.study_id == study.id)
        )
    assert participants == 3  # deleting a recording keeps the person


def test_tobii_studio_web_page_follows_the_media_position(
    ctx: ServiceContext, researcher: Actor, study: StudyOut, real_data: Path
) -> None:
    url = "http://www.drewmstiles.com/ (CRC)"
    page = new_stimulus(ctx, researcher, study, url, 1864, 2400)
    result = recordings.ingest_recordings(
        ctx, actor=researcher, stimulus_id=page.id, path=real_data / STUDIO
    )
    # the segment before the page was opened names no stimulus: left out, with a note
    (web,) = result.recordings
    assert "skipped 1 recording(s) that name no stimulus" in result.report["notes"]
    assert not any("differs" in n for n in web.cleaning_report["notes"])
    arrays = recordings.export_recording(ctx, actor=researcher, recording_id=web.id)
    assert arrays["x"].min() >= 0
    assert arrays["x"].max() < 1864
    assert arrays["y"].min() >= 0


def test_file_size_limit(
    ctx: ServiceContext,
    researcher: Actor,
    stimulus: StimulusOut,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = fixation_csv(tmp_path / "f.csv", PEOPLE)
    monkeypatch.setattr(ctx.settings, "max_upload_bytes", path.stat().st_size - 1)
    with pytest.raises(PayloadTooLargeError, match="upload limit"):
        recordings.ingest_recordings(ctx, actor=researcher, stimulus_id=stimulus.id, path=path)


def test_smi_export_with_the_emip_participant_table(
    ctx: ServiceContext, researcher: Actor, study: StudyOut, real_data: Path
) -> None:
    code = new_stimulus(ctx, researcher, study, "rectangle_java2", 1920, 1080)
    emip = real_data / "emip-smi-code-reading"
    result = recordings.ingest_recordings(
        ctx,
        actor=researcher,
        stimulus_id=code.id,
        path=emip / "rawdata" / "156_rawdata.tsv",
        options={
            "attributes_from": emip / "emip_metadata.csv",
            "attributes_columns": ["age", "gender", "mother_tongue", "expertise_programming"],
        },
        other_stimuli="skip",
    )
    (rec,) = result.recordings
    assert (rec.kind, rec.sampling_rate) == ("samples", 60.0)
    assert rec.device is not None
    assert rec.device.startswith("SMI")
    assert 0 < rec.sample_count <= 2443
    notes = result.report["notes"]
    assert "skipped 1 recording(s) of stimulus 'vehicle_java2.jpg'" in notes
    assert "skipped 1 recording(s) that name no stimulus" in notes
    person = participants_of(ctx, researcher, study)[0]
    assert (person.gender, person.age) == ("male", 21)
    assert person.attributes == {"mother_tongue": "Slovak", "expertise_programming": "medium"}


def participants_of(ctx: ServiceContext, actor: Actor, study: StudyOut) -> list[ParticipantOut]:
    return list_participants(ctx, actor=actor, study_id=study.id).items


def test_a_missing_gaze_blob_is_a_storage_error(
    ctx: ServiceContext, researcher: Actor, stimulus: StimulusOut, tmp_path: Path
) -> None:
    path = fixation_csv(tmp_path / "f.csv", PEOPLE[:1], seed=stimulus.id)
    (rec,) = recordings.ingest_recordings(
        ctx, actor=researcher, stimulus_id=stimulus.id, path=path
    ).recordings
    for key in list(ctx.blobs.keys()):
        ctx.blobs.delete(key)
    with pytest.raises(StorageError, match=f"gaze data of recording {rec.id} is missing"):
        recordings.export_recording(ctx, actor=researcher, recording_id=rec.id)
