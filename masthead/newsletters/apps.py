from django.apps import AppConfig


class NewslettersConfig(AppConfig):
    """Email to readers: newsletters, subscriptions and sends."""

    name = "masthead.newsletters"
    label = "newsletters"
    verbose_name = "Newsletters"
    # Run by ``masthead worker``'s scheduler (see masthead/scheduler.py).
    periodic_jobs = [("masthead.newsletters.jobs.resume_stalled_sends", 30)]

    def ready(self) -> None:
        from . import receivers, signal_handlers

        receivers.connect()
        signal_handlers.connect()
