"""Newsroom staff accounts: the people who sign in to the admin.

Readers who sign up or pay are members (``membership.Member``), never users: the two
populations have different sign-in, privacy rules and sizes, as in Ghost.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A staff account for the editors' admin.

    Declared from the first migration so the project never has to swap user models
    later, which Django cannot do on a live database.
    """

    email = models.EmailField(_("email address"), unique=True)

    class Meta:
        verbose_name = _("staff account")
        verbose_name_plural = _("staff accounts")
        ordering = ["last_name", "first_name", "username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username
