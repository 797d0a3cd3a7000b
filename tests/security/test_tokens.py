"""Token attacks: expired, foreign key, ``alg=none``, tampered payload, wrong type, refresh reuse, logout."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from gazemap.api.tokens import decode_token, encode_token
from gazemap.config import SecuritySettings, Settings
from gazemap.errors import AuthenticationError
from gazemap.service.context import ServiceContext
from tests.api.helpers import PASSWORD, Account

ME = "/api/v1/auth/me"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def claims_of(account: Account) -> dict[str, object]:
    now = int(datetime.now(UTC).timestamp())
    return {"sub": str(account.id), "typ": "access", "jti": "x" * 16, "iat": now, "exp": now + 600}


def sign_in_pair(client: TestClient, account: Account) -> dict[str, str]:
    response = client.post(
        "/api/v1/auth/token", data={"username": account.username, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def assert_401(client: TestClient, token: str) -> None:
    response = client.get(ME, headers=bearer(token))
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert token not in response.text


def test_a_valid_token_works(client: TestClient, researcher: Account) -> None:
    assert client.get(ME, headers=researcher.headers).json()["username"] == researcher.username


def test_expired_access_token_is_refused(
    client: TestClient, api_ctx: ServiceContext, researcher: Account
) -> None:
    old = datetime.now(UTC) - timedelta(hours=2)
    token, _ = encode_token(api_ctx.settings, user_id=researcher.id, typ="access", now=old)
    assert_401(client, token)
    assert "expired" in client.get(ME, headers=bearer(token)).json()["detail"]


def test_token_signed_with_another_key_is_refused(client: TestClient, researcher: Account) -> None:
    forged = jwt.encode(claims_of(researcher), "another-secret-" * 4, algorithm="HS256")
    assert_401(client, forged)


def test_alg_none_is_refused(client: TestClient, researcher: Account) -> None:
    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims_of(researcher))}."
    assert_401(client, unsigned)


def test_tampered_payload_is_refused(
    client: TestClient, researcher: Account, admin: Account
) -> None:
    header, _, signature = researcher.headers["Authorization"].removeprefix("Bearer ").split(".")
    promoted = {**claims_of(researcher), "sub": str(admin.id)}
    assert_401(client, f"{header}.{b64(promoted)}.{signature}")


@pytest.mark.parametrize("missing", ["exp", "iat", "sub"])
def test_tokens_without_required_claims_are_refused(
    client: TestClient, api_ctx: ServiceContext, researcher: Account, missing: str
) -> None:
    claims = claims_of(researcher)
    del claims[missing]
    assert_401(client, jwt.encode(claims, api_ctx.settings.security.secret_key, algorithm="HS256"))


def test_other_hmac_algorithm_with_the_right_secret_is_refused(
    client: TestClient, api_ctx: ServiceContext, researcher: Account
) -> None:
    with warnings.catch_warnings():  # PyJWT warns that the test secret is short for HS512
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        token = jwt.encode(
            claims_of(researcher), api_ctx.settings.security.secret_key, algorithm="HS512"
        )
    assert_401(client, token)


def test_refresh_token_is_not_an_access_token(client: TestClient, researcher: Account) -> None:
    pair = sign_in_pair(client, researcher)
    assert_401(client, pair["refresh_token"])


def test_refresh_rotates_and_reuse_revokes_the_family(
    client: TestClient, researcher: Account
) -> None:
    first = sign_in_pair(client, researcher)
    second = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    rotated = second.json()["refresh_token"]
    # a thief replays the first refresh token
    replay = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401
    assert "already used" in replay.json()["detail"]
    # and the legitimate holder's rotated token died with the family
    after = client.post("/api/v1/auth/refresh", json={"refresh_token": rotated})
    assert after.status_code == 401
    # another sign-in (another family) is unaffected
    other = sign_in_pair(client, researcher)
    ok = client.post("/api/v1/auth/refresh", json={"refresh_token": other["refresh_token"]})
    assert ok.status_code == 200


def test_logout_revokes_the_refresh_family(client: TestClient, researcher: Account) -> None:
    pair = sign_in_pair(client, researcher)
    rotated = client.post(
        "/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    ).json()
    out = client.post("/api/v1/auth/logout", json={"refresh_token": rotated["refresh_token"]})
    assert out.status_code == 204
    again = client.post("/api/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]})
    assert again.status_code == 401
    forged = client.post("/api/v1/auth/logout", json={"refresh_token": "not-a-token"})
    assert forged.status_code == 401


def rsa_files(folder: Path, name: str) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = folder / f"{name}.pem"
    public = folder / f"{name}.pub.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public


def rs256_settings(private: Path, public: Path) -> Settings:
    return Settings(
        environment="test",
        security=SecuritySettings(
            jwt_algorithm="RS256", private_key_file=private, public_key_file=public
        ),
    )


def test_rs256_round_trip_and_foreign_key_pair(tmp_path: Path) -> None:
    ours = rs256_settings(*rsa_files(tmp_path, "ours"))
    theirs = rs256_settings(*rsa_files(tmp_path, "theirs"))
    token, _ = encode_token(ours, user_id=7, typ="access")
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    assert decode_token(ours, token, typ="access").user_id == 7
    with pytest.raises(AuthenticationError):
        decode_token(theirs, token, typ="access")


def test_rs256_refuses_hs256_signed_with_the_public_key(tmp_path: Path) -> None:
    private, public = rsa_files(tmp_path, "ours")
    settings = rs256_settings(private, public)
    now = int(datetime.now(UTC).timestamp())
    claims = {"sub": "7", "typ": "access", "jti": "j" * 16, "iat": now, "exp": now + 60}
    # the classic confusion attack: the verifier's public key used as an HMAC secret
    # (PyJWT refuses to sign that way, so the token is put together by hand)
    signing_input = f"{b64({'alg': 'HS256', 'typ': 'JWT'})}.{b64(claims)}".encode()
    mac = hmac.new(public.read_bytes(), signing_input, hashlib.sha256).digest()
    forged = f"{signing_input.decode()}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    with pytest.raises(AuthenticationError):
        decode_token(settings, forged, typ="access")
    hs = Settings(environment="test")
    with pytest.raises(AuthenticationError):
        decode_token(settings, encode_token(hs, user_id=7, typ="access")[0], typ="access")


def test_rs256_needs_both_key_files() -> None:
    with pytest.raises(ValueError, match="PRIVATE_KEY_FILE"):
        Settings(environment="test", security=SecuritySettings(jwt_algorithm="RS256"))


def test_logout_ends_the_access_tokens_of_the_sign_in(
    client: TestClient, researcher: Account
) -> None:
    mine = sign_in_pair(client, researcher)
    other = sign_in_pair(client, researcher)  # another device, another family
    assert client.get(ME, headers=bearer(mine["access_token"])).status_code == 200
    out = client.post("/api/v1/auth/logout", json={"refresh_token": mine["refresh_token"]})
    assert out.status_code == 204
    ended = client.get(ME, headers=bearer(mine["access_token"]))
    assert ended.status_code == 401
    assert "sign in again" in ended.json()["detail"]
    assert client.get(ME, headers=bearer(other["access_token"])).status_code == 200


def test_refresh_reuse_ends_the_access_tokens_of_the_family(
    client: TestClient, researcher: Account
) -> None:
    first = sign_in_pair(client, researcher)
    rotated = client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    ).json()
    # rotation keeps the sign-in alive: the older access token still works until expiry
    assert client.get(ME, headers=bearer(first["access_token"])).status_code == 200
    assert client.get(ME, headers=bearer(rotated["access_token"])).status_code == 200
    client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    for token in (first["access_token"], rotated["access_token"]):
        assert client.get(ME, headers=bearer(token)).status_code == 401


def test_a_verified_access_token_is_remembered_only_under_its_own_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from gazemap.api import tokens

    ours = Settings(environment="test", security=SecuritySettings(secret_key="s" * 40))
    theirs = Settings(environment="test", security=SecuritySettings(secret_key="t" * 40))
    token, _ = encode_token(ours, user_id=7, typ="access")
    verified: list[str] = []
    real = tokens._verify

    def counting(token: str, *args: object) -> object:
        verified.append(token)
        return real(token, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(tokens, "_verify", counting)
    assert decode_token(ours, token, typ="access").user_id == 7
    assert decode_token(ours, token, typ="access").user_id == 7
    assert len(verified) == 1  # the signature is checked once, then remembered
    # the same text under another process secret is checked again, and refused
    with pytest.raises(AuthenticationError, match="invalid"):
        decode_token(theirs, token, typ="access")
    # a tampered copy is a different text: never taken from memory
    head, payload, signature = token.split(".")
    with pytest.raises(AuthenticationError):
        decode_token(ours, f"{head}.{payload}.{signature[:-2]}AA", typ="access")


def test_a_remembered_token_still_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    from gazemap.api import tokens

    settings = Settings(environment="test", security=SecuritySettings(secret_key="e" * 40))
    issued = datetime.now(UTC) - timedelta(minutes=15) + timedelta(seconds=2)
    token, claims = encode_token(settings, user_id=3, typ="access", now=issued)
    assert decode_token(settings, token, typ="access").jti == claims.jti  # valid, remembered

    class Later(datetime):
        @classmethod
        def now(cls, tz: object = None) -> datetime:  # type: ignore[override]
            return datetime.now(UTC) + timedelta(minutes=1)

    monkeypatch.setattr(tokens, "datetime", Later)
    with pytest.raises(AuthenticationError, match="expired"):
        decode_token(settings, token, typ="access")
