"""Path and paging parameters shared by the routers, with their OpenAPI descriptions.

Ids are bounded to PostgreSQL's ``integer`` range, so an absurd id is a 422 naming the
parameter instead of a database overflow.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from gazemap.service.paging import MAX_LIMIT

__all__ = [
    "MAX_ID",
    "Limit",
    "Offset",
    "ParticipantId",
    "RecordingId",
    "StimulusId",
    "StudyId",
    "UserId",
]

MAX_ID = 2**31 - 1

StudyId = Annotated[int, Path(ge=1, le=MAX_ID, description="Study id.")]
StimulusId = Annotated[int, Path(ge=1, le=MAX_ID, description="Stimulus id.")]
ParticipantId = Annotated[int, Path(ge=1, le=MAX_ID, description="Participant id.")]
RecordingId = Annotated[int, Path(ge=1, le=MAX_ID, description="Recording id.")]
UserId = Annotated[int, Path(ge=1, le=MAX_ID, description="User id.")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Page size, 1 to {MAX_LIMIT}.")]
Offset = Annotated[
    int, Query(ge=0, le=MAX_ID, description="Number of items to skip before this page.")
]
