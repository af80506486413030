"""The root URLconf: Ghost's URL scheme on top of Wagtail's page tree."""

from django.conf import settings
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.static import serve
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("members/", include("masthead.membership.urls")),
    path("webhooks/email/", include("masthead.newsletters.tracking")),
    path("", include("masthead.newsletters.urls")),
    path("", include("masthead.publishing.urls")),
]

if settings.MASTHEAD_SERVE_MEDIA:
    # Without a web server or bucket in front, the app serves uploaded images itself.
    # Only images: documents go through Wagtail's /documents/ view, which enforces
    # their privacy settings, and must never be reachable by their file path.
    prefix = settings.MEDIA_URL.lstrip("/")
    urlpatterns.append(
        re_path(
            rf"^{prefix}(?P<path>(?:original_images|images)/.*)$",
            serve,
            {"document_root": settings.MEDIA_ROOT},
        )
    )

# Wagtail's catch-all comes last: articles and pages at /<slug>/, as in Ghost.
urlpatterns.append(path("", include(wagtail_urls)))
