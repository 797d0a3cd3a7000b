"""Every route × every kind of caller → the status the policy promises.

The routes come from the app's own route table, so a route added without a line in
:data:`EXPECTED` fails :func:`test_every_route_has_a_policy_decision`. Callers:

- ``anonymous``: no token;
- ``stranger``: a global viewer who is a member of *another* study only;
- ``viewer``: a viewer member of the study;
- ``researcher``: the researcher member who created the study;
- ``admin``: a global admin, member of nothing.

Ids in paths are real objects of the study, so ``404`` for a stranger proves no
existence leak. Destructive routes get a fresh target per caller.
"""

from __future__ import annotations

import io
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gazemap.service.actor import Actor
from gazemap.service.context import ServiceContext
from gazemap.service.studies import add_member, create_study
from gazemap.store.models import Participant, Recording
from tests.api.helpers import Account, demo, make_account
from tests.security.routes import route_table
from tests.service.fixtures import add_participant, add_recording, fixations
from tests.service.people import unique_image

ROLES = ("anonymous", "stranger", "viewer", "researcher", "admin")
P = "/api/v1"

# (method, path template) → status per role, in ROLES order.
EXPECTED: dict[tuple[str, str], tuple[int, int, int, int, int]] = {
    # public: documentation, web UI, probes
    ("GET", "/openapi.json"): (200, 200, 200, 200, 200),
    ("GET", "/docs"): (200, 200, 200, 200, 200),
    ("GET", "/docs/oauth2-redirect"): (200, 200, 200, 200, 200),
    ("GET", "/redoc"): (200, 200, 200, 200, 200),
    ("GET", "/healthz"): (200, 200, 200, 200, 200),
    ("GET", "/readyz"): (200, 200, 200, 200, 200),
    # Prometheus scrapes without a token: keep it on an internal network (docs/security.md)
    ("GET", "/metrics"): (200, 200, 200, 200, 200),
    ("GET", "/"): (200, 200, 200, 200, 200),
    ("GET", "/static"): (200, 200, 200, 200, 200),
    # sign-in: the body decides, not the bearer token (bogus credentials here)
    ("POST", f"{P}/auth/token"): (401, 401, 401, 401, 401),
    ("POST", f"{P}/auth/refresh"): (401, 401, 401, 401, 401),
    ("POST", f"{P}/auth/logout"): (401, 401, 401, 401, 401),
    ("GET", f"{P}/auth/me"): (401, 200, 200, 200, 200),
    # studies: global viewers cannot create; invisible studies are 404
    ("POST", f"{P}/studies"): (401, 403, 403, 201, 201),
    ("GET", f"{P}/studies"): (401, 200, 200, 200, 200),
    ("GET", f"{P}/studies/{{study_id}}"): (401, 404, 200, 200, 200),
    ("PATCH", f"{P}/studies/{{study_id}}"): (401, 404, 403, 200, 200),
    ("DELETE", f"{P}/studies/{{study_id}}"): (401, 404, 403, 204, 204),
    ("GET", f"{P}/studies/{{study_id}}/members"): (401, 404, 200, 200, 200),
    ("POST", f"{P}/studies/{{study_id}}/members"): (401, 404, 403, 200, 200),
    ("DELETE", f"{P}/studies/{{study_id}}/members/{{user_id}}"): (401, 404, 403, 204, 204),
    # stimuli: viewers look, researchers manage
    ("POST", f"{P}/studies/{{study_id}}/stimuli"): (401, 404, 403, 201, 201),
    ("GET", f"{P}/studies/{{study_id}}/stimuli"): (401, 404, 200, 200, 200),
    ("GET", f"{P}/stimuli/{{stimulus_id}}"): (401, 404, 200, 200, 200),
    ("GET", f"{P}/stimuli/{{stimulus_id}}/image"): (401, 404, 200, 200, 200),
    ("DELETE", f"{P}/stimuli/{{stimulus_id}}"): (401, 404, 403, 204, 204),
    # participants: per-person data is researcher business (viewers: 403, the study is
    # theirs to know); erasure is for admins only
    ("GET", f"{P}/studies/{{study_id}}/participants"): (401, 404, 403, 200, 200),
    ("GET", f"{P}/participants/{{participant_id}}"): (401, 404, 403, 200, 200),
    ("DELETE", f"{P}/participants/{{participant_id}}"): (401, 404, 403, 403, 204),
    # recordings: raw data, researchers only; export is audited
    ("POST", f"{P}/stimuli/{{stimulus_id}}/recordings"): (401, 404, 403, 201, 201),
    ("GET", f"{P}/stimuli/{{stimulus_id}}/recordings"): (401, 404, 403, 200, 200),
    ("GET", f"{P}/recordings/{{recording_id}}"): (401, 404, 403, 200, 200),
    ("DELETE", f"{P}/recordings/{{recording_id}}"): (401, 404, 403, 204, 204),
    ("GET", f"{P}/recordings/{{recording_id}}/export"): (401, 404, 403, 200, 200),
    # aggregates: every member
    ("GET", f"{P}/stimuli/{{stimulus_id}}/heatmap"): (401, 404, 200, 200, 200),
    ("GET", f"{P}/stimuli/{{stimulus_id}}/heatmap/compare"): (401, 404, 200, 200, 200),
    ("POST", f"{P}/stimuli/{{stimulus_id}}/aoi-metrics"): (401, 404, 200, 200, 200),
    # jobs: visible to members of the job's study
    ("GET", f"{P}/jobs/{{job_id}}"): (401, 404, 200, 200, 200),
    ("POST", f"{P}/studies/{{study_id}}/prerender"): (401, 404, 403, 202, 202),
    # audit log: admins only (no study in the path, so non-admins get 403)
    ("GET", f"{P}/audit"): (401, 403, 403, 403, 200),
}


@dataclass
class World:
    """The study under test, its people and objects."""

    ctx: ServiceContext
    client: TestClient
    headers: dict[str, dict[str, str]]
    researcher: Actor
    viewer: Actor
    study_id: int
    stimulus_id: int
    participant_id: int
    recording_id: int
    job_id: str

    def fresh_study(self) -> int:
        out = create_study(self.ctx, actor=self.researcher, name=f"doomed {secrets.token_hex(3)}")
        add_member(
            self.ctx,
            actor=self.researcher,
            study_id=out.id,
            username=self.viewer.username,
            role="viewer",
        )
        return out.id

    def fresh_stimulus(self) -> int:
        from gazemap.service.stimuli import ingest_stimulus

        name = f"doomed-{secrets.token_hex(3)}"
        return ingest_stimulus(
            self.ctx,
            actor=self.researcher,
            study_id=self.study_id,
            image=unique_image(64, 48, secrets.randbelow(2**24)),
            name=name,
            page_key=name,
        ).id

    def fresh_participant(self) -> int:
        return add_participant(self.ctx, self.study_id, pseudonym=secrets.token_hex(16))

    def fresh_recording(self) -> int:
        rng = np.random.default_rng(secrets.randbelow(2**32))
        participant = self.fresh_participant()
        return add_recording(self.ctx, self.stimulus_id, participant, fixations(rng, 5))

    def fresh_member(self) -> int:
        from tests.service.people import CHEAP_HASHER, make_user

        user = make_user(self.ctx, "viewer", CHEAP_HASHER.hash("irrelevant-pw"))
        add_member(
            self.ctx,
            actor=self.researcher,
            study_id=self.study_id,
            username=user.username,
            role="viewer",
        )
        return int(user.user_id or 0)


def _actor(account: Account) -> Actor:
    return Actor(user_id=account.id, username=account.username, role=account.role)  # type: ignore[arg-type]


@pytest.fixture
def world(
    api_ctx: ServiceContext,
    client: TestClient,
    password_hash: str,
    admin: Account,
    researcher: Account,
    viewer: Account,
    study_id: int,
    stimulus_id: int,
) -> World:
    stranger = make_account(api_ctx, client, "viewer", password_hash, name="stranger")
    other = client.post(f"{P}/studies", headers=admin.headers, json={"name": "other study"})
    assert other.status_code == 201, other.text
    joined = client.post(
        f"{P}/studies/{other.json()['id']}/members",
        headers=admin.headers,
        json={"username": stranger.username, "role": "viewer"},
    )
    assert joined.status_code == 200, joined.text
    with api_ctx.session() as session:
        participant_id = session.scalar(
            Participant.__table__.select()
            .with_only_columns(Participant.id)
            .where(Participant.study_id == study_id)
            .limit(1)
        )
        recording_id = session.scalar(
            Recording.__table__.select()
            .with_only_columns(Recording.id)
            .where(Recording.stimulus_id == stimulus_id)
            .limit(1)
        )
    queued = client.get(
        f"{P}/stimuli/{stimulus_id}/heatmap",
        headers=researcher.headers,
        params={"format": "json", "cols": 40, "rows": 30, "async": "true"},
    )
    assert queued.status_code == 202, queued.text
    settle(client, researcher.headers, queued.headers["location"])
    return World(
        ctx=api_ctx,
        client=client,
        headers={
            "anonymous": {},
            "stranger": stranger.headers,
            "viewer": viewer.headers,
            "researcher": researcher.headers,
            "admin": admin.headers,
        },
        researcher=_actor(researcher),
        viewer=_actor(viewer),
        study_id=study_id,
        stimulus_id=stimulus_id,
        participant_id=int(participant_id or 0),
        recording_id=int(recording_id or 0),
        job_id=str(queued.json()["id"]),
    )


GRID = {"format": "json", "cols": 40, "rows": 30}
Request = dict[str, Any]


def _upload(world: World, role: str) -> Request:
    _, csv = demo()
    return {
        "files": {"file": (csv.name, io.BytesIO(csv.read_bytes()), "text/csv")},
        "data": {"participant": f"matrix-{role}"},
    }


def _new_stimulus(world: World, role: str) -> Request:
    name = f"matrix-{role}-{secrets.token_hex(3)}"
    image = unique_image(64, 48, secrets.randbelow(2**24))
    return {
        "files": {"image": (f"{name}.png", io.BytesIO(image), "image/png")},
        "data": {"name": name, "page_key": name},
    }


def _new_member(world: World, role: str) -> Request:
    from tests.service.people import CHEAP_HASHER, make_user

    user = make_user(world.ctx, "viewer", CHEAP_HASHER.hash("irrelevant-pw"))
    return {"json": {"username": user.username, "role": "viewer"}}


# path parameter → how to get a value; "fresh" ones are made per caller
FIXED: dict[str, Callable[[World], Any]] = {
    "study_id": lambda w: w.study_id,
    "stimulus_id": lambda w: w.stimulus_id,
    "participant_id": lambda w: w.participant_id,
    "recording_id": lambda w: w.recording_id,
    "job_id": lambda w: w.job_id,
}
FRESH: dict[tuple[str, str], Callable[[World], dict[str, Any]]] = {
    ("DELETE", f"{P}/studies/{{study_id}}"): lambda w: {"study_id": w.fresh_study()},
    ("DELETE", f"{P}/stimuli/{{stimulus_id}}"): lambda w: {"stimulus_id": w.fresh_stimulus()},
    ("DELETE", f"{P}/participants/{{participant_id}}"): lambda w: {
        "participant_id": w.fresh_participant()
    },
    ("DELETE", f"{P}/recordings/{{recording_id}}"): lambda w: {"recording_id": w.fresh_recording()},
    ("DELETE", f"{P}/studies/{{study_id}}/members/{{user_id}}"): lambda w: {
        "study_id": w.study_id,
        "user_id": w.fresh_member(),
    },
}
BODIES: dict[tuple[str, str], Callable[[World, str], Request]] = {
    ("POST", f"{P}/auth/token"): lambda w, r: {
        "data": {"username": "nobody-here", "password": "wrong-password"}
    },
    ("POST", f"{P}/auth/refresh"): lambda w, r: {"json": {"refresh_token": "not.a.token"}},
    ("POST", f"{P}/auth/logout"): lambda w, r: {"json": {"refresh_token": "not.a.token"}},
    ("POST", f"{P}/studies"): lambda w, r: {"json": {"name": f"new by {r}"}},
    ("PATCH", f"{P}/studies/{{study_id}}"): lambda w, r: {"json": {"description": f"by {r}"}},
    ("POST", f"{P}/studies/{{study_id}}/members"): _new_member,
    ("POST", f"{P}/studies/{{study_id}}/stimuli"): _new_stimulus,
    ("POST", f"{P}/stimuli/{{stimulus_id}}/recordings"): _upload,
    ("GET", f"{P}/stimuli/{{stimulus_id}}/heatmap"): lambda w, r: {"params": GRID},
    ("GET", f"{P}/stimuli/{{stimulus_id}}/heatmap/compare"): lambda w, r: {
        "params": {"format": "json", "cols": 40, "rows": 30}
    },
    ("POST", f"{P}/stimuli/{{stimulus_id}}/aoi-metrics"): lambda w, r: {
        "json": {"aois": [{"name": "centre", "rect": [200, 150, 400, 300]}]}
    },
    ("POST", f"{P}/studies/{{study_id}}/prerender"): lambda w, r: {
        "json": {"param_sets": [{"cols": 40, "rows": 30}]}
    },
}
CONCRETE = {"/static": "/static/favicon.svg"}


def settle(client: TestClient, headers: dict[str, str], location: str) -> dict[str, Any]:
    """Wait for a job (and so its SQLite writes) to finish; its last state."""
    for _ in range(600):
        job = client.get(location, headers=headers).json()
        if job["status"] in ("done", "failed"):
            return dict(job)
        time.sleep(0.05)
    pytest.fail(f"job {location} did not finish in 30 s")


def _call(world: World, method: str, template: str, role: str) -> int:
    fresh = FRESH.get((method, template))
    values = fresh(world) if fresh else {}
    for name, get in FIXED.items():
        if "{" + name + "}" in template and name not in values:
            values[name] = get(world)
    path = CONCRETE.get(template, template).format(**values)
    body = BODIES.get((method, template), lambda w, r: {})(world, role)
    response = world.client.request(method, path, headers=world.headers[role], **body)
    if response.status_code == 202:
        settle(world.client, world.headers[role], response.headers["location"])
    return response.status_code


def test_every_route_has_a_policy_decision(client: TestClient) -> None:
    app = client.app
    assert isinstance(app, FastAPI)
    routes = set(route_table(app))
    missing = sorted(routes - set(EXPECTED))
    stale = sorted(set(EXPECTED) - routes)
    assert not missing, f"routes without an expected outcome per role: {missing}"
    assert not stale, f"expected outcomes of routes that no longer exist: {stale}"


def _rows(world: World) -> Iterator[tuple[str, str, str, int, int]]:
    for (method, template), expected in sorted(EXPECTED.items()):
        for role, status in zip(ROLES, expected, strict=True):
            yield method, template, role, status, _call(world, method, template, role)


def test_route_role_matrix(world: World) -> None:
    wrong = [
        f"{method} {template} as {role}: expected {want}, got {got}"
        for method, template, role, want, got in _rows(world)
        if want != got
    ]
    assert not wrong, "\n".join(wrong)


def test_strangers_get_the_same_answer_as_for_missing_ids(world: World) -> None:
    """A 404 for an invisible id has the body of a 404 for an id that never existed."""
    stranger = world.headers["stranger"]
    for template, real in (
        (f"{P}/studies/{{}}", world.study_id),
        (f"{P}/stimuli/{{}}", world.stimulus_id),
        (f"{P}/participants/{{}}", world.participant_id),
        (f"{P}/recordings/{{}}", world.recording_id),
        (f"{P}/jobs/{{}}", world.job_id),
    ):
        missing = "9" * 9 if isinstance(real, int) else "0" * len(str(real))
        seen = world.client.get(template.format(real), headers=stranger).json()
        unseen = world.client.get(template.format(missing), headers=stranger).json()
        assert seen["status"] == unseen["status"] == 404
        assert seen["detail"].replace(str(real), "ID") == unseen["detail"].replace(
            str(missing), "ID"
        )


def test_job_result_url_is_authorised_like_the_route(world: World) -> None:
    job = world.client.get(f"{P}/jobs/{world.job_id}", headers=world.headers["researcher"])
    assert job.status_code == 200
    url = job.json().get("result_url")
    if url is None:  # not finished yet: the job's own URL is the one to protect
        url = f"{P}/jobs/{world.job_id}"
    assert world.client.get(url, headers=world.headers["stranger"]).status_code == 404
    assert world.client.get(url, headers=world.headers["anonymous"]).status_code == 401
