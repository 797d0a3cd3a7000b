"""Security headers and CORS, on a tiny FastAPI app with :func:`install_security`."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gazemap.api.security import (
    CONTENT_SECURITY_POLICY,
    DOCS_CONTENT_SECURITY_POLICY,
    check_origins,
    install_security,
)
from gazemap.config import SecuritySettings, Settings
from gazemap.errors import InvalidInputError

ORIGIN = "https://lab.example.org"


def tiny_app(**security: object) -> FastAPI:
    settings = Settings(environment="test", security=SecuritySettings(**security))  # type: ignore[arg-type]
    app = FastAPI()
    app.state.settings = settings

    @app.get("/api/v1/thing")
    def thing() -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/framed")
    def framed() -> dict[str, str]:
        return {}

    install_security(app, settings)
    return app


def test_every_answer_carries_the_headers_and_the_strict_csp() -> None:
    with TestClient(tiny_app()) as client:
        for path in ("/api/v1/thing", "/missing"):
            response = client.get(path)
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["referrer-policy"] == "no-referrer"
            assert response.headers["x-frame-options"] == "DENY"
            assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
            assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_csp_is_exactly_the_issue_policy() -> None:
    assert CONTENT_SECURITY_POLICY == (
        "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'"
    )


def test_docs_page_gets_the_wider_policy_only_there() -> None:
    with TestClient(tiny_app()) as client:
        docs = client.get("/docs")
        assert docs.status_code == 200
        assert docs.headers["content-security-policy"] == DOCS_CONTENT_SECURITY_POLICY
        assert (
            "'unsafe-inline'" not in client.get("/api/v1/thing").headers["content-security-policy"]
        )


def test_hsts_only_over_https() -> None:
    with TestClient(tiny_app()) as client:
        assert "strict-transport-security" not in client.get("/api/v1/thing").headers
    with TestClient(tiny_app(), base_url="https://testserver") as client:
        assert client.get("/api/v1/thing").headers["strict-transport-security"] == (
            "max-age=31536000; includeSubDomains"
        )


def test_hsts_can_be_switched_off() -> None:
    with TestClient(tiny_app(hsts_seconds=0), base_url="https://testserver") as client:
        assert "strict-transport-security" not in client.get("/api/v1/thing").headers


def test_cors_is_closed_by_default() -> None:
    with TestClient(tiny_app()) as client:
        response = client.get("/api/v1/thing", headers={"Origin": ORIGIN})
        assert "access-control-allow-origin" not in response.headers
        preflight = client.options(
            "/api/v1/thing",
            headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"},
        )
        assert "access-control-allow-origin" not in preflight.headers


def test_cors_allows_only_the_configured_origins() -> None:
    with TestClient(tiny_app(cors_origins=[ORIGIN + "/"])) as client:
        ok = client.get("/api/v1/thing", headers={"Origin": ORIGIN})
        assert ok.headers["access-control-allow-origin"] == ORIGIN
        assert "access-control-allow-credentials" not in ok.headers
        other = client.get("/api/v1/thing", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        preflight = client.options(
            "/api/v1/thing",
            headers={
                "Origin": ORIGIN,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "authorization",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == ORIGIN
        assert preflight.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("origin", ["lab.example.org", "https://lab.example.org/app", "ftp://x"])
def test_malformed_origins_are_refused(origin: str) -> None:
    with pytest.raises(InvalidInputError, match="cors_origins"):
        check_origins([origin])


def test_hsts_behind_a_trusted_proxy_that_says_https() -> None:
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    # what `gazemap serve --proxy-headers` puts in front of the app
    behind = ProxyHeadersMiddleware(tiny_app(), trusted_hosts="*")
    with TestClient(behind) as client:  # type: ignore[arg-type]
        told = client.get("/api/v1/thing", headers={"X-Forwarded-Proto": "https"})
        assert told.headers["strict-transport-security"].startswith("max-age=31536000")
        plain = client.get("/api/v1/thing", headers={"X-Forwarded-Proto": "http"})
        assert "strict-transport-security" not in plain.headers
    untrusted = ProxyHeadersMiddleware(tiny_app(), trusted_hosts="10.9.9.9")
    with TestClient(untrusted) as client:  # type: ignore[arg-type]
        forged = client.get("/api/v1/thing", headers={"X-Forwarded-Proto": "https"})
        assert "strict-transport-security" not in forged.headers
