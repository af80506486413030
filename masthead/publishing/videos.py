"""Video stories: how long a video lasts, the Video section's listing, and uploaded files.

YouTube and Vimeo videos are parsed in ``blocks.parse_video_url`` and shown as a facade;
uploaded videos (wagtailmedia) are played by the browser itself, and a browser can only
seek in a file whose server answers ``Range`` requests, which Django's own ``serve``
view does not. ``serve_media`` does, for wagtailmedia's folders only.
"""

from __future__ import annotations

import mimetypes
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseNotModified,
    StreamingHttpResponse,
)
from django.utils._os import safe_join
from django.utils.http import content_disposition_header, http_date
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe
from django.views.static import was_modified_since

from .listings import listing_batch, live_articles, site_for

if TYPE_CHECKING:
    from .models import VideoIndexPage

VIDEO_BATCH_SIZE = 12
VIDEO_BATCH_TEMPLATE = "components/video_batch.html"
# wagtailmedia's upload folders (``upload_to`` of its file and thumbnail fields).
MEDIA_FOLDERS = frozenset({"media", "media_thumbnails"})
# Wagtail's image folders: originals and renditions.
IMAGE_FOLDERS = frozenset({"original_images", "images"})

# Files a browser may show in the page. Anything else in the media folders is sent as a
# download, so an uploaded file can never run as a page of the site (HTML, SVG).
INLINE_TYPES = re.compile(r"^(video/[\w.+-]+|audio/[\w.+-]+|image/(gif|jpeg|png|webp|avif|heic))$")
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_CHUNK = 64 * 1024
# Larger than any file: what a byte position of more than 19 digits amounts to.
_BEYOND_ANY_FILE = 10**19


@dataclass(frozen=True)
class VideoLength:
    """A video's running time, in the three forms pages and search engines want."""

    seconds: int

    @property
    def _parts(self) -> tuple[int, int, int]:
        minutes, seconds = divmod(self.seconds, 60)
        hours, minutes = divmod(minutes, 60)
        return hours, minutes, seconds

    @property
    def clock(self) -> str:
        """``4:35`` or ``1:02:10``, as video players print it."""
        hours, minutes, seconds = self._parts
        if hours:
            return f"{hours}:{minutes:02d}:{seconds:02d}"
        return f"{minutes}:{seconds:02d}"

    @property
    def spoken(self) -> str:
        """``4 minutes 35 seconds``: what a screen reader should say instead of ``4:35``."""
        hours, minutes, seconds = self._parts
        words = []
        if hours:
            words.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
        if minutes:
            words.append(ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes})
        if seconds:
            words.append(ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds})
        return " ".join(words)

    @property
    def iso(self) -> str:
        """ISO 8601 (``PT4M35S``), for schema.org and the ``datetime`` of ``<time>``."""
        hours, minutes, seconds = self._parts
        text = "PT"
        if hours:
            text += f"{hours}H"
        if minutes:
            text += f"{minutes}M"
        if seconds:
            text += f"{seconds}S"
        return text


def video_length(duration: timedelta | float | None) -> VideoLength | None:
    """The length of a video from a duration or a number of seconds; ``None`` if unknown.

    wagtailmedia stores 0 when nobody filled the duration in, so zero means unknown.
    """
    if duration is None:
        return None
    seconds = duration.total_seconds() if isinstance(duration, timedelta) else float(duration)
    rounded = round(seconds)
    return VideoLength(rounded) if rounded > 0 else None


# --- The Video section -------------------------------------------------------------


def video_section_context(page: VideoIndexPage, request: HttpRequest) -> dict[str, Any]:
    """One "Show More" batch of video stories, newest first, ready for cards."""
    articles = live_articles(site_for(request)).videos()
    return {
        "batch": listing_batch(articles, request, size=VIDEO_BATCH_SIZE),
        "more_url": page.get_url(request),
    }


# --- Serving uploaded video ------------------------------------------------------------


class _Unsatisfiable(Exception):
    """The Range asked for lies wholly past the end of the file: answered with a 416."""


def _requested_range(request: HttpRequest, size: int, last_modified: str) -> tuple[int, int] | None:
    """The one byte range asked for, as (first, last) inclusive, or ``None`` for the whole.

    As RFC 9110 allows, a malformed header or several ranges get the whole file, and so
    does an ``If-Range`` that no longer matches the file. A range that starts past the
    end cannot be served (416).
    """
    header = request.META.get("HTTP_RANGE", "").strip()
    if not header:
        return None
    if_range = request.META.get("HTTP_IF_RANGE")
    if if_range is not None and if_range.strip() != last_modified:
        return None
    match = _RANGE.match(header.replace(" ", ""))
    if not match or match[1] == match[2] == "":
        return None
    if match[1] == "":
        suffix = _position(match[2])
        if suffix == 0 or size == 0:
            raise _Unsatisfiable
        return max(size - suffix, 0), size - 1
    first = _position(match[1])
    if match[2] and _position(match[2]) < first:
        return None
    if first >= size:
        raise _Unsatisfiable
    last = _position(match[2]) if match[2] else size - 1
    return first, min(last, size - 1)


def _position(digits: str) -> int:
    """A byte position of a Range header; one too long for int() is past any file anyway."""
    return int(digits) if len(digits) <= 19 else _BEYOND_ANY_FILE


def _read(path: Path, first: int, length: int) -> Iterator[bytes]:
    with path.open("rb") as file:
        file.seek(first)
        while length > 0:
            chunk = file.read(min(_CHUNK, length))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk


@require_safe
def serve_media(
    request: HttpRequest, path: str, folders: frozenset[str] = MEDIA_FOLDERS
) -> HttpResponseBase:
    """An uploaded file of one of ``folders``, whole or the byte range a player asks for."""
    clean = posixpath.normpath(path).lstrip("/")
    if clean.split("/")[0] not in folders:
        # "images/../documents/…" must not reach files outside the folders served, such
        # as documents, which only Wagtail's view may hand out, after its privacy check.
        raise Http404
    try:
        full = Path(safe_join(settings.MEDIA_ROOT, clean))
    except SuspiciousFileOperation as error:
        raise Http404 from error
    if not full.is_file():
        raise Http404
    stat = full.stat()
    if not was_modified_since(request.META.get("HTTP_IF_MODIFIED_SINCE"), int(stat.st_mtime)):
        return HttpResponseNotModified()
    content_type = mimetypes.guess_type(full.name)[0] or "application/octet-stream"
    inline = bool(INLINE_TYPES.match(content_type))
    if not inline:
        content_type = "application/octet-stream"
    last_modified = http_date(stat.st_mtime)
    size = stat.st_size

    response: HttpResponseBase
    try:
        wanted = _requested_range(request, size, last_modified)
    except _Unsatisfiable:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
    else:
        if wanted is None:
            response = FileResponse(full.open("rb"), content_type=content_type)
        else:
            first, last = wanted
            response = StreamingHttpResponse(
                _read(full, first, last - first + 1), status=206, content_type=content_type
            )
            response["Content-Length"] = str(last - first + 1)
            response["Content-Range"] = f"bytes {first}-{last}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["Last-Modified"] = last_modified
    response["X-Content-Type-Options"] = "nosniff"
    if not inline:
        response["Content-Disposition"] = content_disposition_header(True, full.name)
    return response
