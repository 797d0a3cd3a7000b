"""The audit log: who did what to which target, with which parameters, and how it ended.

Service functions call :func:`record_audit` inside the transaction that does the work,
so an entry exists exactly when the change committed. Entries never hold personal
data: no participant ids or pseudonyms, no passwords, no file contents; targets are
database ids (``"participant:12"``), parameters are counts and canonical options.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gazemap.errors import InvalidInputError
from gazemap.service.actor import Actor
from gazemap.service.context import ServiceContext
from gazemap.service.paging import check_page
from gazemap.service.policy import require_admin
from gazemap.service.schemas import AuditOut, Page
from gazemap.store.models import AUDIT_OUTCOMES, AuditEvent

__all__ = ["list_audit", "record_audit"]


def record_audit(
    session: Session,
    *,
    actor: Actor,
    action: str,
    study_id: int | None = None,
    target: str | None = None,
    parameters: dict[str, Any] | None = None,
    outcome: str = "ok",
    request_id: str | None = None,
) -> AuditEvent:
    """Add an audit entry to ``session``; it commits (or rolls back) with the work.

    Parameters
    ----------
    session:
        The session of the transaction doing the work.
    actor:
        Who acted.
    action:
        Dotted verb, ``"<object>.<verb>"`` (at most 64 characters).
    study_id:
        Study concerned, if any.
    target:
        ``"kind:id"`` of the object acted on.
    parameters:
        JSON-ready options and counts. Never participant ids, pseudonyms or secrets.
    outcome:
        ``"ok"``, ``"denied"`` or ``"error"``.
    request_id:
        Id of the API request, to join with the logs.

    Returns
    -------
    AuditEvent
        The pending row.

    Raises
    ------
    InvalidInputError
        For an empty or over-long action or an unknown outcome.
    """
    if not action or len(action) > 64:
        raise InvalidInputError(
            f"action must be 1 to 64 characters, got {action!r}", field="action"
        )
    if outcome not in AUDIT_OUTCOMES:
        raise InvalidInputError(
            f"outcome must be one of {list(AUDIT_OUTCOMES)}, got {outcome!r}", field="outcome"
        )
    event = AuditEvent(
        user_id=actor.user_id,
        study_id=study_id,
        action=action,
        target=target,
        parameters=dict(parameters or {}),
        outcome=outcome,
        request_id=request_id,
    )
    session.add(event)
    return event


def list_audit(
    ctx: ServiceContext,
    *,
    actor: Actor,
    user_id: int | None = None,
    study_id: int | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[AuditOut]:
    """Audit entries, newest first, filtered (admins only).

    Parameters
    ----------
    ctx:
        Service context.
    actor:
        The caller; must be an admin.
    user_id, study_id:
        Only entries of this user / study.
    action:
        Only this action, or every action starting with it when it ends in ``"."``
        (``"participant."``).
    since, until:
        Time range, timezone-aware; ``since`` inclusive, ``until`` exclusive.
    limit, offset:
        Paging (``1 <= limit <= 500``).

    Returns
    -------
    Page of AuditOut

    Raises
    ------
    PermissionDeniedError
        For non-admins.
    InvalidInputError
        For bad paging or naive datetimes.
    AuditUnavailableError
        When this instance's pending read entries cannot be inserted first.

    Notes
    -----
    Entries of reads (``heatmap.view`` ...) are journalled and inserted in batches
    (:mod:`gazemap.service.audit_journal`): this call flushes the local journal first;
    entries of other API instances appear within ``settings.audit.flush_seconds``.
    """
    require_admin(actor, action="read the audit log")
    check_page(limit, offset)
    if ctx.audit is not None:
        # this instance's journalled reads first; other instances' land within flush_seconds
        ctx.audit.flush()
    conditions = []
    if user_id is not None:
        conditions.append(AuditEvent.user_id == user_id)
    if study_id is not None:
        conditions.append(AuditEvent.study_id == study_id)
    if action is not None:
        if action.endswith("."):
            conditions.append(AuditEvent.action.startswith(action, autoescape=True))
        else:
            conditions.append(AuditEvent.action == action)
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.utcoffset() is None:
            raise InvalidInputError(f"{name} must be timezone-aware, got {value!r}", field=name)
    if since is not None:
        conditions.append(AuditEvent.at >= since)
    if until is not None:
        conditions.append(AuditEvent.at < until)
    with ctx.session() as session:
        total = session.scalar(select(func.count()).select_from(AuditEvent).where(*conditions))
        rows = session.scalars(
            select(AuditEvent)
            .where(*conditions)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(limit)
            .offset(offset)
        )
        items = [AuditOut.model_validate(row) for row in rows]
    return Page[AuditOut](items=items, total=int(total or 0), limit=limit, offset=offset)
