"""Declarative base, naming convention and the column types every table shares.

Constraint names follow one convention so that Alembic's SQLite batch mode can
recreate tables and later migrations can drop constraints by name on both databases.
Datetimes are always timezone-aware UTC: SQLite stores them without an offset, so
:class:`UTCDateTime` re-attaches UTC when it reads them back and refuses naive
values on the way in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, CheckConstraint, DateTime, Integer, MetaData
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

__all__ = ["Base", "JSONDocument", "UTCDateTime", "enum_check", "utcnow"]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSONB on PostgreSQL: it has an equality operator (so SELECT DISTINCT over a row
# works) and can be GIN-indexed later; plain JSON text on SQLite.
JSONDocument = JSON().with_variant(JSONB(), "postgresql")

# SQLite only auto-increments an ``INTEGER PRIMARY KEY``, not ``BIGINT``.
BigIntegerKey = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    """The current time as a timezone-aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A ``TIMESTAMP WITH TIME ZONE`` that only accepts and returns aware UTC datetimes.

    Naive datetimes are refused on the way in (a naive value is ambiguous and
    would silently shift by the server's offset); values read back from SQLite,
    which keeps no offset, get UTC attached.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"datetime must be timezone-aware, got naive {value.isoformat()}")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            # stored as UTC text without offset so that text order is time order
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_check(column: str, values: Sequence[str], *, name: str | None = None) -> CheckConstraint:
    """A CHECK constraint that keeps a string column inside a fixed set of values.

    Parameters
    ----------
    column:
        Column name.
    values:
        Allowed values.
    name:
        Constraint name suffix; default ``<column>_values``. The naming
        convention prefixes ``ck_<table>_``.

    Returns
    -------
    CheckConstraint
        ``column IN ('a', 'b', ...)``.
    """
    listed = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return CheckConstraint(f"{column} IN ({listed})", name=name or f"{column}_values")


class Base(DeclarativeBase):
    """Declarative base of every gazemap table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}
