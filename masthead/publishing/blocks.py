"""StreamField blocks for article and page bodies. Each block names its template."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.embeds import embeds
from wagtail.embeds.blocks import EmbedBlock
from wagtail.embeds.exceptions import EmbedException
from wagtail.images.blocks import ImageChooserBlock
from wagtail.snippets.blocks import SnippetChooserBlock

from masthead.cachetags import depends_on, valid_until

from .richtext_cache import CachedRichTextBlock, page_link_tags

PARAGRAPH_FEATURES = [
    "bold",
    "italic",
    "link",
    "document-link",
    "ol",
    "ul",
    "superscript",
    "subscript",
    "strikethrough",
]


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(max_length=200)
    level = blocks.ChoiceBlock(
        choices=[("h2", _("Section heading")), ("h3", _("Subheading"))], default="h2"
    )

    class Meta:
        icon = "title"
        template = "blocks/heading.html"


class ImageBlock(blocks.StructBlock):
    """A photo in the body. Caption, credit and alt text default to the image's own."""

    image = ImageChooserBlock()
    caption = blocks.CharBlock(
        required=False, help_text=_("Leave empty to use the image's caption.")
    )
    credit = blocks.CharBlock(required=False, help_text=_("Leave empty to use the image's credit."))
    alt_text = blocks.CharBlock(
        required=False,
        help_text=_(
            "Describe the image for people who cannot see it. Leave empty to use the image's description."
        ),
    )
    layout = blocks.ChoiceBlock(
        choices=[("standard", _("Standard")), ("wide", _("Wide")), ("full", _("Full width"))],
        default="standard",
    )

    class Meta:
        icon = "image"
        template = "blocks/image.html"


class PullQuoteBlock(blocks.StructBlock):
    quote = blocks.TextBlock()
    attribution = blocks.CharBlock(required=False)

    class Meta:
        icon = "openquote"
        template = "blocks/pull_quote.html"


# A provider that could not be reached is asked again after this long: a story or a live
# update kept as HTML shows only the link to the original until then.
EMBED_RETRY_SECONDS = 300


def embed_html(url: str) -> str:
    """``{% embed url %}``'s HTML, and how long HTML that shows it may be kept.

    The story and live updates are kept as HTML until they change (``card_tags``), not
    until the next publish: a provider that failed once would stay empty there, and a
    provider's own HTML past its cache age (signed thumbnail addresses) would stay stale.
    So what shows an embed is kept until the embed's ``cache_until`` at most, and a few
    minutes when the provider failed.
    """
    try:
        embed = embeds.get_embed(url)
    except EmbedException:
        valid_until(time.time() + EMBED_RETRY_SECONDS)
        return ""
    valid_until(embed.cache_until)
    return render_to_string("wagtailembeds/embed_frontend.html", {"embed": embed})


class CaptionedEmbedBlock(blocks.StructBlock):
    """A third-party embed (social post, map, chart) with an optional caption."""

    embed = EmbedBlock(help_text=_("The address of the post, map or chart to embed."))
    caption = blocks.CharBlock(required=False)

    class Meta:
        icon = "media"
        template = "blocks/embed.html"

    def get_context(
        self, value: Any, parent_context: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        context = super().get_context(value, parent_context)
        chosen = value.get("embed")
        context["embed_html"] = embed_html(chosen.url) if chosen else ""
        return context


class ReadAlsoBlock(blocks.StructBlock):
    article = blocks.PageChooserBlock(page_type="publishing.ArticlePage")
    label = blocks.CharBlock(default="Read also", max_length=40)

    class Meta:
        icon = "link"
        template = "blocks/read_also.html"

    def get_context(
        self, value: Any, parent_context: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        # The link shows the other story's headline and address, and only while it is
        # live: whatever keeps this block's HTML must go when that story changes.
        article = value.get("article")
        if article is not None:
            depends_on(*page_link_tags([article.pk]))
        return super().get_context(value, parent_context)


# Named in every refusal, so an editor learns which addresses work without a guide.
SUPPORTED_VIDEO_PROVIDERS = _(
    "YouTube (youtube.com/watch?v=…, youtu.be/…, youtube.com/shorts/…) or Vimeo (vimeo.com/…)"
)


def unsupported_video_message(url: str) -> str:
    """Why ``url`` was refused, and which addresses would be accepted."""
    return str(
        _("“%(url)s” is not a YouTube or Vimeo video. Use an address from %(providers)s.")
        % {"url": url.strip(), "providers": SUPPORTED_VIDEO_PROVIDERS}
    )


_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_VIMEO_ID = re.compile(r"^\d{5,12}$")


def parse_video_url(url: str) -> tuple[str, str] | None:
    """Return ``(provider, video_id)`` for a YouTube or Vimeo address, else ``None``.

    Parsing locally, instead of asking the provider's oEmbed endpoint, lets the page
    render a light facade without any third-party request until the reader clicks.
    """
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.").removeprefix("m.")
    path = parts.path.strip("/")
    candidate = ""
    provider = ""
    if host in {"youtube.com", "youtube-nocookie.com"}:
        provider = "youtube"
        if path == "watch":
            candidate = parse_qs(parts.query).get("v", [""])[0]
        elif path.split("/")[0] in {"embed", "shorts", "live", "v"} and "/" in path:
            candidate = path.split("/")[1]
    elif host == "youtu.be":
        provider, candidate = "youtube", path.split("/")[0]
    elif host in {"vimeo.com", "player.vimeo.com"}:
        provider = "vimeo"
        candidate = path.split("/")[-1]
    if provider == "youtube" and _YOUTUBE_ID.match(candidate):
        return provider, candidate
    if provider == "vimeo" and _VIMEO_ID.match(candidate):
        return provider, candidate
    return None


class VideoBlock(blocks.StructBlock):
    """A YouTube or Vimeo video, shown as a facade that loads the player on click."""

    url = blocks.URLBlock(help_text=_("A YouTube or Vimeo address."))
    title = blocks.CharBlock(help_text=_("Names the video for screen readers and the play button."))
    caption = blocks.CharBlock(required=False)
    poster = ImageChooserBlock(required=False, help_text=_("Shown before the video plays."))

    class Meta:
        icon = "media"
        template = "blocks/video.html"

    def clean(self, value: blocks.StructValue) -> blocks.StructValue:
        value = super().clean(value)
        if parse_video_url(value["url"]) is None:
            raise StructBlockValidationError(
                block_errors={"url": ValidationError(unsupported_video_message(value["url"]))}
            )
        return value

    def get_context(
        self, value: Any, parent_context: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        context = super().get_context(value, parent_context)
        context["video"] = parse_video_url(value["url"])
        return context


class EditorsNoteBlock(blocks.StructBlock):
    text = CachedRichTextBlock(features=["bold", "italic", "link"])

    class Meta:
        icon = "warning"
        template = "blocks/editors_note.html"
        label = _("Editor's note")


class PaywallBlock(blocks.StaticBlock):
    """Marks where the free preview of a gated article ends; renders nothing itself."""

    class Meta:
        icon = "lock"
        label = _("Free preview ends here")
        admin_text = _(
            "Readers without access see the blocks above this one, then an invitation to join."
        )
        template = "blocks/paywall.html"


class MembershipDriveBlock(blocks.StructBlock):
    """The membership drive's progress bar and buttons, inside a page or article."""

    campaign = SnippetChooserBlock(
        "membership.Campaign",
        required=False,
        help_text=_("Leave empty to show whichever drive is running."),
    )

    class Meta:
        icon = "group"
        label = _("Membership drive")
        template = "blocks/membership_drive.html"


class CommunityCounterBlock(blocks.StaticBlock):
    """“25,000 people chose to be part of our community”, counted from the members table."""

    class Meta:
        icon = "group"
        label = _("Community counter")
        admin_text = _("Shows the number of members, worded as in Membership settings.")
        template = "blocks/community_counter.html"


class ArticleBodyBlock(blocks.StreamBlock):
    paragraph = CachedRichTextBlock(features=PARAGRAPH_FEATURES, template="blocks/paragraph.html")
    heading = HeadingBlock()
    image = ImageBlock()
    pull_quote = PullQuoteBlock()
    embed = CaptionedEmbedBlock()
    read_also = ReadAlsoBlock()
    video = VideoBlock()
    editors_note = EditorsNoteBlock()
    paywall = PaywallBlock()
    membership_drive = MembershipDriveBlock()


class LiveUpdateBodyBlock(blocks.StreamBlock):
    """What one update of a live page may hold.

    The block names are the article body's, so an update promoted to a full article keeps
    its blocks as they are.
    """

    paragraph = CachedRichTextBlock(
        features=["bold", "italic", "link", "ol", "ul"], template="blocks/paragraph.html"
    )
    image = ImageBlock()
    embed = CaptionedEmbedBlock()
    pull_quote = PullQuoteBlock(label=_("Quote"))
    video = VideoBlock()


class KeyPointsBlock(blocks.StreamBlock):
    """The key points at the top of a live page: one short sentence each."""

    point = CachedRichTextBlock(features=["bold", "italic", "link"], label=_("Key point"))


class PageBodyBlock(blocks.StreamBlock):
    """Blocks for standard pages (About, Contact, policies)."""

    paragraph = CachedRichTextBlock(
        features=[*PARAGRAPH_FEATURES, "h2", "h3"], template="blocks/paragraph.html"
    )
    heading = HeadingBlock()
    image = ImageBlock()
    pull_quote = PullQuoteBlock()
    embed = CaptionedEmbedBlock()
    video = VideoBlock()
    membership_drive = MembershipDriveBlock()
    community_counter = CommunityCounterBlock()


class NavigationLinkBlock(blocks.StructBlock):
    label = blocks.CharBlock(max_length=60)
    page = blocks.PageChooserBlock(required=False)
    url = blocks.URLBlock(required=False, help_text=_("Used when no page is chosen."))

    class Meta:
        icon = "link"

    def clean(self, value: blocks.StructValue) -> blocks.StructValue:
        value = super().clean(value)
        if not value.get("page") and not value.get("url"):
            raise StructBlockValidationError(
                block_errors={"url": ValidationError(_("Choose a page or enter an address."))}
            )
        return value


class NavigationBlock(blocks.StreamBlock):
    section = SnippetChooserBlock(
        "publishing.Tag", icon="tag", help_text=_("A section's tag page.")
    )
    link = NavigationLinkBlock()
