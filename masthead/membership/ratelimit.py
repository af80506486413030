"""Fixed-window rate limits kept in the cache, shared by every process using it.

With the file cache of a single machine or Redis in production, every worker process
counts into the same window; a local-memory cache would give each process its own.
"""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache


def allow(scope: str, key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one attempt for ``key`` and say whether it is within ``limit`` per window."""
    # Hashed: emails and addresses must not sit in cache keys in the clear.
    digest = hashlib.sha256(f"{scope}:{key}".encode()).hexdigest()[:32]
    bucket = int(time.time() // window_seconds)
    cache_key = f"ratelimit:{scope}:{digest}:{bucket}"
    if cache.add(cache_key, 1, timeout=window_seconds):
        return limit >= 1
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=window_seconds)
        count = 1
    return count <= limit
