from django.apps import AppConfig


class MastheadConfig(AppConfig):
    """The package itself, registered for its cross-app commands (seed_demo, worker, serve)."""

    name = "masthead"
    verbose_name = "masthead"
    # (job, seconds): run by `masthead worker`'s scheduler; see masthead/scheduler.py. The
    # demo ticker does nothing unless MASTHEAD_DEMO_TICKER is on and the demo was seeded.
    periodic_jobs = [("masthead.demo.live.tick_demo_newsroom", 60)]
