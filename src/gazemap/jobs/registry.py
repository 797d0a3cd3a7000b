"""Task kinds: a name, the function that does the work, and whether re-running it is safe.

The service layer registers its kinds (``heatmap``, ``prerender_study``) with
:func:`register_task` when :mod:`gazemap.service.jobs` is imported; workers and the API
import that module before they run anything. The jobs package itself knows no kinds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gazemap.errors import InvalidInputError
from gazemap.jobs.base import TaskFunction

__all__ = ["TaskSpec", "get_task", "register_task", "registered_kinds"]


@dataclass(frozen=True)
class TaskSpec:
    """A registered task kind.

    Attributes
    ----------
    kind:
        Name stored in ``Job.kind``.
    function:
        ``(ctx, params, progress) -> result key or None``.
    idempotent:
        True when running the task twice gives the same result and no other effect (its
        output lands in a cache under a key derived from its inputs). Idempotent jobs
        interrupted by a restart are re-queued; others are marked failed.
    """

    kind: str
    function: TaskFunction
    idempotent: bool = True


_TASKS: dict[str, TaskSpec] = {}


def register_task(kind: str, *, idempotent: bool = True) -> Callable[[TaskFunction], TaskFunction]:
    """Decorator registering a function as the implementation of job kind ``kind``.

    Parameters
    ----------
    kind:
        Job kind name (``[a-z_]+``, at most 64 characters).
    idempotent:
        See :class:`TaskSpec`.

    Returns
    -------
    callable
        The decorator; it returns the function unchanged.

    Raises
    ------
    InvalidInputError
        A malformed kind name, or a kind registered twice with a different function.

    Examples
    --------
    >>> @register_task("doctest_echo")
    ... def echo(ctx, params, progress):
    ...     progress(1.0)
    ...     return params.get("key")
    >>> get_task("doctest_echo").function(None, {"key": "k"}, lambda f: None)
    'k'
    """
    if not kind or len(kind) > 64 or not all(c.islower() or c == "_" for c in kind):
        raise InvalidInputError(f"job kind must match [a-z_]{{1,64}}, got {kind!r}", field="kind")

    def decorate(function: TaskFunction) -> TaskFunction:
        known = _TASKS.get(kind)
        if known is not None and _name(known.function) != _name(function):
            raise InvalidInputError(
                f"job kind {kind!r} is already registered to {_name(known.function)}",
                field="kind",
            )
        _TASKS[kind] = TaskSpec(kind, function, idempotent)
        return function

    return decorate


def _name(function: TaskFunction) -> str:
    # a re-imported module registers a new function object with the same qualified name
    return f"{function.__module__}.{getattr(function, '__qualname__', repr(function))}"


def get_task(kind: str) -> TaskSpec:
    """The registered task of ``kind``.

    Raises
    ------
    InvalidInputError
        No task of that kind is registered in this process.
    """
    try:
        return _TASKS[kind]
    except KeyError:
        known = ", ".join(sorted(_TASKS)) or "none"
        raise InvalidInputError(
            f"unknown job kind {kind!r} (registered: {known})", field="kind"
        ) from None


def registered_kinds() -> list[str]:
    """Names of every registered kind, sorted."""
    return sorted(_TASKS)
