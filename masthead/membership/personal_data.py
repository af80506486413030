"""Everything masthead keeps about a member, for “export my data” and staff exports."""

from __future__ import annotations

from typing import Any

from .models import Member


def member_data_export(member: Member) -> dict[str, Any]:
    """The member's own data as JSON-ready values (GDPR article 15 and 20)."""
    return {
        "member": {
            "email": member.email,
            "name": member.name,
            "status": member.status,
            "signed_up": member.created_at.isoformat(),
            "signup_source": member.signup_source,
            "last_seen": member.last_seen_at.isoformat() if member.last_seen_at else None,
            "email_verified": (
                member.email_verified_at.isoformat() if member.email_verified_at else None
            ),
            "labels": sorted(member.labels.values_list("name", flat=True)),
            "note_by_staff": member.note,
        },
        "memberships": [
            {
                "tier": membership.tier.name,
                "source": membership.source,
                "starts": membership.starts_at.isoformat(),
                "ends": membership.ends_at.isoformat() if membership.ends_at else None,
            }
            for membership in member.memberships.select_related("tier").order_by("starts_at")
        ],
        "activity": [
            {
                "when": event.created_at.isoformat(),
                "what": event.get_kind_display(),
                "details": event.detail,
            }
            for event in member.events.order_by("created_at")
        ],
        "metered_reads": [
            {"month": read.month.strftime("%Y-%m"), "page_id": read.page_id}
            for read in member.metered_reads.order_by("read_at")
        ],
    }
