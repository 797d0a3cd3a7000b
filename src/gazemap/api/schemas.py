"""Request and response bodies that exist only at the HTTP edge.

Objects the service returns (``StudyOut``, ``StimulusOut``, …) are used as response
models directly, from :mod:`gazemap.service.schemas`; this module holds the rest:
tokens, request bodies, the heat-map JSON answer and the problem-details schema.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from gazemap.service.aoi import AOI, AOIMetricsOut
from gazemap.service.compare import CompareScores
from gazemap.service.params import HeatmapParams, RenderOptions
from gazemap.service.schemas import IngestResult, RecordingOut

__all__ = [
    "AOIRequest",
    "AOITable",
    "CompareJSON",
    "HeatmapJSON",
    "Me",
    "MemberIn",
    "PrerenderIn",
    "ProblemDetails",
    "Readiness",
    "RecordingsCreated",
    "RefreshIn",
    "ScreenIn",
    "SliceIn",
    "StudyCreate",
    "StudyUpdate",
    "TokenPair",
]


#: Bounds of screen geometry: far beyond any real display, inside every database integer.
MAX_SCREEN_PX = 100_000
MAX_SCREEN_MM = 100_000.0


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TokenPair(BaseModel):
    """An access token for requests and a refresh token to get the next pair."""

    access_token: str = Field(description="Send as `Authorization: Bearer <token>`.")
    refresh_token: str = Field(
        description="Send once to /api/v1/auth/refresh for a new pair; it is revoked when used."
    )
    token_type: Literal["bearer"] = Field(default="bearer", description="Always 'bearer'.")
    expires_in: int = Field(description="Seconds until the access token expires.")


class Me(BaseModel):
    """The signed-in user."""

    id: int = Field(description="User id.")
    username: str = Field(description="Login name.")
    role: Literal["admin", "researcher", "viewer"] = Field(
        description="Global role: 'admin', 'researcher' (may create studies) or 'viewer'."
    )


class RefreshIn(_In):
    """A refresh token to exchange."""

    refresh_token: str = Field(
        min_length=1, max_length=4096, description="The refresh token of the last pair."
    )


class ScreenIn(_In):
    """Display geometry of a study (any subset; each value > 0)."""

    width_px: int | None = Field(
        default=None, gt=0, le=MAX_SCREEN_PX, description="Screen width in px."
    )
    height_px: int | None = Field(
        default=None, gt=0, le=MAX_SCREEN_PX, description="Screen height in px."
    )
    width_mm: float | None = Field(
        default=None, gt=0, le=MAX_SCREEN_MM, description="Visible width in mm."
    )
    height_mm: float | None = Field(
        default=None, gt=0, le=MAX_SCREEN_MM, description="Visible height in mm."
    )
    distance_mm: float | None = Field(
        default=None, gt=0, le=MAX_SCREEN_MM, description="Eye-to-screen distance in mm."
    )


class StudyCreate(_In):
    """A new study."""

    name: str = Field(min_length=1, max_length=200, description="Display name.")
    description: str = Field(default="", max_length=10_000, description="Free text.")
    screen: ScreenIn | None = Field(
        default=None, description="Default screen geometry, for bandwidths in degrees."
    )
    min_group_size: int | None = Field(
        default=None,
        ge=1,
        le=10_000,
        description="Minimum participants per non-admin heat map; null uses the server default.",
    )


class StudyUpdate(_In):
    """Fields of a study to change; fields left out stay as they are."""

    name: str | None = Field(default=None, min_length=1, max_length=200, description="New name.")
    description: str | None = Field(default=None, max_length=10_000, description="New text.")
    screen: ScreenIn | None = Field(default=None, description="Replaces the whole screen geometry.")
    min_group_size: int | None = Field(
        default=None, ge=1, le=10_000, description="New minimum group size."
    )


class MemberIn(_In):
    """A user to add to a study, or whose role to change."""

    username: str = Field(min_length=1, max_length=64, description="Login name of the user.")
    role: Literal["researcher", "viewer"] = Field(description="Role in the study.")


class RecordingsCreated(IngestResult):
    """What one upload stored; ``id`` is the first recording's id, for convenience."""

    id: int = Field(description="Id of the first recording stored (see `recordings` for all).")

    @classmethod
    def of(cls, result: IngestResult) -> RecordingsCreated:
        """Wrap a service result."""
        first: RecordingOut = result.recordings[0]
        return cls(id=first.id, **result.model_dump())


class HeatmapJSON(BaseModel):
    """A density grid as JSON."""

    density: list[list[float]] = Field(
        description="Density in 1/px², `rows` lists of `cols` numbers, row 0 at the top."
    )
    rows: int = Field(description="Grid rows.")
    cols: int = Field(description="Grid columns.")
    width: int = Field(description="Stimulus width in px.")
    height: int = Field(description="Stimulus height in px.")
    meta: dict[str, Any] = Field(
        description="How the map was made: participants, recordings, points, bandwidth, grid, method, params, slice, cache."
    )


class CompareJSON(BaseModel):
    """The comparison of two slices: scores, and optionally the difference grid."""

    scores: CompareScores = Field(description="CC, KL (both ways) and SIM of the two maps.")
    rows: int = Field(description="Grid rows.")
    cols: int = Field(description="Grid columns.")
    difference: list[list[float]] | None = Field(
        default=None, description="A − B in 1/px², when `include_grid=true`."
    )
    meta: dict[str, Any] = Field(description="Metadata of side `a` and side `b`, and cache use.")


class SliceIn(_In):
    """Participant and recording filters in a JSON body (see the heat-map query parameters)."""

    gender: list[str] | None = Field(default=None, description="Allowed genders.")
    age_min: int | None = Field(default=None, ge=0, le=150, description="Youngest age, inclusive.")
    age_max: int | None = Field(default=None, ge=0, le=150, description="Oldest age, inclusive.")
    device: list[str] | None = Field(default=None, description="Allowed devices.")
    recorded_from: str | None = Field(
        default=None, description="Earliest recording start (ISO 8601 with offset), inclusive."
    )
    recorded_to: str | None = Field(
        default=None, description="Latest recording start (ISO 8601 with offset), exclusive."
    )


class AOIRequest(_In):
    """Areas of interest and the slice to score them on."""

    aois: list[AOI] = Field(min_length=1, max_length=100, description="Rectangles or polygons.")
    slice: SliceIn = Field(default_factory=SliceIn, description="Participants and recordings.")
    detector: Literal["ivt", "idt"] = Field(
        default="ivt", description="Fixation detector for sample recordings."
    )
    t_from: float | None = Field(default=None, ge=0, description="Window start, ms.")
    t_to: float | None = Field(default=None, gt=0, description="Window end, ms.")


class AOITable(BaseModel):
    """One row of metrics per AOI."""

    items: list[AOIMetricsOut] = Field(description="Metrics, in the order the AOIs were given.")


class ProblemDetails(BaseModel):
    """An error (RFC 9457 problem details)."""

    type: str = Field(description="URI of the problem type (a section of docs/api.md).")
    title: str = Field(description="Short summary of the problem type.")
    status: int = Field(description="HTTP status code.")
    detail: str = Field(description="What went wrong in this request, and how to fix it.")
    instance: str = Field(description="The request path.")
    request_id: str | None = Field(default=None, description="Id of the request, for the logs.")
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="Validation problems: location, field and message each."
    )


class Readiness(BaseModel):
    """Whether the service can answer requests."""

    status: Literal["ok", "unavailable"] = Field(description="'ok' when every check passed.")
    checks: dict[str, str] = Field(
        description="Per dependency: 'ok', 'skipped' (not configured) or the error."
    )


class PrerenderIn(_In):
    """Heat maps to compute ahead of time for every stimulus of a study (whole slice)."""

    param_sets: list[HeatmapParams] = Field(
        min_length=1, max_length=32, description="One to 32 sets of heat-map parameters."
    )
    render: RenderOptions | None = Field(
        default=None, description="Also render and cache the PNG with these options."
    )
