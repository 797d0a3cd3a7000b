"""``gazemap users create`` and ``gazemap users list``: accounts from the command line."""

from __future__ import annotations

import os
from enum import StrEnum
from typing import Annotated

import typer

from gazemap.cli.base import app, fail, service_context, user_errors

__all__ = ["PASSWORD_VARIABLE", "Role", "create", "list_", "new_password", "users_app"]

#: Variable read for the new password instead of prompting (scripts, containers).
PASSWORD_VARIABLE = "GAZEMAP_NEW_PASSWORD"  # noqa: S105 (a variable name, not a password)

users_app = typer.Typer(help="User accounts.", no_args_is_help=True)
app.add_typer(users_app, name="users")


class Role(StrEnum):
    """Global role of an account."""

    ADMIN = "admin"
    RESEARCHER = "researcher"
    VIEWER = "viewer"


def new_password(*, prompt: bool = True) -> str | None:
    """The password for a new account: ``$GAZEMAP_NEW_PASSWORD``, else asked twice (hidden).

    Parameters
    ----------
    prompt:
        Ask on the terminal when the variable is unset; else return ``None``.
    """
    value = os.environ.get(PASSWORD_VARIABLE)
    if value:
        return value
    if not prompt:
        return None
    answer: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return answer


@users_app.command()
def create(
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[Role, typer.Option(help="Global role.")] = Role.VIEWER,
) -> None:
    """Create a user; the password comes from GAZEMAP_NEW_PASSWORD or a hidden prompt."""
    from gazemap.service.accounts import create_user

    password = new_password()
    if password is None:  # pragma: no cover - new_password prompts instead
        fail(f"set {PASSWORD_VARIABLE}")
    with user_errors(), service_context() as ctx:
        user = create_user(ctx, username=name, password=password, role=role.value)
    typer.echo(f"created user {user.username!r} (id {user.id}, role {user.role})")


@users_app.command("list")
def list_() -> None:
    """List every user: id, name, role, and whether the account is active."""
    from gazemap.service.accounts import list_users
    from gazemap.service.actor import SYSTEM

    with user_errors(), service_context() as ctx:
        offset = 0
        while True:
            page = list_users(ctx, actor=SYSTEM, limit=500, offset=offset)
            for user in page.items:
                state = "" if user.active else " (disabled)"
                typer.echo(f"{user.id}\t{user.username}\t{user.role}{state}")
            offset += len(page.items)
            if not page.items or offset >= page.total:
                break
