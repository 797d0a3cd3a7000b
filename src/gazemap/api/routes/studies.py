"""Studies and their members."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from gazemap.api.deps import ActorDep, ContextDep
from gazemap.api.errors import PROBLEM_RESPONSES
from gazemap.api.paths import Limit, Offset, StudyId, UserId
from gazemap.api.schemas import MemberIn, StudyCreate, StudyUpdate
from gazemap.service import studies
from gazemap.service.schemas import MemberOut, Page, StudyOut

router = APIRouter(prefix="/studies", tags=["studies"], responses=PROBLEM_RESPONSES)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a study")
def create_study(ctx: ContextDep, actor: ActorDep, body: StudyCreate) -> StudyOut:
    """Create a study (admins and researchers); you become its researcher."""
    return studies.create_study(
        ctx,
        actor=actor,
        name=body.name,
        description=body.description,
        screen=body.screen.model_dump(exclude_none=True) if body.screen else None,
        min_group_size=body.min_group_size,
    )


@router.get("", summary="List studies")
def list_studies(
    ctx: ContextDep, actor: ActorDep, limit: Limit = 50, offset: Offset = 0
) -> Page[StudyOut]:
    """List the studies you are a member of (admins: all), newest first."""
    return studies.list_studies(ctx, actor=actor, limit=limit, offset=offset)


@router.get("/{study_id}", summary="Get a study")
def get_study(ctx: ContextDep, actor: ActorDep, study_id: StudyId) -> StudyOut:
    """Return one study with your role in it; 404 if it does not exist or is not shared with you."""
    return studies.get_study(ctx, actor=actor, study_id=study_id)


@router.patch("/{study_id}", summary="Update a study")
def update_study(
    ctx: ContextDep, actor: ActorDep, study_id: StudyId, body: StudyUpdate
) -> StudyOut:
    """Change the name, description, screen geometry or minimum group size (researchers of the study)."""
    changes = body.model_dump(exclude_unset=True)
    if "screen" in changes and body.screen is not None:
        changes["screen"] = body.screen.model_dump(exclude_none=True)
    return studies.update_study(ctx, actor=actor, study_id=study_id, **changes)


@router.delete("/{study_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a study")
def delete_study(ctx: ContextDep, actor: ActorDep, study_id: StudyId) -> Response:
    """Delete the study with all its stimuli, participants and recordings (researchers of the study)."""
    studies.delete_study(ctx, actor=actor, study_id=study_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{study_id}/members", summary="List members")
def list_members(ctx: ContextDep, actor: ActorDep, study_id: StudyId) -> list[MemberOut]:
    """List who has access to the study and with which role."""
    return studies.list_members(ctx, actor=actor, study_id=study_id)


@router.post("/{study_id}/members", summary="Add a member or change a role")
def add_member(ctx: ContextDep, actor: ActorDep, study_id: StudyId, body: MemberIn) -> MemberOut:
    """Give a user (by username) a role in the study; an existing member gets the new role (researchers of the study)."""
    return studies.add_member(
        ctx, actor=actor, study_id=study_id, username=body.username, role=body.role
    )


@router.delete(
    "/{study_id}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a member",
)
def remove_member(ctx: ContextDep, actor: ActorDep, study_id: StudyId, user_id: UserId) -> Response:
    """Take a user's access to the study away (researchers of the study)."""
    studies.remove_member(ctx, actor=actor, study_id=study_id, user_id=user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
