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
"""

from __future__ import annotations

import html
import json
import re
import uuid
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from django.conf import settings
from django.utils.html import escape
from wagtail.admin.rich_text.converters.editor_html import EditorHTMLConverter

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

    def __init__(self, body: Body) -> None:
        self.body = body
        self.blocks: list[dict[str, Any]] = []
        self.rich: list[str] = []
        self.inline: list[str] = []

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
            self.blocks.append(_block("paragraph", converted))

    def add(self, kind: str, value: Any) -> None:
        self.flush()
        self.blocks.append(_block(kind, value))

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
            if node.strip() == PAYWALL_COMMENT and self.body == "article":
                self.add("paywall", None)
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


def html_to_blocks(markup: str, *, body: Body = "article") -> list[dict[str, Any]]:
    """Raw StreamField data for ``markup``: an article's body, or a page's with ``body="page"``.

    Pages have no paywall block: Ghost's members-only marker is dropped from them, and the
    text on both sides is kept.
    """
    soup = BeautifulSoup(markup or "", "html.parser")
    for dropped in soup.find_all(list(_DROPPED)):
        dropped.decompose()
    builder = _Builder(body)
    builder.walk(soup.children)
    builder.flush()
    return builder.blocks


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
            yield _lexical_node(node)


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


def lexical_to_blocks(
    document: str | dict[str, Any], *, body: Body = "article"
) -> list[dict[str, Any]]:
    """Raw StreamField data for a Ghost Lexical document (see ``lexical_to_html``)."""
    return html_to_blocks(lexical_to_html(document), body=body)
