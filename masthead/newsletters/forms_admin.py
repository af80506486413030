"""Forms for the newsletters admin. They check input; the views hand it to ``actions``."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.forms import WagtailAdminModelForm

from masthead.membership.models import Tier, normalise_email

from .models import Delivery, Newsletter, Segment, Suppression

MAX_TEST_ADDRESSES = 10


class Timing:
    NOW = "now"
    WHEN_PUBLISHED = "published"


def _refuse_huge_ids(field: forms.Field, values: Any) -> None:
    """Ids no database column can hold are an invalid choice, not a 500."""
    for item in values if isinstance(values, list | tuple) else [values]:
        if str(item).isdigit() and int(item) >= 2**63:
            raise ValidationError(
                field.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": item},
            )


class BoundedModelChoiceField(forms.ModelChoiceField):
    def clean(self, value: Any) -> Any:
        _refuse_huge_ids(self, value)
        return super().clean(value)


class BoundedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    def clean(self, value: Any) -> Any:
        _refuse_huge_ids(self, value or [])
        return super().clean(value)


def split_addresses(value: str) -> list[str]:
    """Addresses typed one a line, or separated by commas, semicolons or spaces."""
    return [part for part in re.split(r"[\s,;]+", value or "") if part]


class SendForm(forms.Form):
    """Which newsletter, who in it, the subject, and now or on publication."""

    newsletter = BoundedModelChoiceField(
        queryset=Newsletter.objects.none(),
        label=gettext_lazy("Newsletter"),
        empty_label=None,
    )
    segment = forms.ChoiceField(
        label=gettext_lazy("Send to"),
        choices=Segment.choices,
        initial=Segment.ALL,
        widget=forms.RadioSelect,
    )
    tiers = BoundedModelMultipleChoiceField(
        queryset=Tier.objects.none(),
        label=gettext_lazy("Tiers"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Only for “Members of chosen tiers”: members of any ticked tier."),
    )
    subject = forms.CharField(
        label=gettext_lazy("Email subject"),
        max_length=255,
        help_text=gettext_lazy("The article's headline, unless you change it."),
    )
    timing = forms.ChoiceField(
        label=gettext_lazy("When"),
        choices=[
            (Timing.NOW, gettext_lazy("Send now")),
            (
                Timing.WHEN_PUBLISHED,
                gettext_lazy(
                    "Send when the article is published (for drafts and scheduled articles)"
                ),
            ),
        ],
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, is_live: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        newsletter_field = self.fields["newsletter"]
        tiers_field = self.fields["tiers"]
        assert isinstance(newsletter_field, forms.ModelChoiceField)  # noqa: S101 - narrows the type
        assert isinstance(tiers_field, forms.ModelMultipleChoiceField)  # noqa: S101
        newsletter_field.queryset = Newsletter.objects.active()
        tiers_field.queryset = Tier.objects.active().paid().order_by("monthly_price", "name")
        self.is_live = is_live
        if is_live:
            # A published article can only go now; the choice would mean nothing.
            del self.fields["timing"]
        else:
            self.fields["timing"].initial = Timing.WHEN_PUBLISHED

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if cleaned.get("segment") == Segment.TIERS and not cleaned.get("tiers"):
            self.add_error(
                "tiers", _("Tick at least one tier, or choose another group of readers.")
            )
        if cleaned.get("segment") != Segment.TIERS:
            cleaned["tiers"] = []
        return cleaned

    @property
    def when_published(self) -> bool:
        return not self.is_live and self.cleaned_data.get("timing") == Timing.WHEN_PUBLISHED


class TestEmailForm(forms.Form):
    """A test of the email, sent at once to a few addresses."""

    newsletter = BoundedModelChoiceField(
        queryset=Newsletter.objects.none(),
        label=gettext_lazy("Newsletter"),
        empty_label=None,
        help_text=gettext_lazy("Its sender, header and footer are used."),
    )
    variant = forms.ChoiceField(
        label=gettext_lazy("Version"),
        choices=Delivery.Variant.choices,
        initial=Delivery.Variant.FULL,
        widget=forms.RadioSelect,
        help_text=gettext_lazy(
            "The free preview is what readers get who may not read the whole article."
        ),
    )
    subject = forms.CharField(label=gettext_lazy("Email subject"), max_length=255)
    addresses = forms.CharField(
        label=gettext_lazy("Send the test to"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Up to %(count)s addresses, one a line or separated by commas.")
        % {"count": MAX_TEST_ADDRESSES},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        newsletter_field = self.fields["newsletter"]
        assert isinstance(newsletter_field, forms.ModelChoiceField)  # noqa: S101 - narrows the type
        newsletter_field.queryset = Newsletter.objects.active()

    def clean_addresses(self) -> list[str]:
        addresses: list[str] = []
        invalid: list[str] = []
        for address in split_addresses(self.cleaned_data["addresses"]):
            try:
                validate_email(address)
            except ValidationError:
                invalid.append(address)
                continue
            address = normalise_email(address)
            if address not in addresses:
                addresses.append(address)
        if invalid:
            raise ValidationError(
                _("These are not email addresses: %(addresses)s. Correct or remove them.")
                % {"addresses": ", ".join(invalid[:5])},
                code="invalid",
            )
        if not addresses:
            raise ValidationError(_("Type at least one address."), code="required")
        if len(addresses) > MAX_TEST_ADDRESSES:
            raise ValidationError(
                _(
                    "A test goes to at most %(max)s addresses; you typed %(count)s. To reach "
                    "more people, send the article to a newsletter."
                )
                % {"max": MAX_TEST_ADDRESSES, "count": len(addresses)},
                code="too_many",
            )
        return addresses


class SuppressionAddForm(WagtailAdminModelForm):
    """An address staff block by hand: it is never mailed again until removed."""

    class Meta:
        model = Suppression
        fields = ["email", "detail"]
        labels = {"email": gettext_lazy("Email address"), "detail": gettext_lazy("Note")}
        help_texts = {
            "detail": gettext_lazy("Why, for the next person who reads this list (optional)."),
        }

    def clean_email(self) -> str:
        email = normalise_email(self.cleaned_data["email"])
        if Suppression.objects.filter(email=email).exists():
            raise ValidationError(
                _("%(email)s is already on the list: nothing is sent to it.") % {"email": email},
                code="already_suppressed",
            )
        return email
