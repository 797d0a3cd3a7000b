"""Studies and what they hold: stimuli, participants and recordings.

Deleting a study deletes its stimuli, participants and recordings (``ON DELETE
CASCADE`` in the database, so it holds for raw SQL too); deleting a participant (erasure)
or a stimulus deletes their recordings. Blobs are never deleted with rows: keys are
content-addressed and may be shared, so :func:`gazemap.store.gc.collect_orphan_blobs`
removes the ones nothing points to any more.

A recording's participant and stimulus must belong to the recording's study: the two
foreign keys are composite, ``(participant_id, study_id)`` and ``(stimulus_id,
study_id)``, so the database itself refuses a recording that links two studies.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from gazemap.store.models.accounts import Membership
from gazemap.store.models.base import Base, JSONDocument, enum_check, utcnow

__all__ = ["RECORDING_KINDS", "Participant", "Recording", "Stimulus", "Study"]

RECORDING_KINDS = ("samples", "fixations")
BLOB_KEY_LENGTH = 80  # "sha256/ab/cd/" + 64 hex digits = 77


class Study(Base):
    """The unit of ownership and access, with default screen geometry."""

    __tablename__ = "studies"
    __table_args__ = (
        CheckConstraint("min_group_size IS NULL OR min_group_size >= 1", name="min_group_size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    screen_width_px: Mapped[int | None]
    screen_height_px: Mapped[int | None]
    screen_width_mm: Mapped[float | None] = mapped_column(Float)
    screen_height_mm: Mapped[float | None] = mapped_column(Float)
    viewing_distance_mm: Mapped[float | None] = mapped_column(Float)
    #: ``None`` means the ``security.min_group_size`` setting applies.
    min_group_size: Mapped[int | None]
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="study", cascade="all, delete-orphan", passive_deletes=True
    )
    stimuli: Mapped[list[Stimulus]] = relationship(
        back_populates="study", cascade="all, delete-orphan", passive_deletes=True
    )
    participants: Mapped[list[Participant]] = relationship(
        back_populates="study", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"Study(id={self.id!r}, name={self.name!r})"


class Stimulus(Base):
    """What was looked at: an image in the blob store and its size in px.

    ``version`` is the layout version as text (``"1"``, ``"2024-03"``, a commit id):
    page layouts are named by people, not counted. ``data_version`` is bumped in the
    same transaction as every change to the stimulus's recordings and is part of
    every heat-map cache key.
    """

    __tablename__ = "stimuli"
    __table_args__ = (
        UniqueConstraint("study_id", "page_key", "version"),
        # target of the recordings' composite foreign key
        UniqueConstraint("id", "study_id"),
        CheckConstraint("width > 0 AND height > 0", name="positive_size"),
        CheckConstraint("data_version >= 0", name="data_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    page_key: Mapped[str] = mapped_column(String(255))
    version: Mapped[str] = mapped_column(String(64), default="1", server_default="1")
    image_key: Mapped[str | None] = mapped_column(String(BLOB_KEY_LENGTH))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64))
    content_type: Mapped[str | None] = mapped_column(String(100))
    data_version: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    study: Mapped[Study] = relationship(back_populates="stimuli")
    recordings: Mapped[list[Recording]] = relationship(
        back_populates="stimulus",
        cascade="all, delete-orphan",
        passive_deletes=True,
        foreign_keys="Recording.stimulus_id",
        overlaps="participant,recordings",
    )

    def __repr__(self) -> str:
        return (
            f"Stimulus(id={self.id!r}, page_key={self.page_key!r}, version={self.version!r}, "
            f"data_version={self.data_version!r})"
        )


class Participant(Base):
    """A pseudonymous person: ``pseudonym`` is a keyed hash of the external id."""

    __tablename__ = "participants"
    __table_args__ = (
        UniqueConstraint("study_id", "pseudonym"),
        UniqueConstraint("id", "study_id"),
        Index(None, "study_id", "gender", "age"),
        CheckConstraint("age IS NULL OR (age >= 0 AND age < 150)", name="age_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id", ondelete="CASCADE"))
    pseudonym: Mapped[str] = mapped_column(String(64))
    gender: Mapped[str | None] = mapped_column(String(32))
    age: Mapped[int | None]
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    study: Mapped[Study] = relationship(back_populates="participants")
    recordings: Mapped[list[Recording]] = relationship(
        back_populates="participant",
        cascade="all, delete-orphan",
        passive_deletes=True,
        foreign_keys="Recording.participant_id",
        overlaps="stimulus,recordings",
    )

    def __repr__(self) -> str:
        return f"Participant(id={self.id!r}, study_id={self.study_id!r})"


class Recording(Base):
    """One participant looking at one stimulus in one session; gaze arrays in a blob.

    ``study_id`` is taken from the participant or stimulus object when one is
    assigned and it is not set yet. ``started_at`` is ``None`` when the file does not say; date-range slices then
    leave the recording out.
    """

    __tablename__ = "recordings"
    __table_args__ = (
        ForeignKeyConstraint(
            ["participant_id", "study_id"],
            ["participants.id", "participants.study_id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["stimulus_id", "study_id"], ["stimuli.id", "stimuli.study_id"], ondelete="CASCADE"
        ),
        Index(None, "stimulus_id", "participant_id"),
        Index(None, "stimulus_id", "started_at"),
        Index(None, "stimulus_id", "device"),
        # the cascades from participants and studies look recordings up by these
        Index(None, "participant_id"),
        Index(None, "study_id"),
        enum_check("kind", RECORDING_KINDS),
        CheckConstraint("sample_count >= 0", name="sample_count"),
        CheckConstraint("sampling_rate IS NULL OR sampling_rate > 0", name="sampling_rate"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id", ondelete="CASCADE"))
    participant_id: Mapped[int]
    stimulus_id: Mapped[int]
    started_at: Mapped[datetime | None]
    device: Mapped[str | None] = mapped_column(String(100))
    sampling_rate: Mapped[float | None] = mapped_column(Float)
    screen_width_px: Mapped[int | None]
    screen_height_px: Mapped[int | None]
    screen_width_mm: Mapped[float | None] = mapped_column(Float)
    screen_height_mm: Mapped[float | None] = mapped_column(Float)
    viewing_distance_mm: Mapped[float | None] = mapped_column(Float)
    kind: Mapped[str] = mapped_column(String(16))
    sample_count: Mapped[int]
    gaze_key: Mapped[str] = mapped_column(String(BLOB_KEY_LENGTH))
    source_name: Mapped[str | None] = mapped_column(String(255))
    cleaning_report: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    participant: Mapped[Participant] = relationship(
        back_populates="recordings",
        foreign_keys="Recording.participant_id",
        primaryjoin="Recording.participant_id == Participant.id",
        overlaps="stimulus,recordings",
    )
    stimulus: Mapped[Stimulus] = relationship(
        back_populates="recordings",
        foreign_keys="Recording.stimulus_id",
        primaryjoin="Recording.stimulus_id == Stimulus.id",
        overlaps="participant,recordings",
    )

    @validates("participant", "stimulus")
    def _take_study(
        self, _name: str, value: Participant | Stimulus | None
    ) -> Participant | Stimulus | None:
        # Recording(participant=p, stimulus=s) needs no explicit study_id; a mismatch
        # between the two is left for the composite foreign keys to refuse
        if value is not None and getattr(self, "study_id", None) is None:
            self.study_id = value.study_id
        return value

    def __repr__(self) -> str:
        return (
            f"Recording(id={self.id!r}, participant_id={self.participant_id!r}, "
            f"stimulus_id={self.stimulus_id!r}, kind={self.kind!r}, n={self.sample_count!r})"
        )
