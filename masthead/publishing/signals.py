"""Signals other apps listen to (caches, CDN purges, webhooks, search)."""

from django.dispatch import Signal

# Sent after the commit that posted, edited, pinned, deleted or promoted a live update,
# with ``page_id``, ``update_id`` and ``change`` ("posted", "edited" or "deleted").
live_update_changed = Signal()
