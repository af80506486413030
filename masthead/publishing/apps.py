from django.apps import AppConfig


class PublishingConfig(AppConfig):
    """What the newsroom publishes: articles, authors, tags, pages."""

    name = "masthead.publishing"
    label = "publishing"
    verbose_name = "Publishing"
    # (job, seconds): run by `masthead worker`'s scheduler; see masthead/scheduler.py.
    periodic_jobs = [("masthead.publishing.jobs.publish_scheduled_pages", 15)]

    def ready(self) -> None:
        from .invalidation import connect as connect_page_cache

        connect_page_cache()

        from django_tasks.signals import task_finished, task_started

        from .middleware import activate_site_timezone_for_task, restore_timezone_after_task

        task_started.connect(activate_site_timezone_for_task, dispatch_uid="masthead.task_tz")
        task_finished.connect(restore_timezone_after_task, dispatch_uid="masthead.task_tz_end")

        from wagtail.signals import page_published

        from .social import draw_card_after_publish

        page_published.connect(draw_card_after_publish, dispatch_uid="masthead.share_card")

        from .receivers import reindex_live_page
        from .signals import live_update_changed

        live_update_changed.connect(reindex_live_page, dispatch_uid="masthead.live_reindex")

        from .actions import touch_updates_after_publish

        page_published.connect(
            touch_updates_after_publish, dispatch_uid="masthead.live_update_promoted"
        )
        from wagtail.signals import page_unpublished

        page_unpublished.connect(
            touch_updates_after_publish, dispatch_uid="masthead.live_update_promoted_down"
        )

        # Image renditions are cut by a task after publishing, not by the first reader.
        from .renditions import make_renditions_after_live_update, make_renditions_after_publish

        page_published.connect(make_renditions_after_publish, dispatch_uid="masthead.renditions")
        live_update_changed.connect(
            make_renditions_after_live_update, dispatch_uid="masthead.renditions_live"
        )
