"""Errors of the membership domain, each with a stable code and a message for readers."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _


class MembershipError(Exception):
    code = "membership_error"

    def user_message(self) -> str:
        return _("Something on our side did not work. Please try again in a minute.")


class LinkExpired(MembershipError):
    code = "link_expired"

    def user_message(self) -> str:
        return _(
            "This sign-in link has expired or has already been used. "
            "Links work once and for %(minutes)s minutes: ask for a new one below."
        ) % {"minutes": settings.MASTHEAD_SIGNIN_LINK_MINUTES}


class CodeRejected(MembershipError):
    code = "code_rejected"

    def __init__(self, *, attempts_left: int) -> None:
        super().__init__(attempts_left)
        self.attempts_left = attempts_left

    def user_message(self) -> str:
        if self.attempts_left <= 0:
            return _("That code was wrong too many times. Ask for a new email below.")
        return _(
            "That code is not right. Check the six digits in the email and try again "
            "(%(left)s attempts left)."
        ) % {"left": self.attempts_left}


class TooManyRequests(MembershipError):
    code = "rate_limited"

    def user_message(self) -> str:
        return _(
            "Too many attempts in a short time. Wait a few minutes, then try again; "
            "if it keeps happening, write to %(email)s."
        ) % {"email": settings.MASTHEAD_SUPPORT_EMAIL}


class EmailInUse(MembershipError):
    code = "email_in_use"

    def user_message(self) -> str:
        return _(
            "Another account uses that address. Sign in with it instead, or write to "
            "%(email)s to merge the two."
        ) % {"email": settings.MASTHEAD_SUPPORT_EMAIL}


class SignupClosed(MembershipError):
    code = "signup_closed"

    def user_message(self) -> str:
        return _(
            "Membership is by invitation at the moment. Write to %(email)s to ask for one."
        ) % {"email": settings.MASTHEAD_SUPPORT_EMAIL}


class GiftAlreadyRedeemed(MembershipError):
    code = "gift_already_redeemed"

    def user_message(self) -> str:
        return _(
            "This gift has already been used. If you didn't redeem it, write to %(email)s and we'll sort it out."
        ) % {"email": settings.MASTHEAD_SUPPORT_EMAIL}


class GiftNotFound(MembershipError):
    code = "gift_not_found"

    def user_message(self) -> str:
        return _(
            "We don't know that gift code; check it against the email. It is 26 letters and "
            "digits, and you can paste the whole link instead."
        )


class GiftNotRedeemable(MembershipError):
    code = "gift_not_redeemable"

    def user_message(self) -> str:
        return _(
            "This gift cannot be redeemed: its payment did not go through or was refunded. "
            "Ask the person who gave it to you, or write to %(email)s."
        ) % {"email": settings.MASTHEAD_SUPPORT_EMAIL}
