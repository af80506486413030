"""Reactions the sender must not know about: keeping the provider's catalogue in step."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save


def _tier_saved(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    """A paid tier edited in the admin gets its product and prices updated at the provider."""
    from .payments import payments_enabled
    from .tasks import sync_tier_with_provider

    update_fields = kwargs.get("update_fields")
    provider_fields = {
        "provider_product_id",
        "provider_monthly_price_id",
        "provider_yearly_price_id",
        "updated_at",
    }
    if raw or instance.is_free or not payments_enabled():
        return
    if update_fields is not None and set(update_fields) <= provider_fields:
        return  # the sync itself saving what it created
    transaction.on_commit(lambda: sync_tier_with_provider.enqueue(tier_id=instance.pk))


def connect() -> None:
    from .models import Tier

    post_save.connect(_tier_saved, sender=Tier, dispatch_uid="masthead-tier-sync")
