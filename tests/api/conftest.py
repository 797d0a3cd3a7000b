"""API fixtures: an app over a fresh SQLite context, a TestClient, signed-in accounts.

The app is built with :func:`gazemap.api.create_app` around a context the test owns
(its own blob folder and cache), and entered with ``with TestClient(app)`` so the
lifespan (job runner) runs exactly as under uvicorn.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gazemap.api.app import create_app
from gazemap.service.context import ServiceContext
from tests.api.helpers import Account, make_account, upload_demo
from tests.service.fixtures import service_settings, sqlite_database
from tests.service.people import password_hash
from tests.store.conftest import new_database

__all__ = ["new_database", "password_hash", "sqlite_database"]


@pytest.fixture
def api_ctx(tmp_path: Path, sqlite_database: str) -> Iterator[ServiceContext]:
    """A service context on the shared migrated SQLite database."""
    ctx = ServiceContext.from_settings(service_settings(tmp_path / "home", sqlite_database))
    yield ctx
    ctx.close()


@pytest.fixture
def client(api_ctx: ServiceContext) -> Iterator[TestClient]:
    """A client of an app built around ``api_ctx``."""
    with TestClient(create_app(api_ctx.settings, context=api_ctx)) as test_client:
        yield test_client


@pytest.fixture
def admin(api_ctx: ServiceContext, client: TestClient, password_hash: str) -> Account:
    """A signed-in global admin."""
    return make_account(api_ctx, client, "admin", password_hash)


@pytest.fixture
def researcher(api_ctx: ServiceContext, client: TestClient, password_hash: str) -> Account:
    """A signed-in global researcher."""
    return make_account(api_ctx, client, "researcher", password_hash)


@pytest.fixture
def outsider(api_ctx: ServiceContext, client: TestClient, password_hash: str) -> Account:
    """A signed-in researcher who is a member of no study of the other fixtures."""
    return make_account(api_ctx, client, "researcher", password_hash, name="outsider")


@pytest.fixture
def viewer(api_ctx: ServiceContext, client: TestClient, password_hash: str) -> Account:
    """A signed-in global viewer (added to ``study_id`` as a viewer member)."""
    return make_account(api_ctx, client, "viewer", password_hash)


@pytest.fixture
def study_id(client: TestClient, researcher: Account, viewer: Account) -> int:
    """A study of ``researcher`` with screen geometry and ``viewer`` as a viewer member."""
    response = client.post(
        "/api/v1/studies",
        headers=researcher.headers,
        json={
            "name": "OSIE free viewing",
            "screen": {"width_px": 800, "height_px": 600, "width_mm": 400, "distance_mm": 600},
            "min_group_size": 2,
        },
    )
    assert response.status_code == 201, response.text
    sid = int(response.json()["id"])
    response = client.post(
        f"/api/v1/studies/{sid}/members",
        headers=researcher.headers,
        json={"username": viewer.username, "role": "viewer"},
    )
    assert response.status_code == 200, response.text
    return sid


@pytest.fixture
def stimulus_id(client: TestClient, researcher: Account, study_id: int) -> int:
    """The first OSIE demo stimulus with its 15 participants' fixations uploaded."""
    sid, _ = upload_demo(client, researcher.headers, study_id)
    return sid
