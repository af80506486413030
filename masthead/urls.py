"""The root URLconf: Ghost's URL scheme on top of Wagtail's page tree."""

from django.conf import settings
from django.urls import URLPattern, URLResolver, include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from masthead.publishing.videos import IMAGE_FOLDERS, MEDIA_FOLDERS, serve_media

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("", include("masthead.contentapi.urls")),
    path("members/", include("masthead.membership.urls")),
    path("webhooks/email/", include("masthead.newsletters.tracking")),
    path("", include("masthead.newsletters.urls")),
    path("", include("masthead.publishing.urls")),
]

if settings.MASTHEAD_SERVE_MEDIA:
    # Without a web server or bucket in front, the app serves uploaded files itself: images,
    # and video and audio (wagtailmedia) with the byte ranges a player asks for to seek.
    # Only those folders, even through "..": documents go through Wagtail's /documents/
    # view, which enforces their privacy settings, and must never be reachable by their
    # file path.
    prefix = settings.MEDIA_URL.lstrip("/")
    urlpatterns += [
        re_path(
            rf"^{prefix}(?P<path>(?:original_images|images)/.*)$",
            serve_media,
            {"folders": IMAGE_FOLDERS},
        ),
        re_path(
            rf"^{prefix}(?P<path>(?:media|media_thumbnails)/.*)$",
            serve_media,
            {"folders": MEDIA_FOLDERS},
        ),
    ]

# Wagtail's catch-all comes last: articles and pages at /<slug>/, as in Ghost.
urlpatterns.append(path("", include(wagtail_urls)))
