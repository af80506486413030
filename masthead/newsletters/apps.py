from django.apps import AppConfig


class NewslettersConfig(AppConfig):
    """Email to readers: newsletters, subscriptions and sends."""

    name = "masthead.newsletters"
    label = "newsletters"
    verbose_name = "Newsletters"
