"""Audit journal entries: the checks the database would make, and the rows they become.

An entry that the database would refuse would fail its whole batch, so :func:`problem_of`
refuses it at :meth:`~gazemap.service.audit_journal.AuditJournal.submit` (and skips it on
replay). :func:`insert_entries` resolves the studies of a batch and inserts its rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite

from gazemap.store.models import AUDIT_OUTCOMES, AuditEvent, Participant, Recording, Stimulus, Study

__all__ = ["CHUNK", "STUDY_REFS", "insert_entries", "problem_of"]

#: Rows per INSERT statement and ids per IN list (well under every driver's parameter limit).
CHUNK = 1000

#: Keyword arguments that name the study of an entry, in the order they are tried:
#: name -> (study id column, key column).
STUDY_REFS: dict[str, tuple[Any, Any]] = {
    "study_id": (Study.id, Study.id),
    "stimulus_id": (Stimulus.study_id, Stimulus.id),
    "recording_id": (Recording.study_id, Recording.id),
    "participant_id": (Participant.study_id, Participant.id),
}

# longest strings the columns take (audit_events); a longer one would fail its whole batch
_LIMITS = {"action": 64, "target": 255, "request_id": 64, "journal_key": 32}


def problem_of(entry: Mapping[str, Any]) -> tuple[str, str] | None:
    """What would make the database refuse ``entry`` (and so its batch): (field, message)."""
    action = entry.get("action")
    if not isinstance(action, str) or not action:
        return "action", f"action must be 1 to 64 characters, got {action!r}"
    for name, limit in _LIMITS.items():
        value = entry.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            return name, f"{name} must be a string of at most {limit} characters, got {value!r}"
    if entry.get("outcome") not in AUDIT_OUTCOMES:
        return (
            "outcome",
            f"outcome must be one of {list(AUDIT_OUTCOMES)}, got {entry.get('outcome')!r}",
        )
    if not isinstance(entry.get("journal_key"), str):
        return "journal_key", "journal_key must be a string"
    if not isinstance(entry.get("parameters", {}), dict):
        return (
            "parameters",
            f"parameters must be a dict, got {type(entry.get('parameters')).__name__}",
        )
    if not isinstance(entry.get("refs", {}), dict):
        return "refs", f"refs must be a dict, got {type(entry.get('refs')).__name__}"
    user_id = entry.get("user_id")
    if user_id is not None and (not isinstance(user_id, int) or isinstance(user_id, bool)):
        return "user_id", f"user_id must be an integer or None, got {user_id!r}"
    try:
        at = datetime.fromisoformat(str(entry.get("at")))
    except ValueError:
        return "at", f"at must be an ISO 8601 time, got {entry.get('at')!r}"
    if at.utcoffset() is None:
        return "at", f"at must be timezone-aware, got {entry.get('at')!r}"
    return None


def insert_entries(engine: Engine, batch: list[dict[str, Any]]) -> None:
    """Insert ``batch`` into ``audit_events`` in one transaction.

    Parameters
    ----------
    engine:
        Engine of the database holding ``audit_events``.
    batch:
        Entries that passed :func:`problem_of`. The study of each is looked up with one
        query per id kind of :data:`STUDY_REFS` (ids in chunks of :data:`CHUNK`); an
        entry whose ``journal_key`` is already there is skipped.

    Raises
    ------
    sqlalchemy.exc.SQLAlchemyError
        When the database refuses the batch; nothing of it is inserted.
    """
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as connection:
        studies: dict[str, dict[int, int | None]] = {}
        for name, (column, key) in STUDY_REFS.items():
            ids = sorted({v for entry in batch if (v := _ref(entry, name)) is not None})
            found: dict[int, int | None] = {}
            for start in range(0, len(ids), CHUNK):
                pairs = connection.execute(
                    select(key, column).where(key.in_(ids[start : start + CHUNK]))
                )
                found.update({int(k): (int(s) if s is not None else None) for k, s in pairs})
            studies[name] = found
        rows = [_row(entry, studies) for entry in batch]
        # one executemany of a statement built once: SQLAlchemy compiles it once and
        # batches the rows into multi-row INSERTs itself ("insertmanyvalues"), where
        # .values(rows) would compile a new statement for every batch size
        connection.execute(_INSERT[postgres], rows)


def _ref(entry: Mapping[str, Any], name: str) -> int | None:
    value = (entry.get("refs") or {}).get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _study_of(
    entry: Mapping[str, Any], studies: Mapping[str, Mapping[int, int | None]]
) -> int | None:
    # the first id kind present decides, as the synchronous lookup does
    for name in STUDY_REFS:
        value = _ref(entry, name)
        if value is not None:
            return studies[name].get(value)
    return None


# a replayed entry (crash between commit and delete) is already there: skipped
_INSERT = {
    True: postgresql.insert(AuditEvent).on_conflict_do_nothing(index_elements=["journal_key"]),
    False: sqlite.insert(AuditEvent).on_conflict_do_nothing(index_elements=["journal_key"]),
}


def _row(
    entry: Mapping[str, Any], studies: Mapping[str, Mapping[int, int | None]]
) -> dict[str, Any]:
    return {
        "at": datetime.fromisoformat(str(entry["at"])),
        "user_id": entry.get("user_id"),
        "study_id": _study_of(entry, studies),
        "action": entry["action"],
        "target": entry.get("target"),
        "parameters": entry.get("parameters") or {},
        "outcome": entry["outcome"],
        "request_id": entry.get("request_id"),
        "journal_key": str(entry["journal_key"]),
    }
