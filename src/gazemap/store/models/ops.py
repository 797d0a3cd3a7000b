"""Operational records: the audit log and background jobs.

Audit events outlive the users and studies they mention (their foreign keys are set
to ``NULL`` on delete) so the log keeps its history. Jobs belong to their owner and
study and go with them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gazemap.store.models.base import Base, BigIntegerKey, JSONDocument, enum_check, utcnow

__all__ = ["AUDIT_OUTCOMES", "JOB_STATUSES", "AuditEvent", "Job"]

JOB_STATUSES = ("queued", "running", "done", "failed")
AUDIT_OUTCOMES = ("ok", "denied", "error")


class AuditEvent(Base):
    """Who did what to which target with which parameters, and how it ended."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index(None, "at"),
        Index(None, "user_id", "at"),
        Index(None, "study_id", "at"),
        enum_check("outcome", AUDIT_OUTCOMES),
    )

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    study_id: Mapped[int | None] = mapped_column(ForeignKey("studies.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(255))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    outcome: Mapped[str] = mapped_column(String(16), default="ok", server_default="ok")
    request_id: Mapped[str | None] = mapped_column(String(64))
    # uuid4 hex of an entry written through the audit journal (reads); NULL for entries
    # written in their own transaction. Unique, so replaying a journal inserts nothing twice.
    journal_key: Mapped[str | None] = mapped_column(String(32), unique=True)

    def __repr__(self) -> str:
        return f"AuditEvent(id={self.id!r}, action={self.action!r}, outcome={self.outcome!r})"


class Job(Base):
    """A unit of background work (a large heat map, an export), by id.

    ``params`` holds only JSON (ids and canonical parameters, never ORM objects or
    arrays); ``result_key`` names where the result went (a cache key or blob key).
    """

    __tablename__ = "jobs"
    __table_args__ = (
        Index(None, "status", "created_at"),
        Index(None, "owner_id", "created_at"),
        Index(None, "study_id"),
        enum_check("status", JOB_STATUSES),
        CheckConstraint("progress >= 0 AND progress <= 1", name="progress_range"),
        CheckConstraint("attempts >= 0", name="attempts"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="queued", server_default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    params: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    result_key: Mapped[str | None] = mapped_column(String(512))
    error: Mapped[str | None] = mapped_column(Text)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    study_id: Mapped[int | None] = mapped_column(ForeignKey("studies.id", ondelete="CASCADE"))
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"Job(id={self.id!r}, kind={self.kind!r}, status={self.status!r})"
