"""Initial schema: accounts, studies, stimuli, participants, recordings, audit, jobs.

Revision ID: 0001
Revises:
Create Date: 2026-12-04 21:16:22.749368
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# written out here, not imported from gazemap.store.models: a migration must keep
# describing the schema of its day when the models move on
UTC_DATETIME = sa.DateTime(timezone=True)
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIG_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), server_default="viewer", nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint(
            "role IN ('admin', 'researcher', 'viewer')", name=op.f("ck_users_role_values")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "refresh_tokens",
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.String(length=64), nullable=False),
        sa.Column("issued_at", UTC_DATETIME, nullable=False),
        sa.Column("expires_at", UTC_DATETIME, nullable=False),
        sa.Column("revoked_at", UTC_DATETIME, nullable=True),
        sa.Column("replaced_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_refresh_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_refresh_tokens")),
    )
    op.create_index(op.f("ix_refresh_tokens_family_id"), "refresh_tokens", ["family_id"])
    op.create_index(op.f("ix_refresh_tokens_user_id"), "refresh_tokens", ["user_id"])

    op.create_table(
        "studies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("screen_width_px", sa.Integer(), nullable=True),
        sa.Column("screen_height_px", sa.Integer(), nullable=True),
        sa.Column("screen_width_mm", sa.Float(), nullable=True),
        sa.Column("screen_height_mm", sa.Float(), nullable=True),
        sa.Column("viewing_distance_mm", sa.Float(), nullable=True),
        sa.Column("min_group_size", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint(
            "min_group_size IS NULL OR min_group_size >= 1", name=op.f("ck_studies_min_group_size")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_studies_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_studies")),
    )
    op.create_index(op.f("ix_studies_created_by_id"), "studies", ["created_by_id"])

    op.create_table(
        "audit_events",
        sa.Column("id", BIG_KEY, nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("study_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=255), nullable=True),
        sa.Column("parameters", JSON_DOCUMENT, nullable=False),
        sa.Column("outcome", sa.String(length=16), server_default="ok", nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "outcome IN ('ok', 'denied', 'error')", name=op.f("ck_audit_events_outcome_values")
        ),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["studies.id"],
            name=op.f("fk_audit_events_study_id_studies"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_audit_events_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index(op.f("ix_audit_events_at"), "audit_events", ["at"])
    op.create_index(op.f("ix_audit_events_study_id_at"), "audit_events", ["study_id", "at"])
    op.create_index(op.f("ix_audit_events_user_id_at"), "audit_events", ["user_id", "at"])

    op.create_table(
        "jobs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="queued", nullable=False),
        sa.Column("progress", sa.Float(), server_default="0", nullable=False),
        sa.Column("params", JSON_DOCUMENT, nullable=False),
        sa.Column("result_key", sa.String(length=512), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("study_id", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("started_at", UTC_DATETIME, nullable=True),
        sa.Column("finished_at", UTC_DATETIME, nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')", name=op.f("ck_jobs_status_values")
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_jobs_attempts")),
        sa.CheckConstraint("progress >= 0 AND progress <= 1", name=op.f("ck_jobs_progress_range")),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_jobs_owner_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["study_id"], ["studies.id"], name=op.f("fk_jobs_study_id_studies"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_index(op.f("ix_jobs_owner_id_created_at"), "jobs", ["owner_id", "created_at"])
    op.create_index(op.f("ix_jobs_status_created_at"), "jobs", ["status", "created_at"])
    op.create_index(op.f("ix_jobs_study_id"), "jobs", ["study_id"])

    op.create_table(
        "memberships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint(
            "role IN ('researcher', 'viewer')", name=op.f("ck_memberships_role_values")
        ),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["studies.id"],
            name=op.f("fk_memberships_study_id_studies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_memberships_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memberships")),
        sa.UniqueConstraint("user_id", "study_id", name=op.f("uq_memberships_user_id_study_id")),
    )
    op.create_index(op.f("ix_memberships_study_id"), "memberships", ["study_id"])

    op.create_table(
        "participants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("gender", sa.String(length=32), nullable=True),
        sa.Column("age", sa.Integer(), nullable=True),
        sa.Column("attributes", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint(
            "age IS NULL OR (age >= 0 AND age < 150)", name=op.f("ck_participants_age_range")
        ),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["studies.id"],
            name=op.f("fk_participants_study_id_studies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participants")),
        sa.UniqueConstraint("id", "study_id", name=op.f("uq_participants_id_study_id")),
        sa.UniqueConstraint(
            "study_id", "pseudonym", name=op.f("uq_participants_study_id_pseudonym")
        ),
    )
    op.create_index(
        op.f("ix_participants_study_id_gender_age"), "participants", ["study_id", "gender", "age"]
    )

    op.create_table(
        "stimuli",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("page_key", sa.String(length=255), nullable=False),
        sa.Column("version", sa.String(length=64), server_default="1", nullable=False),
        sa.Column("image_key", sa.String(length=80), nullable=True),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("content_type", sa.String(length=100), nullable=True),
        sa.Column("data_version", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint("data_version >= 0", name=op.f("ck_stimuli_data_version")),
        sa.CheckConstraint("width > 0 AND height > 0", name=op.f("ck_stimuli_positive_size")),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["studies.id"],
            name=op.f("fk_stimuli_study_id_studies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stimuli")),
        sa.UniqueConstraint("id", "study_id", name=op.f("uq_stimuli_id_study_id")),
        sa.UniqueConstraint(
            "study_id", "page_key", "version", name=op.f("uq_stimuli_study_id_page_key_version")
        ),
    )
    op.create_table(
        "recordings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("stimulus_id", sa.Integer(), nullable=False),
        sa.Column("started_at", UTC_DATETIME, nullable=True),
        sa.Column("device", sa.String(length=100), nullable=True),
        sa.Column("sampling_rate", sa.Float(), nullable=True),
        sa.Column("screen_width_px", sa.Integer(), nullable=True),
        sa.Column("screen_height_px", sa.Integer(), nullable=True),
        sa.Column("screen_width_mm", sa.Float(), nullable=True),
        sa.Column("screen_height_mm", sa.Float(), nullable=True),
        sa.Column("viewing_distance_mm", sa.Float(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sample_count", sa.Integer(), nullable=False),
        sa.Column("gaze_key", sa.String(length=80), nullable=False),
        sa.Column("source_name", sa.String(length=255), nullable=True),
        sa.Column("cleaning_report", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint(
            "kind IN ('samples', 'fixations')", name=op.f("ck_recordings_kind_values")
        ),
        sa.CheckConstraint("sample_count >= 0", name=op.f("ck_recordings_sample_count")),
        sa.CheckConstraint(
            "sampling_rate IS NULL OR sampling_rate > 0", name=op.f("ck_recordings_sampling_rate")
        ),
        sa.ForeignKeyConstraint(
            ["participant_id", "study_id"],
            ["participants.id", "participants.study_id"],
            name=op.f("fk_recordings_participant_id_study_id_participants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["stimulus_id", "study_id"],
            ["stimuli.id", "stimuli.study_id"],
            name=op.f("fk_recordings_stimulus_id_study_id_stimuli"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["studies.id"],
            name=op.f("fk_recordings_study_id_studies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recordings")),
    )
    op.create_index(op.f("ix_recordings_participant_id"), "recordings", ["participant_id"])
    op.create_index(
        op.f("ix_recordings_stimulus_id_device"), "recordings", ["stimulus_id", "device"]
    )
    op.create_index(
        op.f("ix_recordings_stimulus_id_participant_id"),
        "recordings",
        ["stimulus_id", "participant_id"],
    )
    op.create_index(
        op.f("ix_recordings_stimulus_id_started_at"), "recordings", ["stimulus_id", "started_at"]
    )
    op.create_index(op.f("ix_recordings_study_id"), "recordings", ["study_id"])


def downgrade() -> None:
    # dropping a table drops its indexes and constraints
    op.drop_table("recordings")
    op.drop_table("stimuli")
    op.drop_table("participants")
    op.drop_table("memberships")
    op.drop_table("jobs")
    op.drop_table("audit_events")
    op.drop_table("studies")
    op.drop_table("refresh_tokens")
    op.drop_table("users")
