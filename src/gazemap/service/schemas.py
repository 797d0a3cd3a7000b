"""What service functions return: pydantic models, never ORM rows or open sessions.

The API uses these classes as ``response_model`` directly, so every field carries a
``description`` that ends up in the OpenAPI schema. Each model reads from ORM rows
(``from_attributes``); counts that are not columns (``participant_count``, …) are
filled in by the service function that builds the model.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AuditOut",
    "IngestResult",
    "MemberOut",
    "Page",
    "ParticipantOut",
    "RecordingOut",
    "StimulusOut",
    "StudyOut",
    "UserOut",
]

T = TypeVar("T")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class UserOut(_Out):
    """A user account (never the password hash)."""

    id: int = Field(description="User id.")
    username: str = Field(description="Login name.")
    role: Literal["admin", "researcher", "viewer"] = Field(
        description="Global role: 'admin' (everything), 'researcher' (may create studies) or 'viewer'."
    )
    active: bool = Field(description="False when the account is disabled and cannot sign in.")
    created_at: datetime = Field(description="When the account was created (UTC).")


class StudyOut(_Out):
    """A study: the unit of ownership and access, with its default screen geometry."""

    id: int = Field(description="Study id.")
    name: str = Field(description="Display name.")
    description: str = Field(description="Free text describing the study.")
    screen_width_px: int | None = Field(description="Screen width in px, when known.")
    screen_height_px: int | None = Field(description="Screen height in px, when known.")
    screen_width_mm: float | None = Field(description="Visible screen width in mm, when known.")
    screen_height_mm: float | None = Field(description="Visible screen height in mm, when known.")
    viewing_distance_mm: float | None = Field(
        description="Eye-to-screen distance in mm, when known."
    )
    min_group_size: int | None = Field(
        description="Minimum distinct participants a non-admin's slice must cover; null means the server default."
    )
    created_by_id: int | None = Field(description="Id of the user who created the study.")
    created_at: datetime = Field(description="When the study was created (UTC).")
    role: Literal["admin", "researcher", "viewer"] | None = Field(
        default=None, description="The caller's effective role in this study."
    )


class MemberOut(_Out):
    """A user's membership in a study."""

    user_id: int = Field(description="User id.")
    username: str = Field(description="Login name of the member.")
    study_id: int = Field(description="Study id.")
    role: Literal["researcher", "viewer"] = Field(
        description="Role in the study: 'researcher' (may upload and manage) or 'viewer' (may look)."
    )
    created_at: datetime = Field(description="When the membership was granted (UTC).")


class StimulusOut(_Out):
    """A stimulus image and how much gaze data it has."""

    id: int = Field(description="Stimulus id.")
    study_id: int = Field(description="Study the stimulus belongs to.")
    name: str = Field(description="Display name (also matched against a file's stimulus column).")
    page_key: str = Field(description="Stable key of the page or picture across layout versions.")
    version: str = Field(description="Layout version as text ('1', '2024-03', a commit id).")
    width: int = Field(description="Image width in px.")
    height: int = Field(description="Image height in px.")
    sha256: str | None = Field(description="SHA-256 of the image bytes, hex.")
    content_type: str | None = Field(
        default=None, description="MIME type of the image ('image/png', 'image/jpeg', …)."
    )
    data_version: int = Field(
        description="Bumped on every change to the stimulus's recordings; part of every heat-map cache key."
    )
    participant_count: int = Field(
        default=0, description="Distinct participants with recordings on this stimulus."
    )
    recording_count: int = Field(default=0, description="Recordings on this stimulus.")
    created_at: datetime = Field(description="When the stimulus was added (UTC).")


class ParticipantOut(_Out):
    """A pseudonymous participant (the external id is never stored)."""

    id: int = Field(description="Participant id.")
    study_id: int = Field(description="Study the participant belongs to.")
    pseudonym: str = Field(
        description="Keyed hash (HMAC-SHA256, hex) of the participant id found in the uploaded file."
    )
    gender: str | None = Field(description="Gender as given at upload, when known.")
    age: int | None = Field(description="Age in years, when known.")
    attributes: dict[str, Any] = Field(
        description="Further attributes (device, group, …) from the file or the upload form."
    )
    recording_count: int = Field(default=0, description="Recordings of this participant.")


class RecordingOut(_Out):
    """One participant looking at one stimulus; the gaze arrays stay in the blob store."""

    id: int = Field(description="Recording id.")
    participant_id: int = Field(description="Participant who was recorded.")
    stimulus_id: int = Field(description="Stimulus that was looked at.")
    kind: Literal["samples", "fixations"] = Field(
        description="'samples' (raw gaze at the tracker's rate) or 'fixations'."
    )
    sample_count: int = Field(description="Rows stored after cleaning.")
    started_at: datetime | None = Field(
        description="Start of the recording (UTC), when the file says."
    )
    device: str | None = Field(description="Tracker model or kind, when known.")
    sampling_rate: float | None = Field(description="Samples per second, when known.")
    source_name: str | None = Field(description="Name of the uploaded file.")
    cleaning_report: dict[str, Any] = Field(
        description="What reading and cleaning dropped or repaired, counted by reason."
    )


class AuditOut(_Out):
    """One audit log entry."""

    id: int = Field(description="Entry id (increasing).")
    at: datetime = Field(description="When it happened (UTC).")
    user_id: int | None = Field(description="Acting user; null for the system or a deleted user.")
    study_id: int | None = Field(description="Study concerned, when there is one.")
    action: str = Field(description="What was done, e.g. 'recordings.ingest', 'participant.erase'.")
    target: str | None = Field(description="Object acted on as 'kind:id', e.g. 'stimulus:3'.")
    parameters: dict[str, Any] = Field(description="Options and counts; never personal data.")
    outcome: str = Field(description="'ok', 'denied' or 'error'.")
    request_id: str | None = Field(description="Request id of the API call, when there was one.")


class IngestResult(BaseModel):
    """What one upload stored, and what cleaning did to it."""

    recordings: list[RecordingOut] = Field(description="The recordings stored, in file order.")
    report: dict[str, Any] = Field(
        description="The cleaning reports of every recording merged: rows_in, rows_kept, rows_dropped, dropped and repaired by reason, notes."
    )
    data_version: int = Field(
        default=0, description="The stimulus's data_version after this upload."
    )


class Page(BaseModel, Generic[T]):
    """One page of a listing."""

    items: list[T] = Field(description="The objects on this page.")
    total: int = Field(description="Objects in the whole listing.")
    limit: int = Field(description="Largest page size asked for.")
    offset: int = Field(description="Objects skipped before this page.")
