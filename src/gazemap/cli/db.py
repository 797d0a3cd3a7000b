"""``gazemap db upgrade``: migrate the database to the newest schema."""

from __future__ import annotations

import typer

from gazemap.cli.base import app, load_settings, user_errors

__all__ = ["db_app", "upgrade"]

db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command()
def upgrade() -> None:
    """Create or migrate the database at GAZEMAP_DATABASE_URL (default: GAZEMAP_HOME/gazemap.db)."""
    with user_errors():
        settings = load_settings()
        from gazemap.store.migrate import current_revision
        from gazemap.store.migrate import upgrade as migrate_up

        settings.home.mkdir(parents=True, exist_ok=True)
        url = settings.resolved_database_url
        migrate_up(url)
        revision = current_revision(url)
    typer.echo(f"database at revision {revision} ({_safe(url)})")


def _safe(url: str) -> str:
    """The URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
