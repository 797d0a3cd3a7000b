"""Participants: pseudonymous people, and their erasure."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from gazemap.api.deps import ActorDep, ContextDep
from gazemap.api.errors import PROBLEM_RESPONSES
from gazemap.api.paths import Limit, Offset, ParticipantId, StudyId
from gazemap.service import participants
from gazemap.service.schemas import Page, ParticipantOut

router = APIRouter(tags=["participants"], responses=PROBLEM_RESPONSES)


@router.get("/studies/{study_id}/participants", summary="List participants")
def list_participants(
    ctx: ContextDep, actor: ActorDep, study_id: StudyId, limit: Limit = 50, offset: Offset = 0
) -> Page[ParticipantOut]:
    """List the study's participants by pseudonym, with their attributes and recording counts (researchers)."""
    return participants.list_participants(
        ctx, actor=actor, study_id=study_id, limit=limit, offset=offset
    )


@router.get("/participants/{participant_id}", summary="Get a participant")
def get_participant(
    ctx: ContextDep, actor: ActorDep, participant_id: ParticipantId
) -> ParticipantOut:
    """Return one participant (researchers of the study)."""
    return participants.get_participant(ctx, actor=actor, participant_id=participant_id)


@router.delete(
    "/participants/{participant_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Erase a participant",
)
def erase_participant(ctx: ContextDep, actor: ActorDep, participant_id: ParticipantId) -> Response:
    """Erase the participant and every recording of theirs, and invalidate every heat map that used them (admins)."""
    participants.erase_participant(ctx, actor=actor, participant_id=participant_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
