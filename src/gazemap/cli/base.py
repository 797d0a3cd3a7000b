"""What every ``gazemap`` command shares: the root app, one-line errors, settings, context.

Commands print a user-fixable error as one line, ``error: <what was wrong>``, on
stderr and exit with status 2 (:data:`USAGE_ERROR`). Heavy modules (numpy, SQLAlchemy,
the service layer) are imported inside the commands, so ``gazemap --help`` stays
instant.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NoReturn

import typer

from gazemap.errors import GazemapError

if TYPE_CHECKING:
    from rich.progress import Progress

    from gazemap.config import Settings
    from gazemap.service.context import ServiceContext

__all__ = [
    "USAGE_ERROR",
    "app",
    "fail",
    "load_settings",
    "progress_bar",
    "service_context",
    "user_errors",
]

#: Exit status for input the user can fix (click uses the same for usage errors).
USAGE_ERROR = 2

app = typer.Typer(
    name="gazemap",
    help="Attention heat maps from eye-tracking data, by kernel density estimation.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def fail(message: str) -> NoReturn:
    """Print ``error: message`` on stderr and exit with :data:`USAGE_ERROR`."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(USAGE_ERROR)


def _outside_message(exc: Exception) -> str | None:
    """A one-line message for errors of libraries a user can fix by configuration."""
    from pydantic import ValidationError
    from sqlalchemy.exc import OperationalError as DatabaseError

    if isinstance(exc, ValidationError):  # settings from GAZEMAP_* variables
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        return f"invalid setting {where}: {first['msg']}"
    if isinstance(exc, DatabaseError):
        detail = str(exc.orig).strip().splitlines() or [type(exc.orig).__name__]
        return f"the database cannot be used: {detail[0]}"
    return None


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn gazemap's named errors, file-system, settings and database errors into one line, exit 2."""
    try:
        yield
    except GazemapError as exc:
        fail(str(exc))
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        fail(f"{exc.strerror or exc}{where}")
    except Exception as exc:  # only the recognised kinds become one line; bugs keep their traceback
        message = _outside_message(exc)
        if message is None:
            raise
        fail(message)


def load_settings() -> Settings:
    """The process settings from ``GAZEMAP_*`` variables (``GAZEMAP_HOME`` defaults to ``./var``)."""
    from gazemap.config import Settings

    return Settings()


@contextmanager
def service_context(settings: Settings | None = None) -> Iterator[ServiceContext]:
    """A :class:`ServiceContext` for one command, closed at the end.

    Parameters
    ----------
    settings:
        Default: :func:`load_settings`.
    """
    from gazemap.service.context import ServiceContext

    ctx = ServiceContext.from_settings(settings or load_settings())
    try:
        yield ctx
    finally:
        ctx.close()


def progress_bar(*, enabled: bool) -> Progress:
    """A transient rich progress bar on stderr; does nothing when disabled or not on a terminal."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        # off a terminal a bar is noise in logs, and its last refresh leaves a blank line
        disable=not enabled or not console.is_terminal,
    )
