"""Users, their study memberships, and refresh tokens.

A user's global ``role`` is ``admin`` (everything, user management, erasure),
``researcher`` (may create studies) or ``viewer``. What a user may do inside a study
comes from their :class:`Membership` role there (``researcher`` or ``viewer``);
admins need no membership.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gazemap.store.models.base import Base, enum_check, utcnow

if TYPE_CHECKING:
    from gazemap.store.models.study import Study

__all__ = ["MEMBERSHIP_ROLES", "USER_ROLES", "Membership", "RefreshToken", "User"]

USER_ROLES = ("admin", "researcher", "viewer")
MEMBERSHIP_ROLES = ("researcher", "viewer")


class User(Base):
    """A person who signs in. ``password_hash`` is an argon2 hash, never the password."""

    __tablename__ = "users"
    __table_args__ = (enum_check("role", USER_ROLES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="viewer", server_default="viewer")
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def is_admin(self) -> bool:
        """True for the global ``admin`` role."""
        return self.role == "admin"

    def __repr__(self) -> str:
        return f"User(id={self.id!r}, username={self.username!r}, role={self.role!r})"


class Membership(Base):
    """A user's role in one study; at most one per (user, study)."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("user_id", "study_id"),
        Index(None, "study_id"),
        enum_check("role", MEMBERSHIP_ROLES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    study: Mapped[Study] = relationship(back_populates="memberships")

    def __repr__(self) -> str:
        return (
            f"Membership(user_id={self.user_id!r}, study_id={self.study_id!r}, role={self.role!r})"
        )


class RefreshToken(Base):
    """One issued refresh token, for rotation and reuse detection.

    Tokens of one login share a ``family_id``; rotating sets ``revoked_at`` and
    ``replaced_by`` (the successor's ``jti``). Presenting a revoked token again means
    it was stolen, and the whole family is revoked.
    """

    __tablename__ = "refresh_tokens"
    __table_args__ = (Index(None, "user_id"), Index(None, "family_id"))

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    family_id: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    replaced_by: Mapped[str | None] = mapped_column(String(64))

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"RefreshToken(jti={self.jti!r}, user_id={self.user_id!r}, family_id={self.family_id!r})"
