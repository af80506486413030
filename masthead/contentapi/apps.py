from django.apps import AppConfig


class ContentApiConfig(AppConfig):
    """Ghost-compatible Content and Admin APIs."""

    name = "masthead.contentapi"
    label = "contentapi"
    verbose_name = "Content API"
    # Run by ``masthead worker``'s scheduler (see masthead/scheduler.py).
    periodic_jobs = [("masthead.contentapi.jobs.send_overdue_webhook_deliveries", 60)]

    def ready(self) -> None:
        from . import receivers

        receivers.connect()
