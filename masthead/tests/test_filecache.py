"""The embedded shared store counts its files now and then, and still stays bounded."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest

from masthead.filecache import COUNTS_PER_MAX_ENTRIES, FileBasedCache


def test_the_folder_is_counted_once_per_hundredth_of_max_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FileBasedCache(str(tmp_path), {"OPTIONS": {"MAX_ENTRIES": 1000, "CULL_FREQUENCY": 2}})
    counts: list[int] = []
    list_files = store._list_cache_files

    def counting() -> list[str]:
        found = list_files()
        counts.append(len(found))
        return found

    monkeypatch.setattr(store, "_list_cache_files", counting)
    for number in range(1200):
        store.set(f"key-{number}", "x" * 10)

    every = 1000 // COUNTS_PER_MAX_ENTRIES
    # Django's own lists the folder on every one of the 1,200 writes.
    assert len(counts) == 1200 // every
    # Over the limit it culled as Django does (half, here), never far past the limit.
    files = len(list(tmp_path.glob("*.djcache")))
    assert files <= 1000 + every
    assert max(counts) <= 1000 + every
    assert any(later < earlier for earlier, later in pairwise(counts))
    # What was written last is there to be read.
    assert store.get("key-1199") == "x" * 10
