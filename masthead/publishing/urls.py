from django.urls import include, path

from . import views

app_name = "publishing"

urlpatterns = [
    path("tag/<slug:slug>/", views.tag_page, name="tag"),
    path("author/<slug:slug>/", views.author_page, name="author"),
    path("news-feed/", views.news_feed, name="news_feed"),
    path("search/", views.search, name="search"),
    path("search/suggest/", views.search_suggest, name="search_suggest"),
    # RSS, Atom and JSON Feed for the site, tags and authors.
    path("", include("masthead.publishing.feeds")),
    # The corrections archive and its feed.
    path("", include("masthead.publishing.corrections")),
    # Sitemaps, the Google News sitemap and robots.txt.
    path("", include("masthead.publishing.sitemaps")),
    # Generated share images for social cards.
    path("", include("masthead.publishing.social")),
    # Live pages' poll endpoint and feeds (/<slug>/updates.json, /<slug>/rss/): last, so
    # the fixed addresses above win.
    path("", include("masthead.publishing.live")),
]
