"""Typed dependencies of the routes: the service context and the calling actor.

``ContextDep`` is the process's :class:`~gazemap.service.context.ServiceContext`
(built by :func:`gazemap.api.app.create_app`); ``ActorDep`` is the user of a valid
access token (401 otherwise); ``OptionalActorDep`` is ``None`` without a token.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gazemap.api.sessions import family_active
from gazemap.api.tokens import decode_token
from gazemap.errors import AuthenticationError, StorageError
from gazemap.obs.context import annotate
from gazemap.service.accounts import get_actor
from gazemap.service.actor import Actor
from gazemap.service.actor_cache import actor_cache
from gazemap.service.context import ServiceContext

__all__ = [
    "ActorDep",
    "ContextDep",
    "OptionalActorDep",
    "bearer",
    "current_actor",
    "get_context",
    "optional_actor",
]

#: The OpenAPI security scheme: ``Authorization: Bearer <access token>``.
bearer = HTTPBearer(
    bearerFormat="JWT",
    description="An access token from POST /api/v1/auth/token.",
    auto_error=False,
)


# The cheap dependencies are ``async def``: FastAPI runs a sync dependency through the
# thread pool (a hop per dependency per request), an async one inline on the event loop.
async def get_context(request: Request) -> ServiceContext:
    """The service context the app was built with."""
    ctx = getattr(request.app.state, "context", None)
    if not isinstance(ctx, ServiceContext):
        raise StorageError("the service is starting or shutting down; retry in a moment")
    return ctx


ContextDep = Annotated[ServiceContext, Depends(get_context)]
_Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


async def optional_actor(ctx: ContextDep, credentials: _Credentials) -> Actor | None:
    """The actor of the bearer token, or ``None`` when no token was sent."""
    if credentials is None:
        return None
    if credentials.scheme.lower() != "bearer":
        raise AuthenticationError("send the access token as 'Authorization: Bearer <token>'")
    claims = decode_token(ctx.settings, credentials.credentials, typ="access")
    # the access log's user id, so the middleware need not verify the token again
    annotate(user_id=str(claims.user_id))
    # signature and expiry are checked on every request; the database's answer (account
    # live, sign-in not ended) is reused for a few seconds (gazemap.service.actor_cache)
    key = (claims.user_id, claims.jti)
    cached = actor_cache().get(key)
    if cached is not None:
        return cached
    actor = await run_in_threadpool(_load_actor, ctx, claims.user_id, claims.family)
    actor_cache().put(key, actor)
    return actor


def _load_actor(ctx: ServiceContext, user_id: int, family: str | None) -> Actor:
    # database reads: in the thread pool, off the event loop
    if family is not None and not family_active(ctx, family=family):
        raise AuthenticationError("this sign-in has ended (signed out or revoked); sign in again")
    return get_actor(ctx, user_id=user_id)


OptionalActorDep = Annotated[Actor | None, Depends(optional_actor)]


async def current_actor(actor: OptionalActorDep) -> Actor:
    """The actor of a valid access token.

    Raises
    ------
    AuthenticationError
        Without a token, or with an invalid or expired one (401).
    """
    if actor is None:
        raise AuthenticationError(
            "this endpoint needs an access token: sign in at POST /api/v1/auth/token and "
            "send 'Authorization: Bearer <access_token>'"
        )
    return actor


ActorDep = Annotated[Actor, Depends(current_actor)]
