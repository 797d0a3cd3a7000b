"""Readiness checks: can this process reach its database, blob store and Redis?"""

from __future__ import annotations

from sqlalchemy import text

from gazemap.api.schemas import Readiness
from gazemap.service.context import ServiceContext
from gazemap.store.blobs.base import key_for_bytes

__all__ = ["check_readiness"]

#: Seconds a check may take before the dependency counts as unreachable.
TIMEOUT = 2.0


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {str(exc)[:200]}"


def check_readiness(ctx: ServiceContext) -> Readiness:
    """Run ``SELECT 1``, a blob-store lookup and (when configured) a Redis ``PING``.

    Returns
    -------
    Readiness
        ``status`` is ``ok`` only when every configured check passed; ``checks`` says
        which failed and why (the error type and message, never a secret from the URL).
    """
    checks: dict[str, str] = {}
    try:
        with ctx.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = _describe(exc)
    try:
        ctx.blobs.exists(key_for_bytes(b"gazemap readiness probe"))
        checks["blobs"] = "ok"
    except Exception as exc:
        checks["blobs"] = _describe(exc)
    if ctx.settings.redis_url:
        try:
            import redis

            client = redis.Redis.from_url(
                ctx.settings.redis_url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT
            )
            try:
                client.ping()
            finally:
                client.close()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = _describe(exc)
    else:
        checks["redis"] = "skipped"
    ok = all(v in ("ok", "skipped") for v in checks.values())
    return Readiness(status="ok" if ok else "unavailable", checks=checks)
