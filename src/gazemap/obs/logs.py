"""Structured logs: one JSON object per line in production, readable lines on a terminal.

:func:`configure_logging` sets up structlog and the standard ``logging`` root logger
together, so gazemap's own events, uvicorn's, Celery's and SQLAlchemy's all go through
the same processors: a UTC ISO timestamp, the level, the logger name, the request id
of the request being answered (from :mod:`structlog.contextvars`), and
:func:`redact`, which removes secrets before anything is written.

Settings: ``GAZEMAP_LOG_FORMAT=json|console`` and ``GAZEMAP_LOG_LEVEL`` (``DEBUG``,
``INFO``, ``WARNING``, ``ERROR``). The CLI (``gazemap serve``, ``gazemap worker``) calls
:func:`configure_logging` once at start; importing gazemap configures nothing.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any, TextIO

import structlog

from gazemap.errors import InvalidInputError

__all__ = [
    "LEVELS",
    "REDACTED",
    "SENSITIVE_KEYS",
    "build_formatter",
    "configure_logging",
    "configure_worker_logging",
    "get_logger",
    "logging_config",
    "redact",
]

#: Level names :func:`configure_logging` accepts.
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

#: What a redacted value is replaced with.
REDACTED = "[redacted]"

#: Keys whose values are never logged (compared lower-case, at any depth).
SENSITIVE_KEYS = frozenset(
    {
        "password",
        "new_password",
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "authorization",
        "cookie",
        "set-cookie",
        "secret",
        "secret_key",
        "pseudonym_key",
        "api_key",
        # the raw participant id of an upload form; only its keyed hash is ever stored
        "participant",
        "external_id",
    }
)

# a JWT anywhere in a string (three base64url parts, the first two JSON objects)
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_BEARER = re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+")

_HANDLER_MARK = "_gazemap_handler"


def _scrub(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        if "eyJ" in value or "earer" in value:
            value = _BEARER.sub("Bearer " + REDACTED, _JWT.sub(REDACTED, value))
        return value
    if depth > 32:  # deep enough for any log field; guards against cycles
        return value
    if isinstance(value, Mapping):
        return {
            k: REDACTED if str(k).lower() in SENSITIVE_KEYS else _scrub(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_scrub(v, depth + 1) for v in value]
    return value


def redact(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> Any:
    """structlog processor: blank sensitive keys and any token in the text.

    Values under :data:`SENSITIVE_KEYS` (at any depth) become :data:`REDACTED`; JWTs and
    ``Bearer …`` credentials inside any string, the message included, are cut out.

    Examples
    --------
    >>> redact(None, "info", {"event": "login", "password": "hunter2",
    ...                       "params": {"participant": "P-07", "level": 2}})
    {'event': 'login', 'password': '[redacted]', 'params': {'participant': '[redacted]', 'level': 2}}
    """
    for key in list(event_dict):
        if key.lower() in SENSITIVE_KEYS:
            event_dict[key] = REDACTED
        else:
            event_dict[key] = _scrub(event_dict[key])
    return event_dict


def _level(level: str | int) -> int:
    if isinstance(level, int) and level in logging.getLevelNamesMapping().values():
        return level
    name = str(level).strip().upper()
    if name == "WARN":
        name = "WARNING"
    if name not in LEVELS:
        raise InvalidInputError(
            f"log level must be one of {', '.join(LEVELS)}, got {level!r}", field="log_level"
        )
    return logging.getLevelNamesMapping()[name]


def _shared() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact,
    ]


def _check_format(format: str) -> None:
    if format not in ("json", "console"):
        raise InvalidInputError(
            f"log format must be 'json' or 'console', got {format!r}", field="log_format"
        )


def build_formatter(*, format: str = "console", colors: bool = False) -> logging.Formatter:
    """A ``logging`` formatter rendering every record through gazemap's processors.

    Also points structlog at the standard library (once per process is enough; calling
    it again is harmless), so structlog events and plain ``logging`` records come out
    alike. :func:`logging_config` names this factory, so ``dictConfig`` (and uvicorn
    in each worker process) can build it.

    Parameters
    ----------
    format:
        ``json`` or ``console``.
    colors:
        Colour the console format (only for a terminal).

    Returns
    -------
    logging.Formatter

    Raises
    ------
    InvalidInputError
        An unknown format.
    """
    _check_format(format)
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    renderer: Any
    tail: list[Any] = []
    if format == "json":
        renderer = structlog.processors.JSONRenderer(ensure_ascii=False, separators=(",", ":"))
        tail = [structlog.processors.format_exc_info]
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=colors)
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared(),
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *tail, renderer],
    )


def configure_logging(
    *,
    format: str = "console",
    level: str | int = "INFO",
    stream: TextIO | None = None,
) -> None:
    """Send every log event, structlog's and the standard library's, through one pipeline.

    Parameters
    ----------
    format:
        ``json``: one JSON object per line (for log shippers); ``console``: aligned,
        coloured when ``stream`` is a terminal (for ``make run``).
    level:
        Least severe level written (name or number).
    stream:
        Where lines go; default standard error (resolved at call time).

    Raises
    ------
    InvalidInputError
        An unknown format or level.

    Notes
    -----
    Calling it again replaces the handler it installed before (tests switch formats).
    uvicorn's own access log is silenced: the middleware writes a richer line per
    request (``event="request"``).
    """
    _check_format(format)
    numeric = _level(level)
    out = stream if stream is not None else sys.stderr
    handler = logging.StreamHandler(out)
    handler.setFormatter(build_formatter(format=format, colors=_isatty(out)))
    setattr(handler, _HANDLER_MARK, True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric)
    for name in ("uvicorn", "uvicorn.error", "celery"):
        # their own handlers would print a second, unstructured copy
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False
    access.disabled = True


def configure_worker_logging(*, format: str = "console", level: str | int = "INFO") -> None:
    """:func:`configure_logging` for ``gazemap worker``, kept by Celery and its child processes.

    Celery replaces the root logger's handlers when it starts a worker, unless a receiver
    is connected to its ``setup_logging`` signal; this connects one that applies the same
    configuration (again in each pool process Celery starts).

    Parameters
    ----------
    format, level:
        As for :func:`configure_logging`.

    Raises
    ------
    InvalidInputError
        An unknown format or level.
    """
    configure_logging(format=format, level=level)
    from celery.signals import setup_logging

    def keep_gazemap_logging(**_kwargs: Any) -> None:
        configure_logging(format=format, level=level)

    setup_logging.connect(keep_gazemap_logging, weak=False)


def logging_config(*, format: str = "console", level: str | int = "INFO") -> dict[str, Any]:
    """A :func:`logging.config.dictConfig` mapping equivalent to :func:`configure_logging`.

    For uvicorn's ``log_config``: uvicorn applies it in every worker process it starts,
    so ``gazemap serve --workers N`` logs the same way in each (to standard error).

    Parameters
    ----------
    format, level:
        As for :func:`configure_logging`.

    Returns
    -------
    dict

    Raises
    ------
    InvalidInputError
        An unknown format or level.

    Examples
    --------
    >>> logging_config(format="json", level="info")["root"]
    {'handlers': ['stderr'], 'level': 'INFO'}
    """
    _check_format(format)
    name = logging.getLevelName(_level(level))
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "gazemap": {"()": "gazemap.obs.logs.build_formatter", "format": format},
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "gazemap",
            },
        },
        "root": {"handlers": ["stderr"], "level": name},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            # the middleware writes one richer line per request
            "uvicorn.access": {"handlers": [], "propagate": False, "level": "CRITICAL"},
        },
    }


def _isatty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def get_logger(name: str) -> Any:
    """A structlog logger named ``name`` (``log.info("event", key=value)``)."""
    return structlog.stdlib.get_logger(name)
