"""Forms readers fill in to pay once: a gift membership, or support of an amount they choose."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import MAXIMUM_SUPPORT_AMOUNT, MINIMUM_CHARGE, Gift, Tier, gift_price
from .templatetags.membership_tags import ZERO_DECIMAL, money

# A gift emailed on a later day goes out in the morning, not at midnight.
GIFT_SEND_HOUR = 8
# Further ahead than this is more likely a typo in the year than a plan.
GIFT_SEND_MAX_DAYS = 366
_AMOUNT = re.compile(r"^([0-9]{1,9})(?:[.,]([0-9]{1,2}))?$")
_CURRENCY_SIGNS = "€$£¥₴"


class GiftForm(forms.Form):
    DELIVERY_EMAIL = "email"
    DELIVERY_HANDOVER = "handover"

    tier = forms.ModelChoiceField(
        queryset=Tier.objects.none(),
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose the membership you want to give."),
            "invalid_choice": _("That membership is no longer offered; choose another one."),
        },
    )
    months = forms.TypedChoiceField(
        choices=Gift.Months.choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose how long the gift lasts."),
            "invalid_choice": _("Choose 1, 3, 6 or 12 months."),
        },
    )
    buyer_email = forms.EmailField(
        label=_("Your email address"),
        max_length=191,
        error_messages={
            "required": _("Enter your email address; we send your receipt there."),
            "invalid": _("Enter a complete email address, like name@example.org."),
        },
    )
    buyer_name = forms.CharField(label=_("Your name (optional)"), max_length=191, required=False)
    delivery = forms.ChoiceField(
        choices=[
            (DELIVERY_EMAIL, _("Email it to them")),
            (DELIVERY_HANDOVER, _("I'll hand over the link myself")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how the gift reaches them.")},
    )
    recipient_name = forms.CharField(
        label=_("Their name (optional)"), max_length=191, required=False
    )
    recipient_email = forms.EmailField(
        label=_("Their email address"),
        max_length=191,
        required=False,
        error_messages={"invalid": _("Enter a complete email address, like name@example.org.")},
    )
    send_date = forms.DateField(
        label=_("Send it on (optional)"),
        required=False,
        error_messages={"invalid": _("Enter a date like 2026-12-24, or leave it empty.")},
    )
    message = forms.CharField(
        label=_("A message for them (optional)"),
        max_length=300,
        required=False,
        error_messages={
            "max_length": _(
                "Keep the message to %(limit_value)d characters (it has %(show_value)d)."
            )
        },
    )

    def __init__(self, *args: Any, tiers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tier"].queryset = tiers  # type: ignore[attr-defined]  # ModelChoiceField

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        today = timezone.localdate()
        delivery = data.get("delivery")
        send_date: date | None = data.get("send_date")
        if delivery == self.DELIVERY_EMAIL:
            if not data.get("recipient_email") and "recipient_email" not in self.errors:
                self.add_error(
                    "recipient_email",
                    _("Enter their email address, or choose to hand over the link yourself."),
                )
            if send_date is not None and send_date < today:
                self.add_error("send_date", _("Choose today or a later date."))
            elif send_date is not None and send_date > self.latest_send_date(today):
                self.add_error("send_date", _("Choose a date within the next year."))
        tier, months = data.get("tier"), data.get("months")
        price = gift_price(tier, months) if tier is not None and months else None
        if tier is not None and months and price is None:
            self.add_error("tier", _("That membership cannot be given yet; choose another one."))
        elif price is not None and price < MINIMUM_CHARGE:
            # The provider refuses such a charge, and would be blamed for being "down".
            self.add_error(
                "months", _("This gift costs less than we can charge online; choose a longer gift.")
            )
        elif price is not None and price > MAXIMUM_SUPPORT_AMOUNT:
            self.add_error(
                "months",
                _(
                    "This gift costs more than we can take online at once. Choose a shorter "
                    "gift, or write to %(email)s and we'll arrange it."
                )
                % {"email": settings.MASTHEAD_SUPPORT_EMAIL},
            )
        data["send_at"] = self._send_at(delivery, send_date, today)
        return data

    @staticmethod
    def latest_send_date(today: date) -> date:
        return today + timedelta(days=GIFT_SEND_MAX_DAYS)

    @staticmethod
    def _send_at(delivery: str | None, send_date: date | None, today: date) -> datetime | None:
        """None when the buyer hands over the link; now for today; the morning of a later day."""
        if delivery != GiftForm.DELIVERY_EMAIL:
            return None
        if send_date is None or send_date <= today:
            return timezone.now()
        return timezone.make_aware(datetime.combine(send_date, time(GIFT_SEND_HOUR)))


class GiftCodeForm(forms.Form):
    """The code a reader types or pastes; the gift it opens is looked up by the action."""

    # No length limit here: whatever was pasted is shown back to be corrected, and only
    # the letters of a code count (``normalise_gift_code``).
    code = forms.CharField(label=_("Gift code"), required=False, strip=True)


class SupportForm(forms.Form):
    OTHER = "other"

    amount = forms.ChoiceField(
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose an amount, or enter your own."),
            "invalid_choice": _("Choose one of the amounts, or enter your own."),
        },
    )
    custom_amount = forms.CharField(label=_("Your amount"), max_length=20, required=False)
    email = forms.EmailField(
        label=_("Your email address"),
        max_length=191,
        error_messages={
            "required": _("Enter your email address; we send your receipt there."),
            "invalid": _("Enter a complete email address, like name@example.org."),
        },
    )
    monthly = forms.BooleanField(label=_("Make it monthly"), required=False)

    def __init__(
        self, *args: Any, presets: list[int], minimum: int, currency: str, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.presets = presets
        self.minimum = minimum
        self.currency = currency.upper()
        self.fields["amount"].choices = [  # type: ignore[attr-defined]  # ChoiceField
            *[(str(cents), money(cents, self.currency)) for cents in presets],
            (self.OTHER, _("Another amount")),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        choice = data.get("amount")
        if choice is None:
            return data
        if choice != self.OTHER:
            data["amount_cents"] = int(choice)
            return data
        cents = self._parse(data.get("custom_amount") or "")
        if cents is None:
            self.add_error("custom_amount", _("Enter an amount in numbers, like 15 or 15.50."))
        elif cents < self.minimum:
            self.add_error(
                "custom_amount",
                _("The smallest amount we can take is %(minimum)s. Enter that or more.")
                % {"minimum": money(self.minimum, self.currency)},
            )
        elif cents > MAXIMUM_SUPPORT_AMOUNT:
            self.add_error(
                "custom_amount",
                _(
                    "Online we can take up to %(maximum)s at a time. For more, write to "
                    "%(email)s and we'll arrange a bank transfer."
                )
                % {
                    "maximum": money(MAXIMUM_SUPPORT_AMOUNT, self.currency),
                    "email": settings.MASTHEAD_SUPPORT_EMAIL,
                },
            )
        else:
            data["amount_cents"] = cents
        return data

    def _parse(self, text: str) -> int | None:
        """``"15"``, ``"15.5"``, ``"15,50"``, ``"€ 1 000"`` → cents; None if it is not an amount."""
        text = "".join(text.upper().replace(self.currency, "").split())
        match = _AMOUNT.match(text.strip(_CURRENCY_SIGNS))
        if match is None:
            return None
        whole, fraction = match.group(1), match.group(2) or ""
        if self.currency in ZERO_DECIMAL:
            return None if fraction.strip("0") else int(whole)
        return int(Decimal(f"{whole}.{fraction or '0'}") * 100)
