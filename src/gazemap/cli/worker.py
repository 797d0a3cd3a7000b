"""``gazemap worker``: a Celery worker for background jobs (the ``celery`` job backend)."""

from __future__ import annotations

from typing import Annotated

import typer

from gazemap.cli.base import app, fail, load_settings, user_errors

__all__ = ["worker"]


@app.command()
def worker(
    concurrency: Annotated[
        int | None,
        typer.Option(help="Worker processes (or threads); default: the number of CPUs."),
    ] = None,
    queue: Annotated[str, typer.Option(help="Queue to consume.")] = "gazemap",
    pool: Annotated[str, typer.Option(help="'prefork' (processes), 'threads' or 'solo'.")] = (
        "prefork"
    ),
    loglevel: Annotated[
        str | None, typer.Option(help="Log level; default GAZEMAP_LOG_LEVEL (INFO).")
    ] = None,
) -> None:
    """Run a Celery worker that executes heat-map jobs (needs GAZEMAP_JOBS__BACKEND=celery)."""
    with user_errors():
        settings = load_settings()
        if settings.jobs.backend != "celery":
            typer.echo(
                "jobs run inside 'gazemap serve' with the local backend; no worker is needed. "
                "Set GAZEMAP_JOBS__BACKEND=celery and GAZEMAP_REDIS_URL to use workers."
            )
            return
        if concurrency is not None and concurrency < 1:
            fail(f"--concurrency must be >= 1, got {concurrency}")
        from gazemap.obs.logs import configure_worker_logging

        # GAZEMAP_LOG_FORMAT=json: one JSON object per line, Celery's own events included
        level = (loglevel or settings.log_level).upper()
        configure_worker_logging(format=settings.log_format, level=level)
        import gazemap.service.jobs  # noqa: F401  (registers the task kinds)
        from gazemap.jobs import create_celery_app, run_worker
        from gazemap.service.context import ServiceContext

        def context() -> ServiceContext:
            ctx = ServiceContext.from_settings(settings)
            # sub-jobs of a split job are sent to the same queue
            from gazemap.jobs import CeleryJobRunner

            ctx.jobs = CeleryJobRunner(app_, queue=queue)
            return ctx

        app_ = create_celery_app(settings, queue=queue, context_factory=context)
        run_worker(app_, queue=queue, concurrency=concurrency, pool=pool, loglevel=level)
