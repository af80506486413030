"""A WSGI app that answers every request with one kept response and does nothing else.

The page cache benchmark serves masthead's own gzip bytes of its article, with masthead's
own response headers, through this app under granian with ``masthead serve``'s options.
Its rate is what the server itself allows a Python app that costs nothing: the ceiling of
any cached hit, measured in the same run as nginx and masthead.

``BENCH_FLOOR_RESPONSE`` names a JSON file holding the headers and the body's path; it is
read once, at import.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

_SPEC = json.loads(Path(os.environ["BENCH_FLOOR_RESPONSE"]).read_text())
_BODY = Path(_SPEC["body"]).read_bytes()
_HEADERS = [(str(name), str(value)) for name, value in _SPEC["headers"]]


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", list(_HEADERS))  # a copy: the server may add to it
    return [_BODY]
