"""Static files with hashed names and compressed copies, their addresses worked out once.

WhiteNoise's storage looks every ``{% static %}`` address up again in the manifest and
joins it to ``STATIC_URL`` each time: about 20 µs, three times on every page, a few
per cent of an uncached render. The address of a name only changes with the manifest,
which a release's ``collectstatic`` rewrites and each new process reads, so one process
can keep each address it worked out.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.conf import settings
from whitenoise.storage import CompressedManifestStaticFilesStorage

# A template can only name so many files; the bound keeps made-up names from growing it.
MAX_ADDRESSES = 1024


class ManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._addresses: dict[tuple[str, bool, bool], str] = {}

    def url(self, name: str | None, force: bool = False) -> str:
        key = (name or "", force, settings.DEBUG)
        address = self._addresses.get(key)
        if address is None:
            address = super().url(name, force)
            if len(self._addresses) < MAX_ADDRESSES:
                self._addresses[key] = address
        return address

    def post_process(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        # collectstatic hashes the files anew: what was worked out before, or while it
        # ran, may be stale.
        self._addresses.clear()
        try:
            yield from super().post_process(*args, **kwargs)
        finally:
            self._addresses.clear()
