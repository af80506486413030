"""A local stand-in for the slice of Stripe's API that masthead uses, for tests.

Tests run the production code path: the official ``stripe`` SDK, pointed at this server with
``stripe.StripeClient(key, base_addresses={"api": standin.url})``. The server speaks the
SDK's wire protocol (form-encoded bodies with Stripe's bracket notation, Bearer auth,
``Idempotency-Key``, JSON responses and Stripe's error shape) and serves two small hosted
pages, Checkout and the billing portal, that a browser (or ``complete_checkout``) can drive.
Every state change emits a Stripe Event, signed with Stripe's real webhook signature scheme,
kept in ``standin.events`` and, when ``webhook_url`` is set, POSTed there in order from a
background thread.

Objects follow API version ``2026-10-28.endive``: a subscription's billing period lives
on its items, an invoice names its subscription under ``parent.subscription_details``, and
its payments are an expandable list (``expand=["payments"]`` or ``/v1/invoice_payments``).

Parameters are checked against the SDK's own parameter types (``stripe.params``), so an
unknown parameter is refused the way Stripe refuses it; parameters Stripe knows but this
stand-in does not model are accepted and ignored.

Test hooks drive what Stripe would do on its own: ``renew``, ``fail_payment``,
``recover``, ``give_up``, ``cancel_now``, ``end_period``, ``complete_checkout``,
``expire_checkout``; and the provider being unwell: ``fail_next_request``, ``go_down``,
``come_back``.
"""

from __future__ import annotations

import calendar
import copy
import hashlib
import hmac
import html
import importlib
import inspect
import json
import re
import secrets
import socket
import string
import sys
import threading
import time
import traceback
import types
import typing
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, NamedTuple
from urllib.parse import parse_qsl, urlsplit

import stripe

JSON = dict[str, Any]

API_VERSION = "2026-10-28.endive"
DEFAULT_API_KEY = "sk_test_standin"

ZERO_DECIMAL_CURRENCIES = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd"}
    | {"vuv", "xaf", "xof", "xpf"}
)
# Stripe's minimum charge amounts for the currencies a newsroom is likely to use.
MINIMUM_CHARGE = {"usd": 50, "eur": 50, "gbp": 30, "chf": 50, "cad": 50, "aud": 50}
CURRENCY_SIGNS = {"eur": "€", "usd": "$", "gbp": "£"}
TIMES = "\N{MULTIPLICATION SIGN}"
BILLING_DESCRIPTIONS = {
    "subscription_create": "Subscription creation",
    "subscription_cycle": "Subscription renewal",
    "subscription_update": "Subscription update",
}
SUBSCRIPTION_STATUS_FILTERS = (
    *("active", "all", "canceled", "ended", "incomplete", "incomplete_expired"),
    *("past_due", "paused", "trialing", "unpaid"),
)

# Keys of the SDK's RequestOptions: they ride along in its params types but never go on the wire.
_REQUEST_OPTION_KEYS = frozenset(
    {
        "api_key",
        "content_type",
        "headers",
        "idempotency_key",
        "max_network_retries",
        "stripe_account",
        "stripe_context",
        "stripe_version",
    }
)

_ALPHANUMERIC = string.ascii_letters + string.digits


def new_id(prefix: str, length: int = 24) -> str:
    """An id in Stripe's format: a type prefix and random base62 characters."""
    return prefix + "".join(secrets.choice(_ALPHANUMERIC) for _ in range(length))


def now() -> int:
    return int(time.time())


# --- Errors ----------------------------------------------------------------------------------


class StripeFailure(Exception):
    """An error answered in Stripe's shape: ``{"error": {"type", "message", "param", ...}}``."""

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        status: int = 400,
        type: str = "invalid_request_error",
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.status = status
        self.type = type
        self.code = code

    def body(self, request_id: str) -> JSON:
        error: JSON = {"message": self.message, "type": self.type}
        if self.param is not None:
            error["param"] = self.param
        if self.code is not None:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        error["request_log_url"] = f"https://dashboard.stripe.com/test/logs/{request_id}?t={now()}"
        return {"error": error}


def missing(kind: str, object_id: str, param: str = "id") -> StripeFailure:
    return StripeFailure(
        f"No such {kind}: '{object_id}'", param=param, status=404, code="resource_missing"
    )


# --- Stripe's form encoding --------------------------------------------------------------------

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
# Hashes whose keys are free text: ``metadata[0]=x`` is a key "0", not an array.
_HASH_PARAMS = frozenset({"metadata"})


def decode_form(body: str | bytes) -> JSON:
    """Decode Stripe's bracket notation into nested dicts and lists.

    ``a[b][0][c]=1&a[b][1][c]=2&e[]=x&e[]=y&metadata[k]=v`` becomes
    ``{"a": {"b": [{"c": "1"}, {"c": "2"}]}, "e": ["x", "y"], "metadata": {"k": "v"}}``.
    The SDK always writes arrays with indices (``expand[0]=…``); ``[]`` appends, as in Rack.
    Values stay strings: which are numbers or booleans depends on the parameter.
    """
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    root: JSON = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        match = _KEY.match(key)
        if match is None:
            raise StripeFailure(f"Invalid parameter name: {key}", param=key)
        path = [match.group(1), *_SEGMENT.findall(match.group(2))]
        _assign(root, path, value, key)
    decoded = _finalise(root, "")
    assert isinstance(decoded, dict)
    return decoded


def _assign(node: JSON, path: list[str], value: str, key: str) -> None:
    name, rest = path[0], path[1:]
    if name == "":
        raise StripeFailure("Invalid array", param=key)
    if not rest:
        if isinstance(node.get(name), dict | list):
            raise StripeFailure("Invalid hash", param=key)
        node[name] = value
        return
    if rest[0] == "":
        items = node.setdefault(name, [])
        if not isinstance(items, list):
            raise StripeFailure("Invalid array", param=key)
        if len(rest) == 1:
            items.append(value)
            return
        # ``a[][b]=1&a[][c]=2`` fills one element until a key repeats, as Rack does.
        target = items[-1] if items and isinstance(items[-1], dict) else None
        if target is None or rest[1] in target:
            target = {}
            items.append(target)
        _assign(target, rest[1:], value, key)
        return
    child = node.setdefault(name, {})
    if not isinstance(child, dict):
        raise StripeFailure("Invalid hash", param=key)
    _assign(child, rest, value, key)


def _finalise(value: Any, name: str) -> Any:
    if isinstance(value, list):
        return [_finalise(item, name) for item in value]
    if not isinstance(value, dict):
        return value
    if name not in _HASH_PARAMS and value and all(k.isdigit() for k in value):
        by_index = {int(k): v for k, v in value.items()}
        if sorted(by_index) != list(range(len(by_index))):
            raise StripeFailure("Invalid array", param=name)
        return [_finalise(by_index[i], name) for i in range(len(by_index))]
    return {k: _finalise(v, k) for k, v in value.items()}


# --- Parameter checks against the SDK's own parameter types ----------------------------------

_Shape = tuple[str, Any]  # ("dict", TypedDict class) | ("list", [shapes]) | ("any", None)
_shape_cache: dict[tuple[type, str], list[_Shape]] = {}


def params_type(name: str) -> type | None:
    """A class from ``stripe.params`` by dotted name (``"checkout.SessionCreateParams"``)."""
    target: Any = stripe.params
    for part in name.split("."):
        target = getattr(target, part, None)
        if target is None:
            return None
    return target if isinstance(target, type) else None


def _is_typeddict(value: Any) -> bool:
    # The SDK builds its params with typing_extensions.TypedDict, which typing.is_typeddict misses.
    return isinstance(value, type) and hasattr(value, "__optional_keys__")


def _split_union(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return [part.strip() for part in parts]


def _shapes(annotation: Any, namespace: Mapping[str, Any]) -> list[_Shape]:
    if isinstance(annotation, typing.ForwardRef):
        annotation = annotation.__forward_arg__
    if isinstance(annotation, str):
        shapes: list[_Shape] = []
        for part in _split_union(annotation):
            listed = re.fullmatch(r"List\[(.+)\]", part)
            if listed:
                shapes.append(("list", _shapes(listed.group(1), namespace)))
                continue
            target = namespace.get(part.strip("'\""))
            if _is_typeddict(target):
                shapes.append(("dict", target))
            else:
                shapes.append(("any", None))
        return shapes
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.NotRequired, typing.Required):
        return _shapes(args[0], namespace)
    if origin is list:
        return [("list", _shapes(args[0], namespace))]
    if origin in (typing.Union, types.UnionType):
        return [shape for arg in args for shape in _shapes(arg, namespace)]
    if _is_typeddict(annotation):
        return [("dict", annotation)]
    return [("any", None)]


def check_params(value: JSON, typed: type, path: str = "") -> None:
    """Refuse parameters the SDK's type for this call does not know, as Stripe does."""
    keys: frozenset[str] = typed.__required_keys__ | typed.__optional_keys__  # type: ignore[attr-defined]
    for key, item in value.items():
        name = f"{path}[{key}]" if path else key
        if key not in keys or key in _REQUEST_OPTION_KEYS:
            raise StripeFailure(f"Received unknown parameter: {name}", param=name)
        cache_key = (typed, key)
        if cache_key not in _shape_cache:
            namespace = vars(sys.modules[typed.__module__])
            _shape_cache[cache_key] = _shapes(typed.__annotations__[key], namespace)
        _check_value(item, _shape_cache[cache_key], name)


def _check_value(value: Any, shapes: list[_Shape], path: str) -> None:
    if isinstance(value, dict):
        for kind, target in shapes:
            if kind == "dict":
                check_params(value, target, path)
                return
    elif isinstance(value, list):
        for kind, target in shapes:
            if kind == "list":
                for index, item in enumerate(value):
                    _check_value(item, target, f"{path}[{index}]")
                return


_expandable_cache: dict[tuple[str, str], bool] = {}
# Fields Stripe leaves out unless expanded; the SDK types them as lists, not ExpandableField.
INCLUDABLE = {"checkout.session": ("line_items",), "invoice": ("payments",)}


def sdk_expandable(kind: str, name: str) -> bool:
    """Whether the SDK types this field as expandable (``ExpandableField`` = ``str | Object``).

    Objects the SDK does not know are given the benefit of the doubt.
    """
    if name in INCLUDABLE.get(kind, ()):
        return True
    key = (kind, name)
    if key not in _expandable_cache:
        from stripe._object_classes import OBJECT_CLASSES

        entry = OBJECT_CLASSES.get(kind)
        if entry is None:
            _expandable_cache[key] = True
        else:
            cls = getattr(importlib.import_module(entry[0]), entry[1])
            annotation = next(
                (
                    inspect.get_annotations(k)[name]
                    for k in cls.__mro__
                    if name in inspect.get_annotations(k)
                ),
                None,
            )
            args = typing.get_args(annotation)
            _expandable_cache[key] = str in args and any(a not in (str, type(None)) for a in args)
    return _expandable_cache[key]


# --- Reading decoded parameters ----------------------------------------------------------------


class Params:
    """Decoded parameters with Stripe's coercions and error messages."""

    def __init__(self, data: Mapping[str, Any], prefix: str = "") -> None:
        self.data = data
        self.prefix = prefix

    def name(self, key: str) -> str:
        return f"{self.prefix}[{key}]" if self.prefix else key

    def has(self, key: str) -> bool:
        return key in self.data

    def text(self, key: str, *, required: bool = False, max_length: int = 5000) -> str | None:
        value = self.data.get(key)
        if value is None:
            if required:
                raise StripeFailure(
                    f"Missing required param: {self.name(key)}.", param=self.name(key)
                )
            return None
        if not isinstance(value, str):
            raise StripeFailure(f"Invalid string: {value!r}", param=self.name(key))
        if len(value) > max_length:
            raise StripeFailure(
                f"Invalid string: {value[:20]}...; must be at most {max_length} characters",
                param=self.name(key),
            )
        return value

    def required_text(self, key: str) -> str:
        value = self.text(key, required=True)
        assert value is not None
        return value

    def integer(
        self, key: str, *, required: bool = False, minimum: int | None = None
    ) -> int | None:
        value = self.text(key, required=required)
        if value is None:
            return None
        if not re.fullmatch(r"-?\d+", value):
            raise StripeFailure(f"Invalid integer: {value}", param=self.name(key))
        number = int(value)
        if minimum is not None and number < minimum:
            raise StripeFailure(
                f"This value must be greater than or equal to {minimum}.", param=self.name(key)
            )
        return number

    def boolean(self, key: str) -> bool | None:
        value = self.text(key)
        if value is None:
            return None
        if value not in ("true", "false"):
            raise StripeFailure(f"Invalid boolean: {value}", param=self.name(key))
        return value == "true"

    def choice(self, key: str, choices: Iterable[str], default: str | None = None) -> str | None:
        value = self.text(key)
        if value is None:
            return default
        allowed = list(choices)
        if value not in allowed:
            raise StripeFailure(
                f"Invalid {key}: must be one of {', '.join(allowed)}", param=self.name(key)
            )
        return value

    def child(self, key: str) -> Params | None:
        value = self.data.get(key)
        if value is None:
            return None
        if value == "":  # Stripe accepts "" to unset an optional hash
            return Params({}, self.name(key))
        if not isinstance(value, dict):
            raise StripeFailure(f"Invalid object: {value!r}", param=self.name(key))
        return Params(value, self.name(key))

    def children(self, key: str) -> list[Params]:
        value = self.data.get(key)
        if value is None or value == "":
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise StripeFailure("Invalid array", param=self.name(key))
        return [Params(v, f"{self.name(key)}[{i}]") for i, v in enumerate(value)]

    def texts(self, key: str) -> list[str]:
        value = self.data.get(key)
        if value is None or value == "":
            return []
        if isinstance(value, str):
            return [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise StripeFailure("Invalid array", param=self.name(key))
        return list(value)

    def metadata(self, key: str = "metadata") -> dict[str, str] | None:
        """The metadata hash; ``{}`` when unset with ``""``, ``None`` when absent.

        Empty values are kept: on update they delete the key (see ``merge_metadata``).
        """
        value = self.data.get(key)
        if value is None:
            return None
        if value == "":
            return {}
        name = self.name(key)
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise StripeFailure("Invalid hash", param=name)
        if len(value) > 50:
            raise StripeFailure("Metadata can have at most 50 keys.", param=name)
        for k, v in value.items():
            if len(k) > 40:
                raise StripeFailure(
                    f"Metadata keys must be at most 40 characters long (got `{k}`).",
                    param=f"{name}[{k}]",
                )
            if len(v) > 500:
                raise StripeFailure(
                    "Metadata values must be at most 500 characters long.", param=f"{name}[{k}]"
                )
        return dict(value)

    def expand(self) -> list[list[str]]:
        return [path.split(".") for path in self.texts("expand")]


def merge_metadata(
    current: dict[str, str], update: dict[str, str] | None, *, clear: bool
) -> dict[str, str]:
    if update is None:
        return current
    if clear and not update:
        return {}
    merged = dict(current)
    for key, value in update.items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def _check_url(params: Params, key: str) -> str | None:
    url = params.text(key, max_length=5000)
    if url is not None and not re.match(r"^https?://[^\s/]+", url):
        raise StripeFailure("Not a valid URL", param=params.name(key))
    return url


def _check_currency(params: Params, key: str = "currency") -> str:
    currency = params.required_text(key).lower()
    if not re.fullmatch(r"[a-z]{3}", currency):
        raise StripeFailure(f"Invalid currency: {currency}.", param=params.name(key))
    return currency


# --- Dates --------------------------------------------------------------------------------------


def add_interval(anchor: int, interval: str, count: int) -> int:
    """``anchor`` plus ``count`` intervals, keeping the anchor's day of month (clamped)."""
    if interval == "day":
        return anchor + count * 86400
    if interval == "week":
        return anchor + count * 7 * 86400
    months = count * (12 if interval == "year" else 1)
    start = datetime.fromtimestamp(anchor, tz=UTC)
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return int(start.replace(year=year, month=month, day=day).timestamp())


def format_amount(amount: int, currency: str) -> str:
    zero_decimal = currency in ZERO_DECIMAL_CURRENCIES
    number = f"{amount:,}" if zero_decimal else f"{amount / 100:,.2f}"
    sign = CURRENCY_SIGNS.get(currency)
    return f"{sign}{number}" if sign else f"{number} {currency.upper()}"


# --- What the stand-in records ----------------------------------------------------------------


class RecordedEvent(NamedTuple):
    """An emitted event: the dict, the exact bytes that were signed, and the signature header."""

    event: JSON
    payload: bytes
    signature: str

    @property
    def type(self) -> str:
        return str(self.event["type"])

    @property
    def object(self) -> JSON:
        return typing.cast(JSON, self.event["data"]["object"])


@dataclass(frozen=True)
class Delivery:
    """One attempt to POST an event to ``webhook_url``; ``status`` is None when it never answered."""

    event_id: str
    event_type: str
    status: int | None
    error: str | None
    seconds: float


@dataclass(frozen=True)
class RequestRecord:
    """One request the stand-in received (API or hosted page), with how it was answered."""

    method: str
    path: str
    status: int | None  # None: the connection was dropped
    idempotency_key: str | None = None
    replayed: bool = False
    params: JSON = field(default_factory=dict)


@dataclass
class _Answer:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Stored:
    fingerprint: tuple[str, str, bytes]
    answer: _Answer
    request_id: str


@dataclass
class _Outgoing:
    event_id: str
    event_type: str
    payload: bytes
    url: str  # the webhook_url when the event was emitted


# --- The server ---------------------------------------------------------------------------------


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
    standin: StripeStandIn
    protocol_version = "HTTP/1.1"
    server_version = "stripe-standin/1.0"
    timeout = 10  # idle keep-alive connections give their thread back
    disable_nagle_algorithm = True  # headers and body go out at once, not 40 ms apart

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        pending: list[_Outgoing] = []
        answer = self.standin._handle(method, self.path, self.headers, body, pending)
        if answer is None:  # the provider is "down": close without a word
            self.close_connection = True
            return
        try:
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)
            self.wfile.flush()
        finally:
            # Webhooks for what this request did leave only after its response has
            # (and even if the client hung up: the change happened).
            self.standin._release(pending)


class StripeStandIn:
    """A small local HTTP server that answers like Stripe's API for the calls masthead makes."""

    def __init__(
        self,
        webhook_secret: str = "whsec_test_standin",  # noqa: S107 - a test secret
        webhook_url: str | None = None,
        *,
        api_key: str | None = None,
        delivery_timeout: float = 10.0,
    ) -> None:
        #: Signs every event (``Stripe-Signature``), as an endpoint's signing secret does.
        self.webhook_secret = webhook_secret
        #: Where events are POSTed; may be set or changed after ``start()``.
        self.webhook_url = webhook_url
        #: None accepts any ``sk_test_…`` key; a value accepts only that key.
        self.api_key = api_key
        self.delivery_timeout = delivery_timeout
        #: Every emitted event in order, as ``RecordedEvent(event, payload, signature)``.
        self.events: list[RecordedEvent] = []
        #: Every attempt to deliver an event to ``webhook_url``, in order.
        self.deliveries: list[Delivery] = []
        #: Every request received, in order (retries by the SDK show up here).
        self.requests: list[RequestRecord] = []
        #: Tracebacks of the stand-in's own failures (answered as 500s); tests can assert it is empty.
        self.internal_errors: list[str] = []

        self._lock = threading.RLock()
        self._objects: dict[str, JSON] = {}
        self._private: dict[str, JSON] = {}  # per-object state that Stripe does not show
        self._idempotency: dict[tuple[str, str], _Stored] = {}
        self._failures: deque[int] = deque()
        self._down: Literal["reset", "error"] | None = None
        self._local = threading.local()

        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._outbox: deque[_Outgoing | None] = deque()
        self._outbox_ready = threading.Condition()
        self._unfinished = 0
        self._worker: threading.Thread | None = None
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    # --- Lifecycle -------------------------------------------------------------------------

    def start(self) -> StripeStandIn:
        if self._server is not None:
            return self
        handler = type("StripeStandInHandler", (_Handler,), {"standin": self})
        self._server = _Server(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="stripe-standin",
            daemon=True,
        )
        self._thread.start()
        self._worker = threading.Thread(
            target=self._deliver_forever, name="stripe-standin-webhooks", daemon=True
        )
        self._worker.start()
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
        with self._outbox_ready:
            self._outbox.append(None)
            self._outbox_ready.notify_all()
        if self._worker is not None:
            self._worker.join(timeout=self.delivery_timeout + 1)

    def __enter__(self) -> StripeStandIn:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The API base and host of the hosted pages, ``http://127.0.0.1:PORT``."""
        if self._server is None:
            raise RuntimeError("the Stripe stand-in is not running; call start() first")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def client(self, **options: Any) -> stripe.StripeClient:
        """A real ``stripe.StripeClient`` aimed at this stand-in."""
        options.setdefault("base_addresses", {"api": self.url})
        return stripe.StripeClient(self.api_key or DEFAULT_API_KEY, **options)

    # --- Signing and events ------------------------------------------------------------------

    def sign(self, payload: bytes, timestamp: int | None = None) -> str:
        """A ``Stripe-Signature`` header: ``t=<unix>,v1=<hex HMAC-SHA256 of "t.payload">``."""
        stamp = now() if timestamp is None else int(timestamp)
        signed = f"{stamp}.".encode() + payload
        digest = hmac.new(self.webhook_secret.encode(), signed, hashlib.sha256).hexdigest()
        return f"t={stamp},v1={digest}"

    def events_of_type(self, *event_types: str) -> list[RecordedEvent]:
        return [recorded for recorded in self.events if recorded.type in event_types]

    def event_types(self) -> list[str]:
        return [recorded.type for recorded in self.events]

    def redeliver(self, event_id: str) -> None:
        """Send an event to ``webhook_url`` again, freshly signed, as Stripe's retries do."""
        for recorded in self.events:
            if recorded.event["id"] == event_id:
                outgoing = self._outgoing(event_id, recorded.type, recorded.payload)
                if outgoing is not None:
                    self._release([outgoing])
                return
        raise KeyError(event_id)

    def wait_for_deliveries(self, timeout: float = 10.0) -> None:
        """Block until every event emitted so far has been POSTed (or has failed to be).

        Events count from the moment they are emitted, so this also waits for those of a
        request whose response is on its way but whose webhooks are not yet released.
        """
        deadline = time.monotonic() + timeout
        with self._outbox_ready:
            while self._unfinished:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{self._unfinished} webhook deliveries still pending")
                self._outbox_ready.wait(remaining)

    def _emit(self, event_type: str, object_id: str, previous: JSON | None = None) -> JSON:
        request = getattr(self._local, "request", None) or {"id": None, "idempotency_key": None}
        data: JSON = {"object": self._render(object_id)}
        if previous:
            data["previous_attributes"] = previous
        return self._emit_data(event_type, data, request)

    def _emit_data(self, event_type: str, data: JSON, request: JSON) -> JSON:
        event: JSON = {
            "id": new_id("evt_"),
            "object": "event",
            "api_version": API_VERSION,
            "created": now(),
            "data": data,
            "livemode": False,
            "pending_webhooks": 1,
            "request": dict(request),
            "type": event_type,
        }
        payload = json.dumps(event, indent=2).encode()
        self._objects[event["id"]] = event
        self._private[event["id"]] = {"seq": len(self._objects)}
        self.events.append(RecordedEvent(event, payload, self.sign(payload)))
        outgoing = self._outgoing(event["id"], event_type, payload)
        pending: list[_Outgoing] | None = getattr(self._local, "pending", None)
        if outgoing is None:
            pass
        elif pending is not None:
            pending.append(outgoing)
        else:
            self._release([outgoing])
        return event

    def _outgoing(self, event_id: str, event_type: str, payload: bytes) -> _Outgoing | None:
        """A delivery to make, counted as unfinished from now on; None without a webhook_url."""
        url = self.webhook_url
        if not url:
            return None
        with self._outbox_ready:
            self._unfinished += 1
        return _Outgoing(event_id, event_type, payload, url)

    def _release(self, outgoing: list[_Outgoing]) -> None:
        if not outgoing:
            return
        with self._outbox_ready:
            self._outbox.extend(outgoing)
            self._outbox_ready.notify_all()

    def _forget(self, outgoing: list[_Outgoing]) -> None:
        """Drop deliveries that will never be made (their request was rolled back)."""
        with self._outbox_ready:
            self._unfinished -= len(outgoing)
            self._outbox_ready.notify_all()

    def _deliver_forever(self) -> None:
        while True:
            with self._outbox_ready:
                while not self._outbox:
                    self._outbox_ready.wait()
                item = self._outbox.popleft()
            if item is None:
                return
            try:
                self._deliver(item)
            finally:
                with self._outbox_ready:
                    self._unfinished -= 1
                    self._outbox_ready.notify_all()

    def _deliver(self, item: _Outgoing) -> None:
        started = time.monotonic()
        request = urllib.request.Request(
            item.url,
            data=item.payload,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": self.sign(item.payload),
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                "Cache-Control": "no-cache",
            },
        )
        status: int | None = None
        error: str | None = None
        try:
            with self._opener.open(request, timeout=self.delivery_timeout) as response:
                status = response.status
                response.read()
        except urllib.error.HTTPError as failure:
            status = failure.code
            failure.close()
        except Exception as failure:  # noqa: BLE001 - a broken target must never break the stand-in
            error = f"{type(failure).__name__}: {failure}"
        with self._lock:
            self.deliveries.append(
                Delivery(item.event_id, item.event_type, status, error, time.monotonic() - started)
            )

    # --- Simulating an unwell provider ----------------------------------------------------------

    def fail_next_request(self, status: int = 500, *, times: int = 1) -> None:
        """Answer the next ``times`` API requests with ``status`` and Stripe's error body.

        Nothing is stored for the idempotency key, so the SDK's retry of the same request
        (it retries 409 and 5xx) goes through: with ``max_network_retries >= times`` the
        call succeeds and ``requests`` shows the failed attempts.
        """
        with self._lock:
            self._failures.extend([status] * times)

    def go_down(self, mode: Literal["reset", "error"] = "reset") -> None:
        """Stop answering: ``"reset"`` drops each connection without a response (the SDK
        raises ``APIConnectionError`` once its retries are spent), ``"error"`` answers 500
        (``APIError``). Hosted pages go down as well."""
        with self._lock:
            self._down = mode

    def come_back(self) -> None:
        with self._lock:
            self._down = None
            self._failures.clear()

    # --- Assertions --------------------------------------------------------------------------------

    def get(self, object_id: str, expand: Iterable[str] = ()) -> JSON:
        """An object as the API would return it now."""
        with self._lock:
            if object_id not in self._objects:
                raise KeyError(object_id)
            return self._render(object_id, [path.split(".") for path in expand])

    def objects(self, kind: str) -> list[JSON]:
        """Every object of a type (``"subscription"``, ``"checkout.session"``…), oldest first."""
        with self._lock:
            return [self._render(i) for i in self._ids_of(kind)]

    def last(self, kind: str) -> JSON:
        found = self.objects(kind)
        if not found:
            raise LookupError(f"no {kind} exists")
        return found[-1]

    def api_requests(
        self, method: str | None = None, path: str | None = None
    ) -> list[RequestRecord]:
        return [
            r
            for r in self.requests
            if r.path.startswith("/v1/")
            and (method is None or r.method == method)
            and (path is None or r.path == path)
        ]

    # --- Test hooks: what Stripe does on its own ---------------------------------------------------

    def complete_checkout(self, session_id: str, *, email: str | None = None) -> str:
        """Pay the hosted Checkout page, as the reader's "Pay" button does; the redirect URL."""
        with self._lock:
            return self._complete_checkout(session_id, email=email)

    def expire_checkout(self, session_id: str) -> JSON:
        with self._lock:
            return self._expire_checkout(session_id)

    def renew(self, subscription_id: str) -> JSON:
        """The period ends and the next one is paid; returns the new invoice."""
        with self._lock:
            sub = self._live_subscription(subscription_id)
            if sub["cancel_at_period_end"] or sub["cancel_at"]:
                raise ValueError(f"{subscription_id} cancels at the period end: use end_period()")
            before = self._render(subscription_id)
            start, end = self._advance_period(sub)
            sub["status"] = "active"
            invoice = self._bill(sub, "subscription_cycle", start, end, succeed=True)
            self._emit(
                "customer.subscription.updated",
                subscription_id,
                self._changes(before, subscription_id),
            )
            self._emit("invoice.paid", invoice["id"])
            return self._render(invoice["id"])

    def fail_payment(self, subscription_id: str) -> JSON:
        """The renewal payment fails: the period advances, an open invoice, ``past_due``.

        On a subscription already ``past_due``, another failed attempt at the open invoice.
        Returns the invoice.
        """
        with self._lock:
            sub = self._live_subscription(subscription_id)
            before = self._render(subscription_id)
            open_invoice = self._open_invoice(sub)
            if open_invoice is not None:
                open_invoice["attempt_count"] += 1
                pending = self._pending_invoice_payment(open_invoice)
                if pending is not None:
                    intent = self._objects[pending["payment"]["payment_intent"]]
                    self._attempt_charge(intent, succeed=False)
                self._emit("invoice.payment_failed", open_invoice["id"])
                return self._render(open_invoice["id"])
            start, end = self._advance_period(sub)
            invoice = self._bill(sub, "subscription_cycle", start, end, succeed=False)
            sub["status"] = "past_due"
            self._emit("invoice.payment_failed", invoice["id"])
            self._emit(
                "customer.subscription.updated",
                subscription_id,
                self._changes(before, subscription_id),
            )
            return self._render(invoice["id"])

    def recover(self, subscription_id: str) -> JSON:
        """A retry of the open invoice succeeds: paid, and the subscription is active again."""
        with self._lock:
            sub = self._objects[subscription_id]
            invoice = self._open_invoice(sub)
            if invoice is None:
                raise ValueError(f"{subscription_id} has no open invoice to pay")
            before = self._render(subscription_id)
            self._pay_invoice(invoice)
            sub["status"] = "active"
            self._emit("invoice.paid", invoice["id"])
            self._emit(
                "customer.subscription.updated",
                subscription_id,
                self._changes(before, subscription_id),
            )
            return self._render(invoice["id"])

    def give_up(
        self, subscription_id: str, outcome: Literal["canceled", "unpaid"] = "canceled"
    ) -> JSON:
        """Retries are spent: the subscription is canceled (or left ``unpaid``), as configured."""
        with self._lock:
            sub = self._objects[subscription_id]
            if sub["status"] != "past_due":
                raise ValueError(f"{subscription_id} is {sub['status']}, not past_due")
            if outcome == "canceled":
                return self._cancel(sub, reason="payment_failed")
            before = self._render(subscription_id)
            sub["status"] = "unpaid"
            self._emit(
                "customer.subscription.updated",
                subscription_id,
                self._changes(before, subscription_id),
            )
            return self._render(subscription_id)

    def cancel_now(self, subscription_id: str) -> JSON:
        """Cancel at once (as from the Dashboard); emits ``customer.subscription.deleted``."""
        with self._lock:
            return self._cancel(self._live_subscription(subscription_id))

    def end_period(self, subscription_id: str) -> JSON:
        """The period of a subscription set to cancel at its end runs out: canceled."""
        with self._lock:
            sub = self._live_subscription(subscription_id)
            if not sub["cancel_at"]:
                raise ValueError(f"{subscription_id} is not set to cancel at the period end")
            return self._cancel(sub, at_period_end=True)

    # --- Request handling ------------------------------------------------------------------------

    def _handle(
        self, method: str, raw_path: str, headers: Any, body: bytes, pending: list[_Outgoing]
    ) -> _Answer | None:
        parts = urlsplit(raw_path)
        path = parts.path
        with self._lock:
            if self._down == "reset":
                self.requests.append(RequestRecord(method, path, None))
                return None
            if self._down == "error":
                request_id = new_id("req_", 14)
                failure = StripeFailure("An unknown error occurred", status=500, type="api_error")
                self.requests.append(RequestRecord(method, path, 500))
                return self._json_answer(500, failure.body(request_id), request_id)
            self._local.pending = pending
            try:
                if path.startswith("/v1/"):
                    return self._handle_api(method, path, parts.query, headers, body)
                return self._handle_page(method, path, body)
            except Exception as error:  # noqa: BLE001 - a stand-in bug answers 500 and is kept
                self.internal_errors.append(traceback.format_exc())
                request_id = new_id("req_", 14)
                failure = StripeFailure(
                    f"Stripe stand-in bug: {type(error).__name__}: {error}",
                    status=500,
                    type="api_error",
                )
                self.requests.append(RequestRecord(method, path, 500))
                return self._json_answer(500, failure.body(request_id), request_id)
            finally:
                self._local.pending = None
                self._local.request = None

    def _json_answer(self, status: int, payload: JSON, request_id: str) -> _Answer:
        return _Answer(
            status,
            (json.dumps(payload, indent=2) + "\n").encode(),
            {
                "Content-Type": "application/json",
                "Request-Id": request_id,
                "Stripe-Version": API_VERSION,
                "Access-Control-Allow-Origin": "*",
            },
        )

    def _authenticate(self, headers: Any) -> str:
        header = headers.get("Authorization") or ""
        if not header:
            raise StripeFailure(
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                "YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, "
                "or we can help at https://support.stripe.com/.",
                status=401,
            )
        key = header[7:].strip() if header.startswith("Bearer ") else ""
        accepted = key == self.api_key if self.api_key else key.startswith("sk_test_")
        if not accepted:
            shown = f"{key[:8]}{'*' * 12}{key[-4:]}" if len(key) > 12 else key
            raise StripeFailure(f"Invalid API Key provided: {shown}", status=401)
        return key

    def _handle_api(self, method: str, path: str, query: str, headers: Any, body: bytes) -> _Answer:
        request_id = new_id("req_", 14)
        idempotency_key = headers.get("Idempotency-Key")
        record_params: JSON = {}

        def answer(status: int, payload: JSON, *, replayed: bool = False) -> _Answer:
            self.requests.append(
                RequestRecord(method, path, status, idempotency_key, replayed, record_params)
            )
            result = self._json_answer(status, payload, request_id)
            if idempotency_key and method == "POST":
                result.headers["Idempotency-Key"] = idempotency_key
            return result

        try:
            api_key = self._authenticate(headers)
            version = headers.get("Stripe-Version")
            if version and version != API_VERSION:
                raise StripeFailure(
                    f"This Stripe stand-in only speaks API version {API_VERSION}, not {version}.",
                    param="Stripe-Version",
                )
            if self._failures:
                status = self._failures.popleft()
                raise StripeFailure(
                    "An unknown error occurred"
                    if status >= 500
                    else "Too many requests hit the API too quickly."
                    if status == 429
                    else "This object cannot be accessed right now because another API "
                    "request or Stripe process is currently accessing it.",
                    status=status,
                    type="api_error" if status >= 500 else "invalid_request_error",
                    code=None
                    if status >= 500
                    else "rate_limit"
                    if status == 429
                    else "lock_timeout",
                )
            route, groups = self._route(method, path)
            content = body if method == "POST" else query.encode()
            decoded = decode_form(content)
            record_params = decoded
            if route.params_type is not None:
                typed = params_type(route.params_type)
                if typed is not None:
                    check_params(decoded, typed)
            scope = (api_key, idempotency_key or "")
            if idempotency_key and method in ("POST", "DELETE"):
                stored = self._idempotency.get(scope)
                if stored is not None:
                    if stored.fingerprint != (method, path, content):
                        raise StripeFailure(
                            "Keys for idempotent requests can only be used with the same "
                            "parameters they were first used with. Try using a key other than "
                            f"'{idempotency_key}' if you meant to execute a different request.",
                            type="idempotency_error",
                        )
                    self.requests.append(
                        RequestRecord(
                            method, path, stored.answer.status, idempotency_key, True, decoded
                        )
                    )
                    replay = _Answer(
                        stored.answer.status, stored.answer.body, dict(stored.answer.headers)
                    )
                    replay.headers["Idempotent-Replayed"] = "true"
                    replay.headers["Original-Request"] = stored.request_id
                    replay.headers["Request-Id"] = request_id
                    return replay
            self._local.request = {
                "id": request_id,
                "idempotency_key": idempotency_key if method == "POST" else None,
            }
            if method == "GET":
                payload = route.action(self, groups, Params(decoded))
            else:
                payload = self._atomically(route.action, groups, Params(decoded))
            result = answer(200, payload)
            if idempotency_key and method in ("POST", "DELETE"):
                self._idempotency[scope] = _Stored((method, path, content), result, request_id)
            return result
        except StripeFailure as failure:
            return answer(failure.status, failure.body(request_id))

    def _atomically(self, action: _Action, groups: dict[str, str], params: Params) -> JSON:
        """Run a request's action; if it fails, undo everything it did, as Stripe does."""
        # Events never change once emitted, so they are kept as they are.
        objects = {
            key: obj if obj.get("object") == "event" else copy.deepcopy(obj)
            for key, obj in self._objects.items()
        }
        saved = (objects, copy.deepcopy(self._private), len(self.events))
        pending: list[_Outgoing] | None = getattr(self._local, "pending", None)
        released = len(pending) if pending is not None else 0
        try:
            return action(self, groups, params)
        except StripeFailure:
            self._objects, self._private = saved[0], saved[1]
            del self.events[saved[2] :]
            if pending is not None:
                self._forget(pending[released:])
                del pending[released:]
            raise

    def _route(self, method: str, path: str) -> tuple[_Route, dict[str, str]]:
        for route in _ROUTES:
            if route.method == method:
                match = route.pattern.fullmatch(path)
                if match:
                    return route, match.groupdict()
        raise StripeFailure(
            f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
            "or we can help at https://support.stripe.com/.",
            status=404,
        )

    # --- Storage and rendering -------------------------------------------------------------------

    def _store(self, obj: JSON, **private: Any) -> JSON:
        self._objects[obj["id"]] = obj
        self._private[obj["id"]] = {"seq": len(self._objects), **private}
        return obj

    def _ids_of(self, kind: str) -> list[str]:
        ids = [i for i, o in self._objects.items() if o.get("object") == kind]
        return sorted(ids, key=lambda i: self._private[i]["seq"])

    def _fetch(self, kind: str, object_id: str, param: str = "id") -> JSON:
        obj = self._objects.get(object_id)
        if obj is None or obj.get("object") != kind:
            raise missing(kind, object_id, param)
        return obj

    def _render(self, object_id: str, expand: list[list[str]] | None = None) -> JSON:
        obj = copy.deepcopy(self._objects[object_id])
        kind = obj.get("object")
        if kind == "subscription":
            for item in obj["items"]["data"]:
                item["price"] = self._render(item["price"])
        paths = expand or []
        heads = {path[0] for path in paths}
        if kind == "checkout.session" and "line_items" in heads:
            obj["line_items"] = self._list_object(
                [self._line_item(obj, entry) for entry in self._private[object_id]["line_items"]],
                f"/v1/checkout/sessions/{object_id}/line_items",
            )
        if kind == "invoice" and "payments" in heads:
            obj["payments"] = self._list_object(
                [self._render(i) for i in self._private[object_id]["payments"]],
                f"/v1/invoice_payments?invoice={object_id}",
            )
        return self._expand_into(obj, paths) if paths else obj

    def _expand_into(self, obj: JSON, paths: list[list[str]]) -> JSON:
        if obj.get("object") == "list":
            inner = []
            for path in paths:
                if path[0] != "data" or len(path) < 2:
                    raise StripeFailure(
                        f"This property cannot be expanded ({'.'.join(path)}).", param="expand"
                    )
                inner.append(path[1:])
            obj["data"] = [self._expand_into(item, inner) for item in obj["data"]]
            return obj
        groups: dict[str, list[list[str]]] = {}
        for path in paths:
            groups.setdefault(path[0], [])
            if len(path) > 1:
                groups[path[0]].append(path[1:])
        kind = obj.get("object")
        for head, rest in groups.items():
            value = obj.get(head)
            expandable = not isinstance(kind, str) or sdk_expandable(kind, head)
            if (
                head not in obj
                or not expandable
                or not (value is None or isinstance(value, str | dict))
            ):
                raise StripeFailure(f"This property cannot be expanded ({head}).", param="expand")
            if isinstance(value, str):
                if value not in self._objects:
                    raise StripeFailure(
                        f"This property cannot be expanded ({head}).", param="expand"
                    )
                obj[head] = self._render(value, rest)
            elif isinstance(value, dict) and rest:
                obj[head] = self._expand_into(value, rest)
        return obj

    @staticmethod
    def _list_object(data: list[JSON], url: str, has_more: bool = False) -> JSON:
        return {"object": "list", "data": data, "has_more": has_more, "url": url}

    def _list(
        self, kind: str, url: str, params: Params, keep: Callable[[JSON], bool] = lambda _: True
    ) -> JSON:
        """Stripe's list shape: newest first, ``limit``, ``starting_after``, ``ending_before``."""
        limit = params.integer("limit", minimum=1) or 10
        if limit > 100:
            raise StripeFailure("This value must be less than or equal to 100.", param="limit")
        ids = [i for i in reversed(self._ids_of(kind)) if keep(self._objects[i])]
        after, before = params.text("starting_after"), params.text("ending_before")
        if after is not None:
            if after not in ids:
                raise missing(kind, after, "starting_after")
            ids = ids[ids.index(after) + 1 :]
            page, has_more = ids[:limit], len(ids) > limit
        elif before is not None:
            if before not in ids:
                raise missing(kind, before, "ending_before")
            ids = ids[: ids.index(before)]
            page, has_more = ids[-limit:], len(ids) > limit
        else:
            page, has_more = ids[:limit], len(ids) > limit
        listed = self._list_object([self._render(i) for i in page], url, has_more)
        paths = params.expand()
        return self._expand_into(listed, paths) if paths else listed

    def _respond(self, object_id: str, params: Params) -> JSON:
        return self._render(object_id, params.expand())

    @staticmethod
    def _diff(before: JSON, after: JSON) -> JSON:
        return {key: before.get(key) for key in before if before.get(key) != after.get(key)}

    def _changes(self, before: JSON, object_id: str) -> JSON:
        return self._diff(before, self._render(object_id))

    # --- Products ----------------------------------------------------------------------------------

    def _create_product(self, params: Params) -> JSON:
        name = params.required_text("name")
        product_id = params.text("id")
        if product_id is not None and product_id in self._objects:
            raise StripeFailure(
                "Product already exists.", param="id", code="resource_already_exists"
            )
        product = self._store(
            {
                "id": product_id or new_id("prod_", 14),
                "object": "product",
                "active": params.boolean("active") is not False,
                "created": now(),
                "default_price": None,
                "description": params.text("description"),
                "images": params.texts("images"),
                "livemode": False,
                "marketing_features": [],
                "metadata": merge_metadata({}, params.metadata(), clear=True),
                "name": name,
                "package_dimensions": None,
                "shippable": params.boolean("shippable"),
                "statement_descriptor": params.text("statement_descriptor"),
                "tax_code": params.text("tax_code"),
                "type": "service",
                "unit_label": params.text("unit_label"),
                "updated": now(),
                "url": params.text("url"),
            }
        )
        default_price = params.child("default_price_data")
        if default_price is not None:
            price = self._make_price(default_price, product["id"])
            product["default_price"] = price["id"]
        self._emit("product.created", product["id"])
        return product

    def _update_product(self, product_id: str, params: Params) -> JSON:
        product = self._fetch("product", product_id)
        before = self._render(product_id)
        for key in ("name", "description", "statement_descriptor", "unit_label", "url"):
            if params.has(key):
                product[key] = params.text(key) or (None if key != "name" else product["name"])
        active = params.boolean("active")
        if active is not None:
            product["active"] = active
        if params.has("default_price"):
            price_id = params.required_text("default_price")
            price = self._fetch("price", price_id, "default_price")
            if price["product"] != product_id:
                raise StripeFailure("The price must belong to this product.", param="default_price")
            product["default_price"] = price_id
        product["metadata"] = merge_metadata(
            product["metadata"], params.metadata(), clear=params.data.get("metadata") == ""
        )
        product["updated"] = now()
        changes = self._changes(before, product_id)
        changes.pop("updated", None)
        if changes:
            self._emit("product.updated", product_id, changes)
        return product

    # --- Prices ------------------------------------------------------------------------------------

    def _make_price(
        self, params: Params, product_id: str | None = None, *, active: bool = True
    ) -> JSON:
        currency = _check_currency(params)
        if product_id is None:
            product_data = params.child("product_data")
            if params.has("product"):
                product_id = params.required_text("product")
                self._fetch("product", product_id, params.name("product"))
            elif product_data is not None:
                product_id = self._create_product(product_data)["id"]
            else:
                raise StripeFailure(
                    f"Missing required param: {params.name('product')}.",
                    param=params.name("product"),
                )
        unit_amount = params.integer("unit_amount", minimum=0)
        if unit_amount is None:
            decimal = params.text("unit_amount_decimal")
            if decimal is None:
                raise StripeFailure(
                    f"Missing required param: {params.name('unit_amount')}.",
                    param=params.name("unit_amount"),
                )
            unit_amount = round(float(decimal))
        recurring_params = params.child("recurring")
        recurring = None
        if recurring_params is not None and recurring_params.data:
            recurring = {
                "interval": recurring_params.choice("interval", ("day", "week", "month", "year")),
                "interval_count": recurring_params.integer("interval_count", minimum=1) or 1,
                "meter": None,
                "trial_period_days": None,
                "usage_type": recurring_params.choice(
                    "usage_type", ("licensed", "metered"), "licensed"
                ),
            }
            if recurring["interval"] is None:
                raise StripeFailure(
                    f"Missing required param: {recurring_params.name('interval')}.",
                    param=recurring_params.name("interval"),
                )
        lookup_key = params.text("lookup_key", max_length=200)
        if lookup_key is not None:
            self._claim_lookup_key(lookup_key, params.boolean("transfer_lookup_key") is True)
        explicit_active = params.boolean("active")
        price = self._store(
            {
                "id": new_id("price_"),
                "object": "price",
                "active": active if explicit_active is None else explicit_active,
                "billing_scheme": "per_unit",
                "created": now(),
                "currency": currency,
                "custom_unit_amount": None,
                "livemode": False,
                "lookup_key": lookup_key,
                "metadata": merge_metadata({}, params.metadata(), clear=True),
                "nickname": params.text("nickname"),
                "product": product_id,
                "recurring": recurring,
                "tax_behavior": params.choice(
                    "tax_behavior", ("inclusive", "exclusive", "unspecified"), "unspecified"
                ),
                "tiers_mode": None,
                "transform_quantity": None,
                "type": "recurring" if recurring else "one_time",
                "unit_amount": unit_amount,
                "unit_amount_decimal": str(unit_amount),
            }
        )
        self._emit("price.created", price["id"])
        return price

    def _claim_lookup_key(self, lookup_key: str, transfer: bool, keep: str | None = None) -> None:
        for price_id in self._ids_of("price"):
            other = self._objects[price_id]
            if price_id != keep and other["lookup_key"] == lookup_key:
                if not transfer:
                    raise StripeFailure(
                        f"A price ({price_id}) already uses that lookup key.", param="lookup_key"
                    )
                other["lookup_key"] = None

    def _update_price(self, price_id: str, params: Params) -> JSON:
        price = self._fetch("price", price_id)
        before = self._render(price_id)
        active = params.boolean("active")
        if active is not None:
            price["active"] = active
        if params.has("nickname"):
            price["nickname"] = params.text("nickname") or None
        if params.has("lookup_key"):
            lookup_key = params.text("lookup_key") or None
            if lookup_key:
                self._claim_lookup_key(
                    lookup_key, params.boolean("transfer_lookup_key") is True, keep=price_id
                )
            price["lookup_key"] = lookup_key
        if params.has("tax_behavior"):
            price["tax_behavior"] = params.choice(
                "tax_behavior", ("inclusive", "exclusive", "unspecified")
            )
        price["metadata"] = merge_metadata(
            price["metadata"], params.metadata(), clear=params.data.get("metadata") == ""
        )
        changes = self._changes(before, price_id)
        if changes:
            self._emit("price.updated", price_id, changes)
        return price

    def _list_prices(self, params: Params) -> JSON:
        active = params.boolean("active")
        product = params.text("product")
        currency = params.text("currency")
        kind = params.choice("type", ("one_time", "recurring"))
        lookup_keys = set(params.texts("lookup_keys"))
        recurring = params.child("recurring")
        interval = recurring.text("interval") if recurring else None

        def keep(price: JSON) -> bool:
            return (
                (active is None or price["active"] == active)
                and (product is None or price["product"] == product)
                and (currency is None or price["currency"] == currency.lower())
                and (kind is None or price["type"] == kind)
                and (not lookup_keys or price["lookup_key"] in lookup_keys)
                and (interval is None or (price["recurring"] or {}).get("interval") == interval)
            )

        return self._list("price", "/v1/prices", params, keep)

    # --- Customers ---------------------------------------------------------------------------------

    def _create_customer(self, params: Params) -> JSON:
        return self._make_customer(
            email=params.text("email", max_length=512),
            name=params.text("name", max_length=256),
            description=params.text("description"),
            phone=params.text("phone"),
            metadata=merge_metadata({}, params.metadata(), clear=True),
        )

    def _make_customer(
        self,
        *,
        email: str | None,
        name: str | None = None,
        description: str | None = None,
        phone: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> JSON:
        customer = self._store(
            {
                "id": new_id("cus_", 14),
                "object": "customer",
                "address": None,
                "balance": 0,
                "created": now(),
                "currency": None,
                "default_source": None,
                "delinquent": False,
                "description": description,
                "discount": None,
                "email": email,
                "invoice_prefix": "".join(
                    secrets.choice(string.ascii_uppercase + string.digits) for _ in range(8)
                ),
                "invoice_settings": {
                    "custom_fields": None,
                    "default_payment_method": None,
                    "footer": None,
                    "rendering_options": None,
                },
                "livemode": False,
                "metadata": metadata or {},
                "name": name,
                "next_invoice_sequence": 1,
                "phone": phone,
                "preferred_locales": [],
                "shipping": None,
                "tax_exempt": "none",
                "test_clock": None,
            }
        )
        self._emit("customer.created", customer["id"])
        return customer

    def _update_customer(self, customer_id: str, params: Params) -> JSON:
        customer = self._live_customer(customer_id)
        before = self._render(customer_id)
        for key in ("email", "name", "description", "phone"):
            if params.has(key):
                customer[key] = params.text(key) or None
        customer["metadata"] = merge_metadata(
            customer["metadata"], params.metadata(), clear=params.data.get("metadata") == ""
        )
        changes = self._changes(before, customer_id)
        if changes:
            self._emit("customer.updated", customer_id, changes)
        return customer

    def _delete_customer(self, customer_id: str) -> JSON:
        self._live_customer(customer_id)
        for sub_id in self._ids_of("subscription"):
            sub = self._objects[sub_id]
            if sub["customer"] == customer_id and sub["status"] != "canceled":
                self._cancel(sub)
        snapshot = self._render(customer_id)
        self._objects[customer_id] = {"id": customer_id, "object": "customer", "deleted": True}
        request = getattr(self._local, "request", None) or {"id": None, "idempotency_key": None}
        self._emit_data("customer.deleted", {"object": snapshot}, request)
        return self._objects[customer_id]

    def _live_customer(self, customer_id: str, param: str = "id") -> JSON:
        customer = self._fetch("customer", customer_id, param)
        if customer.get("deleted"):
            raise missing("customer", customer_id, param)
        return customer

    # --- Checkout ----------------------------------------------------------------------------------

    def _create_checkout_session(self, params: Params) -> JSON:
        mode = params.choice("mode", ("payment", "subscription", "setup"))
        if mode is None:
            raise StripeFailure("Missing required param: mode.", param="mode")
        if mode == "setup":
            raise StripeFailure("The Stripe stand-in does not model setup mode.", param="mode")
        ui_mode = params.choice("ui_mode", ("hosted", "embedded", "custom"), "hosted")
        if ui_mode != "hosted":
            raise StripeFailure("The Stripe stand-in only models hosted Checkout.", param="ui_mode")
        success_url = _check_url(params, "success_url")
        cancel_url = _check_url(params, "cancel_url")
        customer_id = params.text("customer")
        customer_email = params.text("customer_email", max_length=800)
        if customer_id and customer_email:
            raise StripeFailure(
                "You may only specify one of these parameters: customer, customer_email.",
                param="customer_email",
            )
        if customer_id:
            self._live_customer(customer_id, "customer")
        client_reference_id = params.text("client_reference_id", max_length=200)
        subscription_data = params.child("subscription_data")
        payment_intent_data = params.child("payment_intent_data")
        if mode == "payment" and subscription_data is not None:
            raise StripeFailure(
                "You can not pass `subscription_data` in `payment` mode.", param="subscription_data"
            )
        if mode == "subscription" and payment_intent_data is not None:
            raise StripeFailure(
                "You can not pass `payment_intent_data` in `subscription` mode.",
                param="payment_intent_data",
            )
        customer_creation = params.choice("customer_creation", ("always", "if_required"))
        if mode == "subscription" and customer_creation is not None:
            raise StripeFailure(
                "`customer_creation` can only be used in `payment` mode.", param="customer_creation"
            )
        trial_days = None
        subscription_metadata: dict[str, str] = {}
        if subscription_data is not None:
            trial_days = subscription_data.integer("trial_period_days", minimum=1)
            subscription_metadata = merge_metadata({}, subscription_data.metadata(), clear=True)
        line_items = params.children("line_items")
        if not line_items:
            raise StripeFailure("Missing required param: line_items.", param="line_items")
        entries = [self._checkout_line(item, mode) for item in line_items]
        currencies = {self._objects[entry["price"]]["currency"] for entry in entries}
        if len(currencies) > 1:
            raise StripeFailure("All line items must have the same currency.", param="line_items")
        currency = currencies.pop()
        recurring = [
            self._objects[e["price"]]["recurring"]
            for e in entries
            if self._objects[e["price"]]["recurring"]
        ]
        if mode == "subscription":
            if not recurring:
                raise StripeFailure(
                    "You must provide at least one recurring price in `subscription` mode when "
                    "using prices.",
                    param="line_items",
                )
            if len({(r["interval"], r["interval_count"]) for r in recurring}) > 1:
                raise StripeFailure(
                    "Checkout does not support multiple prices with different billing intervals.",
                    param="line_items",
                )
        subtotal = sum(self._objects[e["price"]]["unit_amount"] * e["quantity"] for e in entries)
        minimum = MINIMUM_CHARGE.get(currency)
        if mode == "payment" and minimum is not None and subtotal < minimum:
            raise StripeFailure(
                "The Checkout Session's total amount due must add up to at least "
                f"{format_amount(minimum, currency)} {currency}",
                param="line_items",
            )
        due_now = 0 if trial_days else subtotal
        created = now()
        expires_at = params.integer("expires_at") or created + 24 * 3600
        session_id = new_id("cs_test_", 58)
        private: JSON = {
            "line_items": entries,
            "trial_days": trial_days,
            "subscription_metadata": subscription_metadata,
            "subscription_description": subscription_data.text("description")
            if subscription_data
            else None,
            "payment_intent_metadata": merge_metadata(
                {}, payment_intent_data.metadata(), clear=True
            )
            if payment_intent_data
            else {},
            "payment_description": payment_intent_data.text("description")
            if payment_intent_data
            else None,
            "receipt_email": payment_intent_data.text("receipt_email")
            if payment_intent_data
            else None,
        }
        session = self._store(
            {
                "id": session_id,
                "object": "checkout.session",
                "adaptive_pricing": None,
                "after_expiration": None,
                "allow_promotion_codes": params.boolean("allow_promotion_codes"),
                "amount_subtotal": due_now,
                "amount_total": due_now,
                "automatic_tax": {
                    "enabled": False,
                    "liability": None,
                    "provider": None,
                    "status": None,
                },
                "billing_address_collection": params.text("billing_address_collection"),
                "cancel_url": cancel_url,
                "client_reference_id": client_reference_id,
                "client_secret": None,
                "consent": None,
                "consent_collection": None,
                "created": created,
                "currency": currency,
                "custom_fields": [],
                "custom_text": {
                    "after_submit": None,
                    "shipping_address": None,
                    "submit": None,
                    "terms_of_service_acceptance": None,
                },
                "customer": customer_id,
                "customer_creation": (customer_creation or "if_required")
                if mode == "payment"
                else None,
                "customer_details": None,
                "customer_email": customer_email,
                "expires_at": expires_at,
                "invoice": None,
                "livemode": False,
                "locale": params.text("locale"),
                "metadata": merge_metadata({}, params.metadata(), clear=True),
                "mode": mode,
                "payment_intent": None,
                "payment_link": None,
                "payment_method_collection": "always" if mode == "subscription" else "if_required",
                "payment_method_types": ["card"],
                "payment_status": "unpaid",
                "phone_number_collection": {"enabled": False},
                "recovered_from": None,
                "setup_intent": None,
                "shipping_address_collection": None,
                "shipping_cost": None,
                "shipping_options": [],
                "status": "open",
                "submit_type": params.text("submit_type"),
                "subscription": None,
                "success_url": success_url,
                "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
                "ui_mode": "hosted",
                "url": f"{self.url}/checkout/{session_id}",
            },
            **private,
        )
        return session

    def _checkout_line(self, item: Params, mode: str) -> JSON:
        quantity = item.integer("quantity", minimum=1)
        if quantity is None:
            raise StripeFailure(
                f"Quantity is required. Add `quantity` to `{item.prefix}`",
                param=item.name("quantity"),
            )
        price_data = item.child("price_data")
        if item.has("price") == (price_data is not None):
            raise StripeFailure(
                f"You must specify either `price` or `price_data` in `{item.prefix}`.",
                param=item.name("price"),
            )
        if price_data is not None:
            if mode == "payment" and price_data.has("recurring"):
                raise StripeFailure(
                    "You specified `payment` mode but passed a recurring price.",
                    param=price_data.name("recurring"),
                )
            price = self._make_price(price_data, active=False)
        else:
            price = self._fetch("price", item.required_text("price"), item.name("price"))
            if not price["active"]:
                raise StripeFailure(
                    "The price specified is inactive. This field only accepts active prices.",
                    param=item.name("price"),
                )
        if mode == "payment" and price["recurring"]:
            raise StripeFailure(
                "You specified `payment` mode but passed a recurring price. Either switch to "
                "`subscription` mode or use only one-time prices.",
                param=item.name("price"),
            )
        return {"id": new_id("li_"), "price": price["id"], "quantity": quantity}

    def _line_item(self, session: JSON, entry: JSON) -> JSON:
        price = self._render(entry["price"])
        amount = price["unit_amount"] * entry["quantity"]
        product = self._objects.get(price["product"]) or {}
        return {
            "id": entry["id"],
            "object": "item",
            "amount_discount": 0,
            "amount_subtotal": amount,
            "amount_tax": 0,
            "amount_total": amount,
            "currency": session["currency"],
            "description": product.get("name"),
            "price": price,
            "quantity": entry["quantity"],
        }

    def _session_lines(self, session_id: str, params: Params) -> JSON:
        session = self._fetch("checkout.session", session_id)
        lines = [self._line_item(session, e) for e in self._private[session_id]["line_items"]]
        listed = self._list_object(lines, f"/v1/checkout/sessions/{session_id}/line_items")
        paths = params.expand()
        return self._expand_into(listed, paths) if paths else listed

    def _expire_checkout(self, session_id: str) -> JSON:
        session = self._fetch("checkout.session", session_id, "session")
        if session["status"] != "open":
            raise StripeFailure(
                f'Only Checkout Sessions with a status in ["open"] can be expired. This '
                f'Checkout Session has a status of "{session["status"]}".',
                param="session",
            )
        before = self._render(session_id)
        session.update(status="expired", url=None)
        self._emit("checkout.session.expired", session_id, self._changes(before, session_id))
        return self._render(session_id)

    def _complete_checkout(self, session_id: str, *, email: str | None = None) -> str:
        session = self._fetch("checkout.session", session_id)
        private = self._private[session_id]
        if session["status"] == "expired":
            raise StripeFailure("This Checkout Session is no longer active.", param="session")
        if session["status"] == "complete":
            return self._success_url(session)
        customer_id = session["customer"]
        email = session["customer_email"] or email or "reader@example.com"
        new_customer = None
        if customer_id is None and (
            session["mode"] == "subscription" or session["customer_creation"] == "always"
        ):
            new_customer = self._make_customer(email=email)
            customer_id = new_customer["id"]
        if customer_id is not None:
            email = self._objects[customer_id].get("email") or email
        entries = private["line_items"]
        session.update(
            customer=customer_id,
            customer_details={
                "address": None,
                "email": email,
                "name": None,
                "phone": None,
                "tax_exempt": "none",
                "tax_ids": [],
            },
            status="complete",
            url=None,
        )
        if session["mode"] == "subscription":
            assert customer_id is not None
            sub, invoice = self._start_subscription(customer_id, entries, private)
            session.update(
                subscription=sub["id"],
                invoice=invoice["id"],
                payment_status="paid" if invoice["amount_paid"] else "no_payment_required",
            )
            self._emit("checkout.session.completed", session_id)
            self._emit("customer.subscription.created", sub["id"])
            self._emit("invoice.paid", invoice["id"])
        else:
            intent, charge = self._take_payment(
                customer_id=customer_id,
                amount=session["amount_total"],
                currency=session["currency"],
                metadata=private["payment_intent_metadata"],
                description=private["payment_description"],
                email=private["receipt_email"] or email,
                succeed=True,
            )
            session.update(payment_intent=intent["id"], payment_status="paid")
            self._emit("checkout.session.completed", session_id)
            self._emit("payment_intent.succeeded", intent["id"])
            self._emit("charge.succeeded", charge["id"])
        return self._success_url(session)

    def _success_url(self, session: JSON) -> str:
        url = session["success_url"] or f"{self.url}/checkout/{session['id']}"
        return str(url).replace("{CHECKOUT_SESSION_ID}", session["id"])

    # --- Subscriptions -----------------------------------------------------------------------------

    def _start_subscription(
        self, customer_id: str, entries: list[JSON], private: JSON
    ) -> tuple[JSON, JSON]:
        created = now()
        trial_days = private["trial_days"]
        recurring_entries = [e for e in entries if self._objects[e["price"]]["recurring"]]
        first = self._objects[recurring_entries[0]["price"]]
        currency = first["currency"]
        trial_end = created + trial_days * 86400 if trial_days else None
        anchor = trial_end or created
        period_end = trial_end or add_interval(
            created, first["recurring"]["interval"], first["recurring"]["interval_count"]
        )
        sub_id = new_id("sub_")
        items = [
            {
                "id": new_id("si_", 14),
                "object": "subscription_item",
                "billing_thresholds": None,
                "created": created,
                "current_period_end": period_end,
                "current_period_start": created,
                "discounts": [],
                "metadata": {},
                "price": entry["price"],
                "quantity": entry["quantity"],
                "subscription": sub_id,
                "tax_rates": [],
            }
            for entry in recurring_entries
        ]
        sub = self._store(
            {
                "id": sub_id,
                "object": "subscription",
                "application": None,
                "application_fee_percent": None,
                "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
                "billing_cycle_anchor": anchor,
                "billing_cycle_anchor_config": None,
                "cancel_at": None,
                "cancel_at_period_end": False,
                "canceled_at": None,
                "cancellation_details": {"comment": None, "feedback": None, "reason": None},
                "collection_method": "charge_automatically",
                "created": created,
                "currency": currency,
                "customer": customer_id,
                "days_until_due": None,
                "default_payment_method": None,
                "default_source": None,
                "default_tax_rates": [],
                "description": private.get("subscription_description"),
                "discounts": [],
                "ended_at": None,
                "invoice_settings": {"account_tax_ids": None, "issuer": {"type": "self"}},
                "items": {
                    "object": "list",
                    "data": items,
                    "has_more": False,
                    "total_count": len(items),
                    "url": f"/v1/subscription_items?subscription={sub_id}",
                },
                "latest_invoice": None,
                "livemode": False,
                "metadata": dict(private["subscription_metadata"]),
                "next_pending_invoice_item_invoice": None,
                "on_behalf_of": None,
                "pause_collection": None,
                "pending_invoice_item_interval": None,
                "pending_setup_intent": None,
                "pending_update": None,
                "schedule": None,
                "start_date": created,
                "status": "trialing" if trial_end else "active",
                "test_clock": None,
                "transfer_data": None,
                "trial_end": trial_end,
                "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
                "trial_start": created if trial_end else None,
            },
            cycles=0,
        )
        one_time = [
            (e["price"], e["quantity"])
            for e in entries
            if not self._objects[e["price"]]["recurring"]
        ]
        invoice = self._bill(
            sub,
            "subscription_create",
            created,
            period_end,
            succeed=True,
            zero=bool(trial_end),
            extra_lines=one_time,
        )
        return sub, invoice

    def _live_subscription(self, subscription_id: str, param: str = "id") -> JSON:
        sub = self._fetch("subscription", subscription_id, param)
        if sub["status"] in ("canceled", "incomplete_expired"):
            raise StripeFailure(
                "A canceled subscription can only update its cancellation_details and metadata.",
                param=param,
            )
        return sub

    def _advance_period(self, sub: JSON) -> tuple[int, int]:
        private = self._private[sub["id"]]
        private["cycles"] += 1
        start = sub["items"]["data"][0]["current_period_end"]
        for item in sub["items"]["data"]:
            recurring = self._objects[item["price"]]["recurring"]
            item["current_period_start"] = item["current_period_end"]
            item["current_period_end"] = add_interval(
                sub["billing_cycle_anchor"],
                recurring["interval"],
                recurring["interval_count"] * private["cycles"],
            )
        return start, sub["items"]["data"][0]["current_period_end"]

    def _open_invoice(self, sub: JSON) -> JSON | None:
        latest = sub["latest_invoice"]
        invoice = self._objects.get(latest) if latest else None
        return invoice if invoice is not None and invoice["status"] == "open" else None

    def _update_subscription(self, subscription_id: str, params: Params) -> JSON:
        sub = self._fetch("subscription", subscription_id)
        if sub["status"] == "canceled":
            allowed = {"metadata", "cancellation_details", "expand"}
            extra = sorted(set(params.data) - allowed)
            if extra:
                raise StripeFailure(
                    "A canceled subscription can only update its cancellation_details and "
                    "metadata.",
                    param=extra[0],
                )
        before = self._render(subscription_id)
        proration = params.choice(
            "proration_behavior",
            ("create_prorations", "none", "always_invoice"),
            "create_prorations",
        )
        invoice = None
        items = params.children("items")
        if items:
            invoice = self._change_items(sub, items, proration or "create_prorations")
        cancel_at_period_end = params.boolean("cancel_at_period_end")
        if cancel_at_period_end is not None:
            self._set_cancel_at_period_end(sub, cancel_at_period_end)
        if params.has("cancel_at"):
            cancel_at = params.integer("cancel_at")
            sub["cancel_at"] = cancel_at
            sub["canceled_at"] = now() if cancel_at else None
        details = params.child("cancellation_details")
        if details is not None:
            for key in ("comment", "feedback"):
                if details.has(key):
                    sub["cancellation_details"][key] = details.text(key) or None
        if params.has("description"):
            sub["description"] = params.text("description") or None
        sub["metadata"] = merge_metadata(
            sub["metadata"], params.metadata(), clear=params.data.get("metadata") == ""
        )
        changes = self._changes(before, subscription_id)
        if changes:
            self._emit("customer.subscription.updated", subscription_id, changes)
        if invoice is not None:
            self._emit("invoice.paid", invoice["id"])
        return sub

    def _set_cancel_at_period_end(self, sub: JSON, value: bool) -> None:
        sub["cancel_at_period_end"] = value
        if value:
            sub["cancel_at"] = max(item["current_period_end"] for item in sub["items"]["data"])
            sub["canceled_at"] = now()
            sub["cancellation_details"]["reason"] = "cancellation_requested"
        else:
            sub["cancel_at"] = None
            sub["canceled_at"] = None
            sub["cancellation_details"]["reason"] = None

    def _change_items(self, sub: JSON, changes: list[Params], proration: str) -> JSON | None:
        """Swap, add or remove items; returns an invoice when one is paid right away."""
        data = sub["items"]["data"]
        old_first = dict(data[0])
        old_amount = self._items_amount(data)
        for change in changes:
            item_id = change.text("id")
            item = next((i for i in data if i["id"] == item_id), None) if item_id else None
            if item_id and item is None:
                raise StripeFailure(
                    f"Invalid subscription item {item_id}: it does not belong to this subscription.",
                    param=change.name("id"),
                )
            if change.boolean("deleted"):
                if item is None:
                    raise StripeFailure(
                        "An item id is needed to delete an item.", param=change.name("id")
                    )
                data.remove(item)
                continue
            price_id = change.text("price")
            quantity = change.integer("quantity", minimum=0)
            if price_id is not None:
                price = self._fetch("price", price_id, change.name("price"))
                if not price["active"]:
                    raise StripeFailure(
                        "The price specified is inactive. This field only accepts active prices.",
                        param=change.name("price"),
                    )
                if not price["recurring"]:
                    raise StripeFailure(
                        "The price specified is set to `type=one_time` but this field only "
                        "accepts prices with `type=recurring`.",
                        param=change.name("price"),
                    )
                if price["currency"] != sub["currency"]:
                    raise StripeFailure(
                        "The price's currency must match the subscription's currency.",
                        param=change.name("price"),
                    )
            if item is None:
                if price_id is None:
                    raise StripeFailure(
                        f"Missing required param: {change.name('price')}.",
                        param=change.name("price"),
                    )
                data.append(
                    {
                        **copy.deepcopy(old_first),
                        "id": new_id("si_", 14),
                        "created": now(),
                        "metadata": {},
                        "price": price_id,
                        "quantity": quantity or 1,
                    }
                )
                continue
            if price_id is not None:
                item["price"] = price_id
            if quantity is not None:
                item["quantity"] = quantity
        if not data:
            raise StripeFailure("A subscription must keep at least one item.", param="items")
        sub["items"]["total_count"] = len(data)
        if sub["status"] == "trialing":
            return None
        old_recurring = self._objects[old_first["price"]]["recurring"]
        new_recurring = self._objects[data[0]["price"]]["recurring"]
        interval_changed = (old_recurring["interval"], old_recurring["interval_count"]) != (
            new_recurring["interval"],
            new_recurring["interval_count"],
        )
        start, end = old_first["current_period_start"], old_first["current_period_end"]
        moment = now()
        unused = max(0.0, min(1.0, (end - moment) / max(1, end - start)))
        new_amount = self._items_amount(data)
        credit = 0 if proration == "none" else round(old_amount * unused)
        if interval_changed:
            # A new billing interval resets the cycle: the new period is billed at once.
            sub["billing_cycle_anchor"] = moment
            self._private[sub["id"]]["cycles"] = 0
            for item in data:
                recurring = self._objects[item["price"]]["recurring"]
                item["current_period_start"] = moment
                item["current_period_end"] = add_interval(
                    moment, recurring["interval"], recurring["interval_count"]
                )
            return self._bill(
                sub,
                "subscription_update",
                moment,
                data[0]["current_period_end"],
                succeed=True,
                amount=max(0, new_amount - credit),
            )
        if proration == "always_invoice":
            due = round((new_amount - old_amount) * unused)
            if due > 0:
                return self._bill(sub, "subscription_update", moment, end, succeed=True, amount=due)
        return None

    def _items_amount(self, items: list[JSON]) -> int:
        return sum(self._objects[i["price"]]["unit_amount"] * i["quantity"] for i in items)

    def _cancel(
        self,
        sub: JSON,
        *,
        at_period_end: bool = False,
        reason: str = "cancellation_requested",
        comment: str | None = None,
        feedback: str | None = None,
    ) -> JSON:
        """Cancel now, or (``at_period_end``) carry out a cancellation asked for earlier."""
        moment = now()
        sub["status"] = "canceled"
        if at_period_end:
            # canceled_at stays the moment the cancellation was asked for, as on Stripe.
            sub["ended_at"] = sub["cancel_at"]
            sub["canceled_at"] = sub["canceled_at"] or moment
        else:
            sub["ended_at"] = moment
            sub["canceled_at"] = moment
        sub["cancellation_details"]["reason"] = reason
        if comment is not None:
            sub["cancellation_details"]["comment"] = comment
        if feedback is not None:
            sub["cancellation_details"]["feedback"] = feedback
        invoice = self._open_invoice(sub)
        if invoice is not None:  # Stripe stops collecting; the invoice stays open
            invoice.update(auto_advance=False, next_payment_attempt=None)
        self._emit("customer.subscription.deleted", sub["id"])
        return self._render(sub["id"])

    def _cancel_subscription(self, subscription_id: str, params: Params) -> JSON:
        sub = self._fetch("subscription", subscription_id)
        if sub["status"] == "canceled":
            raise StripeFailure(
                f"No such subscription: '{subscription_id}'. This subscription is already canceled.",
                status=404,
                code="resource_missing",
                param="id",
            )
        params.boolean("invoice_now")
        params.boolean("prorate")
        details = params.child("cancellation_details")
        return self._cancel(
            sub,
            comment=details.text("comment") if details else None,
            feedback=details.text("feedback") if details else None,
        )

    def _list_subscriptions(self, params: Params) -> JSON:
        customer = params.text("customer")
        price = params.text("price")
        status = params.choice(
            "status",
            SUBSCRIPTION_STATUS_FILTERS,
        )

        def keep(sub: JSON) -> bool:
            if customer is not None and sub["customer"] != customer:
                return False
            if price is not None and all(i["price"] != price for i in sub["items"]["data"]):
                return False
            if status is None:
                return bool(sub["status"] != "canceled")
            if status == "ended":
                return bool(sub["status"] == "canceled")
            return status == "all" or sub["status"] == status

        return self._list("subscription", "/v1/subscriptions", params, keep)

    # --- Invoices, payments, charges, refunds ------------------------------------------------------

    def _bill(
        self,
        sub: JSON,
        billing_reason: str,
        period_start: int,
        period_end: int,
        *,
        succeed: bool,
        zero: bool = False,
        amount: int | None = None,
        extra_lines: Iterable[tuple[str, int]] = (),
    ) -> JSON:
        """An invoice for the subscription, paid (or failed) at once; it becomes latest_invoice."""
        customer = self._objects[sub["customer"]]
        invoice_id = new_id("in_")
        lines = []
        priced = [(i["price"], i["quantity"], i["id"]) for i in sub["items"]["data"]]
        priced += [(price_id, quantity, None) for price_id, quantity in extra_lines]
        for price_id, quantity, item_id in priced:
            price = self._objects[price_id]
            product = self._objects.get(price["product"]) or {}
            line_amount = 0 if zero else price["unit_amount"] * quantity
            per = f" / {price['recurring']['interval']}" if price["recurring"] else ""
            prefix = "Trial period for " if zero else f"{quantity} {TIMES} "
            lines.append(
                {
                    "id": new_id("il_"),
                    "object": "line_item",
                    "amount": line_amount,
                    "currency": price["currency"],
                    "description": f"{prefix}{product.get('name')} "
                    f"(at {format_amount(price['unit_amount'], price['currency'])}{per})",
                    "discount_amounts": [],
                    "discountable": True,
                    "discounts": [],
                    "invoice": invoice_id,
                    "livemode": False,
                    "metadata": {},
                    "parent": {
                        "invoice_item_details": None,
                        "subscription_item_details": {
                            "invoice_item": None,
                            "proration": amount is not None,
                            "proration_details": {"credited_items": None},
                            "subscription": sub["id"],
                            "subscription_item": item_id,
                        },
                        "type": "subscription_item_details",
                    },
                    "period": {"end": period_end, "start": period_start},
                    "pretax_credit_amounts": [],
                    "pricing": {
                        "price_details": {"price": price_id, "product": price["product"]},
                        "type": "price_details",
                        "unit_amount_decimal": price["unit_amount_decimal"],
                    },
                    "quantity": quantity,
                    "taxes": [],
                }
            )
        if amount is not None:  # a proration: one line for the difference
            lines = lines[:1]
            lines[0]["amount"] = amount
            lines[0]["description"] = f"Change of plan: {lines[0]['description']}"
        total = sum(line["amount"] for line in lines)
        moment = now()
        number = f"{customer['invoice_prefix']}-{customer['next_invoice_sequence']:04d}"
        customer["next_invoice_sequence"] += 1
        invoice = self._store(
            {
                "id": invoice_id,
                "object": "invoice",
                "account_country": "IE",
                "account_name": "Masthead test newsroom",
                "amount_due": total,
                "amount_overpaid": 0,
                "amount_paid": 0,
                "amount_remaining": total,
                "amount_shipping": 0,
                "application": None,
                "attempt_count": 0,
                "attempted": False,
                "auto_advance": True,
                "automatic_tax": {
                    "disabled_reason": None,
                    "enabled": False,
                    "liability": None,
                    "provider": None,
                    "status": None,
                },
                "billing_reason": billing_reason,
                "collection_method": "charge_automatically",
                "created": moment,
                "currency": sub["currency"],
                "customer": customer["id"],
                "customer_email": customer.get("email"),
                "customer_name": customer.get("name"),
                "default_payment_method": None,
                "description": None,
                "discounts": [],
                "due_date": None,
                "effective_at": moment,
                "ending_balance": 0,
                "footer": None,
                "hosted_invoice_url": f"{self.url}/invoice/{invoice_id}",
                "invoice_pdf": None,
                "issuer": {"type": "self"},
                "last_finalization_error": None,
                "lines": {
                    "object": "list",
                    "data": lines,
                    "has_more": False,
                    "total_count": len(lines),
                    "url": f"/v1/invoices/{invoice_id}/lines",
                },
                "livemode": False,
                "metadata": {},
                "next_payment_attempt": None,
                "number": number,
                "on_behalf_of": None,
                "parent": {
                    "quote_details": None,
                    "subscription_details": {
                        "metadata": dict(sub["metadata"]),
                        "subscription": sub["id"],
                    },
                    "type": "subscription_details",
                },
                "period_end": period_start,
                "period_start": period_start,
                "post_payment_credit_notes_amount": 0,
                "pre_payment_credit_notes_amount": 0,
                "receipt_number": None,
                "starting_balance": 0,
                "statement_descriptor": None,
                "status": "open",
                "status_transitions": {
                    "finalized_at": moment,
                    "marked_uncollectible_at": None,
                    "paid_at": None,
                    "voided_at": None,
                },
                "subtotal": total,
                "subtotal_excluding_tax": total,
                "test_clock": None,
                "total": total,
                "total_discount_amounts": [],
                "total_excluding_tax": total,
                "total_pretax_credit_amounts": [],
                "total_taxes": [],
                "webhooks_delivered_at": moment,
            },
            payments=[],
        )
        sub["latest_invoice"] = invoice_id
        if succeed:
            self._pay_invoice(invoice)
        else:
            intent, _charge = self._take_payment(
                customer_id=customer["id"],
                amount=total,
                currency=sub["currency"],
                metadata={},
                description=BILLING_DESCRIPTIONS.get(billing_reason),
                email=customer.get("email"),
                succeed=False,
            )
            invoice.update(attempted=True, attempt_count=1, next_payment_attempt=moment + 3 * 86400)
            self._record_invoice_payment(invoice, intent, paid=False)
        return invoice

    def _pay_invoice(self, invoice: JSON) -> None:
        """Collect what the invoice is owed, retrying its open PaymentIntent if it has one."""
        moment = now()
        due = invoice["amount_remaining"]
        if due > 0:
            pending = self._pending_invoice_payment(invoice)
            if pending is not None:
                intent = self._objects[pending["payment"]["payment_intent"]]
                self._attempt_charge(intent, succeed=True)
                pending.update(status="paid", amount_paid=intent["amount"])
                pending["status_transitions"]["paid_at"] = moment
            else:
                customer = self._objects[invoice["customer"]]
                intent, _charge = self._take_payment(
                    customer_id=invoice["customer"],
                    amount=due,
                    currency=invoice["currency"],
                    metadata={},
                    description=BILLING_DESCRIPTIONS.get(invoice["billing_reason"]),
                    email=customer.get("email"),
                    succeed=True,
                )
                self._record_invoice_payment(invoice, intent, paid=True)
        invoice.update(
            status="paid",
            amount_paid=invoice["amount_paid"] + due,
            amount_remaining=0,
            attempted=True,
            attempt_count=invoice["attempt_count"] + (1 if due > 0 else 0),
            auto_advance=False,
            next_payment_attempt=None,
        )
        invoice["status_transitions"]["paid_at"] = moment

    def _pending_invoice_payment(self, invoice: JSON) -> JSON | None:
        for payment_id in self._private[invoice["id"]]["payments"]:
            payment = self._objects[payment_id]
            if payment["status"] == "open":
                return payment
        return None

    def _record_invoice_payment(self, invoice: JSON, intent: JSON, *, paid: bool) -> None:
        moment = now()
        payment = self._store(
            {
                "id": new_id("inpay_"),
                "object": "invoice_payment",
                "amount_paid": intent["amount"] if paid else None,
                "amount_requested": intent["amount"],
                "created": moment,
                "currency": intent["currency"],
                "invoice": invoice["id"],
                "is_default": True,
                "livemode": False,
                "payment": {"payment_intent": intent["id"], "type": "payment_intent"},
                "status": "paid" if paid else "open",
                "status_transitions": {"canceled_at": None, "paid_at": moment if paid else None},
            }
        )
        self._private[invoice["id"]]["payments"].append(payment["id"])

    def _take_payment(
        self,
        *,
        customer_id: str | None,
        amount: int,
        currency: str,
        metadata: dict[str, str],
        description: str | None,
        email: str | None,
        succeed: bool,
    ) -> tuple[JSON, JSON]:
        """A PaymentIntent and its first charge (declined unless ``succeed``)."""
        intent_id = new_id("pi_")
        intent = self._store(
            {
                "id": intent_id,
                "object": "payment_intent",
                "amount": amount,
                "amount_capturable": 0,
                "amount_details": {"tip": {}},
                "amount_received": 0,
                "application": None,
                "application_fee_amount": None,
                "automatic_payment_methods": None,
                "canceled_at": None,
                "cancellation_reason": None,
                "capture_method": "automatic_async",
                "client_secret": f"{intent_id}_secret_{new_id('', 25)}",
                "confirmation_method": "automatic",
                "created": now(),
                "currency": currency,
                "customer": customer_id,
                "description": description,
                "last_payment_error": None,
                "latest_charge": None,
                "livemode": False,
                "metadata": dict(metadata),
                "next_action": None,
                "on_behalf_of": None,
                "payment_method": None,
                "payment_method_options": {"card": {"request_three_d_secure": "automatic"}},
                "payment_method_types": ["card"],
                "processing": None,
                "receipt_email": email,
                "review": None,
                "setup_future_usage": None,
                "shipping": None,
                "statement_descriptor": None,
                "statement_descriptor_suffix": None,
                "status": "requires_payment_method",
                "transfer_data": None,
                "transfer_group": None,
            }
        )
        return intent, self._attempt_charge(intent, succeed=succeed)

    def _attempt_charge(self, intent: JSON, *, succeed: bool) -> JSON:
        """Charge the card for a PaymentIntent: a new charge, the intent follows its outcome."""
        charge_id, method_id = new_id("ch_"), new_id("pm_")
        amount, email = intent["amount"], intent["receipt_email"]
        charge = self._store(
            {
                "id": charge_id,
                "object": "charge",
                "amount": amount,
                "amount_captured": amount if succeed else 0,
                "amount_refunded": 0,
                "application": None,
                "application_fee": None,
                "application_fee_amount": None,
                "balance_transaction": new_id("txn_") if succeed else None,
                "billing_details": {"address": None, "email": email, "name": None, "phone": None},
                "calculated_statement_descriptor": "MASTHEAD",
                "captured": succeed,
                "created": now(),
                "currency": intent["currency"],
                "customer": intent["customer"],
                "description": intent["description"],
                "disputed": False,
                "failure_balance_transaction": None,
                "failure_code": None if succeed else "card_declined",
                "failure_message": None if succeed else "Your card was declined.",
                "fraud_details": {},
                "livemode": False,
                "metadata": dict(intent["metadata"]),
                "on_behalf_of": None,
                "outcome": {
                    "network_status": "approved_by_network" if succeed else "declined_by_network",
                    "reason": None if succeed else "generic_decline",
                    "risk_level": "normal",
                    "seller_message": "Payment complete."
                    if succeed
                    else "The bank did not return any further details with this decline.",
                    "type": "authorized" if succeed else "issuer_declined",
                },
                "paid": succeed,
                "payment_intent": intent["id"],
                "payment_method": method_id,
                "payment_method_details": {
                    "card": {
                        "brand": "visa",
                        "country": "US",
                        "exp_month": 12,
                        "exp_year": datetime.now(tz=UTC).year + 3,
                        "funding": "credit",
                        "last4": "4242" if succeed else "0002",
                    },
                    "type": "card",
                },
                "receipt_email": email,
                "receipt_number": None,
                "receipt_url": f"{self.url}/receipt/{charge_id}",
                "refunded": False,
                "review": None,
                "shipping": None,
                "source_transfer": None,
                "statement_descriptor": None,
                "statement_descriptor_suffix": None,
                "status": "succeeded" if succeed else "failed",
                "transfer_data": None,
                "transfer_group": None,
            }
        )
        intent.update(
            latest_charge=charge_id,
            status="succeeded" if succeed else "requires_payment_method",
            amount_received=amount if succeed else 0,
            payment_method=method_id if succeed else None,
            last_payment_error=None
            if succeed
            else {
                "charge": charge_id,
                "code": "card_declined",
                "decline_code": "generic_decline",
                "doc_url": "https://stripe.com/docs/error-codes/card-declined",
                "message": "Your card was declined.",
                "type": "card_error",
            },
        )
        return charge

    def _create_refund(self, params: Params) -> JSON:
        charge_id = params.text("charge")
        intent_id = params.text("payment_intent")
        if charge_id and intent_id:
            raise StripeFailure(
                "You cannot pass both `charge` and `payment_intent`.", param="payment_intent"
            )
        if intent_id:
            intent = self._fetch("payment_intent", intent_id, "payment_intent")
            if intent["status"] != "succeeded":
                raise StripeFailure(
                    f"This PaymentIntent ({intent_id}) does not have a successful charge to refund.",
                    param="payment_intent",
                )
            charge_id = intent["latest_charge"]
        elif not charge_id:
            raise StripeFailure(
                "One of the following params should be provided for this request: "
                "payment_intent or charge.",
                param="charge",
            )
        assert charge_id is not None
        charge = self._fetch("charge", charge_id, "charge")
        if not charge["paid"]:
            raise StripeFailure(f"Charge {charge_id} has not been paid.", param="charge")
        if charge["refunded"]:
            raise StripeFailure(
                f"Charge {charge_id} has already been refunded.",
                param="charge",
                code="charge_already_refunded",
            )
        remaining = charge["amount"] - charge["amount_refunded"]
        amount = params.integer("amount", minimum=1)
        if amount is None:
            amount = remaining
        if amount > remaining:
            raise StripeFailure(
                f"Refund amount ({format_amount(amount, charge['currency'])}) is greater than "
                f"unrefunded amount on charge ({format_amount(remaining, charge['currency'])})",
                param="amount",
                code="amount_too_large",
            )
        reason = params.choice("reason", ("duplicate", "fraudulent", "requested_by_customer"))
        before = self._render(charge_id)
        refund = self._store(
            {
                "id": new_id("re_"),
                "object": "refund",
                "amount": amount,
                "balance_transaction": new_id("txn_"),
                "charge": charge_id,
                "created": now(),
                "currency": charge["currency"],
                "destination_details": {
                    "card": {
                        "reference_status": "pending",
                        "reference_type": "acquirer_reference_number",
                        "type": "refund",
                    },
                    "type": "card",
                },
                "metadata": merge_metadata({}, params.metadata(), clear=True),
                "payment_intent": charge["payment_intent"],
                "reason": reason,
                "receipt_number": None,
                "source_transfer_reversal": None,
                "status": "succeeded",
                "transfer_reversal": None,
            }
        )
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        self._emit("charge.refunded", charge_id, self._changes(before, charge_id))
        self._emit("refund.created", refund["id"])
        return refund

    # --- Billing portal ----------------------------------------------------------------------------

    def _create_portal_session(self, params: Params) -> JSON:
        customer_id = params.required_text("customer")
        self._live_customer(customer_id, "customer")
        return_url = _check_url(params, "return_url")
        session_id = new_id("bps_")
        return self._store(
            {
                "id": session_id,
                "object": "billing_portal.session",
                "configuration": "bpc_standin",
                "created": now(),
                "customer": customer_id,
                "flow": None,
                "livemode": False,
                "locale": params.text("locale"),
                "on_behalf_of": None,
                "return_url": return_url,
                "url": f"{self.url}/portal/{session_id}",
            }
        )

    # --- Hosted pages --------------------------------------------------------------------------------

    def _handle_page(self, method: str, path: str, body: bytes) -> _Answer:
        match = re.fullmatch(r"/(checkout|portal|invoice)/([A-Za-z0-9_]+)", path)
        self.requests.append(RequestRecord(method, path, None))
        answer: _Answer
        if match is None or (match.group(1) == "invoice" and method != "GET"):
            answer = self._page(404, "Not found", "<p>There is nothing here.</p>")
        elif match.group(1) == "checkout":
            answer = self._checkout_page(method, match.group(2), body)
        elif match.group(1) == "portal":
            answer = self._portal_page(method, match.group(2), body)
        else:
            answer = self._invoice_page(match.group(2))
        self.requests[-1] = RequestRecord(method, path, answer.status)
        return answer

    @staticmethod
    def _page(status: int, title: str, content: str) -> _Answer:
        document = (
            '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)}</title>\n"
            "<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;"
            "padding:0 1rem;line-height:1.5}button{font-size:1rem;padding:.5rem 1.25rem}"
            "table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.25rem 0}"
            "</style>\n</head>\n<body>\n<main>\n"
            f"<h1>{html.escape(title)}</h1>\n{content}\n</main>\n</body>\n</html>\n"
        )
        return _Answer(
            status,
            document.encode(),
            {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"},
        )

    @staticmethod
    def _redirect(location: str) -> _Answer:
        return _Answer(303, b"", {"Location": location, "Cache-Control": "no-store"})

    def _checkout_page(self, method: str, session_id: str, body: bytes) -> _Answer:
        title = "Stripe test checkout (local stand-in)"
        session = self._objects.get(session_id)
        if session is None or session.get("object") != "checkout.session":
            return self._page(404, title, "<p>This checkout session does not exist.</p>")
        if session["status"] == "expired":
            return self._page(410, title, "<p>This checkout session has expired.</p>")
        if method == "POST":
            email = dict(parse_qsl(body.decode("utf-8", "replace"))).get("email") or None
            return self._redirect(self._complete_checkout(session_id, email=email))
        if session["status"] == "complete":
            link = html.escape(self._success_url(session))
            return self._page(
                200, title, f'<p>This checkout is complete. <a href="{link}">Continue</a></p>'
            )
        private = self._private[session_id]
        rows = []
        for entry in private["line_items"]:
            line = self._line_item(session, entry)
            recurring = line["price"]["recurring"]
            per = ""
            if recurring:
                count = recurring["interval_count"]
                per = (
                    f" per {recurring['interval']}"
                    if count == 1
                    else f" every {count} {recurring['interval']}s"
                )
            rows.append(
                f"<tr><td>{html.escape(str(line['description']))} {TIMES} {line['quantity']}</td>"
                f"<td>{html.escape(format_amount(line['amount_total'], session['currency']))}"
                f"{html.escape(per)}</td></tr>"
            )
        trial = private["trial_days"]
        summary = f"<p>{trial}-day free trial, then billed as above.</p>" if trial else ""
        due = format_amount(session["amount_total"], session["currency"])
        email = session["customer_email"]
        if session["customer"]:
            email = self._objects[session["customer"]].get("email")
        if email:
            email_field = f"<p>Paying as <strong>{html.escape(email)}</strong></p>"
        else:
            email_field = (
                '<p><label for="email">Email</label><br>'
                '<input id="email" name="email" type="email" autocomplete="email" required></p>'
            )
        cancel = (
            f'<p><a href="{html.escape(session["cancel_url"])}">Cancel</a></p>'
            if session["cancel_url"]
            else ""
        )
        content = (
            "<p>This page stands in for Stripe Checkout in tests. No card is needed.</p>\n"
            '<table aria-label="Order summary">'
            '<thead><tr><th scope="col">Item</th><th scope="col">Amount</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>\n"
            f"{summary}<p>Due today: <strong>{html.escape(due)}</strong></p>\n"
            f'<form method="post" action="/checkout/{html.escape(session_id)}">\n{email_field}\n'
            '<button type="submit">Pay</button>\n</form>\n'
            f"{cancel}"
        )
        return self._page(200, title, content)

    def _portal_page(self, method: str, session_id: str, body: bytes) -> _Answer:
        title = "Stripe test billing portal (local stand-in)"
        session = self._objects.get(session_id)
        if session is None or session.get("object") != "billing_portal.session":
            return self._page(404, title, "<p>This portal session does not exist.</p>")
        customer_id = session["customer"]
        subscriptions = [
            self._objects[i]
            for i in self._ids_of("subscription")
            if self._objects[i]["customer"] == customer_id
            and self._objects[i]["status"] != "canceled"
        ]
        if method == "POST":
            form = dict(parse_qsl(body.decode("utf-8", "replace")))
            wanted = form.get("subscription")
            targets = [s for s in subscriptions if wanted in (None, s["id"])][:1]
            if not targets:
                return self._page(400, title, "<p>That subscription cannot be changed.</p>")
            sub = targets[0]
            before = self._render(sub["id"])
            self._set_cancel_at_period_end(sub, form.get("action", "cancel") != "renew")
            changes = self._changes(before, sub["id"])
            if changes:
                self._emit("customer.subscription.updated", sub["id"], changes)
            return self._redirect(session["return_url"] or session["url"])
        customer = self._objects[customer_id]
        blocks = []
        for sub in subscriptions:
            item = self._render(sub["id"])["items"]["data"][0]
            price = item["price"]
            product = self._objects.get(price["product"]) or {}
            amount = format_amount(price["unit_amount"], price["currency"])
            period_end = (
                datetime.fromtimestamp(item["current_period_end"], tz=UTC).date().isoformat()
            )
            if sub["cancel_at_period_end"]:
                state = f"Cancels on {period_end}."
                action, label = "renew", "Renew subscription"
            else:
                state = f"Renews on {period_end}."
                action, label = "cancel", "Cancel subscription"
            blocks.append(
                f"<section><h2>{html.escape(str(product.get('name')))}</h2>"
                f"<p>{html.escape(amount)} per {html.escape(price['recurring']['interval'])}, "
                f"{html.escape(sub['status'])}. {html.escape(state)}</p>"
                f'<form method="post" action="/portal/{html.escape(session_id)}">'
                f'<input type="hidden" name="subscription" value="{html.escape(sub["id"])}">'
                f'<input type="hidden" name="action" value="{action}">'
                f'<button type="submit">{label}</button></form></section>'
            )
        if not blocks:
            blocks.append("<p>No current subscriptions.</p>")
        back = (
            f'<p><a href="{html.escape(session["return_url"])}">Return</a></p>'
            if session["return_url"]
            else ""
        )
        who = html.escape(str(customer.get("email") or customer_id))
        return self._page(200, title, f"<p>Signed in as {who}</p>\n{''.join(blocks)}\n{back}")

    def _invoice_page(self, invoice_id: str) -> _Answer:
        invoice = self._objects.get(invoice_id)
        if invoice is None or invoice.get("object") != "invoice":
            return self._page(404, "Invoice", "<p>This invoice does not exist.</p>")
        amount = format_amount(invoice["total"], invoice["currency"])
        return self._page(
            200,
            f"Invoice {invoice['number']}",
            f"<p>{html.escape(amount)}, {html.escape(invoice['status'])}.</p>",
        )


# --- Routes ---------------------------------------------------------------------------------------

_Action = Callable[[StripeStandIn, dict[str, str], Params], JSON]


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    action: _Action
    params_type: str | None


def _retrieve(kind: str) -> _Action:
    def action(standin: StripeStandIn, groups: dict[str, str], params: Params) -> JSON:
        standin._fetch(kind, groups["id"])
        return standin._respond(groups["id"], params)

    return action


def _listing(kind: str, url: str, *filters: tuple[str, Callable[[JSON], Any]]) -> _Action:
    def action(standin: StripeStandIn, groups: dict[str, str], params: Params) -> JSON:
        wanted = [(params.text(name), read) for name, read in filters]

        def keep(obj: JSON) -> bool:
            return all(value is None or read(obj) == value for value, read in wanted)

        return standin._list(kind, url, params, keep)

    return action


def _then_respond(
    make: Callable[[StripeStandIn, dict[str, str], Params], JSON],
) -> _Action:
    def action(standin: StripeStandIn, groups: dict[str, str], params: Params) -> JSON:
        return standin._respond(make(standin, groups, params)["id"], params)

    return action


def _invoice_subscription(invoice: JSON) -> Any:
    return ((invoice.get("parent") or {}).get("subscription_details") or {}).get("subscription")


def _bool_text(value: Any) -> str:
    return "true" if value else "false"


_ID = r"(?P<id>[A-Za-z0-9_\-]+)"


def _routes() -> list[_Route]:
    s = StripeStandIn
    table: list[tuple[str, str, _Action, str | None]] = [
        (
            "POST",
            "/v1/products",
            _then_respond(lambda x, g, p: s._create_product(x, p)),
            "ProductCreateParams",
        ),
        (
            "GET",
            "/v1/products",
            _listing("product", "/v1/products", ("active", lambda o: _bool_text(o["active"]))),
            "ProductListParams",
        ),
        ("GET", f"/v1/products/{_ID}", _retrieve("product"), "ProductRetrieveParams"),
        (
            "POST",
            f"/v1/products/{_ID}",
            _then_respond(lambda x, g, p: s._update_product(x, g["id"], p)),
            "ProductUpdateParams",
        ),
        (
            "POST",
            "/v1/prices",
            _then_respond(lambda x, g, p: s._make_price(x, p)),
            "PriceCreateParams",
        ),
        ("GET", "/v1/prices", lambda x, g, p: s._list_prices(x, p), "PriceListParams"),
        ("GET", f"/v1/prices/{_ID}", _retrieve("price"), "PriceRetrieveParams"),
        (
            "POST",
            f"/v1/prices/{_ID}",
            _then_respond(lambda x, g, p: s._update_price(x, g["id"], p)),
            "PriceUpdateParams",
        ),
        (
            "POST",
            "/v1/customers",
            _then_respond(lambda x, g, p: s._create_customer(x, p)),
            "CustomerCreateParams",
        ),
        (
            "GET",
            "/v1/customers",
            _listing("customer", "/v1/customers", ("email", lambda o: o.get("email"))),
            "CustomerListParams",
        ),
        ("GET", f"/v1/customers/{_ID}", _retrieve("customer"), "CustomerRetrieveParams"),
        (
            "POST",
            f"/v1/customers/{_ID}",
            _then_respond(lambda x, g, p: s._update_customer(x, g["id"], p)),
            "CustomerUpdateParams",
        ),
        (
            "DELETE",
            f"/v1/customers/{_ID}",
            lambda x, g, p: s._delete_customer(x, g["id"]),
            "CustomerDeleteParams",
        ),
        (
            "POST",
            "/v1/checkout/sessions",
            _then_respond(lambda x, g, p: s._create_checkout_session(x, p)),
            "checkout.SessionCreateParams",
        ),
        (
            "GET",
            "/v1/checkout/sessions",
            _listing(
                "checkout.session",
                "/v1/checkout/sessions",
                ("customer", lambda o: o["customer"]),
                ("payment_intent", lambda o: o["payment_intent"]),
                ("subscription", lambda o: o["subscription"]),
                ("status", lambda o: o["status"]),
            ),
            "checkout.SessionListParams",
        ),
        (
            "GET",
            f"/v1/checkout/sessions/{_ID}",
            _retrieve("checkout.session"),
            "checkout.SessionRetrieveParams",
        ),
        (
            "GET",
            f"/v1/checkout/sessions/{_ID}/line_items",
            lambda x, g, p: s._session_lines(x, g["id"], p),
            "checkout.SessionListLineItemsParams",
        ),
        (
            "POST",
            f"/v1/checkout/sessions/{_ID}/expire",
            _then_respond(lambda x, g, p: s._expire_checkout(x, g["id"])),
            "checkout.SessionExpireParams",
        ),
        (
            "GET",
            "/v1/subscriptions",
            lambda x, g, p: s._list_subscriptions(x, p),
            "SubscriptionListParams",
        ),
        (
            "GET",
            f"/v1/subscriptions/{_ID}",
            _retrieve("subscription"),
            "SubscriptionRetrieveParams",
        ),
        (
            "POST",
            f"/v1/subscriptions/{_ID}",
            _then_respond(lambda x, g, p: s._update_subscription(x, g["id"], p)),
            "SubscriptionUpdateParams",
        ),
        (
            "DELETE",
            f"/v1/subscriptions/{_ID}",
            _then_respond(lambda x, g, p: s._cancel_subscription(x, g["id"], p)),
            "SubscriptionCancelParams",
        ),
        (
            "POST",
            "/v1/billing_portal/sessions",
            _then_respond(lambda x, g, p: s._create_portal_session(x, p)),
            "billing_portal.SessionCreateParams",
        ),
        (
            "POST",
            "/v1/refunds",
            _then_respond(lambda x, g, p: s._create_refund(x, p)),
            "RefundCreateParams",
        ),
        (
            "GET",
            "/v1/refunds",
            _listing(
                "refund",
                "/v1/refunds",
                ("charge", lambda o: o["charge"]),
                ("payment_intent", lambda o: o["payment_intent"]),
            ),
            "RefundListParams",
        ),
        ("GET", f"/v1/refunds/{_ID}", _retrieve("refund"), "RefundRetrieveParams"),
        (
            "GET",
            "/v1/invoices",
            _listing(
                "invoice",
                "/v1/invoices",
                ("customer", lambda o: o["customer"]),
                ("subscription", _invoice_subscription),
                ("status", lambda o: o["status"]),
            ),
            "InvoiceListParams",
        ),
        ("GET", f"/v1/invoices/{_ID}", _retrieve("invoice"), "InvoiceRetrieveParams"),
        (
            "GET",
            "/v1/invoice_payments",
            _listing(
                "invoice_payment",
                "/v1/invoice_payments",
                ("invoice", lambda o: o["invoice"]),
                ("status", lambda o: o["status"]),
            ),
            "InvoicePaymentListParams",
        ),
        (
            "GET",
            f"/v1/invoice_payments/{_ID}",
            _retrieve("invoice_payment"),
            "InvoicePaymentRetrieveParams",
        ),
        (
            "GET",
            "/v1/payment_intents",
            _listing(
                "payment_intent", "/v1/payment_intents", ("customer", lambda o: o["customer"])
            ),
            "PaymentIntentListParams",
        ),
        (
            "GET",
            f"/v1/payment_intents/{_ID}",
            _retrieve("payment_intent"),
            "PaymentIntentRetrieveParams",
        ),
        (
            "GET",
            "/v1/charges",
            _listing(
                "charge",
                "/v1/charges",
                ("customer", lambda o: o["customer"]),
                ("payment_intent", lambda o: o["payment_intent"]),
            ),
            "ChargeListParams",
        ),
        ("GET", f"/v1/charges/{_ID}", _retrieve("charge"), "ChargeRetrieveParams"),
        (
            "GET",
            "/v1/events",
            _listing("event", "/v1/events", ("type", lambda o: o["type"])),
            "EventListParams",
        ),
        ("GET", f"/v1/events/{_ID}", _retrieve("event"), "EventRetrieveParams"),
    ]
    return [_Route(m, re.compile(p), a, t) for m, p, a, t in table]


_ROUTES = _routes()

#: The SDK parameter types each route is checked against (a test makes sure they all resolve).
ROUTE_PARAMS_TYPES = sorted({route.params_type for route in _ROUTES if route.params_type})


@contextmanager
def fast_sdk_retries(delay: float = 0.01) -> Iterator[None]:
    """Shrink the SDK's back-off between retries (0.5 s and up) so retry tests stay fast."""
    from stripe._http_client import HTTPClient as client

    saved = (client.INITIAL_DELAY, client.MAX_DELAY)
    client.INITIAL_DELAY, client.MAX_DELAY = delay, delay  # type: ignore[assignment]
    try:
        yield
    finally:
        client.INITIAL_DELAY, client.MAX_DELAY = saved


__all__ = [
    "API_VERSION",
    "ROUTE_PARAMS_TYPES",
    "Delivery",
    "RecordedEvent",
    "RequestRecord",
    "StripeFailure",
    "StripeStandIn",
    "add_interval",
    "check_params",
    "decode_form",
    "fast_sdk_retries",
    "params_type",
]
