"""The audit log (admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from gazemap.api.deps import ActorDep, ContextDep
from gazemap.api.errors import PROBLEM_RESPONSES
from gazemap.api.paths import MAX_ID, Limit, Offset
from gazemap.service import audit
from gazemap.service.schemas import AuditOut, Page

router = APIRouter(tags=["audit"], responses=PROBLEM_RESPONSES)


@router.get("/audit", summary="Read the audit log")
def list_audit(
    ctx: ContextDep,
    actor: ActorDep,
    user_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Only entries of this user.")
    ] = None,
    study_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Only entries of this study.")
    ] = None,
    action: Annotated[
        str | None,
        Query(
            max_length=64,
            description="Only this action, or every action starting with it when it ends in '.' (e.g. 'participant.').",
        ),
    ] = None,
    since: Annotated[
        datetime | None, Query(description="From this time, inclusive (ISO 8601 with offset).")
    ] = None,
    until: Annotated[
        datetime | None, Query(description="Until this time, exclusive (ISO 8601 with offset).")
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[AuditOut]:
    """List who did what, newest first, filtered by user, study, action and time (admins)."""
    return audit.list_audit(
        ctx,
        actor=actor,
        user_id=user_id,
        study_id=study_id,
        action=action,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
    )
