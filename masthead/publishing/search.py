"""Full-text search of published articles, and of their gated part for readers who may read it.

Every article has two search entries (decision 0016): its own, which holds only what anyone
may read (headline, standfirst, free preview, bylines, tags), and a ``GatedText`` entry with
the rest of a gated article. Both are searched; a match in the gated entry counts only for
readers ``ArticlePage.can_be_read_by`` lets in, so a search never reveals, even by matching,
what a reader may not read.

The search backend returns the best ``CANDIDATE_WINDOW`` matches of each kind by relevance.
The database then applies the access rules and filters to those candidates, and they are
ranked by relevance blended with recency in Python. Scores come from ``annotate_score`` and
are normalised per backend, so the same code ranks on SQLite, PostgreSQL, OpenSearch and
Elasticsearch. The number of queries is fixed, whatever the size of the archive.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from wagtail.search.backends import get_search_backend
from wagtail.search.query import And, Not, Or, Phrase, PlainText, SearchQuery

from masthead.membership.access import Reader

from .listings import indexed_articles, live_articles, published_articles, site_for
from .models import ArticleAuthor, ArticlePage, Author, GatedText, Tag
from .plain_text import split_text

PAGE_SIZE = 20
# The backend's best matches considered per search (of the articles' own entries, and again
# of the gated entries). Filters and ranking work within them, so a query matching more than
# this many stories shows the best of them, never a slow scan of the whole archive.
CANDIDATE_WINDOW = 1000
LAST_PAGE = CANDIDATE_WINDOW // PAGE_SIZE
MAX_QUERY_LENGTH = 200
SUGGESTIONS = 8
SUGGEST_MIN_LENGTH = 2
SNIPPET_LENGTH = 220
# Recency: a story loses up to RECENCY_WEIGHT of its score as it ages, half of that within
# the half-life. Equally relevant stories come newest first, while a story more than
# 1 / (1 - RECENCY_WEIGHT) times as relevant still beats any newer one.
RECENCY_WEIGHT = 0.3
RECENCY_HALF_LIFE_DAYS = 30

_QUERY_TOKEN = re.compile(r'"([^"]*)"|(\S+)')
_WORD = re.compile(r"[^\W_]+")
_AND_WORDS = frozenset({"AND", "&", "&&", "+"})
_OR_WORDS = frozenset({"OR", "|", "||"})
_NOT_WORDS = frozenset({"NOT"})


# --- The query --------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedQuery:
    """What the reader typed, made safe for every backend.

    Search engines each have their own query syntax, and characters such as ``"``, ``*``
    or ``(`` break SQLite's FTS5 outright, so nothing the reader typed reaches a backend
    as syntax: words are reduced to letters and digits, and the few operators readers
    use (quoted phrases, ``OR``, ``-word`` and ``NOT word``) are rebuilt as Wagtail
    query objects.
    """

    text: str
    query: SearchQuery | None
    terms: tuple[str, ...] = ()
    was_cut: bool = False

    @property
    def is_empty(self) -> bool:
        return self.query is None


def clean_query_text(raw: str) -> tuple[str, bool]:
    """The query as shown back to the reader: no control characters, at most the maximum."""
    # PostgreSQL cannot store a NUL character, not even in a query parameter: it is dropped
    # (a stray one inside a word leaves the word whole); other control characters separate.
    text = raw.replace("\x00", "")
    text = "".join(" " if ch < " " or ch == "\x7f" else ch for ch in text).strip()
    text = " ".join(text.split())
    if len(text) > MAX_QUERY_LENGTH:
        return text[:MAX_QUERY_LENGTH].rstrip(), True
    return text, False


def _term(words: list[str]) -> SearchQuery:
    # A "word" such as covid-19 is several words to every backend's tokenizer: keep them
    # together as a phrase.
    return PlainText(words[0]) if len(words) == 1 else Phrase(" ".join(words))


def parse_query(raw: str) -> ParsedQuery:
    text, was_cut = clean_query_text(raw)
    groups: list[list[SearchQuery]] = []  # all required; the terms of a group joined by OR
    excluded: list[SearchQuery] = []
    highlight: list[str] = []
    join_next, negate_next = False, False
    for match in _QUERY_TOKEN.finditer(text):
        phrase, token = match.groups()
        negate = negate_next
        if token is not None:
            if token.upper() in _AND_WORDS:
                continue
            if token.upper() in _OR_WORDS:
                join_next = bool(groups)
                continue
            if token.upper() in _NOT_WORDS:
                negate_next = True
                continue
            if token.startswith("-") and len(token) > 1:
                negate, token = True, token[1:]
        words = _WORD.findall(phrase if phrase is not None else token)
        negate_next = False
        if not words:
            continue
        term = _term(words)
        if negate:
            excluded.append(term)
        elif join_next:
            groups[-1].append(term)
            highlight.extend(words)
        else:
            groups.append([term])
            highlight.extend(words)
        join_next = False
    if not groups:
        # Only exclusions, or nothing searchable: there is nothing to look for.
        return ParsedQuery(text=text, query=None, was_cut=was_cut)
    # Required single words go to the backend as one PlainText, which every backend ranks
    # as one query; a combination of many is scored less well (SQLite multiplies scores).
    words = [
        group[0].query_string
        for group in groups
        if len(group) == 1 and isinstance(group[0], PlainText)
    ]
    parts: list[SearchQuery] = [PlainText(" ".join(words), operator="and")] if words else []
    parts.extend(
        group[0] if len(group) == 1 else Or(group)
        for group in groups
        if len(group) > 1 or not isinstance(group[0], PlainText)
    )
    parts.extend(Not(term) for term in excluded)
    query = parts[0] if len(parts) == 1 else And(parts)
    return ParsedQuery(
        text=text, query=query, terms=tuple(dict.fromkeys(highlight)), was_cut=was_cut
    )


# --- Filters ----------------------------------------------------------------------------


class SearchForm(forms.Form):
    """The search box and its filters, all plain GET parameters.

    A filter that is wrong (an unknown section, a date that is no date) is reported on the
    page and left out; the search itself still runs.
    """

    q = forms.CharField(label=_("Search for"), required=False, strip=False)
    section = forms.ChoiceField(
        label=_("Section"),
        required=False,
        error_messages={
            "invalid_choice": _(
                "There is no section “%(value)s”; showing results from every section."
            )
        },
    )
    author = forms.ChoiceField(
        label=_("Author"),
        required=False,
        error_messages={
            "invalid_choice": _("There is no author “%(value)s”; showing results by anyone.")
        },
    )

    def __init__(
        self, data: Mapping[str, Any], *, sections: Sequence[Tag], authors: Sequence[Author]
    ) -> None:
        super().__init__(data)
        self.fields["section"].choices = [  # type: ignore[attr-defined]
            ("", _("All sections")),
            *((tag.slug, tag.name) for tag in sections),
        ]
        self.fields["author"].choices = [  # type: ignore[attr-defined]
            ("", _("All authors")),
            *((author.slug, author.name) for author in authors),
        ]
        # "from" is a Python keyword, so these two are added by name.
        date_widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        self.fields["from"] = forms.DateField(
            label=_("From"),
            required=False,
            widget=date_widget,
            error_messages={"invalid": _("“From” is not a date; use the form 2025-03-31.")},
        )
        self.fields["to"] = forms.DateField(
            label=_("To"),
            required=False,
            widget=date_widget,
            error_messages={"invalid": _("“To” is not a date; use the form 2025-03-31.")},
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("from"), cleaned.get("to")
        if start and end and start > end:
            self.add_error("to", _("“To” is before “From”; showing results from every date."))
            cleaned.pop("from", None)
            cleaned.pop("to", None)
        return cleaned

    def valid_value(self, name: str) -> Any:
        """The cleaned value of one field, or None if it is empty or wrong."""
        if not self.is_bound:
            return None
        self.is_valid()
        if name in self.errors:
            return None
        return self.cleaned_data.get(name) or None

    def query_string(self) -> str:
        """The filters as the next page's query string, wrong values left out."""
        from django.http import QueryDict

        params = QueryDict(mutable=True)
        for name in ("q", "section", "author", "from", "to"):
            raw = self.data.get(name)
            if raw and name not in self.errors:
                params[name] = raw if name == "q" else str(raw)
        return params.urlencode()


@dataclass(frozen=True)
class Filters:
    section: Tag | None = None
    author: Author | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None  # exclusive

    def conditions(self, *, database: bool) -> Q:
        """The filters as a condition every search backend can apply.

        ``section`` and ``published_at`` are declared filter fields. The author's articles
        are given as ids: a subquery on the database backends, a list for search servers.
        """
        condition = Q()
        if self.section is not None:
            condition &= Q(section=self.section)
        if self.start is not None:
            condition &= Q(published_at__gte=self.start)
        if self.end is not None:
            condition &= Q(published_at__lt=self.end)
        if self.author is not None:
            ids: Any = ArticleAuthor.objects.filter(author=self.author).values("page_id")
            if not database:
                ids = [row["page_id"] for row in ids]
            condition &= Q(id__in=ids)
        return condition


def filters_from(
    form: SearchForm, *, sections: Sequence[Tag], authors: Sequence[Author]
) -> Filters:
    """The valid filters of ``form``; dates are whole days in the site's timezone."""
    tz = timezone.get_current_timezone()
    section_slug, author_slug = form.valid_value("section"), form.valid_value("author")
    start_day, end_day = form.valid_value("from"), form.valid_value("to")
    return Filters(
        section=next((tag for tag in sections if tag.slug == section_slug), None),
        author=next((person for person in authors if person.slug == author_slug), None),
        start=_day_start(start_day, tz) if start_day else None,
        end=_day_start(end_day, tz, days_later=1) if end_day else None,
    )


# Dates outside these years are taken as the nearest one: the calendar's ends (year 1,
# year 9999) overflow once shifted to UTC, and no story is published there anyway.
_FIRST_DAY, _LAST_DAY = dt.date(1800, 1, 1), dt.date(9000, 1, 1)


def _day_start(day: dt.date, tz: dt.tzinfo, *, days_later: int = 0) -> dt.datetime:
    day = min(max(day, _FIRST_DAY), _LAST_DAY) + dt.timedelta(days=days_later)
    return dt.datetime.combine(day, dt.time.min, tzinfo=tz)


# --- Searching --------------------------------------------------------------------------


@dataclass
class Result:
    article: ArticlePage
    snippet: SafeString


@dataclass
class ResultPage:
    results: list[Result] = field(default_factory=list)
    page_number: int = 1
    has_next: bool = False
    total: int = 0

    @property
    def total_is_capped(self) -> bool:
        return self.total >= CANDIDATE_WINDOW

    @property
    def is_past_the_end(self) -> bool:
        return self.page_number > 1 and not self.results


def _is_database_backend(backend: Any) -> bool:
    return type(backend).__module__.startswith("modelsearch.backends.database")


def _score_sign(backend: Any) -> float:
    """+1 where a higher score is better, -1 for SQLite FTS5, whose bm25() is negative."""
    return -1.0 if type(backend).__module__.endswith(".sqlite.sqlite") else 1.0


def _scores(results: Iterable[Any], *, key: str, sign: float) -> dict[int, float]:
    scores: dict[int, float] = {}
    for item in results:
        raw = getattr(item, "_score", None)
        score = sign * raw if isinstance(raw, int | float) and math.isfinite(raw) else 0.0
        pk = getattr(item, key)
        scores[pk] = max(score, scores.get(pk, 0.0))
    return scores


def recency_factor(published_at: dt.datetime, now: dt.datetime) -> float:
    age_days = max(0.0, (now - published_at).total_seconds() / 86400)
    return 1 - RECENCY_WEIGHT + RECENCY_WEIGHT * 0.5 ** (age_days / RECENCY_HALF_LIFE_DAYS)


def rank(
    scores: Mapping[int, float], published: Mapping[int, dt.datetime], *, now: dt.datetime
) -> list[int]:
    """Article ids by relevance blended with recency, best first.

    Scores are divided by the best one, so the blend is the same whatever scale a backend
    scores on. A backend without scores (all zero) gives newest first.
    """
    best = max((scores[pk] for pk in published), default=0.0)

    def blended(pk: int) -> tuple[float, dt.datetime, int]:
        relevance = scores[pk] / best if best > 0 else 1.0
        return (relevance * recency_factor(published[pk], now), published[pk], pk)

    return sorted(published, key=blended, reverse=True)


def search_articles(
    request: HttpRequest,
    parsed: ParsedQuery,
    *,
    reader: Reader,
    filters: Filters,
    page_number: int,
) -> ResultPage:
    """One page of results for the reader of ``request``, in a fixed number of queries."""
    if parsed.query is None:
        return ResultPage(page_number=page_number)
    site = site_for(request)
    backend = get_search_backend()
    database = _is_database_backend(backend)
    sign = _score_sign(backend)
    condition = filters.conditions(database=database)

    # 1. The best matches of the articles' own entries: what anyone may read.
    public_hits = (
        indexed_articles(site)
        .filter(condition)
        .only("id")
        .search(parsed.query, order_by_relevance=True)
        .annotate_score("_score")[:CANDIDATE_WINDOW]
    )
    public = _scores(public_hits, key="pk", sign=sign)
    # 2. The best matches of the gated entries; they count only where the reader may read.
    gated_hits = backend.search(
        parsed.query, GatedText.objects.defer("text"), order_by_relevance=True
    ).annotate_score("_score")[:CANDIDATE_WINDOW]
    gated = _scores(gated_hits, key="article_id", sign=sign)

    # 3. The candidates that are published, listed, in this site and within the filters;
    # the access check needs each gated one's tiers.
    candidates = {
        article.pk: article
        for article in published_articles(site)
        .filter(condition, pk__in=set(public) | set(gated))
        .only("id", "published_at", "visibility")
        .prefetch_related("tiers")
    }
    readable = {pk for pk, article in candidates.items() if article.can_be_read_by(reader)}
    scores: dict[int, float] = {}
    for pk in candidates:
        found = [public.get(pk, 0.0)]
        if pk in gated and pk in readable:
            found.append(gated[pk])
        if pk in public or (pk in gated and pk in readable):
            scores[pk] = max(found)
    published = {pk: candidates[pk].published_at for pk in scores}
    ranked = rank(scores, published, now=timezone.now())

    start = (page_number - 1) * PAGE_SIZE
    page_ids = ranked[start : start + PAGE_SIZE]
    cards = {article.pk: article for article in live_articles(site).filter(pk__in=page_ids)}
    bodies = dict(ArticlePage.objects.filter(pk__in=page_ids).values_list("pk", "body"))
    results = []
    for pk in page_ids:
        article = cards.get(pk)
        if article is None:  # unpublished between the two queries
            continue
        preview, rest = split_text(_raw_blocks(bodies.get(pk)), visibility=article.visibility)
        text = f"{preview}\n{rest}" if pk in readable and rest else preview
        results.append(Result(article=article, snippet=snippet(text, parsed.terms)))
    return ResultPage(
        results=results,
        page_number=page_number,
        has_next=len(ranked) > start + PAGE_SIZE and page_number < LAST_PAGE,
        total=len(ranked),
    )


def _raw_blocks(body: Any) -> list[dict[str, Any]]:
    """Raw block data of a body read with ``values_list``: never loads images or pages."""
    if body is None:
        return []
    raw = getattr(body, "raw_data", body)
    if isinstance(raw, str):
        import json

        raw = json.loads(raw or "[]")
    return [dict(block) for block in raw]


def suggest(request: HttpRequest, raw: str) -> list[dict[str, str]]:
    """Headlines that start like what the reader is typing, for the header search box."""
    words = _WORD.findall(clean_query_text(raw)[0])
    if not words or sum(len(word) for word in words) < SUGGEST_MIN_LENGTH:
        return []
    site = site_for(request)
    found = list(
        indexed_articles(site)
        .only("id")
        .autocomplete(" ".join(words), operator="and")[: SUGGESTIONS * 2]
    )
    # The index cannot see Wagtail's privacy settings: keep what may be listed, in order.
    shown = {
        article.pk: article
        for article in published_articles(site)
        .filter(pk__in=[hit.pk for hit in found])
        .only("id", "title", "url_path", "published_at")
    }
    articles = [shown[hit.pk] for hit in found if hit.pk in shown][:SUGGESTIONS]
    return [{"title": article.title, "url": article.get_url(request) or ""} for article in articles]


# --- Snippets ---------------------------------------------------------------------------


def snippet(text: str, terms: Sequence[str], *, length: int = SNIPPET_LENGTH) -> SafeString:
    """A short passage of ``text`` around the first matched word, the words in ``<mark>``.

    The text is escaped piece by piece and only the marks are added as HTML, so nothing in
    an article can inject markup. No match: the opening of the text.
    """
    text = " ".join(text.split())
    if not text:
        return SafeString("")
    pattern = _term_pattern(terms)
    match = pattern.search(text) if pattern else None
    if match is None:
        return escape(Truncator(text).chars(length))
    start = max(0, match.start() - length // 4)
    if start:
        # Start on a whole word.
        space = text.rfind(" ", 0, start)
        start = space + 1 if space >= 0 else 0
    passage = Truncator(text[start:]).chars(length)
    if start:
        passage = "…" + passage
    return highlight(passage, pattern)


def _term_pattern(terms: Sequence[str]) -> re.Pattern[str] | None:
    if not terms:
        return None
    alternatives = "|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True))
    # The words as typed and longer forms of them (stems: "elect" marks "elections").
    return re.compile(rf"(?<![^\W_])(?:{alternatives})[^\W_]*", re.IGNORECASE)


def highlight(text: str, pattern: re.Pattern[str] | None) -> SafeString:
    if pattern is None:
        return escape(text)
    pieces: list[str] = []
    position = 0
    for match in pattern.finditer(text):
        pieces.append(escape(text[position : match.start()]))
        pieces.append(f"<mark>{escape(match.group(0))}</mark>")
        position = match.end()
    pieces.append(escape(text[position:]))
    return mark_safe("".join(pieces))  # noqa: S308 - every piece is escaped above
