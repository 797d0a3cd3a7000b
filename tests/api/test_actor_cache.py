"""The token's actor is reused for a few seconds; changes made in this process apply at once."""

from __future__ import annotations

from fastapi.testclient import TestClient

from gazemap.service.accounts import update_user
from gazemap.service.actor import SYSTEM
from gazemap.service.actor_cache import invalidate_actors
from gazemap.service.context import ServiceContext
from gazemap.store.models import User
from tests.api.helpers import Account


def test_a_database_change_elsewhere_applies_within_the_ttl(
    client: TestClient, api_ctx: ServiceContext, researcher: Account
) -> None:
    assert client.get("/api/v1/studies", headers=researcher.headers).status_code == 200
    with api_ctx.session() as session:  # as another instance would: behind this one's back
        user = session.get(User, researcher.id)
        assert user is not None
        user.active = False
    # documented: the cached answer stands for at most ACTOR_TTL_SECONDS
    assert client.get("/api/v1/studies", headers=researcher.headers).status_code == 200
    invalidate_actors()  # what the TTL's expiry does
    assert client.get("/api/v1/studies", headers=researcher.headers).status_code == 401


def test_disabling_a_user_in_this_process_applies_at_once(
    client: TestClient, api_ctx: ServiceContext, researcher: Account
) -> None:
    assert client.get("/api/v1/studies", headers=researcher.headers).status_code == 200
    update_user(api_ctx, actor=SYSTEM, user_id=researcher.id, active=False)
    assert client.get("/api/v1/studies", headers=researcher.headers).status_code == 401
