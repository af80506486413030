from django.apps import AppConfig


class MembershipConfig(AppConfig):
    """Readers who sign up or pay: members, tiers and the access policy."""

    name = "masthead.membership"
    label = "membership"
    verbose_name = "Membership"
