"""Plain text of an article body, read from its raw block data.

Search indexing and excerpts need the words of a body, not its rendering: reading the raw
JSON never loads images, embeds or linked pages from the database, and is a pure function
a data migration can call too.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.utils.html import strip_tags

from masthead.membership.access import Visibility

# Characters XML 1.0 cannot carry at all, even escaped: Word's soft line break (\x0b) and
# other control characters pasted with a headline would otherwise break feeds and sitemaps.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment, with its entities decoded."""
    return html.unescape(strip_tags(markup)).strip()


def xml_safe(text: str) -> str:
    """``text`` without the characters an XML document may not contain."""
    return _NOT_XML.sub("", text)


def blocks_text(blocks: Iterable[dict[str, Any]]) -> str:
    """The words of paragraphs, headings, editors' notes and quotes, one block per line."""
    parts = []
    for block in blocks:
        kind, value = block.get("type"), block.get("value")
        if kind == "paragraph":
            text = value or ""
        elif kind in {"heading", "editors_note"} and isinstance(value, dict):
            text = value.get("text") or ""
        elif kind == "pull_quote" and isinstance(value, dict):
            text = value.get("quote") or ""
        else:
            continue
        text = html_to_text(str(text))
        if text:
            parts.append(text)
    return "\n".join(parts)


def paywall_position(blocks: Sequence[dict[str, Any]]) -> int | None:
    """Index of the first "Free preview ends here" block, if any."""
    for position, block in enumerate(blocks):
        if block.get("type") == "paywall":
            return position
    return None


def split_text(blocks: Sequence[dict[str, Any]], *, visibility: str) -> tuple[str, str]:
    """(free preview, gated rest) as plain text, cut where the article page cuts it.

    A public article is all preview. A gated one without a paywall block has no preview,
    as in Ghost.
    """
    blocks = list(blocks)
    if visibility == Visibility.PUBLIC:
        return blocks_text(blocks), ""
    cut = paywall_position(blocks)
    if cut is None:
        return "", blocks_text(blocks)
    return blocks_text(blocks[:cut]), blocks_text(blocks[cut + 1 :])
