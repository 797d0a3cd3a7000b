"""Slice queries: the recordings of one stimulus that a :class:`Slice` selects.

Every query starts from ``recordings.stimulus_id`` so it can use the composite
indexes ``(stimulus_id, participant_id)``, ``(stimulus_id, started_at)`` and
``(stimulus_id, device)``; participant filters join ``participants`` by primary key
(demographic lookups over a whole study use ``(study_id, gender, age)``).

Attribute filters compare JSON values with their type: a portable ``json_type`` test
(``json_type`` on SQLite, ``jsonb_typeof`` on PostgreSQL) guards each typed read,
so the same slice selects the same rows on both databases.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, or_, select, update
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import String

from gazemap.store.models import Participant, Recording, Stimulus
from gazemap.store.slices import AttributeValue, Slice

__all__ = [
    "bump_data_versions",
    "count_participants",
    "recordings_statement",
    "select_recordings",
]


class _JsonTypeOf(FunctionElement[str]):
    """Portable JSON type name of ``column[key]``: 'string', 'number', 'boolean', …"""

    type = String()
    inherit_cache = True
    name = "json_type_of"


@compiles(_JsonTypeOf, "sqlite")
def _json_type_sqlite(element: _JsonTypeOf, compiler: SQLCompiler, **kw: Any) -> str:
    column, key = list(element.clauses)
    # a JSON path with the key quoted; Slice allows no quotes or dots in keys
    path = f"""'$."' || {compiler.process(key, **kw)} || '"'"""
    sql = f"json_type({compiler.process(column, **kw)}, {path})"
    # map SQLite's names onto PostgreSQL's so that one comparison serves both
    return (
        f"(CASE {sql} WHEN 'text' THEN 'string' WHEN 'integer' THEN 'number' "
        f"WHEN 'real' THEN 'number' WHEN 'true' THEN 'boolean' WHEN 'false' THEN 'boolean' "
        f"ELSE {sql} END)"
    )


@compiles(_JsonTypeOf, "postgresql")
def _json_type_postgresql(element: _JsonTypeOf, compiler: SQLCompiler, **kw: Any) -> str:
    column, key = list(element.clauses)
    return f"jsonb_typeof({compiler.process(column, **kw)} -> {compiler.process(key, **kw)})"


def _attribute_condition(key: str, values: tuple[AttributeValue, ...]) -> ColumnElement[bool]:
    column = Participant.attributes
    typeof = _JsonTypeOf(column, literal(key, String()))
    strings = [v for v in values if isinstance(v, str)]
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    booleans = [v for v in values if isinstance(v, bool)]
    alternatives: list[ColumnElement[bool]] = []
    if strings:
        alternatives.append(and_(typeof == "string", column[key].as_string().in_(strings)))
    if numbers:
        # CASE fixes the order: PostgreSQL must not cast a string value to a number
        as_number = case((typeof == "number", column[key].as_float()), else_=None)
        alternatives.append(as_number.in_([float(v) for v in numbers]))
    if booleans:
        as_bool = case((typeof == "boolean", column[key].as_boolean()), else_=None)
        alternatives.append(as_bool.in_(booleans))
    return or_(*alternatives)


def _conditions(slice: Slice) -> tuple[list[ColumnElement[bool]], bool]:
    """Conditions of ``slice`` and whether any of them needs ``participants``."""
    on_recording: list[ColumnElement[bool]] = []
    on_participant: list[ColumnElement[bool]] = []
    if slice.device is not None:
        on_recording.append(Recording.device.in_(slice.device))
    if slice.recorded_from is not None:
        on_recording.append(Recording.started_at >= slice.recorded_from)
    if slice.recorded_to is not None:
        on_recording.append(Recording.started_at < slice.recorded_to)
    if slice.participant_ids is not None:
        on_recording.append(Recording.participant_id.in_(slice.participant_ids))
    if slice.gender is not None:
        on_participant.append(Participant.gender.in_(slice.gender))
    if slice.age_min is not None:
        on_participant.append(Participant.age >= slice.age_min)
    if slice.age_max is not None:
        on_participant.append(Participant.age <= slice.age_max)
    for key, values in slice.attributes.items():
        on_participant.append(_attribute_condition(key, values))
    return on_recording + on_participant, bool(on_participant)


def recordings_statement(*, stimulus_id: int, slice: Slice, columns: Any = None) -> Select[Any]:
    """The SELECT behind :func:`select_recordings`, for composing or ``EXPLAIN``.

    Parameters
    ----------
    stimulus_id:
        Stimulus whose recordings are wanted.
    slice:
        Filters.
    columns:
        What to select; default the :class:`Recording` entity.

    Returns
    -------
    Select
        Filtered on ``stimulus_id`` and every filter of ``slice``, unordered.
    """
    stmt = select(Recording if columns is None else columns)
    conditions, needs_participant = _conditions(slice)
    if needs_participant:
        stmt = stmt.join(Participant, Participant.id == Recording.participant_id)
    return stmt.where(Recording.stimulus_id == stimulus_id, *conditions)


def select_recordings(session: Session, *, stimulus_id: int, slice: Slice) -> list[Recording]:
    """The recording rows of one stimulus that ``slice`` selects.

    Parameters
    ----------
    session:
        Open session.
    stimulus_id:
        Stimulus whose recordings are wanted. The caller has checked that the user
        may see it.
    slice:
        Filters; ``Slice()`` selects every recording of the stimulus.

    Returns
    -------
    list of Recording
        Ordered by participant, start time (unknown last) and id, the same on every
        database, so results are reproducible.
    """
    stmt = recordings_statement(stimulus_id=stimulus_id, slice=slice).order_by(
        Recording.participant_id, Recording.started_at.asc().nulls_last(), Recording.id
    )
    return list(session.scalars(stmt))


def count_participants(session: Session, *, stimulus_id: int, slice: Slice) -> int:
    """Distinct participants among the recordings ``slice`` selects on a stimulus.

    The policy layer compares this with the study's minimum group size before a
    viewer sees a heat map.

    Parameters
    ----------
    session:
        Open session.
    stimulus_id:
        Stimulus.
    slice:
        Filters.

    Returns
    -------
    int
        Number of distinct participant ids.
    """
    stmt = recordings_statement(
        stimulus_id=stimulus_id,
        slice=slice,
        columns=func.count(Recording.participant_id.distinct()),
    )
    return int(session.scalar(stmt) or 0)


def bump_data_versions(session: Session, stimulus_ids: Iterable[int]) -> None:
    """Add one to ``data_version`` of each stimulus, in the caller's transaction.

    Call it in the same transaction as every change to a stimulus's recordings
    (ingest, erasure), so cached heat maps of the old data can never be served again.

    Parameters
    ----------
    session:
        Open session; the caller commits.
    stimulus_ids:
        Stimuli whose data changed; duplicates count once.

    Notes
    -----
    One ``UPDATE … SET data_version = data_version + 1`` in the database, not a
    read-modify-write in Python, so two concurrent uploads cannot lose a bump.
    """
    ids = sorted(set(stimulus_ids))
    if not ids:
        return
    session.execute(
        update(Stimulus)
        .where(Stimulus.id.in_(ids))
        .values(data_version=Stimulus.data_version + 1)
        .execution_options(synchronize_session="fetch")
    )
