"""Search at /search/: gated text only for readers who may read it, ranking, snippets,
filters, paging, bad input and a fixed number of queries."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from masthead.membership.access import Visibility
from masthead.publishing import search
from masthead.publishing.factories import (
    ArticlePageFactory,
    AuthorFactory,
    TagFactory,
    paragraph_blocks,
)
from masthead.publishing.models import ArticlePage, GatedText, SiteSettings

pytestmark = pytest.mark.django_db

PREVIEW = "The aardvarkprelude opens the story for everyone."
SECRET_WORD = "zanzibarquokka"
SECRET = f"The {SECRET_WORD} is what only entitled readers may see."


def gated_body(secret: str = SECRET) -> list[dict[str, Any]]:
    return [
        *paragraph_blocks([PREVIEW]),
        {"type": "paywall", "value": None},
        *paragraph_blocks([secret, "More words that are gated."]),
    ]


def result_titles(response: Any) -> list[str]:
    page = response.content.decode()
    return re.findall(r'class="card__link" href="[^"]*">([^<]*)</a>', page)


@pytest.fixture
def readers(supporter: Any, make_member: Any, member_client: Any) -> dict[str, Client]:
    return {
        "anonymous": Client(),
        "free": member_client(make_member("free@example.org")),
        "paying": member_client(make_member("paying@example.org", comp=supporter)),
    }


# --- Gated text ---------------------------------------------------------------------


def test_a_word_of_the_gated_part_is_found_only_by_readers_who_may_read_it(
    home: Any, readers: dict[str, Client]
) -> None:
    article = ArticlePageFactory(
        parent=home, title="The reservoir contract", body=gated_body(), visibility=Visibility.PAID
    )
    for name in ("anonymous", "free"):
        response = readers[name].get("/search/", {"q": SECRET_WORD})
        assert response.status_code == 200
        assert result_titles(response) == [], name
        # The query itself is shown back; nothing around it in the gated text is.
        assert "entitled readers" not in response.content.decode(), f"{name} saw gated words"
        assert f"<mark>{SECRET_WORD}" not in response.content.decode()
    response = readers["paying"].get("/search/", {"q": SECRET_WORD})
    assert result_titles(response) == [article.title]
    # The snippet comes from the gated text, with the word marked.
    assert f"<mark>{SECRET_WORD}</mark> is what only entitled readers" in response.content.decode()


def test_the_meter_does_not_unlock_search(home: Any, site: Any) -> None:
    from masthead.membership.models import MembershipSettings

    config = MembershipSettings.for_site(site)
    config.metering_enabled = True
    config.anonymous_monthly_limit = 5
    config.save()
    article = ArticlePageFactory(parent=home, body=gated_body(), visibility=Visibility.MEMBERS)
    client = Client()
    client.post("/members/meter/", {"next": "/"})
    # The meter opens the story itself...
    assert SECRET in client.get(article.url).content.decode()
    # ...but a search by its gated words still finds nothing.
    assert result_titles(client.get("/search/", {"q": SECRET_WORD})) == []


def test_readers_without_access_see_only_the_preview_in_snippets(
    home: Any, readers: dict[str, Client]
) -> None:
    # The query matches the public part and names the gated word too (OR): the snippet of a
    # reader without access must still come from the preview alone.
    article = ArticlePageFactory(
        parent=home, title="Water deal", dek="", body=gated_body(), visibility=Visibility.PAID
    )
    for name in ("anonymous", "free"):
        response = readers[name].get("/search/", {"q": f"aardvarkprelude OR {SECRET_WORD}"})
        page = response.content.decode()
        assert result_titles(response) == [article.title]
        assert "<mark>aardvarkprelude</mark> opens the story" in page
        assert f"<mark>{SECRET_WORD}" not in page, name
        assert "entitled readers" not in page


def test_email_only_gated_articles_are_never_found(home: Any, readers: dict[str, Client]) -> None:
    ArticlePageFactory(parent=home, body=gated_body(), visibility=Visibility.PAID, email_only=True)
    assert GatedText.objects.count() == 1
    for client in readers.values():
        assert result_titles(client.get("/search/", {"q": SECRET_WORD})) == []
        assert result_titles(client.get("/search/", {"q": "aardvarkprelude"})) == []


def _draft(home: Any, **fields: Any) -> ArticlePage:
    article = ArticlePage(title="Follow the money", slug="follow-the-money", live=False, **fields)
    home.add_child(instance=article)
    return article


def _finds(client: Client, word: str) -> bool:
    return "Follow the money" in result_titles(client.get("/search/", {"q": word}))


def test_gated_text_follows_publish_edit_visibility_unpublish_and_delete(
    home: Any, readers: dict[str, Client]
) -> None:
    paying, anonymous = readers["paying"], readers["anonymous"]
    article = _draft(home, body=gated_body(), visibility=Visibility.PAID)
    assert not GatedText.objects.exists(), "a draft has no gated entry"
    assert not _finds(paying, SECRET_WORD)

    article.save_revision().publish()
    assert _finds(paying, SECRET_WORD)
    assert not _finds(anonymous, SECRET_WORD)

    # An edit that is published replaces the gated words.
    article = ArticlePage.objects.get(pk=article.pk)
    article.body = gated_body("The quagmirebanjo replaced the old words.")
    article.save_revision().publish()
    assert _finds(paying, "quagmirebanjo")
    assert not _finds(paying, SECRET_WORD)

    # A draft edit of the live article does not reach the index.
    article = ArticlePage.objects.get(pk=article.pk)
    article.body = gated_body("The draftonlyword is not published yet.")
    article.save_revision()
    assert "quagmirebanjo" in GatedText.objects.get(article=article).text
    assert not _finds(paying, "draftonlyword")
    assert _finds(paying, "quagmirebanjo")

    # Made public: everything is in the article's own entry, for everyone.
    article = ArticlePage.objects.get(pk=article.pk)
    article.body = gated_body("The quagmirebanjo replaced the old words.")
    article.visibility = Visibility.PUBLIC
    article.save_revision().publish()
    assert not GatedText.objects.exists()
    assert _finds(anonymous, "quagmirebanjo")

    # Gated again, then unpublished: nothing is found, by anyone.
    article = ArticlePage.objects.get(pk=article.pk)
    article.visibility = Visibility.PAID
    article.save_revision().publish()
    assert _finds(paying, "quagmirebanjo") and not _finds(anonymous, "quagmirebanjo")
    article.unpublish()
    assert not GatedText.objects.exists()
    assert not _finds(paying, "quagmirebanjo")

    article.save_revision().publish()
    assert GatedText.objects.filter(article=article).exists()
    ArticlePage.objects.get(pk=article.pk).delete()
    assert not GatedText.objects.exists()
    assert not _finds(paying, "quagmirebanjo")


# --- Ranking ------------------------------------------------------------------------


def test_relevance_is_blended_with_recency(home: Any, client: Client) -> None:
    now = timezone.now()
    filler = " ".join(["harbour", "council", "weather", "market", "river"] * 24)
    for i in range(18):
        ArticlePageFactory(
            parent=home,
            title=f"Unrelated story {i}",
            dek="Nothing to see.",
            body=paragraph_blocks([filler]),
            first_published_at=now - timedelta(days=i),
        )
    # Equally relevant: the word in the standfirst and once in bodies of the same length.
    equal = [
        ArticlePageFactory(
            parent=home,
            title=f"Mountain report {i}",
            dek="A report on the glacier.",
            body=paragraph_blocks(
                [
                    "Rangers walked the valley for a week and counted birds, goats and huts "
                    "along the old road. The glacier moved again this season, they said, "
                    "and the river below it ran faster than in any year they remember."
                ]
            ),
            first_published_at=now - timedelta(days=1 + 2 * i),
        )
        for i in range(10)
    ]
    # Much more relevant: the word in the headline, the standfirst and all through the body.
    strong_old = ArticlePageFactory(
        parent=home,
        title="Glacier watch",
        dek="The glacier, again.",
        body=paragraph_blocks(["Glacier glacier glacier: the glacier is melting, glacier."]),
        first_published_at=now - timedelta(days=3 * 365),
    )
    # A weak match (the word once, deep in a long body), just published.
    weak_recent = ArticlePageFactory(
        parent=home,
        title="Morning briefing",
        dek="What happened overnight.",
        body=paragraph_blocks([filler + " A glacier was mentioned once. " + filler]),
        first_published_at=now - timedelta(minutes=5),
    )
    response = client.get("/search/", {"q": "glacier"})
    expected = [strong_old.title, *(article.title for article in equal), weak_recent.title]
    assert result_titles(response) == expected


def test_ranking_normalises_whatever_scale_a_backend_scores_on() -> None:
    now = timezone.now()
    published = {1: now - timedelta(days=900), 2: now, 3: now - timedelta(days=10)}
    for scale in (1e-6, 1.0, 40.0):  # SQLite's tiny bm25, ts_rank, OpenSearch's _score
        scores = {1: 3.0 * scale, 2: 1.0 * scale, 3: 1.0 * scale}
        assert search.rank(scores, published, now=now) == [1, 2, 3]
    # No scores at all (a backend without them): newest first.
    assert search.rank({1: 0.0, 2: 0.0, 3: 0.0}, published, now=now) == [2, 3, 1]


# --- Snippets -----------------------------------------------------------------------


def test_snippets_escape_the_text_before_marking_it() -> None:
    text = 'Before <script>alert("x")</script> the ledger & the <b>ledgers</b> after.'
    marked = search.snippet(text, ["ledger"])
    assert "<script>" not in marked and "<b>" not in marked
    assert "&lt;script&gt;" in marked
    assert "<mark>ledger</mark> &amp; the &lt;b&gt;<mark>ledgers</mark>&lt;/b&gt;" in marked
    # Marks are added to the text, not to its escaped form: no mark inside an entity.
    assert search.snippet("AT&T and Q&A", ["amp"]) == "AT&amp;T and Q&amp;A"


def test_snippets_are_short_passages_around_the_first_match() -> None:
    text = " ".join(f"word{i}" for i in range(300)) + " the turbine failed " + "tail " * 100
    marked = search.snippet(text, ["turbine"])
    assert marked.startswith("…")
    assert "<mark>turbine</mark> failed" in marked
    assert len(re.sub(r"</?mark>", "", marked)) <= search.SNIPPET_LENGTH + 1
    assert search.snippet("No match here.", ["absent"]) == "No match here."


def test_body_text_for_snippets_does_not_load_images(home: Any, client: Client) -> None:
    from masthead.publishing.factories import PhotoFactory, image_block

    photos = [PhotoFactory() for _ in range(3)]
    ArticlePageFactory(
        parent=home,
        title="Pictures of the flood",
        body=[*(image_block(photo) for photo in photos), *paragraph_blocks(["The flood rose."])],
    )
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/search/", {"q": "flood"})
    assert "The <mark>flood</mark> rose." in response.content.decode()
    # Cards join their lead image (none here); nothing reads the photos of the body.
    assert not [q["sql"] for q in queries if 'FROM "publishing_photo"' in q["sql"]]


# --- Filters ------------------------------------------------------------------------


@pytest.fixture
def archive(home: Any, site: Any) -> dict[str, Any]:
    """Stories about a dam in two sections, by two authors, around midnight in Kyiv."""
    settings = SiteSettings.for_site(site)
    settings.timezone = "Europe/Kyiv"
    settings.save()
    war = TagFactory(name="War", slug="war", section=True)
    economy = TagFactory(name="Economy", slug="economy", section=True)
    mira = AuthorFactory(name="Mira Valen", slug="mira-valen")
    oleh = AuthorFactory(name="Oleh Marr", slug="oleh-marr")
    # 2025-03-01 00:30 in Kyiv is 2025-02-28 22:30 UTC.
    kyiv_march = datetime(2025, 2, 28, 22, 30, tzinfo=UTC)
    stories = {
        "war-mira": ArticlePageFactory(
            parent=home,
            title="Dam shelled",
            section=war,
            authors=[mira],
            first_published_at=kyiv_march,
        ),
        "war-oleh": ArticlePageFactory(
            parent=home,
            title="Dam repaired",
            section=war,
            authors=[oleh],
            first_published_at=kyiv_march - timedelta(hours=1),
        ),
        "economy-mira": ArticlePageFactory(
            parent=home,
            title="Dam costs",
            section=economy,
            authors=[mira],
            first_published_at=kyiv_march - timedelta(days=10),
        ),
    }
    for article in stories.values():
        article.save()  # the bylines were added after the first save: index them too
    return stories


def test_filters_narrow_results_by_section_author_and_dates(
    client: Client, archive: dict[str, Any]
) -> None:
    def titles(**params: str) -> set[str]:
        return set(result_titles(client.get("/search/", {"q": "dam", **params})))

    assert titles() == {"Dam shelled", "Dam repaired", "Dam costs"}
    assert titles(section="war") == {"Dam shelled", "Dam repaired"}
    assert titles(author="mira-valen") == {"Dam shelled", "Dam costs"}
    assert titles(section="war", author="mira-valen") == {"Dam shelled"}
    # Dates are days in the site's timezone: 00:30 on 1 March in Kyiv is in March.
    assert titles(**{"from": "2025-03-01"}) == {"Dam shelled"}
    assert titles(to="2025-02-28") == {"Dam repaired", "Dam costs"}
    assert titles(**{"from": "2025-02-28", "to": "2025-02-28"}) == {"Dam repaired"}


def test_authors_are_searchable_by_name(client: Client, archive: dict[str, Any]) -> None:
    assert set(result_titles(client.get("/search/", {"q": "oleh marr"}))) == {"Dam repaired"}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"section": "nowhere"}, "There is no section “nowhere”"),
        ({"author": "nobody"}, "There is no author “nobody”"),
        ({"from": "yesterday"}, "“From” is not a date"),
        ({"to": "2025-13-45"}, "“To” is not a date"),
        ({"from": "2025-03-02", "to": "2025-03-01"}, "“To” is before “From”"),
    ],
)
def test_bad_filters_are_explained_and_left_out(
    client: Client, archive: dict[str, Any], params: dict[str, str], message: str
) -> None:
    response = client.get("/search/", {"q": "dam", **params})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert len(result_titles(response)) == 3


def test_the_filter_form_is_labelled_and_keeps_its_values(
    client: Client, archive: dict[str, Any]
) -> None:
    page = client.get("/search/", {"q": "dam", "section": "war", "from": "2025-01-01"})
    html = page.content.decode()
    for field in ("section", "author", "from", "to"):
        assert f'<label class="field__label" for="search-{field}">' in html
    assert '<option value="war" selected>War</option>' in html
    assert 'value="2025-01-01"' in html


# --- Paging -------------------------------------------------------------------------


def test_show_more_pages_through_results_keeping_the_filters(
    home: Any, client: Client, section: Any
) -> None:
    now = timezone.now()
    for i in range(search.PAGE_SIZE + 5):
        ArticlePageFactory(
            parent=home,
            title=f"Ferry timetable {i}",
            section=section,
            first_published_at=now - timedelta(hours=i),
        )
    ArticlePageFactory(parent=home, title="Ferry elsewhere", first_published_at=now)
    first = client.get("/search/", {"q": "ferry", "section": section.slug})
    html = first.content.decode()
    assert len(result_titles(first)) == search.PAGE_SIZE
    more = re.search(r'href="([^"]*)" data-show-more', html)
    assert more is not None
    url = more.group(1).replace("&amp;", "&")
    assert "section=war" in url and "page=2" in url
    rest = client.get(url + "&partial=1")
    assert "<html" not in rest.content.decode()
    assert "data-listing-items" in rest.content.decode()
    assert "data-show-more" not in rest.content.decode()
    seen = result_titles(first) + result_titles(rest)
    assert sorted(seen) == sorted(f"Ferry timetable {i}" for i in range(search.PAGE_SIZE + 5))


@pytest.mark.parametrize("page_number", ["x", "-3", "0", "99999999999999999999", "1e9", "٣"])
def test_any_page_number_gets_a_page(home: Any, client: Client, page_number: str) -> None:
    ArticlePageFactory(parent=home, title="Ferry timetable")
    assert client.get("/search/", {"q": "ferry", "page": page_number}).status_code == 200


def test_a_page_past_the_results_says_so(home: Any, client: Client) -> None:
    ArticlePageFactory(parent=home, title="Ferry timetable")
    page = client.get("/search/", {"q": "ferry", "page": "7"}).content.decode()
    assert "There are no more results for this search." in page


# --- Bad input ----------------------------------------------------------------------


def test_an_empty_query_invites_a_search(client: Client, home: Any) -> None:
    page = client.get("/search/").content.decode()
    assert "Find a story" in page
    assert "Put words in quotes" in page


@pytest.mark.parametrize(
    "query",
    [
        '"drone attack',
        "drone AND attack",
        "drone OR zeppelin",
        "(drone) attack*",
        "drone -zeppelin",
        "drone NOT zeppelin",
        'drone "" attack',
        "drone\x00 attack",
        "  DRONE   attack  ",
        "drone\u200b attack ✈️",
    ],
)
def test_operators_and_odd_characters_still_find_the_story(
    home: Any, client: Client, query: str
) -> None:
    ArticlePageFactory(parent=home, title="Drone attack hits the station")
    ArticlePageFactory(parent=home, title="Zeppelin seen over the drone factory")
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200
    assert "Drone attack hits the station" in result_titles(response), query


@pytest.mark.parametrize("query", ["*", "(((", "-drone", "NOT", '"', "—", "\x00"])
def test_a_query_without_words_asks_for_words(home: Any, client: Client, query: str) -> None:
    ArticlePageFactory(parent=home, title="Drone attack")
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200
    assert result_titles(response) == []


def test_an_overlong_query_is_cut_with_a_note(home: Any, client: Client) -> None:
    ArticlePageFactory(parent=home, title="Drone attack")
    response = client.get("/search/", {"q": "drone " + "x" * 1000})
    page = response.content.decode()
    assert response.status_code == 200
    assert "only its first 200 characters were used" in page
    assert "x" * 201 not in page


def test_unicode_words_are_found(home: Any, client: Client) -> None:
    ArticlePageFactory(parent=home, title="Київ відновлює енергетику")
    assert result_titles(client.get("/search/", {"q": "енергетику"})) == [
        "Київ відновлює енергетику"
    ]


def test_the_query_parser_rebuilds_operators_safely() -> None:
    parsed = search.parse_query('budget "city council" OR mayor -tax NOT "road works"')
    assert repr(parsed.query) == (
        "<And <PlainText 'budget' operator='and' boost=1> "
        "<Or <Phrase 'city council'> <PlainText 'mayor' operator='and' boost=1>> "
        "<Not <PlainText 'tax' operator='and' boost=1>> <Not <Phrase 'road works'>>>"
    )
    assert parsed.terms == ("budget", "city", "council", "mayor")
    assert search.parse_query('a"b*c(d)').terms == ("a", "b", "c", "d")
    assert search.parse_query("-only -exclusions").query is None


# --- Suggestions --------------------------------------------------------------------


def test_suggestions_are_listed_headlines_only(home: Any, client: Client) -> None:
    for i in range(12):
        ArticlePageFactory(parent=home, title=f"Reservoir update {i}")
    ArticlePageFactory(parent=home, title="Reservoir secret newsletter", email_only=True)
    draft = ArticlePageFactory(parent=home, title="Reservoir draft")
    draft.unpublish()
    ArticlePageFactory(parent=home, title="Harbour news")
    response = client.get("/search/suggest/", {"q": "reserv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    suggestions = response.json()["suggestions"]
    assert len(suggestions) == search.SUGGESTIONS
    assert all(item["title"].startswith("Reservoir update") for item in suggestions)
    assert all(item["url"].startswith("/reservoir-update-") for item in suggestions)


@pytest.mark.parametrize("query", ["", "r", "*", '"', "\x00", "x" * 5000])
def test_suggestions_for_too_little_or_odd_input_are_empty(
    home: Any, client: Client, query: str
) -> None:
    ArticlePageFactory(parent=home, title="Reservoir update")
    response = client.get("/search/suggest/", {"q": query})
    assert response.status_code == 200
    assert response.json() == {"suggestions": []}


# --- Query budget -------------------------------------------------------------------


def _count_queries(client: Client, url: str, params: dict[str, str]) -> int:
    # The first view cuts the images' renditions; count a later one, as readers mostly see.
    client.get(url, params)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries)


def test_search_and_suggestions_run_a_fixed_number_of_queries(
    page_cache_off,
    home: Any,
    section: Any,
    author: Any,
    supporter: Any,
    make_member: Any,
    member_client: Any,
) -> None:
    paying = member_client(make_member("budget@example.org", comp=supporter))

    def add(count: int) -> None:
        for i in range(count):
            article = ArticlePageFactory(
                parent=home,
                title=f"Turbine report {i}",
                section=section,
                authors=[author],
                with_image=True,
                body=gated_body(f"The turbine {SECRET_WORD} number {i}."),
                visibility=Visibility.PAID if i % 2 else Visibility.PUBLIC,
            )
            article.save()

    requests = [
        ("/search/", {"q": "turbine"}),
        ("/search/", {"q": SECRET_WORD, "section": section.slug, "author": author.slug}),
        ("/search/", {"q": "turbine", "page": "2", "partial": "1"}),
        ("/search/suggest/", {"q": "turb"}),
    ]
    add(5)
    small = [_count_queries(paying, url, params) for url, params in requests]
    add(35)
    large = [_count_queries(paying, url, params) for url, params in requests]
    assert small[:2] == large[:2], "the search page's queries grow with the results"
    assert large[2] <= large[0]
    assert small[3] == large[3], "suggestions' queries grow with the results"
    assert max(large[:3]) <= 22 and large[3] <= 8, large
