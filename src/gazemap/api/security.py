"""Transport-level protection of the API: security headers, CORS, sign-in rate limits.

:func:`install_security` is the one call :func:`gazemap.api.app.create_app` makes. It adds

- :class:`SecurityHeaders`, a pure ASGI middleware that puts ``X-Content-Type-Options``,
  ``Referrer-Policy``, ``X-Frame-Options``, a strict ``Content-Security-Policy`` (a
  slightly wider one for the interactive ``/docs``) and, on HTTPS requests only,
  ``Strict-Transport-Security`` on every response;
- CORS, closed unless ``settings.security.cors_origins`` lists origins;
- the sign-in :class:`~gazemap.api.ratelimit.RateLimiter` in ``app.state.rate_limiter``
  (in-process, or Redis when ``settings.redis_url`` is set), used by
  :func:`check_login_rate`.

A request counts as HTTPS when the ASGI scope says so: uvicorn sets ``scheme`` to
``https`` when it terminates TLS itself (``gazemap serve --ssl-certfile``) and when a
trusted proxy (``--forwarded-allow-ips``) sends ``X-Forwarded-Proto: https``. A plain
HTTP answer never carries HSTS (browsers ignore it there, and a development server on
``http://localhost`` must not pin itself).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gazemap.api.ratelimit import RateLimiter, build_rate_limiter
from gazemap.errors import InvalidInputError, RateLimitedError

if TYPE_CHECKING:
    from fastapi import FastAPI, Request

    from gazemap.config import Settings

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "DOCS_CONTENT_SECURITY_POLICY",
    "SecurityHeaders",
    "check_login_rate",
    "check_origins",
    "install_security",
]

#: The web UI's policy: everything from this origin, no inline script or style, no framing.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'"
)
#: FastAPI's Swagger UI and ReDoc load their script and style from jsDelivr and start
#: with an inline script; only those two pages get this wider policy.
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: https://fastapi.tiangolo.com; "
    "style-src 'self' https://cdn.jsdelivr.net 'unsafe-inline'; "
    "script-src 'self' https://cdn.jsdelivr.net 'unsafe-inline'; "
    "connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'"
)
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
#: One year, with subdomains: the value the HSTS preload list asks for.
HSTS = "max-age=31536000; includeSubDomains"

_ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
)


class SecurityHeaders:
    """ASGI middleware adding the security headers to every HTTP response.

    Parameters
    ----------
    app:
        The wrapped application.
    hsts:
        ``Strict-Transport-Security`` value sent on HTTPS requests; ``None`` sends none.

    Notes
    -----
    A header the application already set (a route with its own policy) is left alone.
    """

    def __init__(self, app: ASGIApp, *, hsts: str | None = HSTS) -> None:
        self.app = app
        self.hsts = hsts.encode("latin-1") if hsts else None

    def _extra(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        csp = (
            DOCS_CONTENT_SECURITY_POLICY
            if scope.get("path") in DOCS_PATHS
            else CONTENT_SECURITY_POLICY
        )
        extra = [*_ALWAYS, (b"content-security-policy", csp.encode("latin-1"))]
        if self.hsts is not None and scope.get("scheme") == "https":
            extra.append((b"strict-transport-security", self.hsts))
        return extra

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self._extra(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {name.lower() for name, _ in headers}
                headers.extend((n, v) for n, v in extra if n not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def check_origins(origins: list[str]) -> list[str]:
    """Validate CORS origins: ``scheme://host[:port]`` without path, or ``"*"``.

    Parameters
    ----------
    origins:
        ``settings.security.cors_origins``.

    Returns
    -------
    list of str
        The origins, trailing slashes removed.

    Raises
    ------
    InvalidInputError
        Naming the first malformed origin.

    Examples
    --------
    >>> check_origins(["https://lab.example.org/", "http://localhost:5173"])
    ['https://lab.example.org', 'http://localhost:5173']
    """
    checked = []
    for origin in origins:
        value = origin.rstrip("/")
        if value == "*":
            checked.append(value)
            continue
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path:
            raise InvalidInputError(
                "cors_origins entries must look like https://host[:port] (no path) or '*', "
                f"got {origin!r}",
                field="cors_origins",
            )
        checked.append(value)
    return checked


def install_security(app: FastAPI, settings: Settings) -> None:
    """Add security headers, CORS and the sign-in rate limiter to ``app``.

    Parameters
    ----------
    app:
        The application being built (before it starts).
    settings:
        ``security.cors_origins``, ``security.hsts_seconds``, the login limits and
        ``redis_url`` are read.

    Raises
    ------
    InvalidInputError
        For a malformed CORS origin.
    """
    origins = check_origins(settings.security.cors_origins)
    if origins:
        from fastapi.middleware.cors import CORSMiddleware

        # bearer tokens, not cookies: credentials stay off, so "*" cannot leak a session
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_credentials=False,
            allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "If-None-Match"],
            expose_headers=["ETag", "Location", "Retry-After", "X-Request-ID", "X-Gazemap-Cache"],
            max_age=600,
        )
    seconds = settings.security.hsts_seconds
    hsts = f"max-age={seconds}; includeSubDomains" if seconds > 0 else None
    # outermost, so error answers and CORS preflights carry the headers too
    app.add_middleware(SecurityHeaders, hsts=hsts)
    app.state.rate_limiter = build_rate_limiter(settings)


def _key(kind: str, value: str) -> str:
    # hashed: neither usernames nor addresses end up as plain Redis keys
    digest = hashlib.sha256(value.encode("utf-8")).hexdigest()[:32]
    return f"login:{kind}:{digest}"


def check_login_rate(request: Request, username: str) -> None:
    """Count one sign-in attempt for ``username`` and the client address; refuse above the limits.

    Parameters
    ----------
    request:
        The sign-in request (its app holds the limiter; its client gives the address).
    username:
        As typed; compared case-insensitively, and counted whether or not it exists, so
        the limit itself tells nothing about which accounts exist.

    Raises
    ------
    RateLimitedError
        With ``retry_after`` seconds, when either window is full (HTTP 429, ``Retry-After``).
    """
    limiter: RateLimiter | None = getattr(request.app.state, "rate_limiter", None)
    settings: Settings = request.app.state.settings
    if limiter is None:
        return
    security = settings.security
    client = request.client.host if request.client is not None else "unknown"
    window = float(security.login_window_seconds)
    waits = [
        limiter.hit(_key("ip", client), limit=security.login_attempts_per_ip, window=window),
        limiter.hit(
            _key("user", username.strip().lower()),
            limit=security.login_attempts_per_account,
            window=window,
        ),
    ]
    wait = max((w for w in waits if w is not None), default=None)
    if wait is not None:
        raise RateLimitedError(
            f"too many sign-in attempts; retry in {max(1, int(wait + 0.999))} seconds",
            retry_after=wait,
        )
