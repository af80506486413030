"""Periodic jobs of the newsletters app, run by the worker's scheduler."""

from __future__ import annotations

from . import delivery


def resume_stalled_sends() -> None:
    """Pick up sends whose worker died mid-way: their queued recipients are delivered."""
    delivery.resume_stalled_sends()
