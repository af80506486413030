from django.apps import AppConfig


class ThemeConfig(AppConfig):
    """The default public theme: templates and static files."""

    name = "masthead.theme"
    label = "theme"
    verbose_name = "Theme"
