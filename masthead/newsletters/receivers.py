"""Signal receivers of the newsletters app that react to publishing."""

from __future__ import annotations

from typing import Any

from wagtail.signals import page_published

from . import actions


def start_sends_on_publish(sender: Any, instance: Any, **kwargs: Any) -> None:
    """An article scheduled (or saved) with "send when published" goes out as it goes live."""
    actions.start_waiting_sends(page=instance)


def connect() -> None:
    page_published.connect(start_sends_on_publish, dispatch_uid="masthead.newsletters.publish")
