"""One contract for every blob store, run on a folder and on a real S3 HTTP endpoint."""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gazemap.config import Settings
from gazemap.errors import InvalidInputError, NotFoundError
from gazemap.store.blobs import (
    BlobStore,
    FolderBlobStore,
    MemoryBlobStore,
    S3BlobStore,
    blob_store_from_url,
    build_blob_store,
    key_for_bytes,
)
from tests.conftest import unavailable
from tests.store.s3server import CREDENTIALS, moto_server, s3_client

BUCKET = "gazemap-test"


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a moto S3 server process with the test bucket, stopped after the session."""
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with moto_server(log) as url:
        if url is None:
            unavailable(f"moto_server did not start; see {log}")
        assert url is not None
        s3_client(url).create_bucket(Bucket=BUCKET)
        yield url


@pytest.fixture(params=["folder", "s3", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    """An empty blob store of each backend (S3: a fresh prefix in the test bucket)."""
    if request.param == "folder":
        return FolderBlobStore(tmp_path / "blobs")
    if request.param == "memory":
        return MemoryBlobStore()
    endpoint = request.getfixturevalue("s3_endpoint")
    return S3BlobStore(BUCKET, f"run/{secrets.token_hex(6)}", client=s3_client(endpoint))


def test_put_returns_the_sha256_key_and_get_returns_the_bytes(store: BlobStore) -> None:
    data = b"gaze \x00\xff" * 1000
    key = store.put(data)
    digest = hashlib.sha256(data).hexdigest()
    assert key == f"sha256/{digest[:2]}/{digest[2:4]}/{digest}"
    assert store.get(key) == data
    assert store.exists(key)
    assert store.stat(key).size == len(data)


def test_file_objects_are_streamed_in_and_out(store: BlobStore) -> None:
    data = os.urandom(3 * 2**20 + 17)
    key = store.put(io.BytesIO(data))
    assert key == key_for_bytes(data)
    chunks = list(store.stream(key, chunk_size=2**20))
    assert b"".join(chunks) == data
    assert max(len(c) for c in chunks) <= 2**20


def test_empty_blobs_are_fine(store: BlobStore) -> None:
    key = store.put(b"")
    assert store.get(key) == b""
    assert [info.size for info in store.iter_blobs()] == [0]


def test_the_same_bytes_are_stored_once(store: BlobStore) -> None:
    first, second = store.put(b"same"), store.put(bytearray(b"same"))
    assert first == second
    assert list(store.keys()) == [first]


def test_putting_existing_bytes_again_refreshes_their_age(store: BlobStore) -> None:
    key = store.put(b"old")
    if isinstance(store, FolderBlobStore):
        past = time.time() - 7200
        os.utime(store.root / key, (past, past))
    elif isinstance(store, MemoryBlobStore):
        store._blobs[key] = (
            b"old",
            replace(store.stat(key), modified_at=datetime(2000, 1, 1, tzinfo=UTC)),
        )
    else:
        time.sleep(1.1)  # S3 times have one-second resolution; this is no timing assertion
    before = store.stat(key).modified_at
    store.put(b"old")
    assert store.stat(key).modified_at > before


def test_iteration_lists_every_blob_with_size_and_time(store: BlobStore) -> None:
    start = datetime.now(UTC) - timedelta(minutes=5)
    keys = {store.put(f"blob {i}".encode()) for i in range(5)}
    infos = list(store.iter_blobs())
    assert {i.key for i in infos} == keys
    assert all(i.size == 6 and i.modified_at > start for i in infos)


def test_delete_removes_and_is_idempotent(store: BlobStore) -> None:
    key = store.put(b"doomed")
    store.delete(key)
    store.delete(key)
    assert not store.exists(key)
    with pytest.raises(NotFoundError, match="not found"):
        store.get(key)
    with pytest.raises(NotFoundError):
        store.stream(key)
    with pytest.raises(NotFoundError):
        store.stat(key)


@pytest.mark.parametrize(
    "key",
    [
        "../../etc/passwd",
        "/etc/passwd",
        "sha256/ab/cd/" + "0" * 64,  # prefixes do not match the digest
        "sha256/00/00/" + "0" * 63,
        "sha256/00/00/" + "0" * 64 + "/..",
        "SHA256/00/00/" + "0" * 64,
        "sha256/00/00/" + "0" * 64 + "\n",
        "",
    ],
)
def test_malformed_keys_are_refused_before_storage_is_touched(store: BlobStore, key: str) -> None:
    for action in (store.get, store.exists, store.delete, store.stat, store.stream):
        with pytest.raises(InvalidInputError, match="blob key") as info:
            action(key)
        assert info.value.field == "key"


def test_the_folder_store_leaves_no_temporary_files(tmp_path: Path) -> None:
    store = FolderBlobStore(tmp_path)
    store.put(b"a")
    store.put(io.BytesIO(b"b"))
    store.put(io.BytesIO(b"a"))
    assert list((tmp_path / "tmp").iterdir()) == []
    assert sorted(p.name for p in (tmp_path / "sha256").rglob("*") if p.is_file()) == sorted(
        hashlib.sha256(x).hexdigest() for x in (b"a", b"b")
    )


def test_the_folder_store_ignores_foreign_files_when_listing(tmp_path: Path) -> None:
    store = FolderBlobStore(tmp_path)
    key = store.put(b"real")
    (tmp_path / "sha256" / "ab" / "cd").mkdir(parents=True)
    (tmp_path / "sha256" / "ab" / "cd" / "notes.txt").write_text("not a blob")
    assert list(store.keys()) == [key]


def test_settings_choose_the_backend(
    gazemap_home: Path, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    default = build_blob_store(Settings())
    assert isinstance(default, FolderBlobStore)
    assert default.root == (gazemap_home / "blobs").resolve()

    for name, value in CREDENTIALS.items():
        env = "AWS_DEFAULT_REGION" if name == "region_name" else name.upper()
        monkeypatch.setenv(env, value)
    settings = Settings(blob_url=f"s3://{BUCKET}/from-settings/", s3_endpoint_url=s3_endpoint)
    s3 = build_blob_store(settings)
    assert isinstance(s3, S3BlobStore)
    assert (s3.bucket, s3.prefix) == (BUCKET, "from-settings")
    key = s3.put(b"through settings")
    listed: Any = s3_client(s3_endpoint).list_objects_v2(Bucket=BUCKET, Prefix="from-settings/")
    assert [o["Key"] for o in listed["Contents"]] == [f"from-settings/{key}"]


def test_file_urls_and_unknown_schemes(tmp_path: Path) -> None:
    store = blob_store_from_url(f"file://{tmp_path}/b")
    assert isinstance(store, FolderBlobStore)
    assert store.root == tmp_path / "b"
    with pytest.raises(InvalidInputError, match="needs a bucket"):
        blob_store_from_url("s3:///prefix")
    with pytest.raises(InvalidInputError, match="blob URL must be"):
        blob_store_from_url("https://example.org/blobs")
