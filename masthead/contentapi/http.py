"""What every Ghost API response has in common: headers, CORS, methods and errors.

Each endpoint is a plain function (decision 0008) wrapped in ``api_view``, which answers
CORS preflights, refuses other methods the way Ghost does, turns ``GhostError`` into Ghost's
error envelope, a request Django cannot read (too big, broken multipart, not UTF-8) into
Ghost's 413 or 400, and any other exception into a logged 500 in the same envelope — a
client never sees an HTML error page or a traceback.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from masthead.ghost_errors import (
    BadRequestError,
    GhostError,
    InternalServerError,
    NotFoundError,
    RequestEntityTooLargeError,
    UnsupportedMediaTypeError,
    error_response,
)

logger = logging.getLogger(__name__)

# The Ghost version whose API masthead answers as; Ghost's clients send ``Accept-Version``
# and read ``Content-Version`` back.
GHOST_VERSION = "6.0"
CONTENT_VERSION = f"v{GHOST_VERSION}"

# What Django raises while reading a request it cannot read; each is the client's doing.
_UNREADABLE = (
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
    MultiPartParserError,
    UnicodeDecodeError,
)

Api = Literal["content", "admin"]
View = Callable[..., HttpResponse]


def json_response(data: Any, *, status: int = 200) -> JsonResponse:
    """JSON as Ghost writes it: UTF-8, not ASCII-escaped, keys in the order given."""
    return JsonResponse(
        data, status=status, encoder=DjangoJSONEncoder, json_dumps_params={"ensure_ascii": False}
    )


def read_json_body(request: HttpRequest) -> dict[str, Any]:
    """The request's JSON object, or Ghost's errors for a wrong type or unreadable body."""
    content_type = request.content_type or ""
    if content_type != "application/json":
        raise UnsupportedMediaTypeError(
            _("Send the request body as JSON."),
            context=_("The Content-Type header must be application/json, not “%(type)s”.")
            % {"type": content_type or _("none")},
        )
    try:
        body = request.body
    except RequestDataTooBig:
        raise _too_big() from None
    try:
        data = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError) as error:
        raise BadRequestError(
            _("The request body is not valid JSON."), context=str(error)[:200]
        ) from None
    if not isinstance(data, dict):
        raise BadRequestError(
            _("The request body must be a JSON object."),
            context=_('For example {"posts": [{"title": "…"}]}.'),
        )
    if _holds_nul(data):
        raise _nul_error()
    return data


def _holds_nul(value: Any) -> bool:
    """Whether a NUL character hides anywhere in ``value``: PostgreSQL refuses to store it."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def _nul_error() -> BadRequestError:
    return BadRequestError(
        _("The request holds a NUL character (\\u0000)."),
        context=_("No text masthead stores may contain one; remove it and send the request again."),
    )


def _check_text(request: HttpRequest, kwargs: dict[str, Any]) -> None:
    """Refuse NUL characters in the address, the query and form fields before any lookup."""
    if (
        "\x00" in request.path
        or _holds_nul(list(kwargs.values()))
        or any(_holds_nul([key, *values]) for key, values in request.GET.lists())
        or (
            request.method == "POST"
            and any(_holds_nul([key, *values]) for key, values in request.POST.lists())
        )
    ):
        raise _nul_error()


def _too_big() -> RequestEntityTooLargeError:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return RequestEntityTooLargeError(
        _("Request was too big for the server to handle."),
        context=_("The request body is larger than the %(limit)s bytes this server accepts.")
        % {"limit": limit},
        help=_(
            "Upload images with POST /ghost/api/admin/images/upload/ and use their urls "
            "instead of putting them in the body."
        ),
    )


def unreadable_request_error(error: Exception) -> GhostError:
    """Ghost's error for a request Django could not read: too big, too many parts, or not
    the encoding or multipart form it claims to be."""
    if isinstance(error, RequestDataTooBig):
        return _too_big()
    if isinstance(error, (TooManyFieldsSent, TooManyFilesSent)):
        setting = (
            "DATA_UPLOAD_MAX_NUMBER_FIELDS"
            if isinstance(error, TooManyFieldsSent)
            else "DATA_UPLOAD_MAX_NUMBER_FILES"
        )
        return RequestEntityTooLargeError(
            _("Request was too big for the server to handle."),
            context=_(
                "The request has more than the %(limit)s fields or files this server accepts."
            )
            % {"limit": getattr(settings, setting)},
            help=_("Send fewer parameters, or one file per request."),
        )
    if isinstance(error, UnicodeDecodeError):
        return BadRequestError(
            _("Request not understood error, cannot perform request."),
            context=_("The request is not valid UTF-8."),
            help=_("Encode the address and the body as UTF-8."),
        )
    return BadRequestError(
        _("Request not understood error, cannot perform request."),
        context=_("The multipart body cannot be read: %(error)s") % {"error": str(error)[:200]},
        help=_(
            "Send multipart/form-data with a boundary in the Content-Type header, as an HTTP "
            "client does for a form with a file."
        ),
    )


def _allowed_origin(request: HttpRequest, api: Api) -> str | None:
    if api == "content":
        # The Content API is public data behind a public key: any site may read it.
        return "*"
    origin = request.headers.get("Origin")
    if origin and origin.rstrip("/") == settings.MASTHEAD_SITE_URL:
        return origin
    return None


def _finish(response: HttpResponse, request: HttpRequest, api: Api) -> HttpResponse:
    response["Content-Version"] = CONTENT_VERSION
    patch_vary_headers(response, ["Accept-Version", "Accept-Encoding"])
    origin = _allowed_origin(request, api)
    if origin is not None:
        response["Access-Control-Allow-Origin"] = origin
        if origin != "*":
            patch_vary_headers(response, ["Origin"])
    if not response.has_header("Cache-Control"):
        if api == "content" and request.method in ("GET", "HEAD") and response.status_code < 400:
            patch_cache_control(response, public=True, max_age=0)
        else:
            patch_cache_control(response, private=True, no_cache=True, no_store=True, max_age=0)
    return response


def _preflight(request: HttpRequest, methods: Iterable[str], api: Api) -> HttpResponse:
    response = HttpResponse(status=204)
    response["Access-Control-Allow-Methods"] = ", ".join(sorted({*methods, "OPTIONS"}))
    response["Access-Control-Allow-Headers"] = request.headers.get(
        "Access-Control-Request-Headers", "Accept-Version, Authorization, Content-Type"
    )
    response["Access-Control-Max-Age"] = "86400"
    return response


def api_view(
    api: Api, methods: Iterable[str] = ("GET",), *, refuse_nul: bool = True
) -> Callable[[View], View]:
    """Wrap an endpoint of the ``api`` ("content" or "admin") answering ``methods``.

    GET also answers HEAD. A method the endpoint does not answer gets Ghost's 404
    "Resource not found", as a Ghost server does for an unknown route.
    """
    allowed = {method.upper() for method in methods}
    if "GET" in allowed:
        allowed.add("HEAD")

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            response: HttpResponse
            try:
                if request.method == "OPTIONS":
                    response = _preflight(request, allowed, api)
                elif request.method not in allowed:
                    raise NotFoundError(
                        _("Resource not found"),
                        context=_("%(method)s is not answered at this address.")
                        % {"method": request.method},
                    )
                else:
                    if refuse_nul:
                        _check_text(request, kwargs)
                    response = view(request, *args, **kwargs)
            except GhostError as error:
                response = error_response(error)
            except _UNREADABLE as error:
                response = error_response(unreadable_request_error(error))
            except Exception:
                logger.exception("%s API: %s %s failed", api, request.method, request.path)
                response = error_response(
                    InternalServerError(
                        _("The server has encountered an error."),
                        context=_(
                            "The error was logged; please try again, or tell the site's team."
                        ),
                    )
                )
            return _finish(response, request, api)

        return csrf_exempt(wrapped)

    return decorate


def not_found_view(api: Api) -> View:
    """The answer for any other address under an API root: Ghost's 404 envelope."""

    # Nothing is looked up here, so an address with a NUL in it is just not found.
    @api_view(api, methods=("GET", "POST", "PUT", "PATCH", "DELETE"), refuse_nul=False)
    def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        raise NotFoundError(
            _("Resource not found"),
            context=_("There is no %(api)s API endpoint at %(path)s.")
            % {"api": api.capitalize(), "path": request.path},
        )

    return not_found
