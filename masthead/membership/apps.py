from django.apps import AppConfig


class MembershipConfig(AppConfig):
    """Readers who sign up or pay: members, tiers and the access policy."""

    name = "masthead.membership"
    label = "membership"
    verbose_name = "Membership"
    # (job, seconds): run by `masthead worker`'s scheduler; see masthead/scheduler.py.
    periodic_jobs = [
        ("masthead.membership.jobs.expire_memberships", 300),
        ("masthead.membership.jobs.purge_sign_in_requests", 3600),
        ("masthead.membership.jobs.send_due_gifts", 60),
        ("masthead.membership.jobs.retry_provider_events", 300),
    ]

    def ready(self) -> None:
        from . import signal_handlers, variants

        signal_handlers.connect()
        variants.connect()
