"""HTML and Ghost Lexical, as Ghost's clients send them, turned into masthead body blocks.

Ghost's Admin API accepts ``html`` (with ``?source=html``) from writing apps (iA Writer,
Ulysses), automation (Zapier) and scripts, and ``lexical`` JSON from clients that speak
Ghost's editor format. Both become the raw StreamField data of an article
(``ArticleBodyBlock``) or a page (``PageBodyBlock``): rich text in Wagtail's database format
through Wagtail's own whitelister, headings, pull quotes, images, videos, embeds and the
paywall marker.

Two rules hold throughout. Text is never lost: a tag with no block of its own is unwrapped,
a card masthead has no block for becomes a paragraph with its words and links. And no
remote address is ever fetched: an image becomes an image block only when it is one of the
site's own photos (the address of an original or a rendition); any other image becomes a
link to it, so an editor sees what to upload.

One exception to keeping every word, for safety: Ghost's segment-gated parts
(``<!--kg-gated-block:begin …-->``, or a Lexical card's ``visibility``). masthead's body has
a single cut, the paywall block, and the article's visibility decides who reads past it. So
a part Ghost hides from visitors who are not signed in starts the gated part (a paywall is
put before it) and raises the visibility the article needs (``ImportedBody.visibility``); a
part shown to nobody on the web, or only to visitors who are not signed in (a sign-up call),
is dropped. Gated text is never turned into public text.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from django.conf import settings
from django.utils.html import escape
from django.utils.translation import gettext as _
from wagtail.admin.rich_text.converters.editor_html import EditorHTMLConverter

from masthead.ghost_errors import ValidationError
from masthead.membership.access import Visibility
from masthead.publishing.blocks import PARAGRAPH_FEATURES, parse_video_url
from masthead.publishing.models import Photo, PhotoRendition

Body = Literal["article", "page"]

# Ghost writes this comment where the free preview of a members-only post ends.
PAYWALL_COMMENT = "members-only"
GHOST_URL_PLACEHOLDER = "__GHOST_URL__"
HEADING_MAX_LENGTH = 200

_DROPPED = frozenset(
    {"script", "style", "noscript", "template", "head", "title", "meta", "link", "object"}
)
_INLINE = frozenset(
    {
        "a",
        "abbr",
        "b",
        "bdi",
        "bdo",
        "br",
        "cite",
        "code",
        "data",
        "del",
        "dfn",
        "em",
        "font",
        "i",
        "ins",
        "kbd",
        "mark",
        "q",
        "s",
        "samp",
        "small",
        "span",
        "strike",
        "strong",
        "sub",
        "sup",
        "time",
        "tt",
        "u",
        "var",
        "wbr",
    }
)
_RICH = frozenset({"p", "ul", "ol"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# Elements that hold a picture or a player: a paragraph holding one is split around it.
_MEDIA = frozenset({"img", "iframe", "video", "audio", "figure", "picture"})


@cache
def _converter(body: Body) -> EditorHTMLConverter:
    features = [*PARAGRAPH_FEATURES, "h2", "h3"] if body == "page" else PARAGRAPH_FEATURES
    return EditorHTMLConverter(features=features)


# --- Ghost's gated blocks ------------------------------------------------------------------

# Ghost's segments (kg-default-nodes utils/visibility.js); no other value is honoured by
# Ghost's renderer (services/members/content-gating.js), so none is here.
ALL_MEMBERS_SEGMENT = "status:free,status:-free"
FREE_MEMBERS_SEGMENT = "status:free"
PAID_MEMBERS_SEGMENT = "status:-free"
_SEGMENTS = frozenset({"", ALL_MEMBERS_SEGMENT, FREE_MEMBERS_SEGMENT, PAID_MEMBERS_SEGMENT})
_GATED_BEGIN = re.compile(r"^\s*kg-gated-block:begin(?:\s+(?P<params>.*?))?\s*$", re.DOTALL)
_GATED_END = re.compile(r"^\s*kg-gated-block:end\s*$")
_GATED_PARAM = re.compile(r"\b(?P<key>\w+):[\"']?(?P<value>[^\"'\s]*)[\"']?")
# How far each visibility keeps readers out; TIERS is handled in ``visibility_covers``.
_RANK = {Visibility.PUBLIC: 0, Visibility.MEMBERS: 1, Visibility.PAID: 2}


@dataclass(frozen=True)
class _Segment:
    """What to do with the content of one gated block."""

    drop: bool = False
    # The least article visibility that keeps the content from those Ghost hid it from.
    needs: Visibility = Visibility.PUBLIC


def _segment(params: str) -> _Segment:
    """The treatment of a gated block with ``params`` (``nonMember:false memberSegment:"…"``).

    Parsed as Ghost does: an unknown key or value is ignored, and a missing one counts as
    false or "no members", so a block Ghost cannot read is shown to no one there and is
    dropped here.
    """
    non_member = False
    segment = ""
    for match in _GATED_PARAM.finditer(params):
        key, value = match["key"], match["value"]
        if key == "nonMember" and value in {"true", "false"}:
            non_member = value == "true"
        elif key == "memberSegment" and value in _SEGMENTS:
            segment = value
    if non_member:
        # Visitors who are not signed in read it: it is public text, unless no member
        # does, which makes it a sign-up call that members must not see.
        return _Segment(drop=not segment)
    if not segment:
        return _Segment(drop=True)
    if segment == PAID_MEMBERS_SEGMENT:
        return _Segment(needs=Visibility.PAID)
    # All members, or free members only: masthead cannot hide a part from paid members,
    # so members is the nearest visibility that still keeps it from the public.
    return _Segment(needs=Visibility.MEMBERS)


def _is_marker(node: Any) -> bool:
    return isinstance(node, Comment) and bool(
        _GATED_BEGIN.match(node) or _GATED_END.match(node) or node.strip() == PAYWALL_COMMENT
    )


def _has_marker(node: Tag) -> bool:
    return any(_is_marker(child) for child in node.descendants)


def _stricter(first: Visibility, second: Visibility) -> Visibility:
    return first if _RANK[first] >= _RANK[second] else second


def visibility_covers(visibility: str, needs: str, *, tiers_are_paid: bool = False) -> bool:
    """Whether an article with ``visibility`` keeps out everyone ``needs`` keeps out.

    ``tiers`` keeps out visitors who are not signed in, so it covers ``members``; it covers
    ``paid`` only when none of the chosen tiers is free (``tiers_are_paid``).
    """
    if visibility == Visibility.TIERS:
        return needs != Visibility.PAID or tiers_are_paid
    if visibility not in _RANK or needs not in _RANK:
        return False
    return _RANK[Visibility(visibility)] >= _RANK[Visibility(needs)]


@dataclass(frozen=True)
class ImportedBody:
    """An imported body and the least visibility its article needs for its gated parts.

    ``visibility`` is ``public`` when nothing was gated. When it is higher, a paywall block
    already stands before the first gated part; the caller must give the article at least
    this visibility (``visibility_covers``) or refuse the write.
    """

    blocks: list[dict[str, Any]]
    visibility: Visibility = Visibility.PUBLIC


def _block(kind: str, value: Any) -> dict[str, Any]:
    return {"type": kind, "value": value, "id": str(uuid.uuid4())}


def _text(node: Tag | NavigableString) -> str:
    """The words of ``node`` on one line, spaces collapsed."""
    return " ".join(node.get_text(" ").split())


# --- Our own photos ------------------------------------------------------------------------


def _media_path(url: str) -> str | None:
    """The storage name behind a media address of this site, or None for anyone else's."""
    url = url.strip().replace(GHOST_URL_PLACEHOLDER, settings.MASTHEAD_SITE_URL)
    media_url = settings.MEDIA_URL
    if not urlsplit(media_url).netloc:
        site = urlsplit(settings.MASTHEAD_SITE_URL)
        parts = urlsplit(url)
        if parts.netloc and (parts.scheme, parts.netloc) != (site.scheme, site.netloc):
            return None
        url = parts.path
    if not url.startswith(media_url):
        return None
    name = unquote(url[len(media_url) :].split("?", 1)[0].split("#", 1)[0])
    return name or None


def photo_for_url(url: str) -> Photo | None:
    """The photo at ``url`` (its original or one of its renditions), if it is one of ours.

    Only the database is asked: an address on another site is never fetched.
    """
    name = _media_path(url)
    if name is None:
        return None
    photo = Photo.objects.filter(file=name).first()
    if photo is not None:
        return photo
    rendition = PhotoRendition.objects.filter(file=name).select_related("image").first()
    return rendition.image if rendition is not None else None


# --- Embeds ---------------------------------------------------------------------------------


def is_oembed_url(url: str) -> bool:
    """Whether one of the site's embed finders knows the provider of ``url``.

    ``accept`` only matches the address against the providers' patterns; nothing is fetched
    until the page is rendered.
    """
    from wagtail.embeds.finders import get_finders

    if not url.startswith(("http://", "https://")):
        return False
    return any(finder.accept(url) for finder in get_finders())


# --- HTML -----------------------------------------------------------------------------------


class _Builder:
    """Walks parsed HTML in document order and emits blocks, keeping every word."""

    def __init__(self, body: Body, unclosed: frozenset[int] = frozenset()) -> None:
        self.body = body
        self.blocks: list[dict[str, Any]] = []
        self.rich: list[str] = []
        self.inline: list[str] = []
        # Begin markers (by ``id``) with no end after them: see ``_unclosed_markers``.
        self.unclosed = unclosed
        self.segment: _Segment | None = None
        self.needs = Visibility.PUBLIC
        self.has_paywall = False

    # Flushing: inline runs become a paragraph; consecutive paragraphs and lists share a block.

    def flush_inline(self) -> None:
        markup = "".join(self.inline)
        self.inline = []
        if markup.strip():
            self.rich.append(f"<p>{markup.strip()}</p>")

    def flush(self) -> None:
        self.flush_inline()
        markup = "".join(self.rich)
        self.rich = []
        if not markup:
            return
        converted = _converter(self.body).to_database_format(markup)
        # Empty paragraphs (Ghost writes <p></p> for blank lines) are no content.
        converted = re.sub(r"<p>(?:\s|&nbsp;|<br/?>)*</p>", "", converted).strip()
        if converted and html.unescape(re.sub(r"<[^>]+>", "", converted)).strip():
            self.emit(_block("paragraph", converted))

    def add(self, kind: str, value: Any) -> None:
        self.flush()
        self.emit(_block(kind, value))

    def emit(self, block: dict[str, Any]) -> None:
        """Append ``block``; the first block of a gated part gets the paywall before it."""
        if block["type"] == "paywall":
            self.has_paywall = True
        elif self.segment is not None and self.segment.needs != Visibility.PUBLIC:
            self.needs = _stricter(self.needs, self.segment.needs)
            if self.body == "article" and not self.has_paywall:
                self.blocks.append(_block("paywall", None))
                self.has_paywall = True
        self.blocks.append(block)

    def marker(self, node: Comment) -> None:
        """A paywall or gated-block comment: each one ends the paragraph before it."""
        if node.strip() == PAYWALL_COMMENT:
            if self.body == "article":
                self.add("paywall", None)
            return
        begin = _GATED_BEGIN.match(node)
        if begin and self.segment is not None:
            # As in Ghost, a block ends at the first end marker: a begin inside it is text.
            return
        if begin and id(node) in self.unclosed:
            segment = _segment(begin["params"] or "")
            if segment.drop:
                # Dropping everything after it would lose text Ghost shows.
                return
        self.flush()
        self.segment = _segment(begin["params"] or "") if begin else None

    def add_link(self, url: str, text: str, note: str = "") -> None:
        """A paragraph linking to ``url``: what a picture or card without a block becomes."""
        label = text.strip() or url
        paragraph = f'<p><a href="{escape(url)}">{escape(label)}</a>'
        if note.strip() and note.strip() != label:
            paragraph += f" {escape(note.strip())}"
        self.flush_inline()
        self.rich.append(paragraph + "</p>")

    def add_paragraph_text(self, text: str) -> None:
        if text.strip():
            self.flush_inline()
            self.rich.append(f"<p>{escape(text.strip())}</p>")

    # Walking.

    def walk(self, nodes: Iterable[Any]) -> None:
        for node in list(nodes):
            self.visit(node)

    def visit(self, node: Any) -> None:
        if isinstance(node, Comment):
            if _is_marker(node):
                self.marker(node)
            return
        if isinstance(node, Tag) and _has_marker(node):
            # A marker inside an element splits it: walk the element's children in place.
            self.flush_inline()
            self.walk(node.children)
            self.flush_inline()
            return
        if self.segment is not None and self.segment.drop:
            return
        if isinstance(node, NavigableString):
            if str(node).strip() or self.inline:
                self.inline.append(escape(str(node)))
            return
        if not isinstance(node, Tag):
            return
        name = node.name.lower()
        if name in _DROPPED:
            return
        if name in _INLINE and not _has_block_content(node):
            self.inline.append(str(node) if name != "br" else "<br/>")
            return
        self.flush_inline()
        classes = set(node.get("class") or [])
        if "kg-bookmark-card" in classes:
            self.bookmark(node)
        elif "kg-callout-card" in classes:
            self.callout(node)
        elif "kg-embed-card" in classes:
            self.embed_card(node)
        elif name in _HEADINGS:
            self.heading(node, name)
        elif name == "blockquote":
            self.quote(node)
        elif name in {"figure", "picture"}:
            self.figure(node)
        elif name == "img":
            self.image(node, caption="")
        elif name == "iframe":
            self.iframe(node, caption="")
        elif name in {"video", "audio"}:
            self.media(node)
        elif name == "hr":
            # Bodies have no divider block; the break between blocks stands for it.
            self.flush()
        elif name == "pre":
            self.preformatted(node)
        elif name in _RICH and not node.find(list(_MEDIA)):
            self.rich.append(str(node))
        elif name in {"li", "dt", "dd", "td", "th", "caption", "figcaption"} and not node.find(
            list(_MEDIA)
        ):
            self.rich.append(f"<p>{node.decode_contents()}</p>")
        else:
            # A container (div, section, table, a paragraph holding an image …): its
            # children are walked in place, so their words land in order.
            self.walk(node.children)
            self.flush_inline()
            if name in {"tr", "li", "dt", "dd"}:
                self.flush_inline()

    def heading(self, node: Tag, name: str) -> None:
        text = _text(node)
        if not text:
            return
        if len(text) > HEADING_MAX_LENGTH:
            self.rich.append(f"<p><b>{escape(text)}</b></p>")
            return
        self.add("heading", {"text": text, "level": "h2" if name in {"h1", "h2"} else "h3"})

    def quote(self, node: Tag) -> None:
        attribution = ""
        for cite in node.find_all(["cite", "footer"]):
            attribution = attribution or _text(cite)
            cite.extract()
        if "twitter-tweet" in set(node.get("class") or []) or "instagram-media" in set(
            node.get("class") or []
        ):
            links = [_get(a, "href") for a in node.find_all("a") if _get(a, "href")]
            url = next((link for link in reversed(links) if is_oembed_url(link)), "")
            if url:
                self.add("embed", {"embed": url, "caption": ""})
                return
        quote = "\n".join(
            _text(part) for part in (node.find_all(["p", "li"]) or [node]) if _text(part)
        )
        if quote:
            self.add("pull_quote", {"quote": quote, "attribution": attribution})

    def figure(self, node: Tag) -> None:
        caption_node = node.find("figcaption")
        caption = _text(caption_node) if caption_node else ""
        if caption_node:
            caption_node.extract()
        media = node.find_all(["img", "iframe", "video", "audio"])
        if not media:
            self.walk(node.children)
            self.add_paragraph_text(caption)
            return
        for position, item in enumerate(media):
            # One caption under a gallery: it goes with the last picture.
            own_caption = caption if position == len(media) - 1 else ""
            if item.name == "img":
                self.image(item, caption=own_caption)
            elif item.name == "iframe":
                self.iframe(item, caption=own_caption)
            else:
                self.media(item, caption=own_caption)

    def image(self, node: Tag, *, caption: str) -> None:
        src = _get(node, "src")
        alt = _get(node, "alt")
        if not src:
            self.add_paragraph_text(caption or alt)
            return
        photo = photo_for_url(src)
        if photo is None:
            target = src.replace(GHOST_URL_PLACEHOLDER, settings.MASTHEAD_SITE_URL)
            self.add_link(target, caption or alt, note=alt if caption else "")
            return
        self.add(
            "image",
            {
                "image": photo.pk,
                "caption": caption[:255],
                "credit": "",
                "alt_text": alt[:255],
                "layout": "standard",
            },
        )
        if len(caption) > 255:
            self.add_paragraph_text(caption)

    def iframe(self, node: Tag, *, caption: str) -> None:
        src = _get(node, "src")
        if src.startswith("//"):
            src = "https:" + src
        title = _get(node, "title")
        if parse_video_url(src) is not None:
            self.add(
                "video",
                {
                    "url": _watch_url(src),
                    "title": (title or caption or "Video")[:255],
                    "caption": caption[:255],
                    "poster": None,
                },
            )
        elif is_oembed_url(src):
            self.add("embed", {"embed": src, "caption": caption[:255]})
        elif src.startswith(("http://", "https://")):
            self.add_link(src, title or caption or src, note=caption if title else "")
        else:
            self.add_paragraph_text(caption or title)

    def media(self, node: Tag, caption: str = "") -> None:
        src = _get(node, "src")
        if not src:
            source = node.find("source")
            src = _get(source, "src") if isinstance(source, Tag) else ""
        if src:
            target = src.replace(GHOST_URL_PLACEHOLDER, settings.MASTHEAD_SITE_URL)
            self.add_link(target, caption or target)
        else:
            self.add_paragraph_text(caption)

    def embed_card(self, node: Tag) -> None:
        caption_node = node.find("figcaption")
        caption = _text(caption_node) if caption_node else ""
        iframe = node.find("iframe")
        if isinstance(iframe, Tag):
            self.iframe(iframe, caption=caption)
            return
        links = [_get(a, "href") for a in node.find_all("a") if _get(a, "href")]
        url = next((link for link in reversed(links) if is_oembed_url(link)), "")
        if url:
            self.add("embed", {"embed": url, "caption": caption[:255]})
            return
        if caption_node:
            caption_node.extract()
        self.walk(node.children)
        self.add_paragraph_text(caption)

    def bookmark(self, node: Tag) -> None:
        link = node.find("a", href=True)
        url = str(link.get("href", "")) if isinstance(link, Tag) else ""
        title_node = node.find(class_="kg-bookmark-title")
        description_node = node.find(class_="kg-bookmark-description")
        title = _text(title_node) if title_node else ""
        description = _text(description_node) if description_node else ""
        caption_node = node.find("figcaption")
        caption = _text(caption_node) if caption_node else ""
        if url and is_oembed_url(url):
            self.add("embed", {"embed": url, "caption": (caption or title)[:255]})
            return
        if url:
            self.add_link(url, title or url)
        self.add_paragraph_text(description)
        self.add_paragraph_text(caption)

    def callout(self, node: Tag) -> None:
        text_node = node.find(class_="kg-callout-text") or node
        emoji_node = node.find(class_="kg-callout-emoji")
        emoji = _text(emoji_node) if emoji_node else ""
        inner = text_node.decode_contents().strip()
        if not _text(text_node):
            return
        if emoji:
            inner = f"{escape(emoji)} {inner}"
        if self.body == "article":
            text = EditorHTMLConverter(features=["bold", "italic", "link"]).to_database_format(
                f"<p>{inner}</p>"
            )
            self.add("editors_note", {"text": text})
        else:
            self.rich.append(f"<p>{inner}</p>")

    def preformatted(self, node: Tag) -> None:
        lines = [escape(line) for line in node.get_text().rstrip("\n").split("\n")]
        if any(line.strip() for line in lines):
            self.rich.append("<p>" + "<br/>".join(lines) + "</p>")


def _get(node: Any, name: str) -> str:
    """An attribute of ``node`` as one stripped string (class-like attributes are lists)."""
    value = node.get(name) if isinstance(node, Tag) else None
    if isinstance(value, list):
        value = " ".join(value)
    return str(value or "").strip()


def _has_block_content(node: Tag) -> bool:
    return any(
        isinstance(child, Tag) and child.name.lower() not in _INLINE for child in node.descendants
    )


def _watch_url(src: str) -> str:
    """A player address (``youtube.com/embed/ID``) as the watch address the video block keeps."""
    video = parse_video_url(src)
    if video is None:
        return src
    provider, video_id = video
    if provider == "youtube":
        return f"https://www.youtube.com/watch?v={video_id}"
    return f"https://vimeo.com/{video_id}"


def _unclosed_markers(soup: BeautifulSoup) -> frozenset[int]:
    """The gated-block begin marker no end marker follows, if any.

    Ghost leaves such a marker alone and shows what follows it. Gated content here runs
    to the end of the body instead, which hides more rather than less; a block that would
    be dropped is ignored when it has no end, so it never takes the rest of the body with it.
    """
    open_marker: Comment | None = None
    for comment in soup.descendants:
        if not isinstance(comment, Comment):
            continue
        if _GATED_BEGIN.match(comment) and open_marker is None:
            open_marker = comment
        elif _GATED_END.match(comment):
            open_marker = None
    return frozenset() if open_marker is None else frozenset({id(open_marker)})


def import_html(markup: str, *, body: Body = "article", source: str = "html") -> ImportedBody:
    """``markup`` as body blocks, with the visibility its gated parts need (see ``ImportedBody``).

    A page has no paywall and no visibility, so a page with a gated part is refused with a
    422 naming ``source``, the field the client sent.
    """
    soup = BeautifulSoup(markup or "", "html.parser")
    for dropped in soup.find_all(list(_DROPPED)):
        dropped.decompose()
    builder = _Builder(body, _unclosed_markers(soup))
    builder.walk(soup.children)
    builder.flush()
    if body == "page" and builder.needs != Visibility.PUBLIC:
        raise ValidationError(
            _("Pages cannot hide parts from readers who are not members."),
            context=_("The %(field)s has a part shown to members only (a gated block).")
            % {"field": source},
            help=_(
                "Remove the gated parts, or make them visible to everyone, before sending "
                "the page; or publish the content as a post with a members visibility."
            ),
            property=source,
        )
    return ImportedBody(blocks=builder.blocks, visibility=builder.needs)


def _refuse_if_uncovered(
    imported: ImportedBody, visibility: str, *, source: str
) -> list[dict[str, Any]]:
    if visibility_covers(visibility, imported.visibility):
        return imported.blocks
    raise ValidationError(
        _("The %(field)s has parts Ghost shows to %(audience)s only.")
        % {
            "field": source,
            "audience": _("paid members")
            if imported.visibility == Visibility.PAID
            else _("members"),
        },
        context=_(
            "Publishing them in a post with visibility %(visibility)s would show them to everyone who may read it."
        )
        % {"visibility": visibility},
        help=_(
            'Send visibility "%(needs)s" (or stricter) with the post, or remove the gated parts.'
        )
        % {"needs": imported.visibility},
        property=source,
    )


def html_to_blocks(
    markup: str, *, body: Body = "article", visibility: str = Visibility.PUBLIC
) -> list[dict[str, Any]]:
    """Raw StreamField data for ``markup``: an article's body, or a page's with ``body="page"``.

    Pages have no paywall block: Ghost's members-only marker is dropped from them, and the
    text on both sides is kept. Gated parts that ``visibility`` (the article's) would not
    keep from the readers Ghost hides them from are a 422 (``import_html`` returns the
    visibility needed instead).
    """
    return _refuse_if_uncovered(import_html(markup, body=body), visibility, source="html")


# --- Lexical --------------------------------------------------------------------------------

# Lexical's text format bits (lexical/LexicalConstants.ts), outermost first.
_FORMATS = (
    (1, "strong"),
    (2, "em"),
    (4, "s"),
    (8, "u"),
    (16, "code"),
    (32, "sub"),
    (64, "sup"),
)


class LexicalError(ValueError):
    """The ``lexical`` value is not Ghost's Lexical JSON."""


def lexical_to_html(document: str | dict[str, Any]) -> str:
    """HTML for a Ghost Lexical document, keeping every node's words.

    Nodes masthead has a block for (paragraphs, headings, quotes, lists, images, embeds,
    the paywall) become the HTML ``html_to_blocks`` reads as those blocks; an HTML card
    passes its HTML through; any other node gives its text.
    """
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError as error:
            raise LexicalError(str(error)) from None
    if not isinstance(document, dict) or not isinstance(document.get("root"), dict):
        raise LexicalError('A Lexical document is an object with a "root" node.')
    return "".join(_lexical_nodes(document["root"].get("children") or []))


def _lexical_nodes(nodes: Any) -> Iterator[str]:
    if not isinstance(nodes, list):
        return
    for node in nodes:
        if isinstance(node, dict):
            yield _with_visibility(node, _lexical_node(node))


def _web_visibility(visibility: Any) -> tuple[bool, str] | None:
    """A card's web visibility as (nonMember, memberSegment), None when shown to everyone.

    Follows Ghost's ``migrateOldVisibilityFormat``: the old ``showOnWeb``/``emailOnly``
    flags are on/off for everyone.
    """
    if not isinstance(visibility, dict):
        return None
    web = visibility.get("web")
    if isinstance(web, dict) and "nonMember" in web and web.get("memberSegment") is not None:
        non_member = web.get("nonMember") is True
        segment = str(web.get("memberSegment"))
    elif visibility.get("emailOnly") is not None:
        non_member = visibility.get("emailOnly") is not True
        segment = ALL_MEMBERS_SEGMENT if non_member else ""
    elif visibility.get("showOnWeb") is not None:
        non_member = visibility.get("showOnWeb") is True
        segment = ALL_MEMBERS_SEGMENT if non_member else ""
    else:
        return None
    if non_member and segment == ALL_MEMBERS_SEGMENT:
        return None
    return non_member, segment


def _with_visibility(node: dict[str, Any], markup: str) -> str:
    """``markup`` between Ghost's gated-block markers when the node is not for everyone."""
    web = _web_visibility(node.get("visibility"))
    if web is None:
        return markup
    non_member, segment = web
    segment = segment if segment in _SEGMENTS else ""
    return (
        f"<!--kg-gated-block:begin nonMember:{'true' if non_member else 'false'} "
        f'memberSegment:"{segment}" -->{markup}<!--kg-gated-block:end-->'
    )


def _children(node: dict[str, Any]) -> str:
    return "".join(_lexical_nodes(node.get("children")))


def _attr(value: Any) -> str:
    return escape(str(value or ""))


def _lexical_node(node: dict[str, Any]) -> str:
    kind = str(node.get("type") or "")
    if kind in {"text", "extended-text"}:
        text: str = escape(str(node.get("text") or ""))
        raw_format = node.get("format")
        fmt = raw_format if isinstance(raw_format, int) else 0
        for bit, tag in reversed(_FORMATS):
            if fmt & bit:
                text = f"<{tag}>{text}</{tag}>"
        return text
    if kind == "linebreak":
        return "<br>"
    if kind in {"link", "autolink"}:
        return f'<a href="{_attr(node.get("url"))}">{_children(node)}</a>'
    if kind in {"paragraph", "aside"}:
        return f"<p>{_children(node)}</p>"
    if kind in {"heading", "extended-heading"}:
        tag = str(node.get("tag") or "h2")
        tag = tag if tag in _HEADINGS else "h2"
        return f"<{tag}>{_children(node)}</{tag}>"
    if kind in {"quote", "extended-quote"}:
        return f"<blockquote><p>{_children(node)}</p></blockquote>"
    if kind == "list":
        tag = "ol" if node.get("listType") == "number" else "ul"
        return f"<{tag}>{_children(node)}</{tag}>"
    if kind == "listitem":
        return f"<li>{_children(node)}</li>"
    if kind == "horizontalrule":
        return "<hr>"
    if kind == "paywall":
        return f"<!--{PAYWALL_COMMENT}-->"
    if kind == "image":
        caption = str(node.get("caption") or "")
        figcaption = f"<figcaption>{caption}</figcaption>" if caption else ""
        return (
            f'<figure><img src="{_attr(node.get("src"))}" alt="{_attr(node.get("alt"))}">'
            f"{figcaption}</figure>"
        )
    if kind == "gallery":
        raw_images = node.get("images")
        images: list[Any] = raw_images if isinstance(raw_images, list) else []
        return "".join(
            _lexical_node({**image, "type": "image"}) for image in images if isinstance(image, dict)
        ) + (f"<p>{node['caption']}</p>" if node.get("caption") else "")
    if kind == "html":
        return str(node.get("html") or "")
    if kind == "markdown":
        return "".join(
            f"<p>{escape(part)}</p>" for part in str(node.get("markdown") or "").split("\n\n")
        )
    if kind == "codeblock":
        return f"<pre>{escape(str(node.get('code') or ''))}</pre>"
    if kind == "embed":
        url = str(node.get("url") or "")
        caption = str(node.get("caption") or "")
        figcaption = f"<figcaption>{caption}</figcaption>" if caption else ""
        if parse_video_url(url) is not None:
            return (
                f'<figure class="kg-card kg-embed-card"><iframe src="{_attr(url)}"></iframe>'
                f"{figcaption}</figure>"
            )
        return (
            f'<figure class="kg-card kg-embed-card"><a href="{_attr(url)}">{_attr(url)}</a>'
            f"{figcaption}</figure>"
        )
    if kind == "bookmark":
        raw_metadata = node.get("metadata")
        metadata: dict[str, Any] = raw_metadata if isinstance(raw_metadata, dict) else {}
        return (
            f'<figure class="kg-card kg-bookmark-card"><a href="{_attr(node.get("url"))}">'
            f'<div class="kg-bookmark-title">{_attr(metadata.get("title"))}</div>'
            f'<div class="kg-bookmark-description">{_attr(metadata.get("description"))}</div>'
            f"</a></figure>"
        )
    if kind == "callout":
        return (
            f'<div class="kg-card kg-callout-card"><div class="kg-callout-emoji">'
            f'{_attr(node.get("calloutEmoji"))}</div><div class="kg-callout-text">'
            f"{node.get('calloutText') or ''}</div></div>"
        )
    if node.get("children"):
        return f"<div>{_children(node)}</div>"
    # A card masthead has no block for: whatever words it carries, as paragraphs.
    words = [
        str(value)
        for key, value in node.items()
        if key in {"text", "title", "content", "description", "caption", "header", "subheader"}
        and isinstance(value, str)
        and value.strip()
    ]
    return "".join(f"<p>{value}</p>" for value in words)


def import_lexical(document: str | dict[str, Any], *, body: Body = "article") -> ImportedBody:
    """A Ghost Lexical document as body blocks and the visibility its gated cards need."""
    return import_html(lexical_to_html(document), body=body, source="lexical")


def lexical_to_blocks(
    document: str | dict[str, Any], *, body: Body = "article", visibility: str = Visibility.PUBLIC
) -> list[dict[str, Any]]:
    """Raw StreamField data for a Ghost Lexical document (see ``lexical_to_html``).

    Gated cards are refused as in ``html_to_blocks`` when ``visibility`` does not cover them.
    """
    return _refuse_if_uncovered(import_lexical(document, body=body), visibility, source="lexical")
