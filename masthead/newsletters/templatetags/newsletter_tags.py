"""Newsletter checkboxes for templates of other apps: the sign-up form and the account."""

from __future__ import annotations

from typing import Any

from django import template

from masthead.membership.models import Member

from ..forms import NewsletterChoice, preference_choices, signup_choices

register = template.Library()


@register.simple_tag
def signup_newsletter_choices(form: Any = None) -> list[NewsletterChoice]:
    """The newsletters a sign-up form offers, ticked by default or as the reader left them."""
    data = form.data if form is not None and getattr(form, "is_bound", False) else None
    return signup_choices(data)


@register.simple_tag
def newsletter_preference_choices(member: Member | None) -> list[NewsletterChoice]:
    """The newsletters open to ``member``, ticked where they are subscribed."""
    return preference_choices(member) if member is not None else []
