"""Fixtures for membership tests: a real SMTP server, tiers, members and gated articles."""

from __future__ import annotations

import email
import email.policy
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core.cache import cache

from masthead.membership import actions
from masthead.membership.models import Member, Tier


@dataclass
class Inbox:
    """What the test's SMTP server received, parsed as real email messages."""

    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def last_to(self, address: str) -> EmailMessage:
        for message in reversed(self.messages):
            if address in str(message["To"]):
                return message
        raise AssertionError(f"no email to {address}; got {[m['To'] for m in self.messages]}")

    @staticmethod
    def text(message: EmailMessage) -> str:
        part = message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())

    def link_for(self, address: str) -> str:
        match = re.search(r"https?://\S+/members/\?token=[\w-]+", self.text(self.last_to(address)))
        assert match, "the email has no magic link"
        return match.group(0)

    def code_for(self, address: str) -> str:
        match = re.search(r"code instead: (\d{6})", self.text(self.last_to(address)))
        assert match, "the email has no 6-digit code"
        return match.group(1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_inbox(settings: Any) -> Iterator[Inbox]:
    """A real SMTP server on localhost; Django's SMTP backend sends to it."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # Rate limits and counters live in the cache; each test starts with none.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def free_tier(db: None) -> Tier:
    return Tier.objects.get(kind=Tier.Kind.FREE)


@pytest.fixture
def supporter(db: None) -> Tier:
    return Tier.objects.create(
        name="Supporter", slug="supporter", monthly_price=500, yearly_price=5000, currency="EUR"
    )


@pytest.fixture
def patron(db: None) -> Tier:
    return Tier.objects.create(
        name="Patron", slug="patron", monthly_price=1500, yearly_price=15000, currency="EUR"
    )


@pytest.fixture
def free_member(db: None) -> Member:
    return actions.create_member(email="free@example.org", name="Fay Free")


@pytest.fixture
def make_member(db: None) -> Any:
    def make(email: str, *, comp: Tier | None = None) -> Member:
        member = actions.create_member(email=email)
        if comp is not None:
            actions.comp_member(member=member, tier=comp)
        return member

    return make
