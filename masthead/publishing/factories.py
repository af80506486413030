"""Factories for what the newsroom publishes, shared by the tests and the demo."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import factory
import wagtail_factories
from django.utils import timezone
from django.utils.text import slugify

from .models import (
    ArticleAuthor,
    ArticleFormat,
    ArticleNote,
    ArticlePage,
    Author,
    Desk,
    HomePage,
    LivePage,
    Photo,
    StandardPage,
    Tag,
    TeamPage,
)


class PhotoFactory(wagtail_factories.ImageFactory):
    title = factory.Faker("sentence", nb_words=4)
    caption = factory.Faker("sentence", nb_words=12)
    credit = factory.Faker("name")
    description = factory.Faker("sentence", nb_words=8)

    class Meta:
        model = Photo


class TagFactory(factory.django.DjangoModelFactory[Tag]):
    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))

    class Meta:
        model = Tag
        django_get_or_create = ("slug",)

    class Params:
        section = factory.Trait(is_section=True, accent_colour="#B3261E")


class DeskFactory(factory.django.DjangoModelFactory[Desk]):
    name = factory.Sequence(lambda n: f"Desk {n}")

    class Meta:
        model = Desk
        django_get_or_create = ("name",)


class AuthorFactory(factory.django.DjangoModelFactory[Author]):
    name = factory.Faker("name")
    slug = factory.LazyAttributeSequence(lambda o, n: f"{slugify(o.name)}-{n}")
    job_title = "Reporter"
    bio = factory.Faker("paragraph", nb_sentences=2)

    class Meta:
        model = Author

    class Params:
        with_avatar = factory.Trait(avatar=factory.SubFactory(PhotoFactory))


def paragraph_blocks(texts: list[str]) -> list[dict[str, Any]]:
    """Raw StreamField data for paragraphs of plain text."""
    return [{"type": "paragraph", "value": f"<p>{text}</p>"} for text in texts]


def image_block(photo: Photo, *, layout: str = "standard") -> dict[str, Any]:
    """Raw StreamField data for a body photo using the photo's own caption and credit."""
    return {
        "type": "image",
        "value": {"image": photo.pk, "caption": "", "credit": "", "alt_text": "", "layout": layout},
    }


class HomePageFactory(wagtail_factories.PageFactory):
    title = "Home"
    slug = "home"

    class Meta:
        model = HomePage


class ArticlePageFactory(wagtail_factories.PageFactory):
    """A live article; pass ``authors=[...]`` for bylines in order."""

    title = factory.Faker("sentence", nb_words=8)
    slug = factory.LazyAttributeSequence(lambda o, n: f"{slugify(o.title)[:60]}-{n}")
    dek = factory.Faker("sentence", nb_words=18)
    format = ArticleFormat.ARTICLE
    body = factory.LazyFunction(
        lambda: paragraph_blocks([" ".join(["word"] * 60) for _ in range(4)])
    )
    first_published_at = factory.LazyFunction(timezone.now)
    live = True
    # ClusterableModel accepts its parental many-to-many values as constructor
    # arguments and saves them with the page.
    tags = factory.LazyFunction(list)

    class Meta:
        model = ArticlePage
        skip_postgeneration_save = True

    class Params:
        brief = factory.Trait(format=ArticleFormat.BRIEF, dek="")
        with_image = factory.Trait(lead_image=factory.SubFactory(PhotoFactory))

    @factory.post_generation
    def authors(self, create: bool, extracted: list[Author] | None, **kwargs: Any) -> None:
        if create and extracted:
            ArticleAuthor.objects.bulk_create(
                ArticleAuthor(page=self, author=author, sort_order=i)
                for i, author in enumerate(extracted)
            )


class LivePageFactory(ArticlePageFactory):
    """A live coverage page, ongoing; add updates with ``publishing.actions``."""

    title = factory.Faker("sentence", nb_words=6)
    dek = factory.Faker("sentence", nb_words=10)
    format = ArticleFormat.LIVE
    body = factory.LazyFunction(list)
    key_points = factory.LazyFunction(
        lambda: [{"type": "point", "value": "<p>The first thing to know.</p>"}]
    )

    class Meta:
        model = LivePage
        skip_postgeneration_save = True


class ArticleNoteFactory(factory.django.DjangoModelFactory[ArticleNote]):
    page = factory.SubFactory(ArticlePageFactory)
    kind = ArticleNote.Kind.CORRECTION
    noted_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    text = "<p>An earlier version of this article misstated a figure.</p>"

    class Meta:
        model = ArticleNote


class StandardPageFactory(wagtail_factories.PageFactory):
    title = factory.Faker("sentence", nb_words=3)
    intro = factory.Faker("paragraph")
    body = factory.LazyFunction(lambda: paragraph_blocks(["About us."]))

    class Meta:
        model = StandardPage


class TeamPageFactory(wagtail_factories.PageFactory):
    title = "Our team"
    slug = "team"
    intro = "The people who make the news."

    class Meta:
        model = TeamPage
