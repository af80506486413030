"""Periodic jobs of the publishing app, run by the worker's scheduler."""

from __future__ import annotations

from django.core.management import call_command


def publish_scheduled_pages() -> None:
    """Publish pages whose scheduled time has come and unpublish expired ones.

    Wagtail does this in its ``publish_scheduled`` command and leaves running it to
    the site; the worker's scheduler runs it so editors' schedules just happen.
    """
    call_command("publish_scheduled", verbosity=0)
