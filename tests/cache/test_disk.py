"""The folder cache: restarts, atomic writes across processes, LRU eviction, file names."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gazemap.cache import DiskCache
from gazemap.errors import StorageError
from tests.cache import workers


def test_values_survive_a_restart(tmp_path: Path) -> None:
    first = DiskCache(tmp_path, 10**6)
    first.set("k", b"kept")
    second = DiskCache(tmp_path, 10**6)
    assert second.get("k") == b"kept"
    assert second.stats.snapshot().entries == 1
    assert second.stats.snapshot().bytes == first.file_for("k").stat().st_size


@pytest.mark.parametrize(
    "key", ["../../escape", "/etc/passwd", "..", "a/../../b", "C:\\x", "nul\x00byte", "é" * 500]
)
def test_no_key_names_a_file_outside_the_folder(tmp_path: Path, key: str) -> None:
    root = tmp_path / "cache"
    cache = DiskCache(root, 10**6)
    cache.set(key, b"v")
    path = cache.file_for(key)
    assert path.resolve().parent.parent == root.resolve()
    assert len(path.name) == 64
    assert set(path.name) <= set("0123456789abcdef")
    assert cache.get(key) == b"v"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache"]


def test_least_recently_used_files_are_evicted_first(tmp_path: Path) -> None:
    value = b"x" * 1000
    size = 20 + 3 + len(value)  # header + key + value
    cache = DiskCache(tmp_path, 10 * size)
    for i in range(10):
        cache.set(f"k{i:02d}", value)
    assert cache.stats.snapshot().evictions == 0
    cache.get("k00")  # now the most recently used
    cache.set("k10", value)  # over the bound: evict to 90 % of it, i.e. two files
    present = {f"k{i:02d}" for i in range(11) if cache.get(f"k{i:02d}") is not None}
    assert present == {"k00", *(f"k{i:02d}" for i in range(3, 11))}
    assert cache.stats.snapshot().evictions == 2


def test_truncated_file_reads_as_a_counted_miss(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path, 10**6)
    cache.set("k", b"v" * 1000)
    path = cache.file_for("k")
    path.write_bytes(path.read_bytes()[:-10])
    assert cache.get("k") is None
    assert cache.stats.snapshot().errors == 1
    cache.set("k", b"fresh")
    assert cache.get("k") == b"fresh"


def test_foreign_or_flipped_file_reads_as_a_counted_miss(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path, 10**6)
    cache.set("a", b"v" * 100)
    cache.set("b", b"v" * 100)
    cache.file_for("a").write_bytes(b"not a cache file at all")
    data = bytearray(cache.file_for("b").read_bytes())
    data[-1] ^= 0xFF
    cache.file_for("b").write_bytes(bytes(data))
    assert cache.get("a") is None
    assert cache.get("b") is None
    assert cache.stats.snapshot().errors == 2


def test_stale_temporary_files_are_removed_and_fresh_ones_kept(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path, 10**6)
    cache.set("k", b"v")
    sub = cache.file_for("k").parent
    stale, fresh = sub / ".tmp-stale", sub / ".tmp-fresh"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"half")
    os.utime(stale, (0, 0))
    DiskCache(tmp_path, 10**6)
    assert not stale.exists()
    assert fresh.exists()


def test_unwritable_folder_is_a_storage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    with pytest.raises(StorageError, match="cannot be created"):
        DiskCache(blocker / "cache", 10**6)


def test_processes_writing_one_key_never_read_a_torn_value(tmp_path: Path) -> None:
    torn = workers.run_in_processes(
        workers.hammer_disk_key, [(str(tmp_path), "same", m, 40) for m in (1, 2, 3)]
    )
    assert torn == [0, 0, 0]
    value = DiskCache(tmp_path, 2**30).get("same")
    assert value is not None
    assert value in {bytes([m]) * 300_000 for m in (1, 2, 3)}
    assert not list(tmp_path.rglob(".tmp-*"))


def test_size_accounting_follows_overwrites_and_deletes(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path, 10**6)
    cache.set("k", b"v" * 100)
    cache.set("k", b"v" * 10)
    cache.set("j", b"v")
    on_disk = sum(p.stat().st_size for p in tmp_path.rglob("*") if p.is_file())
    snap = cache.stats.snapshot()
    assert (snap.bytes, snap.entries) == (on_disk, 2)
    cache.delete("k")
    cache.delete("k")
    snap = cache.stats.snapshot()
    assert (snap.bytes, snap.entries) == (cache.file_for("j").stat().st_size, 1)


def test_a_wiped_folder_is_recreated_on_the_next_write(tmp_path: Path) -> None:
    import shutil

    cache = DiskCache(tmp_path / "cache", 10**6)
    cache.set("a", b"1")
    shutil.rmtree(tmp_path / "cache")
    assert cache.get("a") is None
    assert cache.set("b", b"2")
    assert cache.get("b") == b"2"
    assert cache.stats.snapshot().errors == 0
