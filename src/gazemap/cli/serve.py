"""``gazemap serve``: run the REST API (and the web UI's files) with uvicorn."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gazemap.cli.base import app, fail, load_settings, user_errors

__all__ = ["serve"]


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="TCP port (0: any free port).")
    ] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, help="Worker processes (each with its own job pool).")
    ] = 1,
    upgrade_db: Annotated[
        bool, typer.Option("--upgrade-db", help="Run the database migrations before starting.")
    ] = False,
    proxy_headers: Annotated[
        bool,
        typer.Option(help="Trust X-Forwarded-* headers (behind nginx or another proxy)."),
    ] = False,
    log_level: Annotated[
        str | None,
        typer.Option(help="Least severe log level written; default GAZEMAP_LOG_LEVEL (INFO)."),
    ] = None,
    log_format: Annotated[
        str | None,
        typer.Option(help="'json' (one object per line) or 'console'; default GAZEMAP_LOG_FORMAT."),
    ] = None,
    ssl_certfile: Annotated[
        Path | None,
        typer.Option(help="PEM certificate (chain): serve HTTPS directly. Needs --ssl-keyfile."),
    ] = None,
    ssl_keyfile: Annotated[
        Path | None, typer.Option(help="PEM private key of --ssl-certfile.")
    ] = None,
) -> None:
    """Serve the API at http(s)://HOST:PORT/api/v1 (OpenAPI docs at /docs) until stopped with Ctrl-C."""
    import uvicorn

    if (ssl_certfile is None) != (ssl_keyfile is None):
        fail("--ssl-certfile and --ssl-keyfile go together: give both, or neither")
    for option, path in (("--ssl-certfile", ssl_certfile), ("--ssl-keyfile", ssl_keyfile)):
        if path is not None and not path.is_file():
            fail(f"{option} {path} is not a readable file")
    with user_errors():
        settings = load_settings()  # refuse bad settings with one line, before binding
        if settings.jobs.backend == "celery":
            # the job queue's own checks (Redis URL, visibility timeout), before uvicorn
            # would print them as a startup traceback
            from gazemap.jobs.celery_runner import create_celery_app

            create_celery_app(settings)
        if upgrade_db:
            from gazemap.store.migrate import upgrade

            upgrade(settings.resolved_database_url)
    if workers > 1 and settings.jobs.backend == "local":
        typer.echo(
            "note: with several workers and the local job backend, each worker runs its own "
            "job pool; use GAZEMAP_JOBS__BACKEND=celery for a shared queue",
            err=True,
        )
    with user_errors():
        from gazemap.obs.logs import logging_config

        # one structured pipeline on standard error, set up again in each worker process
        level = (log_level or settings.log_level).upper()
        log_config = logging_config(
            format=log_format or settings.log_format,
            level=level,
        )
    try:
        uvicorn.run(
            "gazemap.api.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            proxy_headers=proxy_headers,
            log_level=level.lower(),
            log_config=log_config,
            access_log=False,  # the gazemap middleware logs each request once, with its id
            ssl_certfile=str(ssl_certfile) if ssl_certfile else None,
            ssl_keyfile=str(ssl_keyfile) if ssl_keyfile else None,
        )
    except OSError as exc:  # e.g. the port is taken
        fail(f"cannot serve on {host}:{port}: {exc.strerror or exc}")
