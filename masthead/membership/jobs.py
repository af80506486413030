"""Periodic jobs of the membership app, run by the worker's scheduler."""

from __future__ import annotations

from . import actions


def expire_memberships() -> None:
    """Members whose comp or gift ran out go back to free without anyone clicking."""
    actions.expire_memberships()


def purge_sign_in_requests() -> None:
    actions.purge_expired_sign_in_requests()


def send_due_gifts() -> None:
    """Email the recipients of paid gifts whose send date has come."""
    actions.send_due_gifts()
