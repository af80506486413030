"""Admin API endpoints under ``/ghost/api/admin/``."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from . import admin_views as views

GHOST_ID = "<str:ghost_id>"

urlpatterns: list[URLPattern | URLResolver] = [
    path("posts/", views.posts, name="ghost-admin-posts"),
    path(f"posts/{GHOST_ID}/", views.post, name="ghost-admin-post"),
    path("posts/slug/<str:slug>/", views.post_by_slug, name="ghost-admin-post-slug"),
    path("pages/", views.pages, name="ghost-admin-pages"),
    path(f"pages/{GHOST_ID}/", views.page, name="ghost-admin-page"),
    path("pages/slug/<str:slug>/", views.page_by_slug, name="ghost-admin-page-slug"),
    path("tags/", views.tags, name="ghost-admin-tags"),
    path(f"tags/{GHOST_ID}/", views.tag, name="ghost-admin-tag"),
    path("tags/slug/<str:slug>/", views.tag_by_slug, name="ghost-admin-tag-slug"),
    path("members/", views.members, name="ghost-admin-members"),
    path(f"members/{GHOST_ID}/", views.member, name="ghost-admin-member"),
    path("users/", views.users, name="ghost-admin-users"),
    path(f"users/{GHOST_ID}/", views.user, name="ghost-admin-user"),
    path("users/slug/<str:slug>/", views.user_by_slug, name="ghost-admin-user-slug"),
    path("users/email/<str:email>/", views.user_by_email, name="ghost-admin-user-email"),
    path("newsletters/", views.newsletters, name="ghost-admin-newsletters"),
    path(f"newsletters/{GHOST_ID}/", views.newsletter, name="ghost-admin-newsletter"),
    path("images/upload/", views.upload_image, name="ghost-admin-image-upload"),
    path("site/", views.site, name="ghost-admin-site"),
    path("webhooks/", include("masthead.contentapi.webhook_urls")),
]
