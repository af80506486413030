"""What the newsroom publishes: articles, authors, tags and sections, and site pages.

URLs follow Ghost's so a newsroom that moves keeps every link: articles and standard
pages are children of the home page (``/<slug>/``); tags and authors are plain models
with their own pages at ``/tag/<slug>/`` and ``/author/<slug>/``.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Exists, OuterRef, Subquery
from django.db.models.functions import Length, Substr
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.functional import cached_property
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
    TabbedInterface,
)
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField, StreamField
from wagtail.images.models import AbstractImage, AbstractRendition
from wagtail.models import Orderable, Page, PageManager
from wagtail.query import PageQuerySet
from wagtail.search import index
from wagtailmedia.edit_handlers import MediaChooserPanel

from masthead.identifiers import ghost_id_field, ghost_uuid_field
from masthead.membership.access import Reader, Visibility, can_read

from .blocks import (
    ArticleBodyBlock,
    KeyPointsBlock,
    LiveUpdateBodyBlock,
    NavigationBlock,
    PageBodyBlock,
)
from .plain_text import paywall_position, split_text
from .reading_time import count_words, display_minutes, reading_time_minutes

if TYPE_CHECKING:
    from .videos import VideoLength

# Slugs the site itself routes; a page with one of these would be unreachable.
RESERVED_SLUGS = frozenset(
    {
        "admin",
        "author",
        "cms",
        "documents",
        "ghost",
        "media",
        "members",
        "news-feed",
        "newsletters",
        "rss",
        "search",
        "sitemap.xml",
        "static",
        "tag",
        "unsubscribe",
        "account",
        "api",
        "email",
        "webhooks",
        "corrections",
        "atom",
        "share",
    }
)

# How long a breaking-news banner stays up when the editor sets no end.
BREAKING_DEFAULT_HOURS = 2

colour_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a hex colour such as #1F6FEB."))


# --- Images -----------------------------------------------------------------------


class Photo(AbstractImage):
    """A photo in the media library, with the caption and credit newsrooms print.

    The credit belongs to the photo (the photographer or agency), so it is stored
    once here; an article can still override caption and credit where it uses it.
    """

    caption = models.CharField(max_length=500, blank=True)
    credit = models.CharField(
        max_length=255,
        blank=True,
        help_text=_("Photographer and agency, e.g. “Ana Rusu / Reuters”."),
    )

    admin_form_fields = (
        "title",
        "file",
        "description",
        "caption",
        "credit",
        "collection",
        "tags",
        "focal_point_x",
        "focal_point_y",
        "focal_point_width",
        "focal_point_height",
    )

    class Meta(AbstractImage.Meta):
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    @property
    def alt_text(self) -> str:
        return self.description or self.title


class PhotoRendition(AbstractRendition):
    image = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="renditions")

    class Meta:
        unique_together = (("image", "filter_spec", "focal_point_key"),)


# --- Tags and sections ------------------------------------------------------------


class TagQuerySet(models.QuerySet["Tag"]):
    def sections(self) -> TagQuerySet:
        return self.filter(is_section=True).order_by("nav_order", "name")

    def public(self) -> TagQuerySet:
        return self.filter(visibility=Tag.Visibility.PUBLIC)


class Tag(index.Indexed, models.Model):
    """A label on articles. Sections are tags shown in the site's navigation."""

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public")
        INTERNAL = "internal", _("Internal (never shown to readers)")

    name = models.CharField(max_length=191)
    slug = models.SlugField(max_length=191, unique=True)
    description = models.TextField(blank=True)
    accent_colour = models.CharField(
        max_length=7,
        blank=True,
        validators=[colour_validator],
        help_text=_("Hex colour, e.g. #B3261E."),
    )
    is_section = models.BooleanField(
        _("section"),
        default=False,
        help_text=_("Sections appear in the navigation and label articles."),
    )
    nav_order = models.PositiveSmallIntegerField(default=100)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    feature_image = models.ForeignKey(
        Photo, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ghost_id = ghost_id_field()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TagQuerySet.as_manager()

    panels: ClassVar[list[Any]] = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("description"),
        FieldRowPanel(
            [FieldPanel("is_section"), FieldPanel("nav_order"), FieldPanel("accent_colour")]
        ),
        FieldPanel("visibility"),
        FieldPanel("feature_image"),
    ]
    search_fields: ClassVar[list[Any]] = [
        index.SearchField("name"),
        index.AutocompleteField("name"),
        index.FilterField("is_section"),
    ]

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("publishing:tag", kwargs={"slug": self.slug})

    def clean(self) -> None:
        if self.name.startswith("#"):
            # Ghost's convention: a tag named "#something" is internal.
            self.visibility = self.Visibility.INTERNAL


# --- Authors and desks ------------------------------------------------------------


class Desk(models.Model):
    """A team in the newsroom, used to group people on the Team page."""

    name = models.CharField(max_length=100, unique=True)
    sort_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("desk")
        verbose_name_plural = _("desks")

    def __str__(self) -> str:
        return self.name


class AuthorQuerySet(models.QuerySet["Author"]):
    def on_team_page(self) -> AuthorQuerySet:
        return (
            self.filter(show_on_team_page=True)
            .select_related("desk", "avatar")
            .order_by("desk__sort_order", "desk__name", "team_order", "name")
        )


class Author(index.Indexed, models.Model):
    """A public byline: a reporter, editor, contributor or newsroom staff member."""

    name = models.CharField(max_length=191)
    slug = models.SlugField(max_length=191, unique=True)
    job_title = models.CharField(
        max_length=191,
        blank=True,
        help_text=_("Shown beside the byline, e.g. “North American news editor”."),
    )
    bio = models.TextField(blank=True)
    avatar = models.ForeignKey(
        Photo, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cover_image = models.ForeignKey(
        Photo, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    location = models.CharField(max_length=191, blank=True)
    website = models.URLField(blank=True)
    x_handle = models.CharField(_("X (Twitter) handle"), max_length=50, blank=True)
    bluesky_handle = models.CharField(max_length=100, blank=True)
    facebook = models.CharField(_("Facebook username"), max_length=100, blank=True)
    instagram = models.CharField(_("Instagram username"), max_length=100, blank=True)
    linkedin = models.URLField(_("LinkedIn profile"), blank=True)
    mastodon = models.URLField(_("Mastodon profile"), blank=True)
    email = models.EmailField(
        blank=True, help_text=_("Private: used for notifications, never shown to readers.")
    )
    user = models.OneToOneField(
        "staff.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="author_profile",
        help_text=_("The staff account that writes under this byline, if any."),
    )
    desk = models.ForeignKey(
        Desk, null=True, blank=True, on_delete=models.SET_NULL, related_name="people"
    )
    show_on_team_page = models.BooleanField(default=True)
    team_order = models.PositiveSmallIntegerField(default=100)
    ghost_id = ghost_id_field()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AuthorQuerySet.as_manager()

    panels: ClassVar[list[Any]] = [
        MultiFieldPanel(
            [
                FieldPanel("name"),
                FieldPanel("slug"),
                FieldPanel("job_title"),
                FieldPanel("bio"),
                FieldPanel("avatar"),
            ],
            heading=_("Byline"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("location"),
                FieldPanel("website"),
                FieldRowPanel([FieldPanel("x_handle"), FieldPanel("bluesky_handle")]),
                FieldRowPanel([FieldPanel("facebook"), FieldPanel("instagram")]),
                FieldRowPanel([FieldPanel("linkedin"), FieldPanel("mastodon")]),
            ],
            heading=_("Links"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("desk"),
                FieldRowPanel([FieldPanel("show_on_team_page"), FieldPanel("team_order")]),
                FieldPanel("user"),
                FieldPanel("email"),
                FieldPanel("cover_image"),
            ],
            heading=_("Newsroom"),
        ),
    ]
    search_fields: ClassVar[list[Any]] = [
        index.SearchField("name"),
        index.AutocompleteField("name"),
        index.SearchField("job_title"),
    ]

    class Meta:
        ordering = ["name"]
        verbose_name = _("author")
        verbose_name_plural = _("authors")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("publishing:author", kwargs={"slug": self.slug})

    @property
    def social_links(self) -> list[tuple[str, str]]:
        """(label, url) pairs for the author card, in a fixed order."""
        links = []
        if self.website:
            links.append(("Website", self.website))
        if self.x_handle:
            links.append(("X", f"https://x.com/{self.x_handle.lstrip('@')}"))
        if self.bluesky_handle:
            links.append(("Bluesky", f"https://bsky.app/profile/{self.bluesky_handle.lstrip('@')}"))
        if self.facebook:
            links.append(("Facebook", f"https://www.facebook.com/{self.facebook}"))
        if self.instagram:
            links.append(("Instagram", f"https://www.instagram.com/{self.instagram}"))
        if self.linkedin:
            links.append(("LinkedIn", self.linkedin))
        if self.mastodon:
            links.append(("Mastodon", self.mastodon))
        return links


# --- Articles ---------------------------------------------------------------------


class ArticleFormat(models.TextChoices):
    ARTICLE = "article", _("News article")
    BRIEF = "brief", _("Brief (News Feed item)")
    ANALYSIS = "analysis", _("Analysis")
    OPINION = "opinion", _("Opinion")
    EXPLAINER = "explainer", _("Explainer")
    INTERVIEW = "interview", _("Interview")
    INVESTIGATION = "investigation", _("Investigation")
    VIDEO = "video", _("Video")
    LIVE = "live", _("Live coverage")


class ArticlePageQuerySet(PageQuerySet):
    def listed(self) -> ArticlePageQuerySet:
        """Articles the site may list anywhere: all but the email-only ones."""
        return self.filter(email_only=False)

    def unrestricted(self) -> ArticlePageQuerySet:
        """Articles no Wagtail privacy setting covers (password, groups, sign-in), on
        themselves or on a page above them.

        Wagtail's own ``public()`` fetches the restrictions first, one query more for each
        listing; this asks the same question inside the listing's query.
        """
        from wagtail.models import PageViewRestriction

        covering = PageViewRestriction.objects.filter(
            page__path=Substr(OuterRef("path"), 1, Length("page__path"))
        )
        return self.filter(~Exists(covering))

    def briefs(self) -> ArticlePageQuerySet:
        return self.filter(format=ArticleFormat.BRIEF)

    def stories(self) -> ArticlePageQuerySet:
        """Everything but briefs: what fills the main columns of the site."""
        return self.exclude(format=ArticleFormat.BRIEF)

    def videos(self) -> ArticlePageQuerySet:
        return self.filter(format=ArticleFormat.VIDEO)

    def live_coverage(self) -> ArticlePageQuerySet:
        return self.filter(format=ArticleFormat.LIVE)

    def breaking_at(self, moment: datetime) -> ArticlePageQuerySet:
        """Stories whose breaking-news banner is up at ``moment``, newest first.

        A banner without an end date stays up for ``BREAKING_DEFAULT_HOURS`` after
        publication, so a forgotten flag never leaves a stale banner across the site.
        """
        default_start = moment - timedelta(hours=BREAKING_DEFAULT_HOURS)
        return self.filter(
            models.Q(breaking_until__gt=moment)
            | models.Q(breaking_until__isnull=True, published_at__gt=default_start),
            is_breaking=True,
            published_at__lte=moment,
        ).order_by("-published_at", "-pk")

    def in_section(self, section: Tag) -> ArticlePageQuerySet:
        return self.filter(section=section)

    def with_tag(self, tag: Tag) -> ArticlePageQuerySet:
        """Articles filed under ``tag`` as their section or as one of their tags."""
        in_section, tagged = tagged_with(tag)
        return self.filter(in_section | tagged)

    def by_author(self, author: Author) -> ArticlePageQuerySet:
        return self.filter(pk__in=ArticleAuthor.objects.filter(author=author).values("page_id"))

    def newest_first(self) -> ArticlePageQuerySet:
        return self.order_by("-published_at", "-pk")

    def for_page(self, *, url_path: str) -> ArticlePage | None:
        """The article at ``url_path`` in its specific class, ready for its page.

        A live page comes through the joined ``livepage`` row, so both kinds cost the
        same one query; ``is_restricted`` answers Wagtail's view-restriction check.
        """
        from wagtail.models import PageViewRestriction

        covering = PageViewRestriction.objects.filter(
            page__path=Substr(OuterRef("path"), 1, Length("page__path"))
        )
        # A live page's poll cursor (its latest sequence, deleted updates included) and
        # its latest visible update's time: read first, as the live page needs them
        # (``coverage.live_page_context``), and empty for other articles.
        updates = LiveUpdate.objects.filter(page_id=OuterRef("pk"))
        row = (
            self.filter(url_path=url_path)
            .select_related("section", "lead_image", "lead_video_file", "livepage")
            .annotate(
                is_restricted=Exists(covering),
                has_notes=Exists(ArticleNote.objects.filter(page_id=OuterRef("pk"))),
                poll_cursor=Subquery(updates.order_by("-sequence").values("sequence")[:1]),
                last_update_at=Subquery(
                    updates.filter(deleted_at__isnull=True)
                    .order_by("-posted_at")
                    .values("posted_at")[:1]
                ),
            )
            .first()
        )
        if row is None:
            return None
        live = getattr(row, "livepage", None) if row.format == ArticleFormat.LIVE else None
        if live is not None:
            live.is_restricted = row.is_restricted
            live.has_notes = row.has_notes
            live.known_progress = (row.poll_cursor or 0, row.last_update_at)
            for name in ("section", "lead_image", "lead_video_file"):
                setattr(live, name, getattr(row, name))
            return live
        return row

    def for_listing(self) -> ArticlePageQuerySet:
        """A card's own row with its section and lead photo (``listings.live_articles``
        adds the bylines and the photo's renditions without a query each)."""
        return self.select_related("section", "lead_image").defer("body")


ArticlePageManager = PageManager.from_queryset(ArticlePageQuerySet)


def article_at(url_path: str) -> ArticlePage | None:
    """``for_page`` with the article's links, shared by every reader until the article or
    anything it joins changes.

    Building that one query costs more than a render's whole template work for the
    body; the row comes back from the shared store as a fresh copy for each request
    (routing and the view annotate it). It depends on the article's own tag, which its
    edits, publish, unpublish, deletion, live updates and notes bump, and on ``site``,
    which any move, privacy setting, section or photo change and any change of a page
    above it bumps; a publish elsewhere leaves it alone. Addresses where no article is
    are not kept: anyone can make those up, and a page published there later needs no
    bump to be found.
    """
    from . import pagecache

    def build() -> ArticlePage | None:
        from .listings import attach_article_links

        article = ArticlePage.objects.for_page(url_path=url_path)
        if article is not None:
            pagecache.depends_on(f"page:{article.pk}")
            # Its bylines, tags and tiers go with it: the byline rows bump the article's
            # tag, authors, tags and tiers bump ``site``.
            attach_article_links(article)
        return article

    return pagecache.memoize(
        f"route:{url_path}", ["site"], build, keep=lambda found: found is not None
    )


class ArticlePage(Page):
    """A story: news article, brief, analysis, opinion, video and other formats.

    The headline is Wagtail's ``title``; the first publication time is Wagtail's
    ``first_published_at`` (editable, for back-dated imports) and "Updated" is shown
    only when an editor sets ``updated_at``, so fixing a typo does not re-date a story.
    """

    dek = models.TextField(
        _("standfirst"),
        blank=True,
        help_text=_("One or two sentences under the headline; used as the excerpt."),
    )
    format = models.CharField(
        max_length=20, choices=ArticleFormat.choices, default=ArticleFormat.ARTICLE
    )
    section = models.ForeignKey(
        Tag,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="section_articles",
        limit_choices_to={"is_section": True},
        help_text=_("The primary section, shown above the headline."),
    )
    tags = ParentalManyToManyField(Tag, blank=True, related_name="articles")
    lead_image = models.ForeignKey(
        Photo, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lead_image_caption = models.CharField(
        max_length=500, blank=True, help_text=_("Leave empty to use the image's caption.")
    )
    lead_image_credit = models.CharField(
        max_length=255, blank=True, help_text=_("Leave empty to use the image's credit.")
    )
    lead_image_alt = models.CharField(
        _("lead image alt text"),
        max_length=500,
        blank=True,
        help_text=_("Leave empty to use the image's description."),
    )
    lead_video_url = models.URLField(
        blank=True, help_text=_("A YouTube or Vimeo address; shown instead of the lead image.")
    )
    lead_video_file = models.ForeignKey(
        "wagtailmedia.Media",
        verbose_name=_("uploaded lead video"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_(
            "A video file from the media library, played by the browser's own player with "
            "the lead image as its poster. Used when no YouTube or Vimeo address is given."
        ),
    )
    video_duration = models.DurationField(
        _("video duration"),
        null=True,
        blank=True,
        help_text=_(
            "For example 4:35 or 1:02:10. Shown on video cards and given to search engines."
        ),
    )
    video_transcript = models.TextField(
        _("video transcript"),
        blank=True,
        help_text=_("What is said in the video; readers can open it under the player."),
    )
    is_breaking = models.BooleanField(
        _("breaking news"),
        default=False,
        help_text=_("Puts a banner across the whole site linking to this story while it is live."),
    )
    breaking_until = models.DateTimeField(
        _("breaking banner until"),
        null=True,
        blank=True,
        help_text=_("Leave empty to take the banner down two hours after publication."),
    )
    body = StreamField(ArticleBodyBlock(), blank=True)
    updated_at = models.DateTimeField(
        _("updated"),
        null=True,
        blank=True,
        help_text=_("Set when the story changed in substance; readers see “Updated …”."),
    )
    is_featured = models.BooleanField(_("featured"), default=False)
    email_only = models.BooleanField(
        _("email only"),
        default=False,
        help_text=_(
            "For newsletter subscribers only: never listed on the site (home page, sections, "
            "tags, authors, News Feed, feeds, sitemaps, search), and its own address answers "
            "“not found”. Recipients read it on the web through their email's “View in "
            "browser” link, with the same access rules as any article."
        ),
    )
    visibility = models.CharField(
        _("who can read this"),
        max_length=10,
        choices=Visibility.choices,
        default=Visibility.PUBLIC,
        help_text=_(
            "Readers without access see the headline, standfirst, lead image and the body "
            "up to the “Free preview ends here” block, then an invitation to join."
        ),
    )
    tiers = ParentalManyToManyField(
        "membership.Tier",
        blank=True,
        related_name="+",
        help_text=_("Used when “Chosen tiers only” is selected."),
    )
    word_count = models.PositiveIntegerField(default=0, editable=False)
    image_count = models.PositiveSmallIntegerField(default=0, editable=False)
    reading_time = models.PositiveSmallIntegerField(default=0, editable=False)
    # A copy of Wagtail's first_published_at on this table, so listings can walk an
    # index of (format or section, time) instead of sorting the whole archive.
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Ghost's social and canonical overrides, under Ghost's names. Empty means "derive it":
    # from the SEO title and description, the standfirst and the lead image.
    canonical_url = models.URLField(
        _("canonical URL"),
        max_length=2000,
        blank=True,
        help_text=_("Only when this story was first published elsewhere: that address."),
    )
    og_title = models.CharField(_("Facebook title"), max_length=300, blank=True)
    og_description = models.CharField(_("Facebook description"), max_length=500, blank=True)
    og_image = models.ForeignKey(
        Photo,
        verbose_name=_("Facebook image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    twitter_title = models.CharField(_("X (Twitter) title"), max_length=300, blank=True)
    twitter_description = models.CharField(_("X (Twitter) description"), max_length=500, blank=True)
    twitter_image = models.ForeignKey(
        Photo,
        verbose_name=_("X (Twitter) image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ghost_id = ghost_id_field()
    uuid = ghost_uuid_field()
    # When the story was first saved, draft or not (Ghost's ``created_at``).
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ArticlePageManager()

    parent_page_types: ClassVar[list[str]] = ["publishing.HomePage"]
    subpage_types: ClassVar[list[str]] = []
    # A copy is a new story: it gets its own id, and raises no breaking-news banner of
    # its own until an editor says so.
    exclude_fields_in_copy: ClassVar[list[str]] = [
        "ghost_id",
        "uuid",
        "created_at",
        "is_breaking",
        "breaking_until",
    ]

    content_panels: ClassVar[list[Any]] = [
        FieldPanel("title", heading=_("Headline")),
        FieldPanel("dek"),
        FieldRowPanel([FieldPanel("format"), FieldPanel("section")]),
        FieldRowPanel(
            [FieldPanel("is_breaking"), FieldPanel("breaking_until")], heading=_("Breaking news")
        ),
        InlinePanel("article_authors", label=_("Authors (first is primary)"), min_num=0),
        MultiFieldPanel(
            [
                FieldPanel("lead_image"),
                FieldPanel("lead_image_caption"),
                FieldPanel("lead_image_credit"),
                FieldPanel("lead_image_alt"),
                FieldPanel("lead_video_url"),
                MediaChooserPanel("lead_video_file", media_type="video"),
                FieldPanel("video_duration"),
                FieldPanel("video_transcript"),
            ],
            heading=_("Lead image or video"),
        ),
        FieldPanel("body"),
        InlinePanel("notes", label=_("Corrections and updates")),
    ]
    promote_panels: ClassVar[list[Any]] = [
        *Page.promote_panels,
        FieldPanel("canonical_url"),
        FieldPanel("tags"),
        FieldPanel("is_featured"),
        FieldPanel("email_only"),
        MultiFieldPanel(
            [
                FieldPanel("og_title"),
                FieldPanel("og_description"),
                FieldPanel("og_image"),
                FieldPanel("twitter_title"),
                FieldPanel("twitter_description"),
                FieldPanel("twitter_image"),
            ],
            heading=_("Social cards"),
            help_text=_(
                "Leave empty to use the headline, the standfirst and the lead image; a story "
                "without a lead image gets a generated card."
            ),
        ),
    ]
    settings_panels: ClassVar[list[Any]] = [
        MultiFieldPanel(
            [FieldPanel("visibility"), FieldPanel("tiers", widget=forms.CheckboxSelectMultiple)],
            heading=_("Access"),
        ),
        *Page.settings_panels,
        FieldRowPanel(
            [FieldPanel("first_published_at"), FieldPanel("updated_at")], heading=_("Dates")
        ),
    ]
    search_fields: ClassVar[list[Any]] = [
        *Page.search_fields,
        index.SearchField("dek"),
        # Only what every reader may read is indexed: a search must not reveal what a
        # gated article says, not even by matching it.
        index.SearchField("public_text"),
        index.FilterField("format"),
        index.FilterField("section"),
        index.FilterField("first_published_at"),
        index.FilterField("published_at"),
        index.FilterField("email_only"),
        index.RelatedFields(
            "article_authors", [index.RelatedFields("author", [index.SearchField("name")])]
        ),
        # Public tags only: an internal tag (#legal-hold) must not find its stories.
        index.SearchField("public_tag_text"),
    ]

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        # Listings page by keyset over (published_at, id), newest first (``paging``): each
        # index ends with the id so a walk needs no sort, on PostgreSQL too.
        indexes = [
            models.Index(fields=["published_at", "page_ptr"], name="article_published_pk"),
            models.Index(
                fields=["format", "published_at", "page_ptr"], name="article_format_published_pk"
            ),
            models.Index(
                fields=["section", "published_at", "page_ptr"], name="article_section_published_pk"
            ),
            models.Index(
                fields=["published_at"],
                condition=models.Q(is_breaking=True),
                name="article_breaking",
            ),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Derived, not business logic: listings show "N min read" without loading
        # every body, so the counts are stored with each saved version.
        if self.live and self.first_published_at is None:  # type: ignore[has-type]  # Wagtail ships no types
            # A page made live from code or an import, not through Wagtail's publish
            # action, still needs a publication time to be listed and paged.
            self.first_published_at = timezone.now()
        self.published_at = self.first_published_at
        self.word_count, self.image_count = self._count_words_and_images()
        self.reading_time = reading_time_minutes(
            word_count=self.word_count, image_count=self.image_count
        )
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"first_published_at", "live", "body"} & set(
            update_fields
        ):
            # Wagtail's copy and publish actions save a few named fields; the copies
            # derived from them must be written with them.
            kwargs["update_fields"] = {
                *update_fields,
                "first_published_at",
                "published_at",
                "word_count",
                "image_count",
                "reading_time",
            }
        super().save(*args, **kwargs)
        # Wagtail's draft saves name their fields and leave the live body in the row; only
        # a save that writes the body, the visibility or the live flag changes what the
        # gated part of the live article says.
        if update_fields is None or {"body", "live", "visibility"} & set(update_fields):
            GatedText.sync(self)

    def clean(self) -> None:
        super().clean()
        check_slug_not_reserved(self.slug)
        if self.format == ArticleFormat.LIVE and not isinstance(self, LivePage):
            raise ValidationError(
                {"format": _("For live coverage, add a “live coverage page” instead.")}
            )
        if self.visibility == Visibility.TIERS and not self.tiers.all():
            raise ValidationError({"tiers": _("Choose at least one tier, or another option.")})
        video_errors: dict[str, Any] = {}
        if self.lead_video_url:
            from .blocks import parse_video_url, unsupported_video_message

            if parse_video_url(self.lead_video_url) is None:
                video_errors["lead_video_url"] = unsupported_video_message(self.lead_video_url)
        media = self.lead_video_file if self.lead_video_file_id else None
        if media is not None and media.type != "video":
            video_errors["lead_video_file"] = _(
                "“%(title)s” is an audio file. Choose a video file, or upload one under Media."
            ) % {"title": media.title}
        if self.video_duration is not None and self.video_duration <= timedelta(0):
            video_errors["video_duration"] = _(
                "Give the video's length in minutes and seconds, e.g. 4:35 (or 1:02:10)."
            )
        if video_errors:
            raise ValidationError(video_errors)

    def _count_words_and_images(self) -> tuple[int, int]:
        # Raw block data, not block values: counting must not load every image and
        # linked page of the body from the database.
        words = 0
        images = 1 if self.lead_image_id else 0
        for block in self.body.raw_data:
            kind, value = block["type"], block["value"]
            if kind == "paragraph":
                words += count_words(value or "")
            elif kind in {"heading", "editors_note"}:
                words += count_words(value.get("text") or "")
            elif kind == "pull_quote":
                words += count_words(value.get("quote") or "") + count_words(
                    value.get("attribution") or ""
                )
            elif kind == "image":
                images += 1
                words += count_words(value.get("caption") or "")
        return words, images

    @property
    def minutes_to_read(self) -> int:
        return display_minutes(self.reading_time)

    @property
    def is_brief(self) -> bool:
        return self.format == ArticleFormat.BRIEF

    def is_breaking_at(self, moment: datetime) -> bool:
        """``ArticlePageQuerySet.breaking_at`` for one loaded row, so a listing can label its
        breaking stories without a query."""
        window = self.breaking_window()
        return window is not None and window[0] <= moment < window[1]

    def breaking_window(self) -> tuple[datetime, datetime] | None:
        """When the banner and the "Breaking" label are up: from publication until
        ``breaking_until``, else for ``BREAKING_DEFAULT_HOURS``."""
        if not self.is_breaking or self.published_at is None:
            return None
        end = self.breaking_until or self.published_at + timedelta(hours=BREAKING_DEFAULT_HOURS)
        return self.published_at, end

    @property
    def is_opinion(self) -> bool:
        return self.format == ArticleFormat.OPINION

    @cached_property
    def ordered_authors(self) -> list[Author]:
        """Authors in byline order.

        Listings (``listings.live_articles``) and the article page set this from the
        shared authors directory without a query; elsewhere it reads the credits.
        """
        return [credit.author for credit in self.article_authors.all()]

    @cached_property
    def public_tag_names(self) -> list[str]:
        """Names of the public tags, for keywords and ``article:tag``; internal ones stay private."""
        return [tag.name for tag in self.tags.all() if tag.visibility == Tag.Visibility.PUBLIC]

    @property
    def public_tag_text(self) -> str:
        return " ".join(self.public_tag_names)

    @property
    def primary_author(self) -> Author | None:
        authors = self.ordered_authors
        return authors[0] if authors else None

    @property
    def is_gated(self) -> bool:
        return self.visibility != Visibility.PUBLIC

    @cached_property
    def tier_ids(self) -> list[int]:
        return [tier.pk for tier in self.tiers.all()] if self.visibility == Visibility.TIERS else []

    def can_be_read_by(self, reader: Reader) -> bool:
        """The access check for this article; every surface that shows its body asks."""
        return can_read(reader, visibility=self.visibility, tier_ids=self.tier_ids)

    @property
    def paywall_index(self) -> int | None:
        """Position of the first “Free preview ends here” block, if the body has one."""
        return paywall_position(self.body.raw_data)

    @property
    def free_preview(self) -> list[Any]:
        """The blocks anyone may read: all of a public article, else those before the paywall.

        A gated article without a paywall block has no preview, as in Ghost.
        """
        if not self.is_gated:
            return list(self.body)
        cut = self.paywall_index
        return [] if cut is None else list(self.body)[:cut]

    @property
    def public_text(self) -> str:
        """Plain text of the free preview: what the article's own search entry holds."""
        return split_text(self.body.raw_data, visibility=self.visibility)[0]

    @property
    def gated_text(self) -> str:
        """Plain text beyond the free preview; indexed apart, as ``GatedText``."""
        return split_text(self.body.raw_data, visibility=self.visibility)[1]

    @property
    def excerpt(self) -> str:
        """The dek, or the opening words of the free preview, as Ghost derives its excerpt."""
        if self.dek:
            return self.dek
        for block in self.free_preview:
            if block.block_type == "paragraph":
                return Truncator(strip_tags(block.value.source)).chars(300)
        return ""

    @property
    def lead_caption(self) -> str:
        return self.lead_image_caption or (self.lead_image.caption if self.lead_image else "")

    @property
    def lead_credit(self) -> str:
        return self.lead_image_credit or (self.lead_image.credit if self.lead_image else "")

    @property
    def lead_alt(self) -> str:
        return self.lead_image_alt or (self.lead_image.alt_text if self.lead_image else "")

    @property
    def lead_video(self) -> tuple[str, str] | None:
        from .blocks import parse_video_url

        return parse_video_url(self.lead_video_url) if self.lead_video_url else None

    @property
    def lead_video_media(self) -> Any:
        """The uploaded lead video to play; a YouTube or Vimeo address takes its place."""
        if self.lead_video is not None or not self.lead_video_file_id:
            return None
        media = self.lead_video_file
        return media if media is not None and media.type == "video" else None

    @property
    def lead_video_length(self) -> VideoLength | None:
        """The editor's duration, else the one recorded with the uploaded file, if any."""
        from .videos import video_length

        if self.video_duration:
            return video_length(self.video_duration)
        media = self.lead_video_media
        return video_length(media.duration) if media is not None else None

    @cached_property
    def published_notes(self) -> list[ArticleNote]:
        """Notes oldest first; cached, as the page and its structured data both read them."""
        if getattr(self, "has_notes", None) is False:
            return []  # ``for_page`` found none: no query
        return sorted(self.notes.all(), key=lambda note: note.noted_at)

    def get_sitemap_urls(self, request: Any = None) -> list[dict[str, Any]]:
        return [] if self.email_only else super().get_sitemap_urls(request)

    def get_view_restrictions(self) -> Any:
        # ``for_page`` already asked whether any restriction covers the page; only a
        # covered page needs Wagtail's own query for the restrictions themselves.
        if getattr(self, "is_restricted", None) is False:
            return []
        return super().get_view_restrictions()

    def serve(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if self.email_only and not getattr(request, "is_preview", False):
            # Its one public view is the "View in browser" page of an email that carried
            # it (newsletters), which calls serve_to_reader() itself.
            raise Http404
        return self.serve_to_reader(request, *args, **kwargs)

    def serve_to_reader(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        """The article page as this request's reader may see it: whole, metered or gated."""
        from masthead.membership.metering import store_meter_cookie

        from .gating import article_access

        access = article_access(request, self)
        response = super().serve(request, *args, access=access, **kwargs)
        if access.meter is not None:
            # The page answered this reader's own meter: no shared cache may keep it. The
            # page cache keeps it per meter state (``pagecache.meter_state``), without the
            # cookie, and decides each reader's meter before answering from it.
            patch_cache_control(response, private=True)
            store_meter_cookie(response, access.meter)
            request._masthead_meter = (self.pk, access.meter)
        return response

    def get_context(self, request: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from .gating import article_access
        from .listings import article_page_context

        access = kwargs.pop("access", None) or article_access(request, self)
        context = super().get_context(request, *args, **kwargs)
        context.update(article_page_context(self, access=access, request=request))
        return context


class GatedText(index.Indexed, models.Model):
    """The words of a live gated article beyond its free preview, indexed on their own.

    The article's own search entry holds only what every reader may read. Keeping the rest
    in a separate entry lets search match it for the readers who may read the article and
    for no one else: search asks ``ArticlePage.can_be_read_by`` before it counts a match
    here (decision 0016).
    """

    article = models.OneToOneField(
        ArticlePage, on_delete=models.CASCADE, primary_key=True, related_name="gated_part"
    )
    text = models.TextField()

    search_fields: ClassVar[list[Any]] = [index.SearchField("text")]

    class Meta:
        verbose_name = _("gated text")

    def __str__(self) -> str:
        return f"gated text of article {self.article_id}"

    @classmethod
    def sync(cls, article: ArticlePage) -> None:
        """Store what ``article`` gates now: its gated text while live, else nothing."""
        text = article.gated_text if article.live else ""
        if text:
            cls.objects.update_or_create(article=article, defaults={"text": text})
        else:
            # One by one (not a bulk delete) so the search index drops the entry too.
            for row in cls.objects.filter(article=article):
                row.delete()


class ArticleAuthor(Orderable):
    """One byline on an article; the first by ``sort_order`` is the primary author."""

    page = ParentalKey(ArticlePage, on_delete=models.CASCADE, related_name="article_authors")
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="credits")

    panels: ClassVar[list[Any]] = [FieldPanel("author")]

    class Meta(Orderable.Meta):
        verbose_name = _("author")
        constraints = [
            models.UniqueConstraint(fields=["page", "author"], name="unique_author_per_article")
        ]

    def __str__(self) -> str:
        return str(self.author)


class ArticleNote(Orderable):
    """A correction, clarification or update appended to a published article."""

    class Kind(models.TextChoices):
        CORRECTION = "correction", _("Correction")
        CLARIFICATION = "clarification", _("Clarification")
        UPDATE = "update", _("Update")

    page = ParentalKey(ArticlePage, on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CORRECTION)
    noted_at = models.DateTimeField(default=timezone.now)
    text = RichTextField(features=["bold", "italic", "link"])

    panels: ClassVar[list[Any]] = [
        FieldRowPanel([FieldPanel("kind"), FieldPanel("noted_at")]),
        FieldPanel("text"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("correction or update")
        verbose_name_plural = _("corrections and updates")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.noted_at:%Y-%m-%d})"


# --- Live coverage ---------------------------------------------------------------


class CoverageStatus(models.TextChoices):
    LIVE = "live", _("Live")
    ENDED = "ended", _("Ended")


# The updates a live page's structured data lists (and the first batch it shows), and how
# many of the latest ones its search entry holds.
LIVE_LATEST_UPDATES = 20
LIVE_INDEXED_UPDATES = 200


class LivePage(ArticlePage):
    """Live coverage: a summary, key points and a stream of short, timestamped updates.

    A live page is an article of the format "live" (multi-table inheritance), so home, tag
    and author pages, feeds, sitemaps, search and the Content API list it like any story.
    Its updates are rows of their own (``LiveUpdate``), posted from the admin's live desk
    without republishing the page. Live coverage is free to read (decision 0017): the
    access settings of articles do not apply to it, Wagtail's privacy settings do.
    """

    key_points = StreamField(KeyPointsBlock(), blank=True)
    coverage_status = models.CharField(
        _("status"), max_length=10, choices=CoverageStatus.choices, default=CoverageStatus.LIVE
    )
    coverage_started_at = models.DateTimeField(
        _("coverage started"),
        null=True,
        blank=True,
        help_text=_("Leave empty to use the time the page was first published."),
    )
    coverage_ended_at = models.DateTimeField(
        _("coverage ended"),
        null=True,
        blank=True,
        help_text=_("Filled in when the status is set to “Ended”, unless you give a time."),
    )

    parent_page_types: ClassVar[list[str]] = ["publishing.HomePage"]
    subpage_types: ClassVar[list[str]] = []
    search_fields: ClassVar[list[Any]] = [
        *ArticlePage.search_fields,
        # A reader looking for what was said in the coverage finds the page: its key
        # points and the words of its latest updates, re-indexed as updates change.
        index.SearchField("key_points_text"),
        index.SearchField("updates_text"),
    ]

    content_panels: ClassVar[list[Any]] = [
        FieldPanel("title", heading=_("Headline")),
        FieldPanel("dek", heading=_("Summary")),
        FieldPanel("key_points"),
        FieldRowPanel(
            [FieldPanel("coverage_status"), FieldPanel("section")], heading=_("Coverage")
        ),
        FieldRowPanel(
            [FieldPanel("is_breaking"), FieldPanel("breaking_until")], heading=_("Breaking news")
        ),
        InlinePanel("article_authors", label=_("Authors (first is primary)"), min_num=0),
        MultiFieldPanel(
            [
                FieldPanel("lead_image"),
                FieldPanel("lead_image_caption"),
                FieldPanel("lead_image_credit"),
                FieldPanel("lead_image_alt"),
            ],
            heading=_("Lead image"),
        ),
        FieldPanel("body", heading=_("Background"), help_text=_("Shown below the updates.")),
        InlinePanel("notes", label=_("Corrections and updates")),
    ]
    settings_panels: ClassVar[list[Any]] = [
        *Page.settings_panels,
        FieldRowPanel(
            [FieldPanel("first_published_at"), FieldPanel("updated_at")], heading=_("Dates")
        ),
        FieldRowPanel(
            [FieldPanel("coverage_started_at"), FieldPanel("coverage_ended_at")],
            heading=_("Coverage times"),
        ),
    ]

    class Meta:
        verbose_name = _("live coverage page")
        verbose_name_plural = _("live coverage pages")

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.format = ArticleFormat.LIVE
        self.visibility = Visibility.PUBLIC
        if self.coverage_status == CoverageStatus.ENDED and self.coverage_ended_at is None:
            self.coverage_ended_at = timezone.now()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "format", "visibility"}
        super().save(*args, **kwargs)

    @property
    def is_ongoing(self) -> bool:
        return self.coverage_status == CoverageStatus.LIVE

    @property
    def coverage_start(self) -> datetime | None:
        return self.coverage_started_at or self.first_published_at

    @cached_property
    def latest_updates(self) -> list[LiveUpdate]:
        """The newest visible updates, ready to show; one query shared by what reads them
        (the structured data, and the top of the stream)."""
        updates = LiveUpdate.objects.filter(page_id=self.pk).visible()
        return list(updates.for_display().newest_first()[:LIVE_LATEST_UPDATES])

    @property
    def key_points_text(self) -> str:
        from .plain_text import html_to_text

        return "\n".join(
            html_to_text(str(block.get("value") or "")) for block in self.key_points.raw_data
        )

    @property
    def updates_text(self) -> str:
        """Headlines and words of the latest visible updates, for the page's search entry.

        Bounded, so a page that has run for days is indexed in one short query; the
        oldest updates stop matching before the newest do.
        """
        rows = (
            LiveUpdate.objects.filter(page_id=self.pk)
            .visible()
            .newest_first()
            .only("headline", "body")[:LIVE_INDEXED_UPDATES]
        )
        return "\n".join(
            part for update in rows for part in (update.headline, update.summary_text) if part
        )

    def serve(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if request.GET.get("partial") == "1" and not self.email_only:
            # "Show older updates" loads the next batch in place: the stream's items alone.
            from django.template.response import TemplateResponse

            from .coverage import stream_batch_context

            return TemplateResponse(
                request, "components/live_update_batch.html", stream_batch_context(self, request)
            )
        return super().serve(request, *args, **kwargs)

    def get_context(self, request: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from .coverage import live_page_context

        # First, so the structured data reuses the top of the stream (``latest_updates``).
        coverage = live_page_context(self, request)
        context = super().get_context(request, *args, **kwargs)
        context.update(coverage)
        return context


class LiveUpdateQuerySet(models.QuerySet["LiveUpdate"]):
    def visible(self) -> LiveUpdateQuerySet:
        """Updates readers see: all but deleted ones (kept so pollers learn of them)."""
        return self.filter(deleted_at__isnull=True)

    def newest_first(self) -> LiveUpdateQuerySet:
        return self.order_by("-posted_at", "-pk")

    def for_display(self) -> LiveUpdateQuerySet:
        return self.select_related("author__avatar", "promoted_to")


class LiveUpdate(models.Model):
    """One post on a live page: a time, an optional headline, body blocks and an author.

    Written only through ``publishing.actions``. Every change (posting, editing, pinning,
    deleting) gives the row the page's next ``sequence`` number, so a reader's page asks
    "what changed after number N?" and misses nothing, whatever the clocks say. A deleted
    update stays as a tombstone (``deleted_at``) so open pages learn to remove it.
    """

    page = models.ForeignKey(LivePage, on_delete=models.CASCADE, related_name="updates")
    posted_at = models.DateTimeField(
        _("time"),
        default=timezone.now,
        help_text=_("Shown on the update; change it only to correct the time."),
    )
    headline = models.CharField(max_length=255, blank=True)
    body = StreamField(LiveUpdateBodyBlock(), blank=True)
    author = models.ForeignKey(
        Author, null=True, blank=True, on_delete=models.SET_NULL, related_name="live_updates"
    )
    is_pinned = models.BooleanField(
        _("pinned"), default=False, help_text=_("Kept at the top of the page.")
    )
    is_key_event = models.BooleanField(
        _("key event"), default=False, help_text=_("Listed among the key events of the coverage.")
    )
    promoted_to = models.ForeignKey(
        ArticlePage,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The full article this update became."),
    )
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_sequence = models.PositiveBigIntegerField(default=0, editable=False)
    sequence = models.PositiveBigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    changed_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = LiveUpdateQuerySet.as_manager()

    class Meta:
        verbose_name = _("live update")
        verbose_name_plural = _("live updates")
        indexes = [models.Index(fields=["page", "posted_at"], name="live_update_posted")]
        constraints = [
            models.UniqueConstraint(fields=["page", "sequence"], name="live_update_sequence")
        ]

    def __str__(self) -> str:
        return self.headline or Truncator(strip_tags(self.summary_text)).words(12)

    @property
    def anchor(self) -> str:
        return f"update-{self.pk}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def summary_text(self) -> str:
        """The update's words, for titles, previews and structured data."""
        from .plain_text import blocks_text

        return blocks_text(self.body.raw_data)

    def permalink(self, page_url: str | None = None) -> str:
        """The address that opens the live page at this update (``?update=`` then the anchor)."""
        base = page_url if page_url is not None else (self.page.url or "")
        return f"{base}?update={self.pk}#{self.anchor}"


# --- Video ---------------------------------------------------------------------


class VideoIndexPage(Page):
    """The Video section: every video story, newest first, with "Show More"."""

    intro = models.TextField(blank=True)

    parent_page_types: ClassVar[list[str]] = ["publishing.HomePage"]
    subpage_types: ClassVar[list[str]] = []
    max_count_per_parent = 1
    content_panels: ClassVar[list[Any]] = [*Page.content_panels, FieldPanel("intro")]

    class Meta:
        verbose_name = _("video section page")

    def clean(self) -> None:
        super().clean()
        check_slug_not_reserved(self.slug)

    def get_context(self, request: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from .videos import video_section_context

        context = super().get_context(request, *args, **kwargs)
        context.update(video_section_context(self, request))
        return context

    def serve(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if request.GET.get("partial") == "1":
            # "Show More" asks for the next cards alone, as the tag and author pages answer.
            from django.template.response import TemplateResponse

            from .videos import VIDEO_BATCH_TEMPLATE

            context = self.get_context(request, *args, **kwargs)
            return TemplateResponse(request, VIDEO_BATCH_TEMPLATE, context)
        return super().serve(request, *args, **kwargs)


def tagged_with(tag: Tag) -> list[models.Q]:
    """The two ways an article is filed under a tag: as its section, or as a tag."""
    tagged = ArticlePage.tags.through.objects.filter(tag=tag).values("articlepage_id")
    return [models.Q(section=tag), models.Q(pk__in=tagged)]


def check_slug_not_reserved(slug: str) -> None:
    if slug in RESERVED_SLUGS:
        raise ValidationError(
            {
                "slug": _("“%(slug)s” is used by the site itself; choose another slug.")
                % {"slug": slug}
            }
        )


# --- Site pages -------------------------------------------------------------------


class HomePage(Page):
    """The front page: top stories, latest by section, the News Feed and video."""

    intro = models.CharField(
        max_length=255, blank=True, help_text=_("Optional line under the masthead.")
    )
    stories_per_section = models.PositiveSmallIntegerField(default=4)
    news_feed_size = models.PositiveSmallIntegerField(default=12)

    parent_page_types: ClassVar[list[str]] = ["wagtailcore.Page"]
    subpage_types: ClassVar[list[str]] = [
        "publishing.ArticlePage",
        "publishing.LivePage",
        "publishing.VideoIndexPage",
        "publishing.StandardPage",
        "publishing.TeamPage",
    ]

    content_panels: ClassVar[list[Any]] = [
        *Page.content_panels,
        FieldPanel("intro"),
        InlinePanel("top_stories", label=_("Top stories (in order)"), max_num=7),
        FieldRowPanel(
            [FieldPanel("stories_per_section"), FieldPanel("news_feed_size")], heading=_("Layout")
        ),
    ]

    class Meta:
        verbose_name = _("home page")

    def route(self, request: Any, path_components: list[str]) -> Any:
        """Route ``/<slug>/`` to an article in one query, else as Wagtail does.

        Wagtail looks the child up, then loads it again as its specific class, then asks
        for its view restrictions: three queries per article on every cache miss. Here one
        query loads the article (a live page through its joined row), what its page shows
        beside it, and whether any privacy setting covers it.
        """
        if len(path_components) == 1:
            article = article_at(f"{self.url_path}{path_components[0]}/")
            if article is not None:
                article._cached_parent_obj = self
                return article.route(request, [])
        return super().route(request, path_components)

    def get_view_restrictions(self) -> Any:
        # The site's chrome (``chrome._build``) reads them with the home page it keeps.
        known = self.__dict__.get("known_view_restrictions")
        return known if known is not None else super().get_view_restrictions()

    def get_context(self, request: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from .listings import home_page_context

        context = super().get_context(request, *args, **kwargs)
        context.update(home_page_context(self, request))
        return context


class HomeTopStory(Orderable):
    page = ParentalKey(HomePage, on_delete=models.CASCADE, related_name="top_stories")
    article = models.ForeignKey(ArticlePage, on_delete=models.CASCADE, related_name="+")

    panels: ClassVar[list[Any]] = [FieldPanel("article")]

    class Meta(Orderable.Meta):
        verbose_name = _("top story")


class StandardPage(Page):
    """A page such as About, Contact or the corrections policy."""

    intro = models.TextField(blank=True)
    body = StreamField(PageBodyBlock(), blank=True)
    # The Ghost APIs list these pages as Ghost "pages", under ids that never change.
    ghost_id = ghost_id_field()
    uuid = ghost_uuid_field()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    parent_page_types: ClassVar[list[str]] = ["publishing.HomePage", "publishing.StandardPage"]
    subpage_types: ClassVar[list[str]] = ["publishing.StandardPage"]
    exclude_fields_in_copy: ClassVar[list[str]] = ["ghost_id", "uuid", "created_at"]
    content_panels: ClassVar[list[Any]] = [
        *Page.content_panels,
        FieldPanel("intro"),
        FieldPanel("body"),
    ]
    search_fields: ClassVar[list[Any]] = [
        *Page.search_fields,
        index.SearchField("intro"),
        index.SearchField("body"),
    ]

    class Meta:
        verbose_name = _("standard page")

    def clean(self) -> None:
        super().clean()
        check_slug_not_reserved(self.slug)


class TeamPage(Page):
    """The newsroom's masthead: everyone on the team, grouped by desk."""

    intro = models.TextField(blank=True)

    parent_page_types: ClassVar[list[str]] = ["publishing.HomePage"]
    subpage_types: ClassVar[list[str]] = []
    content_panels: ClassVar[list[Any]] = [*Page.content_panels, FieldPanel("intro")]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("team page")

    def clean(self) -> None:
        super().clean()
        check_slug_not_reserved(self.slug)

    def get_context(self, request: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from .listings import team_page_context

        context = super().get_context(request, *args, **kwargs)
        context.update(team_page_context())
        return context


# --- Site settings ----------------------------------------------------------------


def _timezone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


@register_setting(icon="site")
class SiteSettings(ClusterableModel, BaseSiteSetting):
    """The publication's identity, navigation and footer, edited in the admin."""

    publication_name = models.CharField(max_length=100, default="masthead")
    tagline = models.CharField(max_length=200, blank=True)
    logo = models.ForeignKey(
        Photo, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    timezone = models.CharField(
        max_length=64,
        choices=_timezone_choices,
        default="UTC",
        help_text=_("Times on the site are shown in this timezone."),
    )
    accent_colour = models.CharField(max_length=7, default="#B3261E", validators=[colour_validator])
    navigation = StreamField(
        NavigationBlock(),
        blank=True,
        help_text=_("Leave empty to list the sections in their navigation order."),
    )
    footer_text = RichTextField(blank=True, features=["bold", "italic", "link"])
    footer_links = StreamField(NavigationBlock(), blank=True)
    copyright_holder = models.CharField(max_length=200, blank=True)
    x_url = models.URLField(_("X (Twitter)"), blank=True)
    facebook_url = models.URLField(_("Facebook"), blank=True)
    instagram_url = models.URLField(_("Instagram"), blank=True)
    youtube_url = models.URLField(_("YouTube"), blank=True)
    telegram_url = models.URLField(_("Telegram"), blank=True)
    bluesky_url = models.URLField(_("Bluesky"), blank=True)
    tiktok_url = models.URLField(_("TikTok"), blank=True)
    linkedin_url = models.URLField(_("LinkedIn"), blank=True)
    corrections_policy_page = models.ForeignKey(
        "wagtailcore.Page",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("How the newsroom corrects its mistakes; search engines are told of it."),
    )
    ethics_policy_page = models.ForeignKey(
        "wagtailcore.Page",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The newsroom's editorial standards and ethics."),
    )
    share_image = models.ForeignKey(
        Photo,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Shown when the home, a tag or an author page is shared."),
    )

    edit_handler = TabbedInterface(
        [
            ObjectList(
                [
                    FieldPanel("publication_name"),
                    FieldPanel("tagline"),
                    FieldPanel("logo"),
                    FieldRowPanel([FieldPanel("timezone"), FieldPanel("accent_colour")]),
                ],
                heading=_("Publication"),
            ),
            ObjectList([FieldPanel("navigation")], heading=_("Navigation")),
            ObjectList(
                [
                    FieldPanel("footer_text"),
                    FieldPanel("footer_links"),
                    FieldPanel("copyright_holder"),
                ],
                heading=_("Footer"),
            ),
            ObjectList(
                [
                    FieldPanel("x_url"),
                    FieldPanel("facebook_url"),
                    FieldPanel("instagram_url"),
                    FieldPanel("youtube_url"),
                    FieldPanel("telegram_url"),
                    FieldPanel("bluesky_url"),
                    FieldPanel("tiktok_url"),
                    FieldPanel("linkedin_url"),
                ],
                heading=_("Social"),
            ),
            ObjectList(
                [
                    FieldPanel("corrections_policy_page"),
                    FieldPanel("ethics_policy_page"),
                    FieldPanel("share_image"),
                ],
                heading=_("Standards and sharing"),
            ),
        ]
    )

    class Meta:
        verbose_name = _("site settings")

    @property
    def social_links(self) -> list[tuple[str, str]]:
        pairs = [
            ("X", self.x_url),
            ("Facebook", self.facebook_url),
            ("Instagram", self.instagram_url),
            ("YouTube", self.youtube_url),
            ("Telegram", self.telegram_url),
            ("Bluesky", self.bluesky_url),
            ("TikTok", self.tiktok_url),
            ("LinkedIn", self.linkedin_url),
        ]
        return [(label, url) for label, url in pairs if url]
