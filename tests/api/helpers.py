"""Helpers of the API tests: users, sign-in headers, real demo files."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient

from gazemap.api.tokens import encode_token
from gazemap.service.context import ServiceContext
from gazemap.store.models import User
from tests.service.people import PASSWORD

__all__ = ["PASSWORD", "Account", "demo", "make_account", "sign_in", "upload_demo"]


@dataclass(frozen=True)
class Account:
    """A user that can sign in through the API."""

    id: int
    username: str
    role: str
    headers: dict[str, str]


def make_account(
    ctx: ServiceContext, client: TestClient, role: str, password_hash: str, *, name: str = ""
) -> Account:
    """Insert a user with ``role`` (a cheap argon2 hash of :data:`PASSWORD`) and a token.

    The access token is minted directly (:func:`gazemap.api.tokens.encode_token`): the
    sign-in route itself is tested in ``test_auth``, and a real sign-in rehashes the
    password with production argon2 costs, which would dominate the suite's time.
    """
    username = f"{name or role}-{secrets.token_hex(4)}"
    with ctx.session() as session:
        user = User(username=username, password_hash=password_hash, role=role)
        session.add(user)
        session.flush()
        user_id = user.id
    token, _ = encode_token(ctx.settings, user_id=user_id, typ="access")
    del client  # kept in the signature: accounts belong to the app under test
    return Account(user_id, username, role, {"Authorization": f"Bearer {token}"})


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    """``Authorization`` headers of a fresh access token."""
    response = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def demo(index: int = 0) -> tuple[Path, Path]:
    """``(image, fixations CSV)`` of one bundled OSIE demo stimulus."""
    from gazemap.demo import demo_stimuli

    item = demo_stimuli()[index]
    return item.image_path, item.fixations_csv_path


def upload_demo(
    client: TestClient, headers: dict[str, str], study_id: int, index: int = 0
) -> tuple[int, dict[str, object]]:
    """Upload a demo image and its fixations; return the stimulus id and the ingest answer."""
    from gazemap.demo import demo_stimuli

    item = demo_stimuli()[index]
    with item.image_path.open("rb") as image:
        response = client.post(
            f"/api/v1/studies/{study_id}/stimuli",
            headers=headers,
            files={"image": (item.image_path.name, image, "image/jpeg")},
            data={"name": item.name, "page_key": item.name, "version": "1"},
        )
    assert response.status_code == 201, response.text
    stimulus_id = int(response.json()["id"])
    with item.fixations_csv_path.open("rb") as csv:
        response = client.post(
            f"/api/v1/stimuli/{stimulus_id}/recordings",
            headers=headers,
            files={"file": (item.fixations_csv_path.name, csv, "text/csv")},
        )
    assert response.status_code == 201, response.text
    return stimulus_id, response.json()
