from django.apps import AppConfig


class PublishingConfig(AppConfig):
    """What the newsroom publishes: articles, authors, tags, pages."""

    name = "masthead.publishing"
    label = "publishing"
    verbose_name = "Publishing"
