"""A real SMTP server for newsletter tests, which can refuse or defer chosen recipients."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from collections import Counter
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Sink:
    """Keeps every accepted message with its envelope recipient."""

    reject: set[str] = field(default_factory=set)  # 550 at RCPT, every time
    defer_once: set[str] = field(default_factory=set)  # 451 at RCPT, the first time
    delay: float = 0.0  # seconds before accepting each message
    keep_messages: bool = True
    received: list[tuple[str, EmailMessage]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    _deferred: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.reject:
            return "550 5.1.1 No such mailbox"
        if address in self.defer_once and address not in self._deferred:
            self._deferred.add(address)
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        message = (
            email.message_from_bytes(envelope.content, policy=email.policy.default)
            if self.keep_messages
            else None
        )
        with self._lock:
            for recipient in envelope.rcpt_tos:
                self.counts[recipient] += 1
                if message is not None:
                    self.received.append((recipient, message))  # type: ignore[arg-type]
        return "250 2.0.0 Accepted"

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def to(self, address: str) -> list[EmailMessage]:
        return [message for recipient, message in self.received if recipient == address]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(sink: Sink) -> Controller:
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller
