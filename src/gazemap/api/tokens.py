"""JSON Web Tokens of the API: short-lived access tokens and rotating refresh tokens.

Both are JWTs signed with ``settings.security.secret_key`` (HS256, the default) or with
the RSA key pair of ``security.private_key_file``/``public_key_file`` (RS256, when
``security.jwt_algorithm`` says so; several instances then need only the public key to
verify, and a leaked verifier cannot mint tokens). They carry ``sub``
(the user id as text), ``typ`` (``access`` or ``refresh``), ``iat``, ``exp`` and
``jti``, and ``fam``, the sign-in family (for refresh tokens always, for access tokens
issued at sign-in or refresh: revoking the family at logout or on refresh-token reuse
also ends its access tokens, see :mod:`gazemap.api.sessions`). Decoding pins the algorithm to the configured one, so a
token with ``alg: none``, signed with another algorithm (an HS256 token "signed" with
the RSA public key included) or with another key is refused, and requires every one
of those claims.
"""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import jwt

from gazemap.config import Settings
from gazemap.errors import AuthenticationError

__all__ = ["ALGORITHM", "Claims", "TokenType", "decode_token", "encode_token"]

#: The default algorithm (``settings.security.jwt_algorithm``).
ALGORITHM = "HS256"
TokenType = Literal["access", "refresh"]
_REQUIRED = ["exp", "iat", "sub", "typ", "jti"]
#: Clock skew tolerated between API instances, in seconds.
LEEWAY = 10


@dataclass(frozen=True)
class Claims:
    """The checked claims of a token."""

    user_id: int
    typ: TokenType
    jti: str
    family: str | None
    expires_at: datetime


@functools.lru_cache(maxsize=8)
def _pem(path: str, mtime_ns: int) -> str:
    # keyed by modification time, so a rotated key file is read again
    return Path(path).read_text(encoding="ascii")


def _key_file(path: Path | None, name: str) -> str:
    if path is None:
        raise AuthenticationError(f"RS256 tokens need security.{name}; the server is misconfigured")
    try:
        return _pem(str(path), path.stat().st_mtime_ns)
    except OSError as exc:
        raise AuthenticationError(
            f"security.{name} {path} cannot be read; the server is misconfigured"
        ) from exc


def _keys(settings: Settings) -> tuple[str, str, str]:
    """``(algorithm, signing key, verification key)`` of ``settings``."""
    security = settings.security
    if security.jwt_algorithm == "RS256":
        return (
            "RS256",
            _key_file(security.private_key_file, "private_key_file"),
            _key_file(security.public_key_file, "public_key_file"),
        )
    return ALGORITHM, security.secret_key, security.secret_key


def encode_token(
    settings: Settings,
    *,
    user_id: int,
    typ: TokenType,
    family: str | None = None,
    now: datetime | None = None,
) -> tuple[str, Claims]:
    """Sign a new token for ``user_id``.

    Parameters
    ----------
    settings:
        Supplies the secret and the lifetimes (``security.access_token_minutes``,
        ``security.refresh_token_days``).
    user_id:
        The subject.
    typ:
        ``"access"`` or ``"refresh"``.
    family:
        Sign-in family: of a refresh token (a new one when ``None``), or of an access
        token issued with it (none when ``None``).
    now:
        Issue time; the current time by default.

    Returns
    -------
    tuple
        The encoded token and its claims.
    """
    issued = now or datetime.now(UTC)
    lifetime = (
        timedelta(minutes=settings.security.access_token_minutes)
        if typ == "access"
        else timedelta(days=settings.security.refresh_token_days)
    )
    claims = Claims(
        user_id=user_id,
        typ=typ,
        jti=secrets.token_urlsafe(24),
        family=(family or secrets.token_urlsafe(24)) if typ == "refresh" else family,
        expires_at=issued + lifetime,
    )
    payload: dict[str, Any] = {
        "sub": str(user_id),
        "typ": typ,
        "jti": claims.jti,
        "iat": int(issued.timestamp()),
        "exp": int(claims.expires_at.timestamp()),
    }
    if claims.family is not None:
        payload["fam"] = claims.family
    algorithm, signing_key, _ = _keys(settings)
    token = jwt.encode(payload, signing_key, algorithm=algorithm)
    return token, claims


def decode_token(settings: Settings, token: str, *, typ: TokenType) -> Claims:
    """Verify ``token`` and return its claims.

    Raises
    ------
    AuthenticationError
        For a malformed, badly signed, expired or wrong-type token; the message says
        which, without echoing the token.
    """
    algorithm, _, verification_key = _keys(settings)
    if typ != "access":
        return _verify(token, typ, algorithm, verification_key)
    claims = _verified_access(token, algorithm, verification_key)
    # the signature was checked when this process first saw the token; expiry is not
    # a property of the text, so it is checked on every use
    if datetime.now(UTC) > claims.expires_at + timedelta(seconds=LEEWAY):
        raise AuthenticationError(_expired(typ))
    return claims


@functools.lru_cache(maxsize=4096)
def _verified_access(token: str, algorithm: str, verification_key: str) -> Claims:
    """An access token's claims, verified once per process for the same text and key.

    A client sends the same access token with every request of its 15 minutes: its
    HMAC or RSA signature is checked once instead of each time (about 5 % of a cached
    heat map's CPU). The key material is part of the cache key, so a token verified
    under one secret never passes under another; a refused token raises and is not
    remembered. Revocation (sign-out, disabled account) is decided per request by the
    actor lookup, as before.
    """
    return _verify(token, "access", algorithm, verification_key)


def _expired(typ: TokenType) -> str:
    return f"the {typ} token has expired; " + (
        "refresh it at /api/v1/auth/refresh" if typ == "access" else "sign in again"
    )


def _verify(token: str, typ: TokenType, algorithm: str, verification_key: str) -> Claims:
    try:
        payload = jwt.decode(
            token,
            verification_key,
            algorithms=[algorithm],
            options={"require": _REQUIRED},
            leeway=LEEWAY,
        )
    except jwt.ExpiredSignatureError:
        raise AuthenticationError(_expired(typ)) from None
    except jwt.InvalidTokenError:
        raise AuthenticationError(f"the {typ} token is invalid; sign in again") from None
    if payload.get("typ") != typ:
        raise AuthenticationError(
            f"expected an {typ} token, got a {payload.get('typ')!r} token"
            if typ == "access"
            else f"expected a {typ} token, got a {payload.get('typ')!r} token"
        )
    sub = payload.get("sub")
    if not isinstance(sub, str) or not sub.isdigit():
        raise AuthenticationError(f"the {typ} token is invalid; sign in again")
    family = payload.get("fam")
    if typ == "refresh" and not isinstance(family, str):
        raise AuthenticationError("the refresh token is invalid; sign in again")
    return Claims(
        user_id=int(sub),
        typ=typ,
        jti=str(payload["jti"]),
        family=family if isinstance(family, str) else None,
        expires_at=datetime.fromtimestamp(int(payload["exp"]), UTC),
    )
