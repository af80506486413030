"""The shared store of a one-machine install: Django's file cache, counting its files less often.

Django's ``FileBasedCache`` lists its whole folder on every write, to see whether it holds
more than ``MAX_ENTRIES`` files. The page cache writes a memo each time a kept part is
checked again after a change, so after a publish every write paid for a folder of
thousands of files: about 3-8 ms each, most of an uncached page's time after a publish.
This one counts the files on its first write and then once every ``MAX_ENTRIES / 100``
writes, culling exactly as Django's does. Between two counts the folder may hold that
many files more than ``MAX_ENTRIES`` per thread that writes (Django keeps a cache backend
per thread; ``masthead serve`` runs one per worker).
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends import filebased

# How many times per MAX_ENTRIES writes the folder is counted.
COUNTS_PER_MAX_ENTRIES = 100


class FileBasedCache(filebased.FileBasedCache):
    # No lock: Django gives each thread its own instance (``django.core.cache.caches``).
    def __init__(self, dir: str, params: dict[str, Any]) -> None:
        super().__init__(dir, params)
        self._writes_before_count = 0

    def _cull(self) -> None:
        if self._writes_before_count > 0:
            self._writes_before_count -= 1
            return
        self._writes_before_count = max(0, self._max_entries // COUNTS_PER_MAX_ENTRIES - 1)
        super()._cull()  # type: ignore[misc]  # Django's private method, kept as is
