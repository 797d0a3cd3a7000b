"""Accounts: argon2 hashes, generic sign-in failures, roles, password changes."""

from __future__ import annotations

import secrets

import pytest
from argon2 import PasswordHasher

from gazemap.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from gazemap.service import accounts
from gazemap.service.actor import Actor
from gazemap.service.context import ServiceContext
from gazemap.store.models import User
from tests.service.people import CHEAP_HASHER, PASSWORD

PRODUCTION_HASHER = accounts._hasher


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash with the cheapest argon2 parameters; the production defaults cost ~0.1 s each."""
    monkeypatch.setattr(accounts, "_hasher", lambda: CHEAP_HASHER)
    monkeypatch.setattr(accounts, "_dummy_hash", lambda: CHEAP_HASHER.hash("dummy"))


def test_default_hasher_is_argon2id_with_library_defaults() -> None:
    hasher = PRODUCTION_HASHER()
    assert hasher.time_cost >= PasswordHasher().time_cost
    assert hasher.hash("x" * 8).startswith("$argon2id$")


def _name(prefix: str = "user") -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def test_create_user_stores_an_argon2_hash(ctx: ServiceContext) -> None:
    name = _name()
    out = accounts.create_user(ctx, username=name, password="s3cret-pass", role="researcher")
    assert (out.username, out.role, out.active) == (name, "researcher", True)
    assert "password" not in out.model_dump()
    assert "password_hash" not in out.model_dump()
    with ctx.session() as session:
        stored = session.get(User, out.id)
        assert stored is not None
        assert stored.password_hash.startswith("$argon2id$")
        assert "s3cret-pass" not in stored.password_hash
    actor = accounts.authenticate(ctx, username=name, password="s3cret-pass")
    assert actor == Actor(user_id=out.id, username=name, role="researcher")


def test_taken_username_conflicts(ctx: ServiceContext, viewer: Actor) -> None:
    with pytest.raises(ConflictError, match="taken"):
        accounts.create_user(ctx, username=viewer.username, password="long enough")


@pytest.mark.parametrize(
    ("username", "password", "role", "field"),
    [
        ("a", "long enough", "viewer", "username"),
        ("has space", "long enough", "viewer", "username"),
        ("-dash-first", "long enough", "viewer", "username"),
        ("fine.name", "short", "viewer", "password"),
        ("fine.name", "x" * 2000, "viewer", "password"),
        ("fine.name", "long enough", "owner", "role"),
    ],
)
def test_bad_input_names_the_field(
    ctx: ServiceContext, username: str, password: str, role: str, field: str
) -> None:
    with pytest.raises(InvalidInputError) as err:
        accounts.create_user(ctx, username=username, password=password, role=role)
    assert err.value.field == field


def test_only_admins_create_users_when_acting(
    ctx: ServiceContext, researcher: Actor, admin: Actor
) -> None:
    with pytest.raises(PermissionDeniedError):
        accounts.create_user(ctx, username=_name(), password="long enough", actor=researcher)
    made = accounts.create_user(ctx, username=_name(), password="long enough", actor=admin)
    assert made.role == "viewer"


def test_sign_in_failures_are_indistinguishable(
    ctx: ServiceContext, viewer: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    verified: list[str] = []
    real_verify = PasswordHasher.verify

    def spy(self: PasswordHasher, hash: str, password: str | bytes) -> bool:
        verified.append(hash)
        return real_verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", spy)
    with pytest.raises(AuthenticationError) as wrong:
        accounts.authenticate(ctx, username=viewer.username, password="not the password")
    with pytest.raises(AuthenticationError) as unknown:
        accounts.authenticate(ctx, username=_name("ghost"), password="whatever123")
    assert str(wrong.value) == str(unknown.value) == "invalid username or password"
    # the unknown user still cost one verification (against the dummy hash)
    assert len(verified) == 2
    assert accounts.authenticate(ctx, username=viewer.username, password=PASSWORD) == viewer


def test_disabled_accounts_cannot_sign_in(ctx: ServiceContext, admin: Actor, viewer: Actor) -> None:
    assert accounts.get_actor(ctx, user_id=viewer.user_id or 0) == viewer
    out = accounts.update_user(ctx, actor=admin, user_id=viewer.user_id or 0, active=False)
    assert out.active is False
    with pytest.raises(AuthenticationError, match="invalid username or password"):
        accounts.authenticate(ctx, username=viewer.username, password=PASSWORD)
    with pytest.raises(AuthenticationError):
        accounts.get_actor(ctx, user_id=viewer.user_id or 0)
    with pytest.raises(AuthenticationError):
        accounts.get_actor(ctx, user_id=987_654_321)


def test_role_changes_apply_at_once(ctx: ServiceContext, admin: Actor, viewer: Actor) -> None:
    accounts.update_user(ctx, actor=admin, user_id=viewer.user_id or 0, role="researcher")
    assert accounts.get_actor(ctx, user_id=viewer.user_id or 0).role == "researcher"
    with pytest.raises(PermissionDeniedError, match="themselves"):
        accounts.update_user(ctx, actor=admin, user_id=admin.user_id or 0, role="viewer")
    with pytest.raises(PermissionDeniedError):
        accounts.update_user(ctx, actor=viewer, user_id=viewer.user_id or 0, role="admin")


def test_list_users_is_for_admins(
    ctx: ServiceContext, admin: Actor, researcher: Actor, viewer: Actor
) -> None:
    page = accounts.list_users(ctx, actor=admin, limit=500)
    names = [u.username for u in page.items]
    assert {admin.username, researcher.username, viewer.username} <= set(names)
    assert names == sorted(names)
    assert page.total >= 3
    assert len(accounts.list_users(ctx, actor=admin, limit=1, offset=1).items) == 1
    with pytest.raises(PermissionDeniedError):
        accounts.list_users(ctx, actor=researcher)
    with pytest.raises(InvalidInputError, match="limit"):
        accounts.list_users(ctx, actor=admin, limit=0)


def test_set_password(ctx: ServiceContext, admin: Actor, viewer: Actor, researcher: Actor) -> None:
    accounts.set_password(ctx, actor=viewer, user_id=viewer.user_id or 0, password="new password")
    with pytest.raises(AuthenticationError):
        accounts.authenticate(ctx, username=viewer.username, password=PASSWORD)
    assert accounts.authenticate(ctx, username=viewer.username, password="new password") == viewer
    with pytest.raises(NotFoundError):
        accounts.set_password(
            ctx, actor=researcher, user_id=viewer.user_id or 0, password="hijacked!!"
        )
    with pytest.raises(InvalidInputError, match="at least 8"):
        accounts.set_password(ctx, actor=admin, user_id=viewer.user_id or 0, password="short")
    accounts.set_password(ctx, actor=admin, user_id=viewer.user_id or 0, password="reset by admin")
    assert accounts.authenticate(ctx, username=viewer.username, password="reset by admin") == viewer
    with pytest.raises(NotFoundError):
        accounts.set_password(ctx, actor=admin, user_id=987_654_321, password="long enough")
