from django.apps import AppConfig


class StaffConfig(AppConfig):
    """Newsroom staff accounts, roles and permissions."""

    name = "masthead.staff"
    label = "staff"
    verbose_name = "Staff"
