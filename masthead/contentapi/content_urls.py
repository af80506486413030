"""Content API endpoints under ``/ghost/api/content/``, as Ghost's content routes.

Each resource answers at ``/<resource>/``, ``/<resource>/<id>/`` and
``/<resource>/slug/<slug>/`` (Ghost's ``core/server/web/api/endpoints/content/routes.js``).
"""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from . import content_views as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("posts/", views.posts_browse),
    path("posts/slug/<str:slug>/", views.posts_read_slug),
    path("posts/<str:ghost_id>/", views.posts_read),
    path("pages/", views.pages_browse),
    path("pages/slug/<str:slug>/", views.pages_read_slug),
    path("pages/<str:ghost_id>/", views.pages_read),
    path("authors/", views.authors_browse),
    path("authors/slug/<str:slug>/", views.authors_read_slug),
    path("authors/<str:ghost_id>/", views.authors_read),
    path("tags/", views.tags_browse),
    path("tags/slug/<str:slug>/", views.tags_read_slug),
    path("tags/<str:ghost_id>/", views.tags_read),
    path("settings/", views.settings_browse),
    path("tiers/", views.tiers_browse),
    path("newsletters/", views.newsletters_browse),
    path("offers/<str:offer_id>/", views.offers_read),
    path("recommendations/", views.recommendations_browse),
    path("search-index/posts/", views.search_index_posts),
    path("search-index/authors/", views.search_index_authors),
    path("search-index/tags/", views.search_index_tags),
]
