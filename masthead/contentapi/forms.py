"""The integration form of the admin's Integrations screen."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class IntegrationForm(forms.Form):
    """Name and describe an integration; the keys are made, never typed."""

    name = forms.CharField(
        label=_("Name"),
        max_length=191,
        help_text=_("What will use the keys, e.g. “Static site build” or “Zapier”."),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Optional: who looks after it, or what it does with the site."),
    )

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Give the integration a name."))
        return name
