"""Receivers of the publishing app's own signals that keep other views of a page current."""

from __future__ import annotations

from typing import Any


def reindex_live_page(sender: Any, page_id: int, **kwargs: Any) -> None:
    """Receiver of ``live_update_changed``: refresh the live page's search entry.

    Updates are posted without republishing the page, so Wagtail's own re-indexing on
    save never sees them; the entry holds their words (``LivePage.updates_text``). The
    signal comes after the commit, and the index task reads the page afresh by id.
    """
    from modelsearch.tasks import insert_or_update_object_task

    insert_or_update_object_task.enqueue("publishing", "livepage", str(page_id))
