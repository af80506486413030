from django.apps import AppConfig


class MastheadConfig(AppConfig):
    """The package itself, registered for its cross-app commands (seed_demo, worker, serve)."""

    name = "masthead"
    verbose_name = "masthead"
