"""Forms for the members admin. They check input; the views hand it to ``actions``."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.widgets import AdminDateInput

from .member_csv import MAX_FILE_BYTES
from .models import Label, Member, Tier, normalise_email
from .templatetags.membership_tags import ZERO_DECIMAL, money


class LabelChoiceField(forms.ModelMultipleChoiceField):
    """Label checkboxes that refuse ids no database column can hold, instead of a 500."""

    def clean(self, value: Any) -> Any:
        for item in value or ():
            if str(item).isdigit() and int(item) >= 2**63:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": item},
                )
        return super().clean(value)


def _labels_field() -> forms.ModelMultipleChoiceField:
    return LabelChoiceField(
        queryset=Label.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Labels"),
        help_text=gettext_lazy("Add new labels under Members → Labels."),
    )


def _email_in_use_message(email: str) -> str:
    return _(
        "Another member already uses %(email)s. Search for them in the members list "
        "instead of adding the address twice."
    ) % {"email": email}


class MemberAddForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Email"), max_length=191)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=191, required=False)
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Only staff see this."),
    )
    labels = _labels_field()

    def clean_email(self) -> str:
        email = normalise_email(self.cleaned_data["email"])
        if Member.objects.filter(email=email).exists():
            raise forms.ValidationError(_email_in_use_message(email), code="email_in_use")
        return email


class MemberDetailsForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=191, required=False)
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Only staff see this."),
    )
    labels = _labels_field()


class MemberEmailForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("New email address"),
        max_length=191,
        help_text=gettext_lazy(
            "The member is signed out on every device and signs in with the new address "
            "from now on. Nothing is emailed to them."
        ),
    )

    def __init__(self, *args: Any, member: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.member = member

    def clean_email(self) -> str:
        email = normalise_email(self.cleaned_data["email"])
        if email == self.member.email:
            raise forms.ValidationError(
                _("That is already this member's address. Type the new one."), code="unchanged"
            )
        if Member.objects.filter(email=email).exclude(pk=self.member.pk).exists():
            raise forms.ValidationError(_email_in_use_message(email), code="email_in_use")
        return email


class CompForm(forms.Form):
    tier = forms.ModelChoiceField(
        queryset=Tier.objects.none(),
        label=gettext_lazy("Tier"),
        empty_label=None,
        help_text=gettext_lazy("Hidden tiers can be given too; archived ones cannot."),
    )
    last_day = forms.DateField(
        label=gettext_lazy("Last day (optional)"),
        required=False,
        widget=AdminDateInput,
        help_text=gettext_lazy("Leave empty to keep it until you remove it."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tier_field = self.fields["tier"]
        assert isinstance(tier_field, forms.ModelChoiceField)  # noqa: S101 - narrows the type
        tier_field.queryset = Tier.objects.active().paid().order_by("monthly_price", "name")

    def clean_last_day(self) -> date | None:
        last_day: date | None = self.cleaned_data["last_day"]
        if last_day is not None and last_day < timezone.localdate():
            raise forms.ValidationError(
                _("That day has passed. Pick today or a later day, or leave it empty."),
                code="past",
            )
        if last_day is not None and last_day.year > 9000:
            raise forms.ValidationError(
                _("Pick a last day before the year 9000, or leave it empty for no end."),
                code="too_far",
            )
        return last_day

    @property
    def ends_at(self) -> datetime | None:
        """The end of the chosen last day, in the site's time zone."""
        last_day: date | None = self.cleaned_data.get("last_day")
        if last_day is None:
            return None
        return timezone.make_aware(datetime.combine(last_day + timedelta(days=1), time.min))


class MemberImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Members CSV file"),
        help_text=gettext_lazy(
            "A members export from Ghost, or any CSV whose first line names the columns, "
            "with at least “email”."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _(
                    "The file is larger than %(size)s MB. Split it into smaller files, or "
                    "import it with the import_members command."
                )
                % {"size": MAX_FILE_BYTES // (1024 * 1024)},
                code="too_large",
            )
        return upload


class RefundForm(forms.Form):
    """How much of one payment to refund, typed in the payment's currency.

    ``cleaned_data["amount"]`` is in cents; ``left`` is what may still be refunded, in cents.
    """

    amount = forms.DecimalField(
        label=gettext_lazy("Amount to refund"),
        max_digits=12,
        help_text=gettext_lazy("All that is left, unless you change it for a partial refund."),
    )

    def __init__(self, *args: Any, currency: str, left: int, **kwargs: Any) -> None:
        self.currency = currency.upper()
        self.left = left
        self.unit = 1 if self.currency in ZERO_DECIMAL else 100
        kwargs.setdefault("initial", {"amount": self._major(left)})
        super().__init__(*args, **kwargs)
        self.fields["amount"].label = _("Amount to refund (%(currency)s)") % {
            "currency": self.currency
        }

    def _major(self, cents: int) -> Decimal:
        if self.unit == 1:
            return Decimal(cents)
        return (Decimal(cents) / self.unit).quantize(Decimal("0.01"))

    def clean_amount(self) -> int:
        value: Decimal = self.cleaned_data["amount"]
        cents = value * self.unit
        if cents != cents.to_integral_value():
            raise forms.ValidationError(
                _("%(currency)s amounts have at most %(places)s decimals.")
                % {"currency": self.currency, "places": 0 if self.unit == 1 else 2},
                code="too_precise",
            )
        if cents <= 0:
            raise forms.ValidationError(
                _("Enter an amount above zero. To refund nothing, go back to the member."),
                code="not_positive",
            )
        if cents > self.left:
            raise forms.ValidationError(
                _("At most %(left)s is left to refund on this payment. Enter that amount or less.")
                % {"left": money(self.left, self.currency)},
                code="more_than_left",
            )
        return int(cents)
