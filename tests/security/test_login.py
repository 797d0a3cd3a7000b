"""Sign-in: rate limits per account and per address (429 + Retry-After), no user enumeration,
and production refusing default or short secrets through ``create_app``."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from gazemap.api.app import create_app
from gazemap.config import SecuritySettings, get_settings
from gazemap.service.context import ServiceContext
from tests.api.helpers import PASSWORD, make_account
from tests.service.fixtures import service_settings

TOKEN = "/api/v1/auth/token"


@pytest.fixture
def strict(tmp_path: Path, sqlite_database: str) -> Iterator[tuple[TestClient, ServiceContext]]:
    """A client of an app allowing 3 attempts per account and 5 per address per minute."""
    settings = service_settings(
        tmp_path / "home",
        sqlite_database,
        security=SecuritySettings(
            login_attempts_per_account=3, login_attempts_per_ip=5, login_window_seconds=60
        ),
    )
    ctx = ServiceContext.from_settings(settings)
    try:
        with TestClient(create_app(settings, context=ctx)) as client:
            yield client, ctx
    finally:
        ctx.close()


def attempt(client: TestClient, username: str, password: str = "wrong password") -> int:  # noqa: S107 (a wrong password on purpose)
    return client.post(TOKEN, data={"username": username, "password": password}).status_code


def test_account_limit_gives_429_with_retry_after(
    strict: tuple[TestClient, ServiceContext], password_hash: str
) -> None:
    strict_client, ctx = strict
    account = make_account(ctx, strict_client, "viewer", password_hash)  # no sign-in yet
    assert [attempt(strict_client, account.username) for _ in range(3)] == [401, 401, 401]
    refused = strict_client.post(TOKEN, data={"username": account.username, "password": PASSWORD})
    assert refused.status_code == 429  # even the right password, while the window is full
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "too many sign-in attempts" in refused.json()["detail"]
    # case does not open a new bucket
    assert attempt(strict_client, account.username.upper()) == 429


def test_address_limit_covers_many_usernames(strict: tuple[TestClient, ServiceContext]) -> None:
    strict_client, _ = strict
    codes = [attempt(strict_client, f"guess-{i}") for i in range(7)]
    assert codes == [401] * 5 + [429] * 2


def test_unknown_and_known_users_get_the_same_answer(
    strict: tuple[TestClient, ServiceContext], password_hash: str
) -> None:
    strict_client, ctx = strict
    account = make_account(ctx, strict_client, "viewer", password_hash)
    known = strict_client.post(TOKEN, data={"username": account.username, "password": "nope-nope"})
    unknown = strict_client.post(TOKEN, data={"username": "no-such-user", "password": "nope-nope"})
    assert known.status_code == unknown.status_code == 401
    assert known.json()["detail"] == unknown.json()["detail"]
    assert known.json()["title"] == unknown.json()["title"]


def test_an_unknown_user_still_costs_a_hash_verification(
    api_ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gazemap.errors import AuthenticationError
    from gazemap.service import accounts

    calls: list[str] = []
    real = accounts._hasher()

    class Counting:
        def verify(self, hashed: str, password: str) -> bool:
            calls.append(hashed)
            return bool(real.verify(hashed, password))

    monkeypatch.setattr(accounts, "_hasher", lambda: Counting())
    with pytest.raises(AuthenticationError):
        accounts.authenticate(api_ctx, username="nobody-at-all", password="whatever-1")
    assert len(calls) == 1


@pytest.mark.parametrize(
    ("secret", "message"),
    [(None, "SECRET_KEY must be set"), ("too-short-secret", "SECRET_KEY must be set")],
)
def test_create_app_refuses_production_with_weak_secret(
    gazemap_home: Path, monkeypatch: pytest.MonkeyPatch, secret: str | None, message: str
) -> None:
    monkeypatch.setenv("GAZEMAP_ENVIRONMENT", "production")
    monkeypatch.setenv("GAZEMAP_SECURITY__PSEUDONYM_KEY", "p" * 40)
    if secret is not None:
        monkeypatch.setenv("GAZEMAP_SECURITY__SECRET_KEY", secret)
    get_settings.cache_clear()
    try:
        with pytest.raises(ValidationError, match=message):
            create_app()
    finally:
        get_settings.cache_clear()


def test_create_app_accepts_production_with_long_secrets(
    gazemap_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GAZEMAP_ENVIRONMENT", "production")
    monkeypatch.setenv("GAZEMAP_SECURITY__SECRET_KEY", "s" * 40)
    monkeypatch.setenv("GAZEMAP_SECURITY__PSEUDONYM_KEY", "p" * 40)
    get_settings.cache_clear()
    try:
        app = create_app()
        assert app.state.settings.environment == "production"
    finally:
        get_settings.cache_clear()


@pytest.mark.redis
def test_instances_share_sign_in_counts_through_redis(
    tmp_path: Path, sqlite_database: str, redis_url: str
) -> None:
    from gazemap.api.ratelimit import RedisRateLimiter, build_rate_limiter

    settings = service_settings(
        tmp_path / "home",
        sqlite_database,
        redis_url=redis_url,
        security=SecuritySettings(
            login_attempts_per_account=2, login_attempts_per_ip=10_000, login_window_seconds=60
        ),
    )
    limiter = build_rate_limiter(settings)
    assert isinstance(limiter, RedisRateLimiter)
    limiter.close()
    ctx = ServiceContext.from_settings(settings)
    name = f"shared-{secrets.token_hex(6)}"
    try:
        with (
            TestClient(create_app(settings, context=ctx)) as first,
            TestClient(create_app(settings, context=ctx)) as second,
        ):
            assert attempt(first, name) == 401
            assert attempt(second, name) == 401
            assert attempt(first, name) == 429
            assert attempt(second, name) == 429
    finally:
        ctx.close()
