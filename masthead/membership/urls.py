"""Member URLs under ``/members/``; ``/members/?token=`` is where Ghost's links point too."""

from django.urls import path

from . import payment_views, views

app_name = "membership"

urlpatterns = [
    path("", views.verify, name="verify"),
    path("join/", views.join, name="join"),
    path("signin/", views.signin, name="signin"),
    path("gift/", payment_views.gift, name="gift"),
    path("gift/done/", payment_views.gift_done, name="gift_done"),
    path("gift/redeem/", payment_views.gift_redeem, name="gift_redeem"),
    path("support/", payment_views.support, name="support"),
    path("support/done/", payment_views.support_done, name="support_done"),
    path("check-email/", views.check_email, name="check_email"),
    path("code/", views.code, name="code"),
    path("signout/", views.signout, name="signout"),
    path("account/", views.account, name="account"),
    path("account/export/", views.account_export, name="account_export"),
    path("account/delete/", views.account_delete, name="account_delete"),
    path("meter/", views.meter_start, name="meter_start"),
    path("checkout/", payment_views.checkout, name="checkout"),
    path("checkout/done/", payment_views.checkout_done, name="checkout_done"),
    path("account/billing/", payment_views.manage_subscription, name="billing"),
    path("account/subscription/", payment_views.cancel_or_resume, name="subscription"),
    path("webhooks/stripe/", payment_views.stripe_webhook, name="stripe_webhook"),
    path("api/reader/", views.api_reader, name="api_reader"),
    path("api/member/", views.api_member, name="api_member"),
]
