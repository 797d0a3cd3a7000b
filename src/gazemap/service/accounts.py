"""User accounts: creation, password sign-in, and the :class:`Actor` behind a token.

Passwords are hashed with argon2id (argon2-cffi's :class:`~argon2.PasswordHasher`
defaults, RFC 9106's low-memory profile). Sign-in failures give one generic message,
and an unknown username still costs one hash verification, so neither the message
nor the time tells whether a username exists.
"""

from __future__ import annotations

import contextlib
import functools
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from gazemap.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from gazemap.service.actor import SYSTEM, Actor, GlobalRole
from gazemap.service.actor_cache import invalidate_actors
from gazemap.service.audit import record_audit
from gazemap.service.auditing import audit_refusals
from gazemap.service.context import ServiceContext
from gazemap.service.paging import check_page
from gazemap.service.policy import require_admin
from gazemap.service.schemas import Page, UserOut
from gazemap.store.models import USER_ROLES, User

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "USERNAME_PATTERN",
    "authenticate",
    "create_user",
    "get_actor",
    "list_users",
    "set_password",
    "update_user",
]

#: Letters, digits and ``. _ @ -``, starting with a letter or digit, 2–64 characters.
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$")
MIN_PASSWORD_LENGTH = 8
#: Longer passwords are refused: hashing megabytes on request would be a cheap DoS.
MAX_PASSWORD_LENGTH = 1024
_FAILED = "invalid username or password"


@functools.cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    # verified against for unknown users, so they cost as much time as known ones
    return _hasher().hash("gazemap-dummy-password-for-timing")


def _check_username(username: str) -> str:
    if not isinstance(username, str) or not USERNAME_PATTERN.match(username):
        raise InvalidInputError(
            "username must be 2-64 letters, digits or . _ @ -, starting with a letter or "
            f"digit, got {username!r}",
            field="username",
        )
    return username


def _check_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInputError(
            f"password must be at least {MIN_PASSWORD_LENGTH} characters", field="password"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInputError(
            f"password must be at most {MAX_PASSWORD_LENGTH} characters", field="password"
        )
    return password


def _check_role(role: str) -> GlobalRole:
    if role not in USER_ROLES:
        raise InvalidInputError(
            f"role must be one of {list(USER_ROLES)}, got {role!r}", field="role"
        )
    return role  # type: ignore[return-value]  # checked against USER_ROLES


@audit_refusals("user.create", keep=("role",))
def create_user(
    ctx: ServiceContext,
    *,
    username: str,
    password: str,
    role: str = "viewer",
    actor: Actor | None = None,
) -> UserOut:
    """Create a user with an argon2 password hash.

    Parameters
    ----------
    ctx:
        Service context.
    username:
        Login name; see :data:`USERNAME_PATTERN`.
    password:
        At least :data:`MIN_PASSWORD_LENGTH` characters.
    role:
        Global role: ``"admin"``, ``"researcher"`` or ``"viewer"``.
    actor:
        Who creates the account; must be an admin when given. ``None`` is the
        bootstrap path (CLI ``gazemap user create``) and is audited as the system.

    Returns
    -------
    UserOut

    Raises
    ------
    InvalidInputError
        For a malformed username, a short password or an unknown role.
    ConflictError
        When the username is taken.
    PermissionDeniedError
        When ``actor`` is not an admin.
    """
    if actor is not None:
        require_admin(actor, action="create users")
    _check_username(username)
    _check_password(password)
    checked_role = _check_role(role)
    password_hash = _hasher().hash(password)
    try:
        with ctx.session() as session:
            taken = session.scalar(select(User.id).where(User.username == username))
            if taken is not None:
                raise ConflictError(f"username {username!r} is taken")
            user = User(username=username, password_hash=password_hash, role=checked_role)
            session.add(user)
            session.flush()
            record_audit(
                session,
                actor=actor or SYSTEM,
                action="user.create",
                target=f"user:{user.id}",
                parameters={"role": checked_role},
            )
            return UserOut.model_validate(user)
    except IntegrityError as exc:  # a concurrent create of the same name
        raise ConflictError(f"username {username!r} is taken") from exc


def authenticate(ctx: ServiceContext, *, username: str, password: str) -> Actor:
    """The actor whose username and password these are.

    Parameters
    ----------
    ctx:
        Service context.
    username, password:
        Credentials as typed.

    Returns
    -------
    Actor

    Raises
    ------
    AuthenticationError
        ``"invalid username or password"`` for an unknown or inactive user and for a
        wrong password alike.

    Notes
    -----
    A hash whose parameters are weaker than the current defaults is replaced by a
    fresh one on successful sign-in.
    """
    with ctx.session() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None or not user.active:
            with contextlib.suppress(VerificationError):
                _hasher().verify(_dummy_hash(), password)
            raise AuthenticationError(_FAILED)
        try:
            _hasher().verify(user.password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            raise AuthenticationError(_FAILED) from None
        if _hasher().check_needs_rehash(user.password_hash):
            user.password_hash = _hasher().hash(password)
        return Actor(user_id=user.id, username=user.username, role=_check_role(user.role))


def get_actor(ctx: ServiceContext, *, user_id: int) -> Actor:
    """The actor of user ``user_id`` as the database says now (role changes apply at once).

    Raises
    ------
    AuthenticationError
        When the user was deleted or deactivated.
    """
    with ctx.session() as session:
        user = session.get(User, user_id)
        if user is None or not user.active:
            raise AuthenticationError("this account no longer exists or is disabled")
        return Actor(user_id=user.id, username=user.username, role=_check_role(user.role))


def list_users(
    ctx: ServiceContext, *, actor: Actor, limit: int = 50, offset: int = 0
) -> Page[UserOut]:
    """Every user, by username (admins only).

    Raises
    ------
    PermissionDeniedError
        For non-admins.
    """
    require_admin(actor, action="list users")
    check_page(limit, offset)
    with ctx.session() as session:
        total = session.scalar(select(func.count()).select_from(User))
        rows = session.scalars(select(User).order_by(User.username).limit(limit).offset(offset))
        items = [UserOut.model_validate(u) for u in rows]
    return Page[UserOut](items=items, total=int(total or 0), limit=limit, offset=offset)


@audit_refusals("user.set_password", target="user:{user_id}")
def set_password(ctx: ServiceContext, *, actor: Actor, user_id: int, password: str) -> None:
    """Replace a user's password (their own, or anyone's for an admin).

    Raises
    ------
    InvalidInputError
        For a short password.
    NotFoundError
        When the user does not exist (or the caller may not manage them).
    """
    if not actor.is_admin and actor.user_id != user_id:
        raise NotFoundError(f"user {user_id} not found")
    _check_password(password)
    password_hash = _hasher().hash(password)
    with ctx.session() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFoundError(f"user {user_id} not found")
        user.password_hash = password_hash
        record_audit(session, actor=actor, action="user.set_password", target=f"user:{user_id}")


@audit_refusals("user.update", target="user:{user_id}", keep=("role", "active"))
def update_user(
    ctx: ServiceContext,
    *,
    actor: Actor,
    user_id: int,
    role: str | None = None,
    active: bool | None = None,
) -> UserOut:
    """Change a user's global role or disable/enable the account (admins only).

    Raises
    ------
    PermissionDeniedError
        For non-admins, and for an admin disabling or demoting themselves (an
        installation must not lose its last way in by accident).
    NotFoundError
        When the user does not exist.
    """
    require_admin(actor, action="change users")
    new_role = _check_role(role) if role is not None else None
    if actor.user_id == user_id and (active is False or new_role not in (None, "admin")):
        raise PermissionDeniedError("admins may not disable or demote themselves")
    with ctx.session() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFoundError(f"user {user_id} not found")
        changes: dict[str, object] = {}
        if new_role is not None:
            user.role = new_role
            changes["role"] = new_role
        if active is not None:
            user.active = bool(active)
            changes["active"] = bool(active)
        record_audit(
            session, actor=actor, action="user.update", target=f"user:{user_id}", parameters=changes
        )
        session.flush()
        out = UserOut.model_validate(user)
    invalidate_actors()  # after the commit: the next request reads the new role or state
    return out
