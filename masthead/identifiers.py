"""Stable public identifiers in Ghost's format.

Ghost identifies every post, tag, author and member by a 24-hex-character ObjectId.
Giving masthead's rows the same kind of id from their creation means the Ghost APIs
can expose stable ids, and rows imported from Ghost keep the ids clients already hold.
"""

from __future__ import annotations

import os
import re
import threading
import time
from typing import Any

_counter = int.from_bytes(os.urandom(3), "big")
_lock = threading.Lock()
_process_random = os.urandom(5)
OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")


def _reseed() -> None:
    """Forked server workers must not share the parent's random part and counter."""
    global _counter, _process_random
    _counter = int.from_bytes(os.urandom(3), "big")
    _process_random = os.urandom(5)


os.register_at_fork(after_in_child=_reseed)


def new_object_id() -> str:
    """A MongoDB-style ObjectId: 4 bytes of time, 5 random bytes, a 3-byte counter."""
    global _counter
    with _lock:
        _counter = (_counter + 1) % 0xFFFFFF
        count = _counter
    return (int(time.time()).to_bytes(4, "big") + _process_random + count.to_bytes(3, "big")).hex()


def is_object_id(value: str) -> bool:
    return bool(OBJECT_ID.match(value))


def ghost_id_field() -> Any:
    """The ``ghost_id`` column every public row carries (articles, tags, members, tiers)."""
    from django.db import models
    from django.utils.translation import gettext_lazy as _

    return models.CharField(
        max_length=24,
        unique=True,
        default=new_object_id,
        editable=False,
        help_text=_("Stable public id, in Ghost's format."),
    )


def ghost_uuid_field() -> Any:
    """The ``uuid`` Ghost gives posts and pages beside their id (used in email and preview links)."""
    import uuid

    from django.db import models

    return models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
