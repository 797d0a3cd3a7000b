"""Audit decorators for service functions: refusals always, and every use of aggregate reads.

Changes (upload, deletion, permission change, export) write their ``"ok"`` entry inside
their own transaction (:func:`gazemap.service.audit.record_audit`), so the entry exists
exactly when the change committed. What such a function cannot record itself is a
refusal, since its transaction rolls back: :func:`audit_refusals` catches
:class:`~gazemap.errors.PermissionDeniedError`, :class:`~gazemap.errors.GroupTooSmallError`
and :class:`~gazemap.errors.NotFoundError` (an invisible id is refused as missing),
writes an entry with outcome ``"denied"`` in a transaction of its own, and re-raises.

Reads that change nothing but must still be accounted for (heat maps, comparisons,
AOI metrics) use :func:`audited`, which also records the ``"ok"`` entry after success:
through the context's audit journal (:mod:`gazemap.service.audit_journal`: appended to a
local file before the answer, inserted within ``settings.audit.flush_seconds``), or in a
transaction of its own when the journal is off (``flush_seconds = 0``). Either way an
entry that cannot be recorded fails the call.

Parameters are taken only from the keyword arguments named in ``keep``; objects with a
``canonical()`` method (params, slices, render options) are stored in that form, lists
by their length. Nothing else is recorded, so raw participant ids (``participant=`` of
an upload), passwords and file contents never reach the log.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from gazemap.errors import GazemapError, GroupTooSmallError, NotFoundError, PermissionDeniedError
from gazemap.service.actor import Actor
from gazemap.service.audit_journal import STUDY_REFS
from gazemap.service.context import ServiceContext

__all__ = ["REFUSALS", "audit_refusals", "audited"]

P = ParamSpec("P")
R = TypeVar("R")

#: The errors that count as a refusal (outcome ``"denied"``).
REFUSALS: tuple[type[Exception], ...] = (PermissionDeniedError, GroupTooSmallError, NotFoundError)

log = logging.getLogger("gazemap.audit")


def _jsonable(value: Any) -> Any:
    canonical = getattr(value, "canonical", None)
    if callable(canonical):
        return canonical()
    if isinstance(value, list | tuple):
        return len(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return type(value).__name__


def _request_id() -> str | None:
    # the API's request id, when structlog's context carries one (see gazemap.obs)
    try:
        import structlog
    except ImportError:  # pragma: no cover - structlog is a dependency
        return None
    value = structlog.contextvars.get_contextvars().get("request_id")
    return str(value) if value is not None else None


def _study_of(session: Session, kwargs: dict[str, Any]) -> int | None:
    """The study of the first object id among the keyword arguments, if any."""
    for name, (column, key) in STUDY_REFS.items():
        value = kwargs.get(name)
        if isinstance(value, int):
            found = session.scalar(select(column).where(key == value))
            return int(found) if found is not None else None
    return None


def _record(
    ctx: ServiceContext,
    actor: Actor,
    action: str,
    kwargs: dict[str, Any],
    *,
    target: str | None,
    keep: tuple[str, ...],
    outcome: str,
    reason: str | None = None,
) -> None:
    from gazemap.service.audit import record_audit

    parameters = {name: _jsonable(kwargs[name]) for name in keep if name in kwargs}
    if reason is not None:
        parameters["refused"] = reason
    # One transaction for the lookup and the entry (a heat map's audit is most of a cached
    # request's database work). Read-then-write is safe here: write transactions begin
    # IMMEDIATE on SQLite (gazemap.store.engine), so they wait for a concurrent writer.
    with ctx.session() as session:
        # looked up even when given: a refused call may name a study that does not exist
        study_id = _study_of(session, kwargs)
        record_audit(
            session,
            actor=actor,
            action=action,
            study_id=study_id if isinstance(study_id, int) else None,
            target=target.format(**kwargs) if target else None,
            parameters=parameters,
            outcome=outcome,
            request_id=_request_id(),
        )


def _journal(
    ctx: ServiceContext,
    actor: Actor,
    action: str,
    kwargs: dict[str, Any],
    *,
    target: str | None,
    keep: tuple[str, ...],
) -> None:
    """Hand a read's ``"ok"`` entry to the context's journal (raises if it cannot)."""
    if ctx.audit is None:  # pragma: no cover - callers check
        raise RuntimeError("the context has no audit journal")
    refs = {
        name: value
        for name in STUDY_REFS
        if isinstance(value := kwargs.get(name), int) and not isinstance(value, bool)
    }
    ctx.audit.submit(
        {
            "user_id": actor.user_id,
            "action": action,
            "target": target.format(**kwargs) if target else None,
            "parameters": {name: _jsonable(kwargs[name]) for name in keep if name in kwargs},
            "outcome": "ok",
            "request_id": _request_id(),
            "refs": refs,
            "at": datetime.now(UTC).isoformat(),
        }
    )


def _decorate(
    action: str, target: str | None, keep: tuple[str, ...], *, record_ok: bool
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(function)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            ctx = args[0] if args else kwargs.get("ctx")
            actor = kwargs.get("actor")
            if not isinstance(ctx, ServiceContext) or not isinstance(actor, Actor):
                return function(*args, **kwargs)
            try:
                result = function(*args, **kwargs)
            except REFUSALS as exc:
                try:
                    _record(
                        ctx,
                        actor,
                        action,
                        dict(kwargs),
                        target=target,
                        keep=keep,
                        outcome="denied",
                        reason=type(exc).__name__,
                    )
                except (SQLAlchemyError, GazemapError) as failure:
                    # the refusal stands; a lost audit row must not turn it into a 500
                    log.warning(
                        "audit entry for a refused %s could not be written: %s", action, failure
                    )
                raise
            if record_ok and ctx.audit is not None:
                _journal(ctx, actor, action, dict(kwargs), target=target, keep=keep)
            elif record_ok:
                _record(ctx, actor, action, dict(kwargs), target=target, keep=keep, outcome="ok")
            return result

        return wrapper

    return decorate


def audit_refusals(
    action: str, *, target: str | None = None, keep: tuple[str, ...] = ()
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator: write a ``"denied"`` audit entry when the service function is refused.

    Parameters
    ----------
    action:
        The action the function records on success (``"recording.delete"``).
    target:
        ``str.format`` template over the keyword arguments (``"recording:{recording_id}"``).
    keep:
        Keyword arguments to store as parameters (see the module docstring).

    Returns
    -------
    callable
        The decorator. The function must take ``ctx`` first and ``actor=`` by keyword.

    Notes
    -----
    The study of the entry comes from ``study_id=``, or is looked up from
    ``stimulus_id=``, ``recording_id=`` or ``participant_id=``.
    """
    return _decorate(action, target, keep, record_ok=False)


def audited(
    action: str, *, target: str | None = None, keep: tuple[str, ...] = ()
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator: audit every call, ``"ok"`` after success and ``"denied"`` on refusal.

    For reads that do not audit themselves (heat maps, comparisons, AOI metrics).
    Parameters as for :func:`audit_refusals`. The ``"ok"`` entry is recorded after the
    function returns, in ``ctx.audit`` (the journal) or, without one, in its own
    transaction; if it cannot be recorded the call fails (no unaudited answers):
    :class:`~gazemap.errors.AuditUnavailableError` from the journal, a database error
    otherwise.
    """
    return _decorate(action, target, keep, record_ok=True)
