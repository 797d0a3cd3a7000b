"""The ``gazemap`` command line: one root Typer app that each part of gazemap adds to.

Commands (``docs/cli.md``): ``heatmap`` and ``demo-heatmap`` (offline, no database),
``db upgrade``, ``users create``/``users list``, ``demo``, ``import``, ``worker`` and
``serve``. Every error a user can fix is printed as one line, ``error: <what was
wrong>``, on stderr, with exit status 2.

Each command module registers its commands on :data:`app` when imported; the list
:data:`COMMAND_MODULES` below is the one registration point. Modules import their heavy
dependencies inside the commands, so ``gazemap --help`` stays instant.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

import typer

from gazemap.cli.base import USAGE_ERROR, app, fail, user_errors

__all__ = ["COMMAND_MODULES", "USAGE_ERROR", "app", "fail", "main", "user_errors"]

#: Modules under ``gazemap.cli`` that add commands to :data:`app`, in ``--help`` order.
#: A new command module is added here (``serve`` comes from the API part).
COMMAND_MODULES = ("heatmap", "data", "db", "users", "worker", "serve")

for _name in COMMAND_MODULES:
    try:
        importlib.import_module(f"{__name__}.{_name}")
    except ModuleNotFoundError as _exc:
        # a command module not in this tree yet (serve arrives with the API)
        if _exc.name != f"{__name__}.{_name}":
            raise


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``gazemap`` script.

    Runs :data:`app`; usage errors (an unknown option, a value of the wrong type) are
    printed as one ``error:`` line like every other user error, with exit status 2.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    command = typer.main.get_command(app)
    try:
        status = command.main(args=args or ["--help"], prog_name="gazemap", standalone_mode=False)
    except typer.TyperException as exc:  # usage errors: unknown option, unparsable value
        typer.echo(f"error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(1)
    sys.exit(status if isinstance(status, int) else 0)
