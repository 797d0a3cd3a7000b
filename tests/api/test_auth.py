"""Sign-in, access tokens and refresh-token rotation, through HTTP."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from fastapi.testclient import TestClient

from gazemap.api.tokens import encode_token
from gazemap.service.context import ServiceContext
from tests.api.helpers import PASSWORD, Account


def _token(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, object]:
    response = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_sign_in_returns_a_bearer_pair(client: TestClient, researcher: Account) -> None:
    body = _token(client, researcher.username)
    assert body["token_type"] == "bearer"
    assert 0 < int(str(body["expires_in"])) <= 15 * 60
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json() == {"id": researcher.id, "username": researcher.username, "role": "researcher"}


@pytest.mark.parametrize("username", ["nobody-at-all", None])
def test_wrong_credentials_are_one_401(
    client: TestClient, researcher: Account, username: str | None
) -> None:
    response = client.post(
        "/api/v1/auth/token",
        data={"username": username or researcher.username, "password": "wrong password"},
    )
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["detail"] == "invalid username or password"


def test_missing_token_is_401_with_a_hint(client: TestClient) -> None:
    response = client.get("/api/v1/studies")
    assert response.status_code == 401
    problem = response.json()
    assert problem["status"] == 401
    assert "POST /api/v1/auth/token" in problem["detail"]
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_expired_token_is_401(
    client: TestClient, api_ctx: ServiceContext, researcher: Account
) -> None:
    old = datetime.now(UTC) - timedelta(hours=2)
    token, _ = encode_token(api_ctx.settings, user_id=researcher.id, typ="access", now=old)
    response = client.get("/api/v1/studies", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(user_id: int, typ: str = "access") -> dict[str, object]:
    now = int(datetime.now(UTC).timestamp())
    return {"sub": str(user_id), "typ": typ, "jti": "x", "iat": now, "exp": now + 600}


def test_alg_none_token_is_refused(client: TestClient, researcher: Account) -> None:
    token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(researcher.id))}."
    response = client.get("/api/v1/studies", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_token_signed_with_another_key_is_refused(client: TestClient, researcher: Account) -> None:
    token = jwt.encode(_claims(researcher.id), "another key of enough length 0123456789", "HS256")
    response = client.get("/api/v1/studies", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_token_without_required_claims_is_refused(
    client: TestClient, api_ctx: ServiceContext, researcher: Account
) -> None:
    claims = _claims(researcher.id)
    del claims["typ"]
    token = jwt.encode(claims, api_ctx.settings.security.secret_key, "HS256")
    response = client.get("/api/v1/studies", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_refresh_token_is_not_an_access_token(client: TestClient, researcher: Account) -> None:
    body = _token(client, researcher.username)
    response = client.get(
        "/api/v1/studies", headers={"Authorization": f"Bearer {body['refresh_token']}"}
    )
    assert response.status_code == 401


def test_refresh_rotates_and_reuse_revokes_the_family(
    client: TestClient, researcher: Account
) -> None:
    first = _token(client, researcher.username)
    rotated = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()
    assert second["refresh_token"] != first["refresh_token"]
    me = client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {second['access_token']}"}
    )
    assert me.status_code == 200

    reused = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401
    assert "already used" in reused.json()["detail"]
    # the thief's use revoked the legitimate successor too
    after = client.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert after.status_code == 401


def test_other_sign_ins_survive_a_revoked_family(client: TestClient, researcher: Account) -> None:
    stolen = _token(client, researcher.username)
    other = _token(client, researcher.username)
    client.post("/api/v1/auth/refresh", json={"refresh_token": stolen["refresh_token"]})
    client.post("/api/v1/auth/refresh", json={"refresh_token": stolen["refresh_token"]})
    response = client.post("/api/v1/auth/refresh", json={"refresh_token": other["refresh_token"]})
    assert response.status_code == 200


def test_refresh_with_garbage_is_401(client: TestClient) -> None:
    response = client.post("/api/v1/auth/refresh", json={"refresh_token": "not-a-token"})
    assert response.status_code == 401
    assert response.json()["title"] == "Authentication required"


def test_disabled_account_cannot_use_its_token(
    client: TestClient, api_ctx: ServiceContext, researcher: Account
) -> None:
    from gazemap.store.models import User

    with api_ctx.session() as session:
        user = session.get(User, researcher.id)
        assert user is not None
        user.active = False
    response = client.get("/api/v1/studies", headers=researcher.headers)
    assert response.status_code == 401
