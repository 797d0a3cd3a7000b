"""Audit entries of reads carry the key of their journal line (replays insert nothing twice).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 23:55:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # batch mode: SQLite cannot add a UNIQUE constraint in place, so it recreates the table
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("journal_key", sa.String(length=32), nullable=True))
        batch.create_unique_constraint(op.f("uq_audit_events_journal_key"), ["journal_key"])


def downgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_constraint(op.f("uq_audit_events_journal_key"), type_="unique")
        batch.drop_column("journal_key")
