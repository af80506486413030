"""Signals membership sends for the apps above it, which it may not import.

Both are sent with ``sender=Member`` once the transaction that made the change commits,
through ``send_robust``: a receiver that fails is logged by Django and never undoes or
interrupts the sign-up or sign-in. A transaction (or savepoint) that rolls back sends
nothing. Receivers that need the member's state after the commit (a checkout makes the
member and then their paid membership, in one transaction) read it again.
"""

from django.dispatch import Signal

# A member row was created: the emailed sign-up link or code, a checkout, a gift or
# support payment, or staff adding someone.
#   member: Member
#   newsletters: list[int] | None, ids of the newsletters ticked on the form that asked
#       for the sign-up link ([] when all were unticked), or None when no form offered
#       a choice (old forms, the API, checkout, staff): the defaults apply.
member_created = Signal()

# An existing member opened an emailed sign-in link or typed its code.
#   member: Member
#   newsletters: list[int] | None, as for member_created, from the form that asked for it
#   source: str, the SignupSource of that form ("newsletter" for the newsletter page)
member_signed_in = Signal()

# A batch of a members CSV was imported (Ghost's ``subscribed_to_emails`` column), sent
# inside the batch's transaction so the subscriptions land with the members:
#   subscribed: list[int], ids of members whose row says true (or, for a new member,
#       left it empty): they get the default newsletters, unless they unsubscribed before
#   unsubscribed: list[int], ids of members whose row says false: they get none
members_imported = Signal()

# Asked while exporting members: which of ``member_ids`` receive email? Receivers return
# a set of ids; without any receiver, every member counts as receiving email.
#   member_ids: list[int]
email_recipients_among = Signal()
