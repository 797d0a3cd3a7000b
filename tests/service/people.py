"""Fixtures for the data half of the service tests: users of each role, a study, a stimulus.

Users are inserted with one argon2 hash computed per test session (with cheap
parameters: :data:`CHEAP_HASHER`); they can still sign in with :data:`PASSWORD`. Usernames
carry a random suffix because the migrated database is shared by the session's tests.
"""

from __future__ import annotations

import io
import secrets

import pytest
from argon2 import PasswordHasher
from PIL import Image

from gazemap.service.actor import Actor
from gazemap.service.context import ServiceContext
from gazemap.service.schemas import StimulusOut, StudyOut
from gazemap.service.stimuli import ingest_stimulus
from gazemap.service.studies import add_member, create_study
from gazemap.store.models import User

PASSWORD = "correct horse battery"
#: Argon2 with the smallest cost: tests check behaviour, not hash strength.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def unique_image(width: int, height: int, seed: int) -> bytes:
    """A white PNG with one pixel coloured by ``seed`` (distinct content per seed)."""
    image = Image.new("RGB", (width, height), "white")
    image.putpixel((0, 0), (seed % 256, seed // 256 % 256, seed // 65536 % 256))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="session")
def password_hash() -> str:
    """The argon2 hash of :data:`PASSWORD`, computed once."""
    return CHEAP_HASHER.hash(PASSWORD)


def make_user(ctx: ServiceContext, role: str, password_hash: str, *, name: str = "") -> Actor:
    """Insert an active user with global ``role``; return its actor."""
    username = f"{name or role}-{secrets.token_hex(4)}"
    with ctx.session() as session:
        user = User(username=username, password_hash=password_hash, role=role)
        session.add(user)
        session.flush()
        return Actor(user_id=user.id, username=username, role=role)  # type: ignore[arg-type]


@pytest.fixture
def admin(ctx: ServiceContext, password_hash: str) -> Actor:
    """A global admin."""
    return make_user(ctx, "admin", password_hash)


@pytest.fixture
def researcher(ctx: ServiceContext, password_hash: str) -> Actor:
    """A global researcher; the creator (so a researcher member) of ``study``."""
    return make_user(ctx, "researcher", password_hash)


@pytest.fixture
def viewer(ctx: ServiceContext, password_hash: str) -> Actor:
    """A global viewer; a viewer member of ``study``."""
    return make_user(ctx, "viewer", password_hash)


@pytest.fixture
def outsider(ctx: ServiceContext, password_hash: str) -> Actor:
    """A global researcher who is not a member of ``study``."""
    return make_user(ctx, "researcher", password_hash, name="outsider")


@pytest.fixture
def study(ctx: ServiceContext, researcher: Actor, viewer: Actor) -> StudyOut:
    """A study created by ``researcher`` with ``viewer`` as viewer member and group size 2."""
    out = create_study(
        ctx,
        actor=researcher,
        name="Reading study",
        screen={"width_px": 800, "height_px": 600},
        min_group_size=2,
    )
    add_member(ctx, actor=researcher, study_id=out.id, username=viewer.username, role="viewer")
    return out


@pytest.fixture
def stimulus(ctx: ServiceContext, researcher: Actor, study: StudyOut) -> StimulusOut:
    """An 800x600 PNG stimulus named ``osie-1010`` (the first demo picture's name).

    One pixel encodes the study id, so the image's content (and blob key) is not
    shared with other tests' stimuli in the session's database.
    """
    return ingest_stimulus(
        ctx,
        actor=researcher,
        study_id=study.id,
        image=unique_image(800, 600, study.id),
        name="osie-1010",
        page_key="osie-1010",
    )
