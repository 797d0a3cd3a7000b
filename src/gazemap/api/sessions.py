"""Sign-in sessions: issuing token pairs and rotating refresh tokens with reuse detection.

Every refresh token is recorded in :class:`~gazemap.store.models.RefreshToken`. A
refresh answers a new pair and revokes the presented token (``revoked_at``,
``replaced_by``). Presenting an already revoked token again means two parties hold it
(one of them stole it), so the whole family (every token of that sign-in) is revoked
and both must sign in again.

This module writes the token table and nothing else; the service layer's accounts
module decides who may sign in (:func:`gazemap.service.accounts.authenticate`,
:func:`~gazemap.service.accounts.get_actor`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update

from gazemap.api.schemas import TokenPair
from gazemap.api.tokens import decode_token, encode_token
from gazemap.errors import AuthenticationError
from gazemap.service.accounts import authenticate, get_actor
from gazemap.service.actor_cache import invalidate_actors
from gazemap.service.context import ServiceContext
from gazemap.store.models import RefreshToken

__all__ = ["family_active", "refresh_session", "sign_in", "sign_out"]


def _pair(ctx: ServiceContext, user_id: int, family: str | None) -> TokenPair:
    refresh, claims = encode_token(ctx.settings, user_id=user_id, typ="refresh", family=family)
    access, access_claims = encode_token(
        ctx.settings, user_id=user_id, typ="access", family=claims.family
    )
    with ctx.session() as session:
        session.add(
            RefreshToken(
                jti=claims.jti,
                user_id=user_id,
                family_id=claims.family or "",
                expires_at=claims.expires_at,
            )
        )
    return TokenPair(
        access_token=access,
        refresh_token=refresh,
        expires_in=int((access_claims.expires_at - datetime.now(UTC)).total_seconds()),
    )


def sign_in(ctx: ServiceContext, *, username: str, password: str) -> TokenPair:
    """Check the password and start a new session (a new refresh-token family).

    Raises
    ------
    AuthenticationError
        One message for an unknown user and a wrong password.
    """
    actor = authenticate(ctx, username=username, password=password)
    if actor.user_id is None:  # only the built-in SYSTEM actor has no id; it never signs in
        raise AuthenticationError("invalid username or password")
    return _pair(ctx, actor.user_id, None)


def refresh_session(ctx: ServiceContext, *, refresh_token: str) -> TokenPair:
    """Exchange a refresh token for a new pair; the old one stops working.

    Raises
    ------
    AuthenticationError
        For an invalid, expired, unknown or revoked refresh token (a revoked one also
        revokes its whole family), or when the account is gone or disabled.
    """
    claims = decode_token(ctx.settings, refresh_token, typ="refresh")
    get_actor(ctx, user_id=claims.user_id)  # refuses deleted or disabled accounts
    now = datetime.now(UTC)
    reused = False
    with ctx.session() as session:
        row = session.get(RefreshToken, claims.jti)
        if row is None or row.user_id != claims.user_id:
            raise AuthenticationError("the refresh token is unknown; sign in again")
        if row.revoked_at is not None:
            reused = True
            session.execute(
                update(RefreshToken)
                .where(RefreshToken.family_id == row.family_id, RefreshToken.revoked_at.is_(None))
                .values(revoked_at=now)
            )
        else:
            row.revoked_at = now
    if reused:  # raised after the commit, so the family stays revoked
        invalidate_actors()
        raise AuthenticationError(
            "this refresh token was already used; every session of this sign-in is now "
            "revoked, sign in again"
        )
    pair = _pair(ctx, claims.user_id, claims.family)
    new_claims = decode_token(ctx.settings, pair.refresh_token, typ="refresh")
    with ctx.session() as session:
        session.execute(
            update(RefreshToken)
            .where(RefreshToken.jti == claims.jti)
            .values(replaced_by=new_claims.jti)
        )
    return pair


def sign_out(ctx: ServiceContext, *, refresh_token: str) -> None:
    """End a session: revoke every refresh token of the presented token's family.

    Access tokens of the family stop working too (:func:`family_active`).

    Raises
    ------
    AuthenticationError
        For a malformed, badly signed, expired or unknown refresh token.
    """
    claims = decode_token(ctx.settings, refresh_token, typ="refresh")
    with ctx.session() as session:
        row = session.get(RefreshToken, claims.jti)
        if row is None or row.user_id != claims.user_id:
            raise AuthenticationError("the refresh token is unknown; sign in again")
        session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == row.family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
    invalidate_actors()  # this sign-in's access tokens end at once in this process


def family_active(ctx: ServiceContext, *, family: str) -> bool:
    """Whether the sign-in ``family`` still has a usable refresh token.

    False after logout and after a refresh-token reuse revoked it, so access tokens of
    that sign-in stop working at once instead of at their expiry.
    """
    with ctx.session() as session:
        live = session.scalar(
            select(RefreshToken.jti)
            .where(RefreshToken.family_id == family, RefreshToken.revoked_at.is_(None))
            .limit(1)
        )
    return live is not None
