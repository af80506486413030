"""Ghost filters on real rows: each operator, the relations, nulls, dates and limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from masthead.contentapi import nql
from masthead.contentapi.filters import (
    allowed_fields,
    filter_queryset,
    order_queryset,
    order_terms,
    slug_order,
)
from masthead.contentapi.models import Integration
from masthead.contentapi.serializers import Context, post_queryset, serialize_posts
from masthead.ghost_errors import BadRequestError
from masthead.membership.access import STAFF
from masthead.membership.factories import LabelFactory, MemberFactory
from masthead.membership.models import Member, Tier
from masthead.newsletters.models import Newsletter, NewsletterSubscription
from masthead.publishing.factories import (
    ArticlePageFactory,
    AuthorFactory,
    LivePageFactory,
    PhotoFactory,
    StandardPageFactory,
    TagFactory,
)
from masthead.publishing.models import ArticlePage, Author, StandardPage, Tag

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def titles(nql: str, *, api: str = "content") -> set[str]:
    queryset = filter_queryset(ArticlePage.objects.all(), "posts", nql, now=NOW, api=api)
    return set(queryset.values_list("title", flat=True))


@pytest.fixture
def newsroom(home, section):  # type: ignore[no-untyped-def]
    """Four posts with different tags, authors, dates and flags."""
    news = TagFactory(name="News", slug="news")
    investigations = TagFactory(name="Investigations", slug="investigations")
    mira = AuthorFactory(name="Mira Valen", slug="mira")
    olek = AuthorFactory(name="Olek Dunn", slug="olek")
    ArticlePageFactory(
        parent=home,
        title="War dispatch",
        section=section,
        tags=[news],
        authors=[mira, olek],
        is_featured=True,
        first_published_at=NOW - timedelta(hours=2),
        dek="From the front",
        lead_image=PhotoFactory(),
    )
    ArticlePageFactory(
        parent=home,
        title="Budget investigation",
        tags=[investigations, news],
        authors=[olek],
        visibility="paid",
        first_published_at=NOW - timedelta(days=3),
        dek="",
    )
    ArticlePageFactory(
        parent=home,
        title="Quiet weekend",
        authors=[mira],
        first_published_at=NOW - timedelta(days=40),
        dek="Nothing happened",
    )
    LivePageFactory(
        parent=home,
        title="Live: election night",
        tags=[investigations],
        first_published_at=NOW - timedelta(minutes=10),
        dek="",
    )
    # Saving computes reading time from the body; these numbers make the comparisons clear.
    ArticlePage.objects.update(reading_time=2)
    ArticlePage.objects.filter(title="Quiet weekend").update(reading_time=7)


ALL = {"War dispatch", "Budget investigation", "Quiet weekend", "Live: election night"}


# --- Plain fields -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nql", "expected"),
    [
        ("featured:true", {"War dispatch"}),
        ("featured:false", ALL - {"War dispatch"}),
        ("featured:-true", ALL - {"War dispatch"}),
        ("visibility:paid", {"Budget investigation"}),
        ("visibility:-public", {"Budget investigation"}),
        ("visibility:[paid,members]", {"Budget investigation"}),
        ("visibility:-[paid,members]", ALL - {"Budget investigation"}),
        ("title:'War dispatch'", {"War dispatch"}),
        ("title:~'invest'", {"Budget investigation"}),
        ("title:~'WAR'", {"War dispatch"}),
        ("title:~^'quiet'", {"Quiet weekend"}),
        ("title:~$'night'", {"Live: election night"}),
        ("title:-~'e'", {"War dispatch"}),
        ("title:-~^'war'", ALL - {"War dispatch"}),
        ("title:-~$'night'", ALL - {"Live: election night"}),
        ("reading_time:>5", {"Quiet weekend"}),
        ("reading_time:>=7", {"Quiet weekend"}),
        ("reading_time:<7", ALL - {"Quiet weekend"}),
        ("reading_time:<=7", ALL),
        ("status:published", ALL),
        ("status:draft", set()),
    ],
)
def test_plain_fields(newsroom, nql: str, expected: set[str]) -> None:  # type: ignore[no-untyped-def]
    assert titles(nql) == expected


def test_null_checks_treat_empty_text_as_null(newsroom) -> None:  # type: ignore[no-untyped-def]
    assert titles("custom_excerpt:null") == {"Budget investigation", "Live: election night"}
    assert titles("custom_excerpt:-null") == {"War dispatch", "Quiet weekend"}
    # SQL's != leaves nulls out, as Ghost's filter does.
    assert titles("custom_excerpt:-'From the front'") == {"Quiet weekend"}
    assert titles("feature_image:null") == ALL - {"War dispatch"}
    assert titles("feature_image:-null") == {"War dispatch"}
    assert titles("canonical_url:null") == ALL
    assert titles("codeinjection_head:null") == ALL
    assert titles("codeinjection_head:-null") == set()


def test_dates_absolute_and_relative(newsroom) -> None:  # type: ignore[no-untyped-def]
    assert titles("published_at:>now-1d") == {"War dispatch", "Live: election night"}
    assert titles("published_at:<=now-1d") == {"Budget investigation", "Quiet weekend"}
    assert titles("published_at:<now-1M") == {"Quiet weekend"}
    assert titles("published_at:>now-1w+published_at:<now-1h") == {
        "War dispatch",
        "Budget investigation",
    }
    assert titles("published_at:>'2026-03-15'") == {"War dispatch", "Live: election night"}
    assert titles("published_at:>'2026-03-15 11:00:00'") == {"Live: election night"}
    assert titles("published_at:>'2026-03-15T13:00:00+02:00'") == {"Live: election night"}
    assert titles("published_at:>2026-03-15T11:00:00Z") == {"Live: election night"}


def test_a_date_is_compared_as_the_millisecond_the_apis_print(newsroom) -> None:  # type: ignore[no-untyped-def]
    # Stored with microseconds, printed to the millisecond: a client asking for what is
    # newer than the post it last saw must not get that post again.
    ArticlePage.objects.filter(title="War dispatch").update(
        published_at=datetime(2026, 3, 15, 9, 30, 12, 345678, tzinfo=UTC)
    )
    printed = "'2026-03-15T09:30:12.345+00:00'"
    assert titles(f"published_at:{printed}") == {"War dispatch"}
    assert titles(f"published_at:[{printed}]") == {"War dispatch"}
    assert titles(f"published_at:>{printed}") == {"Live: election night"}
    assert titles(f"published_at:>={printed}") == {"War dispatch", "Live: election night"}
    assert "War dispatch" in titles(f"published_at:<={printed}")
    assert "War dispatch" not in titles(f"published_at:<{printed}")
    assert "War dispatch" not in titles(f"published_at:-{printed}")
    assert titles("published_at:>'9999-12-31T23:59:59.999999Z'") == set()
    assert titles("published_at:<='9999-12-31T23:59:59.999999Z'") == ALL


def test_relative_dates_use_the_clock_when_no_moment_is_given(newsroom) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        queryset = filter_queryset(ArticlePage.objects.all(), "posts", "published_at:>now-2d")
        assert {page.title for page in queryset} == {"War dispatch", "Live: election night"}


def test_updated_at_is_ghosts_coalesced_date(newsroom) -> None:  # type: ignore[no-untyped-def]
    assert titles("updated_at:>'2000-01-01'") == ALL
    assert titles("updated_at:null") == set()


# --- Relations ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nql", "expected"),
    [
        ("tag:news", {"War dispatch", "Budget investigation"}),
        ("tag:war", {"War dispatch"}),
        ("tags:[war,investigations]", ALL - {"Quiet weekend"}),
        ("tags.slug:investigations", {"Budget investigation", "Live: election night"}),
        ("tags.name:~'invest'", {"Budget investigation", "Live: election night"}),
        ("tag:-news", {"Quiet weekend", "Live: election night"}),
        ("tag:-[news,investigations]", {"Quiet weekend"}),
        ("tag:null", {"Quiet weekend"}),
        ("tag:-null", ALL - {"Quiet weekend"}),
        ("primary_tag:war", {"War dispatch"}),
        # Without a section, the first tag by name leads: investigations, not news.
        ("primary_tag:news", set()),
        ("primary_tag:investigations", {"Budget investigation", "Live: election night"}),
        ("primary_tag:-war", ALL - {"War dispatch"}),
        ("primary_tag:null", {"Quiet weekend"}),
        ("author:mira", {"War dispatch", "Quiet weekend"}),
        ("authors.slug:[olek]", {"War dispatch", "Budget investigation"}),
        ("authors.name:'Olek Dunn'", {"War dispatch", "Budget investigation"}),
        ("author:-mira", {"Budget investigation", "Live: election night"}),
        ("primary_author:olek", {"Budget investigation"}),
        ("primary_author:mira", {"War dispatch", "Quiet weekend"}),
        ("authors:null", {"Live: election night"}),
    ],
)
def test_relations(newsroom, nql: str, expected: set[str]) -> None:  # type: ignore[no-untyped-def]
    assert titles(nql) == expected


def test_primary_tag_matches_the_primary_tag_the_api_shows(newsroom, home, section) -> None:  # type: ignore[no-untyped-def]
    hidden = TagFactory(name="Aardvark desk", slug="hash-desk", visibility="internal")
    internal_section = TagFactory(
        name="Archive", slug="archive", visibility="internal", section=True
    )
    ArticlePageFactory(
        parent=home, title="Hidden first", tags=[hidden, Tag.objects.get(slug="news")]
    )
    ArticlePageFactory(
        parent=home, title="Internal section", section=internal_section, tags=[section]
    )
    ArticlePageFactory(parent=home, title="Only hidden", tags=[hidden])
    ctx = Context(
        api="content",
        reader=STAFF,
        include=frozenset({"tags"}),
        formats=frozenset(),
        fields=None,
        request=None,
    )
    shown = {
        post["title"]: (post["primary_tag"] or {}).get("slug")
        for post in serialize_posts(list(post_queryset("content")), ctx)
    }
    assert shown["Hidden first"] == "news"
    assert shown["Internal section"] == "war"
    assert shown["Only hidden"] is None
    for title, slug in shown.items():
        if slug is None:
            assert title in titles("primary_tag:null")
        else:
            assert {title} <= titles(f"primary_tag:{slug}")
            assert title not in titles(f"primary_tag:-{slug}")
            for other in set(shown.values()) - {slug, None}:
                assert title not in titles(f"primary_tag:{other}")


def test_relations_never_duplicate_rows(newsroom) -> None:  # type: ignore[no-untyped-def]
    queryset = filter_queryset(ArticlePage.objects.all(), "posts", "tags:[war,news,investigations]")
    assert queryset.count() == 3


def test_ids_match_ghost_ids(newsroom) -> None:  # type: ignore[no-untyped-def]
    tag = Tag.objects.get(slug="news")
    page = ArticlePage.objects.get(title="Quiet weekend")
    assert titles(f"tags.id:{tag.ghost_id}") == {"War dispatch", "Budget investigation"}
    assert titles(f"id:{page.ghost_id}") == {"Quiet weekend"}
    assert titles(f"uuid:'{page.uuid}'") == {"Quiet weekend"}


# --- And, or, groups -------------------------------------------------------------------


def test_and_binds_tighter_than_or(newsroom) -> None:  # type: ignore[no-untyped-def]
    assert titles("tag:war,tag:news+visibility:paid") == {"War dispatch", "Budget investigation"}
    assert titles("(tag:war,tag:news)+featured:false") == {"Budget investigation"}
    assert titles("featured:true+(author:olek,author:mira)") == {"War dispatch"}


def test_restricted_fields_are_dropped(newsroom) -> None:  # type: ignore[no-untyped-def]
    assert titles("html:~'x'") == ALL
    assert titles("plaintext:foo+featured:true") == {"War dispatch"}
    assert titles("mobiledoc:x,featured:true") == {"War dispatch"}
    assert titles("email_only:true") == ALL
    assert titles("email_only:true", api="admin") == set()


def test_admin_status_separates_drafts(newsroom, home) -> None:  # type: ignore[no-untyped-def]
    ArticlePageFactory(parent=home, title="Draft", live=False, first_published_at=None)
    assert titles("status:draft", api="admin") == {"Draft"}
    assert titles("status:published", api="admin") == ALL
    assert titles("status:-published", api="admin") == {"Draft"}
    assert titles("status:[draft,scheduled]", api="admin") == {"Draft"}


# --- Bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nql", "words"),
    [
        ("tag:", "char 5"),
        ("(tag:news", "char 10"),
        ("nope:1", "nope"),
        ("featured:maybe", "featured"),
        ("published_at:>'last tuesday'", "published_at"),
        ("published_at:>now-99999999999y", "published_at"),
        ("reading_time:>99999999999999999999999", "reading_time"),
        ("reading_time:~5", "reading_time"),
        ("title:'a\x00b'", "title"),
        ("uuid:not-a-uuid", "uuid"),
        ("x:" + "y" * 5000, "4000"),
    ],
)
def test_bad_filters_are_400s(newsroom, nql: str, words: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BadRequestError) as caught:
        list(filter_queryset(ArticlePage.objects.all(), "posts", nql, now=NOW))
    error = caught.value
    assert error.status == 400
    assert error.context == "Error parsing filter"
    assert words in f"{error.message} {error.help}"


def test_unknown_field_lists_the_allowed_ones(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BadRequestError) as caught:
        filter_queryset(Tag.objects.all(), "tags", "colour:red")
    assert "'colour'" in caught.value.message
    assert "accent_color" in (caught.value.help or "")


def test_empty_filter_changes_nothing(db) -> None:  # type: ignore[no-untyped-def]
    queryset = Tag.objects.all()
    assert filter_queryset(queryset, "tags", None) is queryset
    assert filter_queryset(queryset, "tags", "  ") is queryset


# --- Other resources ------------------------------------------------------------------


def test_pages(home) -> None:  # type: ignore[no-untyped-def]
    StandardPageFactory(parent=home, title="About", slug="about", intro="Who we are")
    StandardPageFactory(parent=home, title="Contact", slug="contact", intro="")

    def pages(nql: str) -> set[str]:
        queryset = filter_queryset(StandardPage.objects.all(), "pages", nql, now=NOW)
        return set(queryset.values_list("slug", flat=True))

    assert pages("slug:about") == {"about"}
    assert pages("custom_excerpt:null") == {"contact"}
    assert pages("featured:false") == {"about", "contact"}
    assert pages("featured:true") == set()
    assert pages("tag:news") == set()
    assert pages("tag:-news") == {"about", "contact"}
    assert pages("feature_image:null") == {"about", "contact"}
    assert pages("visibility:public+title:~'cont'") == {"contact"}


def test_authors_and_tags(db) -> None:  # type: ignore[no-untyped-def]
    AuthorFactory(name="Ann", slug="ann", location="Kyiv", email="ann@example.org")
    AuthorFactory(name="Bo", slug="bo", location="")
    TagFactory(name="#internal", slug="hash-internal", visibility="internal")
    TagFactory(name="Culture", slug="culture", accent_colour="#123456")

    def slugs(model, resource: str, nql: str, api: str = "content") -> set[str]:  # type: ignore[no-untyped-def]
        queryset = filter_queryset(model.objects.all(), resource, nql, api=api)
        return set(queryset.values_list("slug", flat=True))

    assert slugs(Author, "authors", "location:Kyiv") == {"ann"}
    assert slugs(Author, "authors", "location:null") == {"bo"}
    # Email is hidden from the Content API, so the condition is dropped.
    assert slugs(Author, "authors", "email:'ann@example.org'") == {"ann", "bo"}
    assert slugs(Author, "authors", "email:'ann@example.org'", "admin") == {"ann"}
    assert slugs(Tag, "tags", "visibility:internal") == {"hash-internal"}
    assert slugs(Tag, "tags", "accent_color:'#123456'") == {"culture"}


def test_tiers(free_tier, supporter, patron) -> None:  # type: ignore[no-untyped-def]
    patron.is_public = False
    patron.save()

    def tiers(nql: str) -> set[str]:
        return set(filter_queryset(Tier.objects.all(), "tiers", nql).values_list("slug", flat=True))

    assert tiers("type:paid") == {"supporter", "patron"}
    assert tiers("monthly_price:>=1000") == {"patron"}
    assert tiers("monthly_price:null") == {free_tier.slug}
    assert tiers("visibility:public") == {free_tier.slug, "supporter"}
    assert tiers("visibility:none") == {"patron"}
    assert tiers("active:true+type:free") == {free_tier.slug}


def test_members_filters_in_admin(supporter) -> None:  # type: ignore[no-untyped-def]
    press = LabelFactory(name="Press", slug="press")
    weekly = Newsletter.objects.create(name="The Weekly", slug="weekly")
    ann = MemberFactory(name="Ann", email="ann@example.org", labels=[press])
    bo = MemberFactory(name="Bo", email="bo@example.org", paid_tier=supporter)
    MemberFactory(name="", email="cy@example.org")
    NewsletterSubscription.objects.create(member=ann, newsletter=weekly)
    NewsletterSubscription.objects.create(member=bo, newsletter=weekly, status="unsubscribed")

    def emails(nql: str, api: str = "admin") -> set[str]:
        queryset = filter_queryset(Member.objects.all(), "members", nql, api=api)
        return set(queryset.values_list("email", flat=True))

    everyone = {"ann@example.org", "bo@example.org", "cy@example.org"}
    assert emails("label:press") == {"ann@example.org"}
    assert emails("labels.slug:-press") == everyone - {"ann@example.org"}
    assert emails("status:paid") == {"bo@example.org"}
    assert emails("status:free") == everyone - {"bo@example.org"}
    assert emails("tier:supporter") == {"bo@example.org"}
    assert emails("newsletters.slug:weekly") == {"ann@example.org"}
    assert emails("subscribed:true") == {"ann@example.org"}
    assert emails("subscribed:false") == everyone - {"ann@example.org"}
    assert emails("name:null") == {"cy@example.org"}
    assert emails("email:~'bo@'") == {"bo@example.org"}
    # No members in the Content API: every condition on them is dropped.
    assert emails("status:paid", api="content") == everyone


# --- Order ---------------------------------------------------------------------------------


def test_order_terms() -> None:
    assert order_terms("posts", "published_at desc, title") == ["-published_at", "title"]
    assert order_terms("posts", "id DESC") == ["-ghost_id"]
    assert order_terms("posts", "html asc, nope desc, tag asc") is None
    assert order_terms("posts", "title sideways") is None
    assert order_terms("posts", None) is None
    assert order_terms("posts", "updated_at desc") == ["-latest_revision_created_at"]
    assert order_terms("tiers", "monthly_price asc, monthly_price desc") == ["monthly_price"]
    assert order_terms("authors", "email asc") is None
    assert order_terms("authors", "email asc", api="admin") == ["email"]


def test_order_terms_work_on_the_database(newsroom) -> None:  # type: ignore[no-untyped-def]
    terms = order_terms("posts", "published_at asc")
    assert terms is not None
    first = ArticlePage.objects.order_by(*terms).first()
    assert first is not None
    assert first.title == "Quiet weekend"


def test_tags_and_authors_sort_by_their_post_count(newsroom, home) -> None:  # type: ignore[no-untyped-def]
    # Tags: investigations 2 (an article and a live page), news 2, war (a section) 1,
    # unused 0. Authors: mira 3, olek 2. Each order below differs from the name order.
    TagFactory(name="Unused", slug="unused")
    ArticlePageFactory(parent=home, title="Third", authors=[Author.objects.get(slug="mira")])
    tags = order_queryset(Tag.objects.all(), "tags", "count.posts desc, name asc")
    assert tags is not None
    assert [tag.slug for tag in tags] == ["investigations", "news", "war", "unused"]
    ascending = order_queryset(Tag.objects.all(), "tags", "count.posts asc, slug desc")
    assert ascending is not None
    assert [tag.slug for tag in ascending] == ["unused", "war", "news", "investigations"]
    authors = Author.objects.filter(slug__in=["mira", "olek"])
    by_count = order_queryset(authors, "authors", "count.posts desc, name desc")
    assert by_count is not None
    assert [author.slug for author in by_count] == ["mira", "olek"]
    fewest = order_queryset(authors, "authors", "count.posts asc, name asc", api="admin")
    assert fewest is not None
    assert [author.slug for author in fewest] == ["olek", "mira"]
    assert order_queryset(Tag.objects.all(), "tags", "nope desc") is None
    assert order_queryset(ArticlePage.objects.all(), "posts", "count.posts desc") is None


def test_the_content_api_sorts_tags_by_post_count_as_themes_ask(newsroom, home, client) -> None:  # type: ignore[no-untyped-def]
    ArticlePageFactory(parent=home, title="Third", authors=[Author.objects.get(slug="mira")])
    key = Integration.objects.create(name="Theme").content_key
    answer = client.get(
        "/ghost/api/content/tags/",
        {"key": key, "include": "count.posts", "order": "count.posts asc"},
    ).json()
    # By name, war would come last; a tie keeps the order the tags were created in.
    assert [(tag["slug"], tag["count"]["posts"]) for tag in answer["tags"]] == [
        ("war", 1),
        ("news", 2),
        ("investigations", 2),
    ]
    authors = client.get(
        "/ghost/api/content/authors/", {"key": key, "order": "count.posts asc"}
    ).json()["authors"]
    assert [author["slug"] for author in authors] == ["olek", "mira"]


def test_slug_order() -> None:
    assert slug_order("slug:[c,a,b]") == ["c", "a", "b"]
    assert slug_order("slug:[c,a]+featured:true") is None
    assert slug_order("slug:c") is None
    assert slug_order("slug:[") is None
    assert slug_order(None) is None


# --- Generated filters --------------------------------------------------------------------

MODELS = {
    "posts": ArticlePage,
    "pages": StandardPage,
    "authors": Author,
    "tags": Tag,
    "tiers": Tier,
    "newsletters": Newsletter,
    "members": Member,
}


def _generated_filters() -> st.SearchStrategy[tuple[str, str, str]]:
    def for_resource(resource: str, api: str) -> st.SearchStrategy[tuple[str, str, str]]:
        names = [*sorted(allowed_fields(resource, api)), "html", "nope"]
        values = st.one_of(
            st.none(),
            st.booleans(),
            st.integers(min_value=0, max_value=2**70),
            st.text(max_size=12),
            st.sampled_from(["2024-01-31", "2024-01-31 10:00:00", "now-1d", "news", "paid"]),
            st.builds(
                nql.RelativeDate,
                st.sampled_from("+-"),
                st.integers(0, 10**7),
                st.sampled_from(sorted(nql.UNITS)),
            ),
        )
        single = st.builds(
            nql.Comparison,
            st.sampled_from(names),
            st.sampled_from([op for op in nql.Op if op not in (nql.Op.IN, nql.Op.NOT_IN)]),
            values,
        )
        listed = st.builds(
            nql.Comparison,
            st.sampled_from(names),
            st.sampled_from([nql.Op.IN, nql.Op.NOT_IN]),
            st.lists(values, min_size=1, max_size=4).map(tuple),
        )
        leaves = st.one_of(single, listed)
        tree = st.recursive(
            leaves,
            lambda children: st.lists(children, min_size=2, max_size=3).flatmap(
                lambda items: st.sampled_from([nql.And(tuple(items)), nql.Or(tuple(items))])
            ),
            max_leaves=6,
        )
        return tree.map(lambda node: (resource, api, nql.to_nql(node)))

    return st.one_of(
        *(for_resource(resource, api) for resource in MODELS for api in ("content", "admin"))
    )


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=_generated_filters())
def test_generated_filters_run_or_raise_400(db, case: tuple[str, str, str]) -> None:  # type: ignore[no-untyped-def]
    resource, api, text = case
    error: BadRequestError | None = None
    try:
        rows = list(filter_queryset(MODELS[resource].objects.all(), resource, text, api=api))
    except BadRequestError as raised:
        error = raised
    if error is None:
        assert len(rows) <= MODELS[resource].objects.count()
    else:
        assert error.status == 400
        assert error.context == "Error parsing filter"
