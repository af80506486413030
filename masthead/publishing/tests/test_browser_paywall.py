"""Joining from the paywall in a real headless Chromium, with the email over real SMTP."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings

from masthead.membership.access import Visibility
from masthead.membership.models import Member, Tier
from masthead.publishing.factories import ArticlePageFactory, paragraph_blocks

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SECRET = "The ledger shows 41 transfers to the contractor."


@pytest.fixture
def gated_story(db: None) -> Any:
    from wagtail.models import Site

    home = Site.objects.get(is_default_site=True).root_page.specific
    Tier.objects.create(
        name="Supporter", slug="supporter", monthly_price=500, yearly_price=5000, currency="EUR"
    )
    return ArticlePageFactory(
        parent=home,
        title="Follow the money: the reservoir contract",
        slug="follow-the-money",
        dek="How a water contract changed hands three times in a week.",
        body=[
            *paragraph_blocks(["The contract was signed on a Tuesday, in a hurry."]),
            {"type": "paywall", "value": None},
            *paragraph_blocks([SECRET, "Officials declined to comment."]),
        ],
        visibility=Visibility.MEMBERS,
    )


def test_a_reader_joins_from_the_paywall_and_reads_the_story(
    browser: Any, live_server: Any, smtp_inbox: Any, gated_story: Any
) -> None:
    page = browser.new_page()
    page.goto(live_server.url + gated_story.url)
    paywall = page.locator(".paywall")
    assert paywall.is_visible()
    assert SECRET not in page.content()

    # The form's CSRF token arrives from /members/api/reader/ after the page loads.
    page.wait_for_function("document.querySelector('.paywall input[data-csrf]').value !== ''")
    paywall.get_by_label("Email address").fill("browser.reader@example.org")
    paywall.get_by_label("Your name (optional)").fill("Bea Browser")
    paywall.get_by_role("button", name="Join free to keep reading").click()
    page.wait_for_url("**/members/check-email/**")
    assert page.get_by_role("heading", name="Check your inbox").is_visible()

    link = smtp_inbox.link_for("browser.reader@example.org")
    page.goto(link.replace(settings.MASTHEAD_SITE_URL, live_server.url))
    page.wait_for_url(live_server.url + gated_story.url)
    page.get_by_text(SECRET).wait_for()
    assert page.locator(".paywall").count() == 0
    assert page.locator("[data-notice]").filter(has_text="Welcome!").is_visible()
    page.wait_for_function(
        "document.querySelector('[data-live-region]').textContent.includes('Welcome!')"
    )
    assert page.get_by_role("link", name="Account").is_visible()
    assert Member.objects.get().name == "Bea Browser"
    page.close()


def test_a_reader_on_another_device_types_the_code(
    browser: Any, live_server: Any, smtp_inbox: Any, gated_story: Any
) -> None:
    Member.objects.create(email="returning@example.org", name="Rita")
    page = browser.new_page()
    page.goto(live_server.url + "/members/signin/?next=" + gated_story.url)
    page.wait_for_function("document.querySelector('input[data-csrf]').value !== ''")
    page.get_by_label("Email address").fill("returning@example.org")
    page.get_by_role("button", name="Send me a link").click()
    page.wait_for_url("**/members/check-email/**")
    page.get_by_label("6-digit code").fill(smtp_inbox.code_for("returning@example.org"))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(live_server.url + gated_story.url)
    page.get_by_text(SECRET).wait_for()
    page.close()


@pytest.mark.parametrize("viewport", [(1366, 900), (390, 844)], ids=["desktop", "mobile"])
def test_member_pages_have_no_accessibility_violations(
    browser: Any, live_server: Any, gated_story: Any, axe_violations: Any, viewport: Any
) -> None:
    from django.core import signing

    member = Member.objects.create(email="axe@example.org", name="Axel")
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    report = {}
    for name, url in {
        "paywall": gated_story.url,
        "join": "/members/join/",
        "sign in": "/members/signin/",
        "check email": "/members/check-email/?r=" + "0" * 32,
        "expired link": "/members/?token=expired",
        "gift": "/members/gift/",
    }.items():
        page.goto(live_server.url + url)
        if violations := axe_violations(page):
            report[name] = violations
    cookie = signing.dumps(
        [member.pk, member.session_version], salt="masthead.membership.session", compress=False
    )
    page.context.add_cookies(
        [{"name": settings.MASTHEAD_MEMBER_COOKIE, "value": cookie, "url": live_server.url}]
    )
    for name, url in {"account": "/members/account/", "delete": "/members/account/delete/"}.items():
        page.goto(live_server.url + url)
        if violations := axe_violations(page):
            report[name] = violations
    page.close()
    assert report == {}, json.dumps(report, indent=2)


def test_a_reader_pays_from_the_paywall_and_comes_back_to_the_story(
    browser: Any, live_server: Any, settings: Any, gated_story: Any
) -> None:
    from masthead.membership.payments import get_provider
    from masthead.membership.tests.stripe_standin import StripeStandIn
    from masthead.membership.tests.test_payments import deliver_all

    gated_story.visibility = Visibility.PAID
    gated_story.save()
    # Webhooks are delivered by the test afterwards, not by the stand-in during the page
    # flow: the test database is an in-memory SQLite shared by the live server's threads,
    # where two writers at once fail ("table is locked"); production SQLite uses WAL.
    with StripeStandIn() as stripe:
        settings.MASTHEAD_SITE_URL = live_server.url
        settings.MASTHEAD_STRIPE_SECRET_KEY = "sk_test_browser"
        settings.MASTHEAD_STRIPE_WEBHOOK_SECRET = stripe.webhook_secret
        settings.MASTHEAD_STRIPE_API_BASE = stripe.url
        get_provider().sync_tier(Tier.objects.get(slug="supporter"))
        page = browser.new_page()
        page.goto(live_server.url + gated_story.url)
        assert SECRET not in page.content()
        page.wait_for_function("document.querySelector('.tier__buy input[data-csrf]').value !== ''")
        page.get_by_role("button", name="Join Supporter monthly").click()
        # The stand-in's hosted checkout page, as Stripe's would be.
        page.wait_for_url(stripe.url + "/checkout/**")
        page.get_by_label("Email").fill("new.payer@example.org")
        page.get_by_role("button", name="Pay").click()
        page.wait_for_url(live_server.url + gated_story.url)
        page.get_by_text(SECRET).wait_for()
        assert page.locator("[data-notice]").filter(has_text="membership is active").is_visible()
        member = Member.objects.get()
        assert (member.email, member.status) == ("new.payer@example.org", "paid")
        page.close()
        # The webhooks that follow confirm the same state.
        deliver_all(stripe)
        member.refresh_from_db()
        assert member.status == "paid" and member.subscriptions.get().status == "active"
