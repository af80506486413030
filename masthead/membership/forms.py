"""Forms readers fill in: joining, signing in, codes, account changes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from .models import SignupSource


def safe_next(url: str | None, *, fallback: str = "/") -> str:
    """Where to send the reader afterwards: a path on this site, never somewhere else."""
    if (
        url
        and url_has_allowed_host_and_scheme(url, allowed_hosts=None, require_https=False)
        and url.startswith("/")
        and not url.startswith("//")
    ):
        return url
    return fallback


class EmailForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        max_length=191,
        error_messages={
            "required": _("Enter your email address; we will send you a sign-in link."),
            "invalid": _("Enter a complete email address, like name@example.org."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}),
    )
    # Hidden from people with CSS and from screen readers; bots fill every field. The
    # name matches nothing browsers or password managers autofill.
    mh_trap = forms.CharField(required=False, label=_("Leave this empty"))
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    @property
    def is_bot(self) -> bool:
        return bool(self.cleaned_data.get("mh_trap"))

    def clean_next(self) -> str:
        return safe_next(self.cleaned_data.get("next"), fallback="")


class SignUpForm(EmailForm):
    name = forms.CharField(
        label=_("Your name (optional)"),
        max_length=191,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    source = forms.ChoiceField(
        choices=[
            (SignupSource.DIRECT, ""),
            (SignupSource.PAYWALL, ""),
            (SignupSource.CAMPAIGN, ""),
        ],
        required=False,
        widget=forms.HiddenInput,
    )
    page_id = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    campaign_id = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    field_order = ["name", "email", "mh_trap", "next", "source", "page_id", "campaign_id"]


class CodeForm(forms.Form):
    request = forms.RegexField(regex=r"^[0-9a-f]{32}$", widget=forms.HiddenInput)
    code = forms.RegexField(
        label=_("6-digit code"),
        regex=r"^\s*[0-9]{3}\s?[0-9]{3}\s*$",
        error_messages={
            "required": _("Enter the 6-digit code from the email."),
            "invalid": _("The code is six digits, like 123456."),
        },
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": "7"}
        ),
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_code(self) -> str:
        return "".join(self.cleaned_data["code"].split())

    def clean_next(self) -> str:
        return safe_next(self.cleaned_data.get("next"), fallback="")


class NameForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=191, required=False)


class EmailChangeForm(forms.Form):
    email = forms.EmailField(
        label=_("New email address"),
        max_length=191,
        error_messages={"invalid": _("Enter a complete email address, like name@example.org.")},
    )


class DeleteAccountForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand that my account and membership will be deleted for good."),
        error_messages={"required": _("Tick the box to confirm, or go back to your account.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.support_email = settings.MASTHEAD_SUPPORT_EMAIL
