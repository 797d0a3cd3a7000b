"""Studies and their members.

A study is the unit of access: its members are researchers (upload, manage, see
everything) or viewers (aggregate heat maps only). Global admins need no membership.
Only admins and users with the global ``researcher`` role may create studies; the
creator becomes the study's first researcher.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import func, select

from gazemap.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from gazemap.service.actor import Actor
from gazemap.service.audit import record_audit
from gazemap.service.auditing import audit_refusals
from gazemap.service.context import ServiceContext
from gazemap.service.paging import check_page
from gazemap.service.policy import require_study, study_role
from gazemap.service.schemas import MemberOut, Page, StudyOut
from gazemap.store.models import MEMBERSHIP_ROLES, Membership, Study, User

__all__ = [
    "add_member",
    "create_study",
    "delete_study",
    "get_study",
    "list_members",
    "list_studies",
    "remove_member",
    "update_study",
]

#: ``screen`` keys (those of :meth:`gazemap.gaze.ScreenGeometry.to_dict`) → study columns.
SCREEN_FIELDS = {
    "width_px": "screen_width_px",
    "height_px": "screen_height_px",
    "width_mm": "screen_width_mm",
    "height_mm": "screen_height_mm",
    "distance_mm": "viewing_distance_mm",
}
#: Largest screen size (px) or distance (mm) accepted; beyond it a typo, and beyond
#: 2**63 a database error.
MAX_SCREEN_VALUE = 100_000
_UPDATABLE = ("name", "description", "screen", "min_group_size")


def _name(name: str) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise InvalidInputError(f"name must be 1 to 200 characters, got {name!r}", field="name")
    return name.strip()


def _screen(screen: dict[str, Any] | None) -> dict[str, Any]:
    """Study columns from a ``screen`` mapping, every value in ``(0, MAX_SCREEN_VALUE]``."""
    if screen is None:
        return {}
    unknown = sorted(set(screen) - set(SCREEN_FIELDS))
    if unknown:
        raise InvalidInputError(
            f"screen has unknown keys {unknown}; known: {list(SCREEN_FIELDS)}", field="screen"
        )
    out: dict[str, Any] = {}
    for key, column in SCREEN_FIELDS.items():
        value = screen.get(key)
        if value is not None:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            if not ok or not math.isfinite(value) or not 0 < value <= MAX_SCREEN_VALUE:
                raise InvalidInputError(
                    f"screen.{key} must be a number in (0, {MAX_SCREEN_VALUE}], got {value!r}",
                    field="screen",
                )
            if key.endswith("_px"):
                if int(value) != value:
                    raise InvalidInputError(
                        f"screen.{key} must be a whole number, got {value!r}", field="screen"
                    )
                value = int(value)
            else:
                value = float(value)
        out[column] = value
    return out


def _min_group(value: int | None) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise InvalidInputError(
            f"min_group_size must be an integer >= 1, got {value!r}", field="min_group_size"
        )
    return value


def _out(study: Study, role: str | None) -> StudyOut:
    return StudyOut.model_validate(study).model_copy(update={"role": role})


def create_study(
    ctx: ServiceContext,
    *,
    actor: Actor,
    name: str,
    description: str = "",
    screen: dict[str, Any] | None = None,
    min_group_size: int | None = None,
) -> StudyOut:
    """Create a study; the creator becomes its researcher.

    Parameters
    ----------
    ctx:
        Service context.
    actor:
        Must have the global role ``admin`` or ``researcher``.
    name:
        1–200 characters.
    description:
        Free text.
    screen:
        Default display geometry: ``width_px``, ``height_px``, ``width_mm``,
        ``height_mm``, ``distance_mm`` (any subset, each > 0).
    min_group_size:
        Minimum distinct participants per non-admin heat map; ``None`` uses the
        ``security.min_group_size`` setting.

    Returns
    -------
    StudyOut

    Raises
    ------
    PermissionDeniedError
        For global viewers.
    InvalidInputError
        Naming the field, for a bad name, screen or group size.
    """
    if actor.role not in ("admin", "researcher"):
        raise PermissionDeniedError("only admins and researchers may create studies")
    study = Study(
        name=_name(name),
        description=description or "",
        min_group_size=_min_group(min_group_size),
        created_by_id=actor.user_id,
        **_screen(screen),
    )
    with ctx.session() as session:
        session.add(study)
        session.flush()
        if actor.user_id is not None:
            session.add(Membership(user_id=actor.user_id, study_id=study.id, role="researcher"))
        record_audit(
            session,
            actor=actor,
            action="study.create",
            study_id=study.id,
            target=f"study:{study.id}",
        )
        session.flush()
        return _out(study, study_role(session, actor, study.id))


def list_studies(
    ctx: ServiceContext, *, actor: Actor, limit: int = 50, offset: int = 0
) -> Page[StudyOut]:
    """The studies ``actor`` can see (all of them for admins), newest first."""
    check_page(limit, offset)
    stmt = select(Study)
    if not actor.is_admin:
        stmt = stmt.join(Membership, Membership.study_id == Study.id).where(
            Membership.user_id == actor.user_id
        )
    with ctx.session() as session:
        total = session.scalar(select(func.count()).select_from(stmt.subquery()))
        rows = session.scalars(
            stmt.order_by(Study.created_at.desc(), Study.id.desc()).limit(limit).offset(offset)
        ).all()
        items = [_out(s, study_role(session, actor, s.id)) for s in rows]
    return Page[StudyOut](items=items, total=int(total or 0), limit=limit, offset=offset)


def get_study(ctx: ServiceContext, *, actor: Actor, study_id: int) -> StudyOut:
    """One study the caller can see. ``NotFoundError`` otherwise."""
    with ctx.session() as session:
        study = require_study(session, actor, study_id, need="viewer")
        return _out(study, study_role(session, actor, study_id))


@audit_refusals("study.update", target="study:{study_id}")
def update_study(ctx: ServiceContext, *, actor: Actor, study_id: int, **changes: Any) -> StudyOut:
    """Change ``name``, ``description``, ``screen`` or ``min_group_size`` (researchers).

    ``screen`` replaces the whole geometry (keys left out become unknown).

    Raises
    ------
    InvalidInputError
        For an unknown field or a bad value.
    """
    unknown = sorted(set(changes) - set(_UPDATABLE))
    if unknown:
        raise InvalidInputError(
            f"cannot change {unknown}; changeable: {list(_UPDATABLE)}", field=unknown[0]
        )
    with ctx.session() as session:
        study = require_study(session, actor, study_id, need="researcher")
        if "name" in changes:
            study.name = _name(changes["name"])
        if "description" in changes:
            study.description = changes["description"] or ""
        if "screen" in changes:
            for column, value in _screen(changes["screen"] or {}).items():
                setattr(study, column, value)
        if "min_group_size" in changes:
            study.min_group_size = _min_group(changes["min_group_size"])
        record_audit(
            session,
            actor=actor,
            action="study.update",
            study_id=study_id,
            target=f"study:{study_id}",
            parameters={"fields": sorted(changes)},
        )
        session.flush()
        return _out(study, study_role(session, actor, study_id))


@audit_refusals("study.delete", target="study:{study_id}")
def delete_study(ctx: ServiceContext, *, actor: Actor, study_id: int) -> None:
    """Delete a study with its stimuli, participants and recordings (researchers).

    Rows go by ``ON DELETE CASCADE``; blobs stay until
    :func:`gazemap.store.gc.collect_orphan_blobs` finds them unreferenced.
    """
    with ctx.session() as session:
        study = require_study(session, actor, study_id, need="researcher")
        record_audit(session, actor=actor, action="study.delete", target=f"study:{study_id}")
        session.delete(study)


def _member_out(membership: Membership, username: str) -> MemberOut:
    return MemberOut(
        user_id=membership.user_id,
        username=username,
        study_id=membership.study_id,
        role=membership.role,
        created_at=membership.created_at,
    )


@audit_refusals("study.add_member", target="study:{study_id}", keep=("role",))
def add_member(
    ctx: ServiceContext, *, actor: Actor, study_id: int, username: str, role: str
) -> MemberOut:
    """Give ``username`` the ``role`` (``researcher``/``viewer``) in a study (researchers).

    Adding an existing member changes their role.

    Raises
    ------
    NotFoundError
        When the study is invisible or the user does not exist.
    InvalidInputError
        For an unknown role.
    """
    if role not in MEMBERSHIP_ROLES:
        raise InvalidInputError(
            f"role must be one of {list(MEMBERSHIP_ROLES)}, got {role!r}", field="role"
        )
    with ctx.session() as session:
        require_study(session, actor, study_id, need="researcher")
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFoundError(f"user {username!r} not found")
        membership = session.scalar(
            select(Membership).where(Membership.user_id == user.id, Membership.study_id == study_id)
        )
        if membership is None:
            membership = Membership(user_id=user.id, study_id=study_id, role=role)
            session.add(membership)
        else:
            membership.role = role
        record_audit(
            session,
            actor=actor,
            action="study.add_member",
            study_id=study_id,
            target=f"user:{user.id}",
            parameters={"role": role},
        )
        session.flush()
        return _member_out(membership, user.username)


def list_members(ctx: ServiceContext, *, actor: Actor, study_id: int) -> list[MemberOut]:
    """Members of a study by username (any member may look)."""
    with ctx.session() as session:
        require_study(session, actor, study_id, need="viewer")
        rows = session.execute(
            select(Membership, User.username)
            .join(User, User.id == Membership.user_id)
            .where(Membership.study_id == study_id)
            .order_by(User.username)
        ).all()
        return [_member_out(m, name) for m, name in rows]


@audit_refusals("study.remove_member", target="user:{user_id}")
def remove_member(ctx: ServiceContext, *, actor: Actor, study_id: int, user_id: int) -> None:
    """Remove a user from a study (researchers).

    Raises
    ------
    NotFoundError
        When the study is invisible or the user is not a member.
    """
    with ctx.session() as session:
        require_study(session, actor, study_id, need="researcher")
        membership = session.scalar(
            select(Membership).where(Membership.user_id == user_id, Membership.study_id == study_id)
        )
        if membership is None:
            raise NotFoundError(f"user {user_id} is not a member of study {study_id}")
        session.delete(membership)
        record_audit(
            session,
            actor=actor,
            action="study.remove_member",
            study_id=study_id,
            target=f"user:{user_id}",
        )
