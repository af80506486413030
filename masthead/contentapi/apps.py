from django.apps import AppConfig


class ContentApiConfig(AppConfig):
    """Ghost-compatible Content and Admin APIs."""

    name = "masthead.contentapi"
    label = "contentapi"
    verbose_name = "Content API"
