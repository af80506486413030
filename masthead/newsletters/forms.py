"""Forms readers fill in about newsletters: the public sign-up and their preferences."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from masthead.membership.forms import EmailForm
from masthead.membership.models import Member
from masthead.membership.views import NEWSLETTERS_OFFERED_FIELD

from .models import Newsletter


@dataclass(frozen=True)
class NewsletterChoice:
    """One checkbox: a newsletter and whether it is ticked."""

    newsletter: Newsletter
    checked: bool


def ticked_ids(data: QueryDict) -> set[int]:
    """The newsletter ids ticked in ``data``; anything that cannot be an id is dropped."""
    return {int(v) for v in data.getlist("newsletters")[:50] if v.isdigit() and len(v) <= 9}


def signup_choices(data: QueryDict | None = None) -> list[NewsletterChoice]:
    """The newsletters a sign-up form offers: those open to free members.

    Ticked as the newsletter's "subscribe new members" says, or as the reader left
    them when the form comes back with an error.
    """
    newsletters = list(Newsletter.objects.open_to(None))
    if data is not None and NEWSLETTERS_OFFERED_FIELD in data:
        ticked = ticked_ids(data)
        return [NewsletterChoice(n, n.pk in ticked) for n in newsletters]
    return [NewsletterChoice(n, n.subscribe_on_signup) for n in newsletters]


def preference_choices(member: Member) -> list[NewsletterChoice]:
    """The newsletters open to ``member``, ticked where they are subscribed."""
    subscribed = set(
        member.newsletter_subscriptions.subscribed().values_list("newsletter_id", flat=True)
    )
    return [
        NewsletterChoice(n, n.pk in subscribed)
        for n in Newsletter.objects.open_to(member).only(
            "pk", "name", "description", "visibility", "status"
        )
    ]


def chosen_newsletters(data: QueryDict, *, open_to: Iterable[Newsletter]) -> list[Newsletter]:
    """The newsletters ticked in ``data`` among ``open_to``; ids from elsewhere are ignored."""
    ticked = ticked_ids(data)
    return [n for n in open_to if n.pk in ticked]


class NewsletterSignupForm(EmailForm):
    """The public newsletter page: an address and at least one newsletter."""

    newsletters = forms.ModelMultipleChoiceField(
        queryset=Newsletter.objects.none(),
        error_messages={
            "required": _("Choose at least one newsletter."),
            "invalid_choice": _("Choose among the newsletters listed."),
            "invalid_pk_value": _("Choose among the newsletters listed."),
        },
    )

    field_order = ["newsletters", "email", "mh_trap", "next"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Read per form, not once at import: newsletters come and go.
        field = cast(forms.ModelMultipleChoiceField, self.fields["newsletters"])
        field.queryset = Newsletter.objects.open_to(None)

    def choices(self) -> list[NewsletterChoice]:
        """The checkboxes, ticked as submitted (or the only one there is, on a new form)."""
        newsletters = list(Newsletter.objects.open_to(None))
        if self.is_bound:
            ticked = ticked_ids(self.data) if isinstance(self.data, QueryDict) else set()
            return [NewsletterChoice(n, n.pk in ticked) for n in newsletters]
        # Consent is given by ticking; a box is ticked for the reader only when there
        # is nothing else to choose.
        return [NewsletterChoice(n, len(newsletters) == 1) for n in newsletters]
