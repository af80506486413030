"""A local stand-in for Mailgun's sending API and webhooks, for tests and benchmarks.

Tests run the production code path: anymail's Mailgun backend, pointed at this server
with ``MAILGUN_API_URL = standin.api_url``. The server speaks the part of Mailgun's API
that anymail uses to send: ``POST /v3/<domain>/messages`` with HTTP basic auth
(``api:<key>``), form-encoded fields (``from``, ``to`` repeated, ``subject``, ``text``,
``html``, ``h:<Header>``, ``v:<variable>``, ``o:<option>``) and ``recipient-variables``,
a JSON object of each recipient's ``%recipient.<name>%`` values. Like Mailgun it expands
a batch send into one message per ``to`` address, filling in the recipient variables in
the subject, the body, the headers and the ``v:`` variables, and answers
``{"id": "<...@domain>", "message": "Queued. Thank you."}``: one id for the request.
Errors come back in Mailgun's shape: ``{"message": "..."}`` with 400, 429 or 500, and
a plain ``Forbidden`` with 401 for a wrong key.

What Mailgun then does on its own is kept as webhook payloads in ``events``, in
Mailgun's JSON webhook format and signed with Mailgun's scheme (HMAC-SHA256 of
timestamp and token with the webhook signing key): ``delivered`` for each message, and
``failed`` (permanent, ``suppress-bounce``) for an address told to ``reject``, which
Mailgun accepts in the request and then does not deliver. ``event()`` makes the others
(opened, clicked, complained, unsubscribed, failed), and ``post_event()`` POSTs one to a
webhook URL over HTTP.

Test hooks for an unwell service: ``fail_next`` (answer the next requests with 429 or
500), ``drop_next`` (take the request, then close the connection without answering, as
when a response is lost), ``go_down``/``come_back`` (refuse connections), ``delay``, and
``on_request`` (run something while the client waits for the answer).
With ``keep_messages=False`` it only counts recipients (for benchmarks).
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import hashlib
import hmac
import json
import re
import secrets
import socket
import threading
import time
import traceback
import urllib.error
import urllib.request
from collections import Counter, deque
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from email.utils import getaddresses
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

JSON = dict[str, Any]

DEFAULT_API_KEY = "key-standin"
DEFAULT_SIGNING_KEY = "standin-webhook-signing-key"
# Mailgun's documented limit for one batch send.
MAX_RECIPIENTS = 1000

_MESSAGES_PATH = re.compile(r"^/v3/([^/]+)/messages$")
_ADDRESS = re.compile(r"^[^@\s\"<>]+@[^@\s\"<>]+\.[^@\s\"<>]+$")


@dataclass(frozen=True)
class ApiRequest:
    """One request the stand-in received, with how it was answered (None: no answer)."""

    path: str
    status: int | None
    fields: dict[str, list[str]]
    recipients: int

    def one(self, name: str) -> str:
        values = self.fields.get(name, [])
        assert len(values) == 1, f"{name}: {values}"
        return values[0]


@dataclass(frozen=True)
class SentMessage:
    """One message as Mailgun would deliver it to one recipient of a batch send."""

    recipient: str  # the address
    to: str  # the To header, with the display name
    sender: str
    subject: str
    text: str
    html: str
    headers: dict[str, str]  # h: fields, recipient variables filled in
    variables: dict[str, str]  # v: fields (webhook "user-variables"), filled in
    options: dict[str, str]  # o: fields (tracking, tags)
    tags: list[str]
    message_id: str  # as Mailgun answered, in angle brackets
    domain: str


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)

    def close_open_connections(self) -> None:
        with self.sockets_lock:
            sockets, self.open_sockets = list(self.open_sockets), set()
        for sock in sockets:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    standin: MailgunStandIn
    protocol_version = "HTTP/1.1"
    server_version = "mailgun-standin/1.0"
    timeout = 10
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            answer = self.standin._handle(self.path, self.headers, body)
        except Exception:  # noqa: BLE001 - the stand-in's own bug becomes a 500 and a record
            self.standin.internal_errors.append(traceback.format_exc())
            answer = (500, {"message": "stand-in error"})
        if answer is None:  # a lost response: close without a word
            self.close_connection = True
            with suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        status, payload = answer
        if isinstance(payload, dict):
            data, content_type = json.dumps(payload).encode(), "application/json"
        else:
            data, content_type = payload.encode(), "text/plain; charset=utf-8"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()


class MailgunStandIn:
    """A small local HTTP server that answers like Mailgun's sending API."""

    def __init__(
        self,
        *,
        api_key: str = DEFAULT_API_KEY,
        webhook_signing_key: str = DEFAULT_SIGNING_KEY,
        max_recipients: int = MAX_RECIPIENTS,
        keep_messages: bool = True,
    ) -> None:
        self.api_key = api_key
        self.webhook_signing_key = webhook_signing_key
        self.max_recipients = max_recipients
        #: Expand each batch into messages (tests), or only count recipients (benchmarks).
        self.keep_messages = keep_messages
        #: Seconds to wait before answering each request.
        self.delay = 0.0
        #: Called with each request's fields while the client waits for the answer.
        self.on_request: Callable[[dict[str, list[str]]], None] | None = None
        #: Every request received, in order.
        self.requests: list[ApiRequest] = []
        #: Every message accepted, one per recipient, in order.
        self.messages: list[SentMessage] = []
        #: Messages accepted per recipient address.
        self.counts: Counter[str] = Counter()
        #: Webhook payloads for what happened to the messages (delivered, failed).
        self.events: list[JSON] = []
        #: When the first and the last accepted message arrived (time.time()), and how
        #: many arrived with the first (its request's recipients).
        self.first_at: float | None = None
        self.last_at: float | None = None
        self.at_first = 0
        #: Tracebacks of the stand-in's own failures; tests can assert it is empty.
        self.internal_errors: list[str] = []

        self._lock = threading.RLock()
        self._failures: deque[tuple[int, str]] = deque()
        self._drops = 0
        self._rejected: dict[str, str] = {}
        self._sequence = 0
        self._port = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- Lifecycle --------------------------------------------------------------------------

    def start(self) -> MailgunStandIn:
        if self._server is not None:
            return self
        handler = type("MailgunStandInHandler", (_Handler,), {"standin": self})
        self._server = _Server(("127.0.0.1", self._port), handler)
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="mailgun-standin",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_open_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> MailgunStandIn:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if not self._port:
            raise RuntimeError("the Mailgun stand-in is not running; call start() first")
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_url(self) -> str:
        """The value for anymail's ``MAILGUN_API_URL``."""
        return f"{self.url}/v3"

    # --- Simulating an unwell service ---------------------------------------------------------

    def fail_next(self, status: int = 500, *, times: int = 1, message: str = "") -> None:
        """Answer the next ``times`` requests with ``status``; nothing is sent."""
        default = {429: "Too Many Requests", 400: "Bad request"}.get(status, "Internal error")
        with self._lock:
            self._failures.extend([(status, message or default)] * times)

    def drop_next(self, times: int = 1) -> None:
        """Take the next ``times`` requests (their messages go out), but never answer."""
        with self._lock:
            self._drops += times

    def go_down(self) -> None:
        """Stop listening: connections are refused until ``come_back``."""
        self.stop()

    def come_back(self) -> None:
        """Listen again, on the same port."""
        self.start()

    def reject(self, address: str, reason: str = "suppress-bounce") -> None:
        """Accept this address in requests but never deliver to it, as Mailgun does with an
        address on its bounce list: a permanent ``failed`` event instead of ``delivered``."""
        with self._lock:
            self._rejected[address.lower()] = reason

    # --- The API -----------------------------------------------------------------------------

    def _handle(self, path: str, headers: Any, body: bytes) -> tuple[int, JSON | str] | None:
        if self.delay:
            time.sleep(self.delay)
        route = _MESSAGES_PATH.match(urlsplit(path).path)
        fields = _decode_fields(headers.get("Content-Type", ""), body)
        if self.on_request is not None:
            self.on_request(fields)
        recipients = len(fields.get("to", []))

        def record(status: int | None) -> None:
            kept = fields if self.keep_messages else {}
            with self._lock:
                self.requests.append(ApiRequest(path, status, kept, recipients))

        if route is None:
            record(404)
            return 404, {"message": "Not Found"}
        if not self._authorised(headers.get("Authorization", "")):
            record(401)
            return 401, "Forbidden"
        with self._lock:
            failure = self._failures.popleft() if self._failures else None
        if failure is not None:
            record(failure[0])
            return failure[0], {"message": failure[1]}
        error = self._check(fields)
        if error:
            record(400)
            return 400, {"message": error}
        domain = route.group(1)
        message_id = self._accept(domain, fields)
        with self._lock:
            dropped = self._drops > 0
            self._drops -= int(dropped)
        if dropped:
            record(None)
            return None
        record(200)
        return 200, {"id": message_id, "message": "Queued. Thank you."}

    def _authorised(self, header: str) -> bool:
        expected = "Basic " + base64.b64encode(f"api:{self.api_key}".encode()).decode()
        return hmac.compare_digest(header.encode(), expected.encode())

    def _check(self, fields: dict[str, list[str]]) -> str:
        """Mailgun's refusals for a malformed request; "" when it is fine."""
        if not fields.get("from"):
            return "from parameter is missing"
        addresses = [address for _name, address in getaddresses(fields.get("to", []))]
        if not addresses:
            return "to parameter is missing"
        if any(not _ADDRESS.match(address) for address in addresses):
            return "to parameter is not a valid address. please check documentation"
        if len(addresses) > self.max_recipients:
            return f"Too many recipients: the maximum is {self.max_recipients}"
        if not fields.get("subject"):
            return "subject parameter is missing"
        if not (fields.get("text") or fields.get("html")):
            return "Need at least one of 'text' or 'html' parameters specified"
        if "recipient-variables" in fields:
            try:
                variables = json.loads(fields["recipient-variables"][0])
            except ValueError:
                return "recipient-variables parameter is not a valid JSON"
            if not isinstance(variables, dict):
                return "recipient-variables parameter is not a valid JSON"
        return ""

    def _accept(self, domain: str, fields: dict[str, list[str]]) -> str:
        with self._lock:
            self._sequence += 1
            sequence = self._sequence
        stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime())
        message_id = f"<{stamp}.{sequence}.{secrets.token_hex(8)}@{domain}>"
        now = time.time()
        to_headers = fields.get("to", [])
        if not self.keep_messages:
            with self._lock:
                self.counts["*"] += len(to_headers)
                self._arrived(now)
            return message_id
        variables = json.loads((fields.get("recipient-variables") or ["{}"])[0])
        accepted = []
        for to_header in to_headers:
            address = getaddresses([to_header])[0][1]
            values = variables.get(address, {})

            def fill(value: str, values: dict[str, Any] = values) -> str:
                return re.sub(
                    r"%recipient\.([^%]+)%",
                    lambda m: str(values.get(m.group(1), m.group(0))),
                    value,
                )

            single = {name: fill(vs[0]) for name, vs in fields.items() if len(vs) == 1}
            accepted.append(
                SentMessage(
                    recipient=address,
                    to=to_header,
                    sender=single.get("from", ""),
                    subject=single.get("subject", ""),
                    text=single.get("text", ""),
                    html=single.get("html", ""),
                    headers={k[2:]: v for k, v in single.items() if k.startswith("h:")},
                    variables={k[2:]: v for k, v in single.items() if k.startswith("v:")},
                    options={k[2:]: v for k, v in single.items() if k.startswith("o:")},
                    tags=fields.get("o:tag", []),
                    message_id=message_id,
                    domain=domain,
                )
            )
        with self._lock:
            for message in accepted:
                self.messages.append(message)
                self.counts[message.recipient] += 1
                reason = self._rejected.get(message.recipient.lower())
                if reason is None:
                    self.events.append(self.event("delivered", message))
                else:
                    self.events.append(
                        self.event(
                            "failed",
                            message,
                            severity="permanent",
                            reason=reason,
                            **{
                                "delivery-status": {
                                    "code": 605,
                                    "message": "",
                                    "description": "Not delivering to previously bounced address",
                                    "attempt-no": 1,
                                }
                            },
                        )
                    )
            if accepted:
                self._arrived(now)
        return message_id

    def _arrived(self, now: float) -> None:
        if self.first_at is None:
            self.first_at, self.at_first = now, self.total
        self.last_at = now

    # --- Assertions ------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every request, message and event received so far."""
        with self._lock:
            self.requests.clear()
            self.messages.clear()
            self.counts.clear()
            self.events.clear()
            self.first_at = self.last_at = None
            self.at_first = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def to(self, address: str) -> list[SentMessage]:
        return [message for message in self.messages if message.recipient == address]

    def answered(self) -> list[int | None]:
        return [request.status for request in self.requests]

    # --- Webhooks ----------------------------------------------------------------------------------

    def sign(self, timestamp: str, token: str) -> str:
        key = self.webhook_signing_key.encode()
        return hmac.new(key, f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()

    def event(self, kind: str, message: SentMessage, **extra: Any) -> JSON:
        """A signed webhook payload, in Mailgun's format, for one message."""
        timestamp = time.time()
        token = secrets.token_hex(25)
        data: JSON = {
            "id": secrets.token_urlsafe(16),
            "timestamp": timestamp,
            "log-level": "info" if kind != "failed" else "error",
            "event": kind,
            "recipient": message.recipient,
            "recipient-domain": message.recipient.rpartition("@")[2],
            "envelope": {
                "transport": "smtp",
                "sender": f"bounce@{message.domain}",
                "targets": message.recipient,
            },
            "flags": {"is-authenticated": True, "is-test-mode": False},
            "message": {
                "headers": {
                    "to": message.to,
                    "message-id": message.message_id.strip("<>"),
                    "from": message.sender,
                    "subject": message.subject,
                },
                "attachments": [],
                "size": len(message.html) + len(message.text),
            },
            "tags": message.tags,
            "campaigns": [],
            "user-variables": dict(message.variables),
        }
        if kind == "delivered":
            data["delivery-status"] = {
                "code": 250,
                "message": "OK",
                "description": "",
                "attempt-no": 1,
                "tls": True,
            }
        if kind in {"opened", "clicked", "unsubscribed", "complained"}:
            data["client-info"] = {"client-name": "Firefox", "user-agent": "Mozilla/5.0"}
        if kind == "clicked":
            data["url"] = "https://example.org/story/"
        data.update(extra)
        stamp = str(int(timestamp))
        return {
            "signature": {"timestamp": stamp, "token": token, "signature": self.sign(stamp, token)},
            "event-data": data,
        }

    def events_for(self, address: str, kind: str | None = None) -> list[JSON]:
        return [
            event
            for event in self.events
            if event["event-data"]["recipient"] == address
            and (kind is None or event["event-data"]["event"] == kind)
        ]

    @staticmethod
    def post_event(payload: JSON, url: str, *, auth: str | None = None) -> int:
        """POST a webhook payload to ``url`` over HTTP, as Mailgun does; the status."""
        headers = {"Content-Type": "application/json", "User-Agent": "mailgun/treq-16.12.0"}
        if auth:
            headers["Authorization"] = "Basic " + base64.b64encode(auth.encode()).decode()
        request = urllib.request.Request(
            url, data=json.dumps(payload).encode(), method="POST", headers=headers
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as failure:
            failure.close()
            return int(failure.code)


def _decode_fields(content_type: str, body: bytes) -> dict[str, list[str]]:
    """Form fields from a urlencoded or multipart/form-data body, each name to its values."""
    fields: dict[str, list[str]] = {}
    if content_type.startswith("multipart/form-data"):
        parser = email.parser.BytesParser(policy=email.policy.HTTP)
        message = parser.parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name is None or part.get_filename():
                continue
            payload = part.get_payload(decode=True) or b""
            fields.setdefault(str(name), []).append(payload.decode())
        return fields
    for name, value in parse_qsl(body.decode(), keep_blank_values=True):
        fields.setdefault(name, []).append(value)
    return fields
