"""Signing in: tokens, refresh with rotation, and who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response, status

from gazemap.api.deps import ActorDep, ContextDep
from gazemap.api.errors import PROBLEM_RESPONSES
from gazemap.api.schemas import Me, RefreshIn, TokenPair
from gazemap.api.security import check_login_rate
from gazemap.api.sessions import refresh_session, sign_in, sign_out

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/token",
    summary="Sign in",
    responses={
        401: PROBLEM_RESPONSES[401],
        429: {"description": "Too many sign-in attempts; wait Retry-After seconds."},
    },
)
def token(
    ctx: ContextDep,
    request: Request,
    username: Annotated[str, Form(min_length=1, max_length=64, description="Login name.")],
    password: Annotated[str, Form(min_length=1, max_length=1024, description="Password.")],
) -> TokenPair:
    """Exchange a username and password (OAuth2 password form) for an access and a refresh token; attempts are rate-limited per account and per address (429 with Retry-After)."""
    check_login_rate(request, username)
    return sign_in(ctx, username=username, password=password)


@router.post(
    "/refresh",
    summary="Refresh the tokens",
    responses={401: PROBLEM_RESPONSES[401]},
)
def refresh(ctx: ContextDep, body: RefreshIn) -> TokenPair:
    """Exchange the refresh token for a new pair; the old refresh token stops working, and reusing it signs every session of that login out."""
    return refresh_session(ctx, refresh_token=body.refresh_token)


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Sign out",
    responses={401: PROBLEM_RESPONSES[401]},
)
def logout(ctx: ContextDep, body: RefreshIn) -> Response:
    """Revoke the refresh token and every token of its sign-in, access tokens included."""
    sign_out(ctx, refresh_token=body.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", summary="The signed-in user", responses={401: PROBLEM_RESPONSES[401]})
def me(actor: ActorDep) -> Me:
    """Return the account the access token belongs to, with its global role."""
    return Me(id=actor.user_id or 0, username=actor.username, role=actor.role)
