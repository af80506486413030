from django.apps import AppConfig


class PublishingConfig(AppConfig):
    """What the newsroom publishes: articles, authors, tags, pages."""

    name = "masthead.publishing"
    label = "publishing"
    verbose_name = "Publishing"
    # (job, seconds): run by `masthead worker`'s scheduler; see masthead/scheduler.py.
    periodic_jobs = [("masthead.publishing.jobs.publish_scheduled_pages", 15)]
