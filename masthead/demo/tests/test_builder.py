"""What the demo builder writes for members and newsletters: one smaller build, checked many ways.

The newsroom is built once for the module (120 articles, 6 photos, 300 members: the
same mix as ``make demo``, scaled down) inside a transaction rolled back at the end.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta
from itertools import pairwise

import pytest
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from wagtail.models import Site

from masthead.demo import build_demo_newsroom, members, newsletters
from masthead.membership.access import Visibility
from masthead.membership.actions import status_from_memberships
from masthead.membership.counters import campaign_progress
from masthead.membership.models import (
    Campaign,
    Member,
    MemberEvent,
    Membership,
    MembershipSettings,
    MemberStatus,
    SignupSource,
    Tier,
)
from masthead.newsletters.admin_views import send_statistics
from masthead.newsletters.models import (
    Delivery,
    Newsletter,
    NewsletterSend,
    NewsletterSubscription,
    Suppression,
)
from masthead.publishing.models import ArticlePage, HomeTopStory

pytestmark = pytest.mark.django_db

MEMBERS = 300


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        summary = build_demo_newsroom(
            size="small", seed=1, member_count=MEMBERS, article_count=120, photo_count=6
        )
        yield summary
        transaction.set_rollback(True)
    cache.clear()  # counts cached from this build must not reach other tests


def test_paid_tiers_exist_with_prices_in_cents(demo):
    supporter = Tier.objects.get(slug="supporter")
    patron = Tier.objects.get(slug="patron")
    assert (supporter.monthly_price, supporter.yearly_price, supporter.currency) == (
        500,
        5000,
        "EUR",
    )
    assert (patron.monthly_price, patron.yearly_price, patron.trial_days) == (1500, 15000, 7)
    assert len(supporter.benefit_list) >= 3
    assert Tier.objects.filter(kind=Tier.Kind.FREE).count() == 1
    assert list(Tier.objects.offered().values_list("slug", flat=True)) == [
        "free",
        "supporter",
        "patron",
    ]


def test_the_member_mix_is_mostly_free_with_some_of_every_kind(demo):
    statuses = Counter(Member.objects.values_list("status", flat=True))
    assert demo.members == Member.objects.count() == MEMBERS
    assert statuses[MemberStatus.FREE] > MEMBERS * 0.7
    assert statuses[MemberStatus.PAID] > statuses[MemberStatus.COMPED] > 0
    assert statuses[MemberStatus.GIFT] > 0
    assert Member.objects.exclude(last_seen_at=None).count() > MEMBERS / 2
    assert Member.objects.filter(labels__isnull=False).distinct().count() > 10


def test_every_stored_status_is_what_the_active_memberships_give(demo):
    active = defaultdict(list)
    for membership in Membership.objects.active().select_related("tier"):
        active[membership.member_id].append(membership)
    for member_id, status in Member.objects.values_list("pk", "status"):
        assert status == status_from_memberships(active[member_id]), member_id
    sources = {
        status: set(
            Membership.objects.active()
            .filter(member__status=status)
            .values_list("source", flat=True)
        )
        for status in (MemberStatus.PAID, MemberStatus.COMPED, MemberStatus.GIFT)
    }
    assert Membership.Source.PAYMENT in sources[MemberStatus.PAID]
    assert sources[MemberStatus.COMPED] == {Membership.Source.COMP}
    assert sources[MemberStatus.GIFT] == {Membership.Source.GIFT}


def test_each_member_signed_up_once_and_comps_are_on_their_timeline(demo):
    signed_up = Counter(
        MemberEvent.objects.filter(kind=MemberEvent.Kind.SIGNED_UP).values_list(
            "member_id", flat=True
        )
    )
    assert len(signed_up) == MEMBERS and set(signed_up.values()) == {1}
    comped = Member.objects.filter(status=MemberStatus.COMPED)
    assert MemberEvent.objects.filter(kind=MemberEvent.Kind.COMPED).count() == comped.count()
    assert not comped.exclude(events__kind=MemberEvent.Kind.COMPED).exists()
    assert MemberEvent.objects.filter(
        kind=MemberEvent.Kind.STATUS_CHANGED, detail__new=MemberStatus.PAID
    ).exists()


def test_emails_are_unique_fake_addresses(demo):
    emails = list(Member.objects.values_list("email", flat=True))
    assert len(set(emails)) == len(emails)
    assert all(email.rsplit("@", 1)[1] in members.EMAIL_DOMAINS for email in emails)


def test_members_signed_up_from_real_articles(demo):
    with_page = Member.objects.exclude(signup_page=None)
    assert with_page.exists()
    published = dict(ArticlePage.objects.values_list("pk", "first_published_at"))
    for page_id, created_at in with_page.values_list("signup_page_id", "created_at"):
        assert published[page_id] <= created_at


def test_a_drive_is_running_with_members_inside_its_window(demo):
    drive = Campaign.objects.for_banner().get()
    assert drive.name == "Winter membership drive"
    assert (drive.goal, drive.stretch_goal, drive.goal_kind) == (1000, 1500, "new_members")
    assert drive.starts_at < timezone.now() < drive.ends_at
    joined = Member.objects.joined_between(drive.starts_at, drive.ends_at)
    assert joined.count() == demo.extra["members"].in_running_drive > 0
    assert joined.filter(signup_source=SignupSource.CAMPAIGN, signup_campaign=drive).exists()
    progress = campaign_progress(drive)
    assert progress.count == joined.count()
    assert progress.headline == "Goal: 1,000 new members"
    assert f"{progress.remaining:,} to go" in progress.body
    assert Campaign.objects.filter(ends_at__lt=drive.starts_at).exists()  # an earlier drive


def test_the_site_counts_all_members_and_does_not_meter(demo):
    settings = MembershipSettings.for_site(Site.objects.get(is_default_site=True))
    assert settings.counter_basis == MembershipSettings.CounterBasis.ALL_MEMBERS
    assert settings.counter_text == members.COUNTER_TEXT
    assert settings.metering_enabled is False


def test_gated_articles_have_a_paywall_after_the_second_or_third_paragraph(demo):
    gated = ArticlePage.objects.exclude(visibility=Visibility.PUBLIC)
    kinds = Counter(gated.values_list("visibility", flat=True))
    assert kinds[Visibility.MEMBERS] > 0
    assert kinds[Visibility.PAID] > 0
    assert demo.gated == gated.count()
    for article in gated:
        types = [block["type"] for block in article.body.raw_data]
        assert types.count("paywall") == 1, article.slug
        assert types[: types.index("paywall")].count("paragraph") in {2, 3}
        assert article.public_text  # a preview to read and index
    for article in gated.filter(visibility=Visibility.TIERS):
        assert [tier.slug for tier in article.tiers.all()] == ["patron"]
    for article in ArticlePage.objects.filter(visibility=Visibility.PUBLIC):
        assert all(block["type"] != "paywall" for block in article.body.raw_data)


def test_the_home_page_leads_with_a_members_and_a_paid_story(demo, client):
    top = [story.article for story in HomeTopStory.objects.order_by("sort_order")]
    assert {Visibility.MEMBERS, Visibility.PAID} <= {article.visibility for article in top}

    paid = next(article for article in top if article.visibility == Visibility.PAID)
    raw = paid.body.raw_data
    hidden = next(
        block["value"]
        for block in raw[[block["type"] for block in raw].index("paywall") :]
        if block["type"] == "paragraph"
    )
    response = client.get(paid.url)
    assert response.status_code == 200
    assert hidden not in response.content.decode()


# --- newsletters --------------------------------------------------------------------------


def test_four_newsletters_and_the_default_one_is_kept_under_its_ghost_slug(demo):
    assert demo.extra["newsletters"].newsletters == 4
    lists = {n.slug: n for n in Newsletter.objects.all()}
    assert list(Newsletter.objects.active().values_list("slug", flat=True)) == [
        "arvenia-daily",
        "weekly-round-up",
        "insider",
        newsletters.DEFAULT_SLUG,
    ]
    assert lists[newsletters.DEFAULT_SLUG].name == "Investigations"
    assert lists["arvenia-daily"].subscribe_on_signup
    assert not lists["weekly-round-up"].subscribe_on_signup
    assert lists["insider"].visibility == Newsletter.Visibility.PAID
    for newsletter in lists.values():
        assert newsletter.description and newsletter.footer and newsletter.sender_name
        assert newsletter.sender_email.endswith("@example.org")
        assert newsletter.reply_to.endswith("@example.org")


def test_subscribers_are_a_realistic_share_of_the_members(demo):
    rows = NewsletterSubscription.objects.values_list("newsletter__slug", "status")
    on = Counter(slug for slug, _ in rows)
    left = Counter(slug for slug, status in rows if status == "unsubscribed")
    paying = Member.objects.exclude(status=MemberStatus.FREE).count()
    assert 0.6 * MEMBERS < on["arvenia-daily"] < 0.8 * MEMBERS
    assert 0.25 * MEMBERS < on["weekly-round-up"] < 0.45 * MEMBERS
    assert 0.4 * paying < on["insider"] < 0.8 * paying
    assert 0 < sum(left.values()) < 0.1 * sum(on.values())
    # Only paying members are on the paid-only list.
    assert not NewsletterSubscription.objects.filter(
        newsletter__slug="insider", member__status=MemberStatus.FREE
    ).exists()
    # Unsubscribing keeps the row with its time; subscribing came after signing up.
    for (
        status,
        subscribed_at,
        unsubscribed_at,
        joined,
    ) in NewsletterSubscription.objects.values_list(
        "status", "subscribed_at", "unsubscribed_at", "member__created_at"
    ):
        assert joined <= subscribed_at <= timezone.now()
        assert (status == "unsubscribed") == (unsubscribed_at is not None)
        assert unsubscribed_at is None or subscribed_at <= unsubscribed_at <= timezone.now()
    events = Counter(
        MemberEvent.objects.filter(kind__startswith="newsletter_").values_list("kind", flat=True)
    )
    assert events[MemberEvent.Kind.NEWSLETTER_SUBSCRIBED] == sum(on.values())
    assert events[MemberEvent.Kind.NEWSLETTER_UNSUBSCRIBED] == sum(left.values())


def test_recent_sends_reached_the_subscribers_of_the_time(demo):
    sends = list(
        NewsletterSend.objects.filter(status=NewsletterSend.Status.SENT).select_related(
            "newsletter"
        )
    )
    assert len(sends) == demo.extra["newsletters"].sends >= 3
    assert "arvenia-daily" in {send.newsletter.slug for send in sends}
    for send in sends:
        deliveries = list(send.deliveries.all())
        assert send.recipient_count == len(deliveries) > 0
        assert send.batch_count == max(d.batch for d in deliveries) + 1
        assert send.created_at <= send.started_at < send.finished_at < timezone.now()
        assert send.page.live and send.page.first_published_at <= send.created_at
        subscribed = {
            member_id
            for member_id, subscribed_at, unsubscribed_at in send.newsletter.subscriptions.values_list(
                "member_id", "subscribed_at", "unsubscribed_at"
            )
            if subscribed_at <= send.created_at
            and (unsubscribed_at is None or unsubscribed_at > send.created_at)
        }
        assert {d.member_id for d in deliveries} <= subscribed
        for delivery in deliveries:
            assert delivery.opened_at is None and delivery.clicked_at is None  # tracking is off
            if delivery.status == Delivery.Status.SUPPRESSED:
                assert delivery.sent_at is None and delivery.attempts == 0
                suppression = Suppression.objects.get(email=delivery.email)
                assert suppression.created_at <= send.started_at
            else:
                assert delivery.status in {Delivery.Status.SENT, Delivery.Status.FAILED}
                assert send.started_at < delivery.sent_at <= send.finished_at
                assert delivery.attempts == 1 and delivery.message_id
            if delivery.status == Delivery.Status.FAILED:
                assert delivery.failed_at and delivery.error
                assert Suppression.objects.filter(email=delivery.email, send=send).exists()
        if send.newsletter.visibility == Newsletter.Visibility.PAID:
            assert not send.deliveries.filter(member__status=MemberStatus.FREE).exists()
    statuses = set(Delivery.objects.values_list("status", flat=True))
    assert {Delivery.Status.SENT, Delivery.Status.SUPPRESSED} <= statuses
    delivered = send_statistics(sends[0], sent=sends[0].deliveries.filter(status="sent").count())
    assert 0.9 * delivered["sent"] < delivered["delivered"] <= delivered["sent"]


def test_suppressions_and_unsubscribes_are_attributed_to_their_sends(demo):
    reasons = Counter(Suppression.objects.values_list("reason", flat=True))
    assert reasons[Suppression.Reason.BOUNCE] >= 2
    assert reasons[Suppression.Reason.COMPLAINT] >= 1
    assert reasons[Suppression.Reason.STAFF] >= 1
    emails = set(Member.objects.values_list("email", flat=True))
    assert set(Suppression.objects.values_list("email", flat=True)) <= emails
    for subscription in NewsletterSubscription.objects.exclude(unsubscribed_from=None):
        send = subscription.unsubscribed_from
        assert subscription.newsletter_id == send.newsletter_id
        assert send.deliveries.filter(
            member_id=subscription.member_id, status=Delivery.Status.SENT
        ).exists()
        assert subscription.unsubscribed_at > send.started_at


def test_the_next_round_up_is_an_email_only_draft_waiting_to_be_sent(demo, client):
    waiting = NewsletterSend.objects.get(status=NewsletterSend.Status.WAITING)
    assert demo.extra["newsletters"].waiting == 1
    assert waiting.newsletter.slug == "weekly-round-up"
    assert not waiting.page.live and waiting.page.specific.email_only
    assert waiting.recipient_count == 0 and not waiting.deliveries.exists()
    # Last week's round-up went out and is read through "View in browser" only.
    sent = NewsletterSend.objects.filter(
        newsletter__slug="weekly-round-up", status=NewsletterSend.Status.SENT
    ).first()
    if sent is not None:
        article = sent.page.specific
        assert article.email_only and article.live
        assert client.get(article.url).status_code == 404
        assert client.get(f"/email/{sent.uuid}/").status_code == 200


def test_the_public_newsletters_page_offers_the_lists(demo, client):
    page = client.get("/newsletters/").content.decode()
    for name in ("Arvenia Daily", "The Weekly Round-up", "Investigations", "Insider"):
        assert name in page


# --- live coverage, the News Feed's trickle and video ----------------------------------


def test_an_ongoing_live_page_leads_with_over_a_hundred_and_twenty_updates(demo, client):
    from masthead.demo import live
    from masthead.publishing.models import Author, CoverageStatus, LivePage

    page = LivePage.objects.live().get(slug=live.ONGOING_SLUG)
    assert page.coverage_status == CoverageStatus.LIVE and page.coverage_ended_at is None
    assert page.section.slug == "war" and page.tags.exists()
    assert page.get_parent().specific == page.get_site().root_page.specific
    assert len(page.key_points.raw_data) >= 3
    assert page.article_authors.count() >= 1
    updates = list(page.updates.order_by("sequence"))
    assert demo.live_updates >= len(updates) >= 120
    # Numbered 1..N in posting order, as the live desk would have numbered them.
    assert [u.sequence for u in updates] == list(range(1, len(updates) + 1))
    assert [u.created_sequence for u in updates] == [u.sequence for u in updates]
    assert [u.posted_at for u in updates] == sorted(u.posted_at for u in updates)
    now = timezone.now()
    assert timedelta(minutes=1) < now - updates[-1].posted_at < timedelta(minutes=15)
    assert timedelta(hours=24) < now - updates[0].posted_at < timedelta(hours=40)
    assert page.coverage_start <= updates[0].posted_at
    assert sum(u.is_pinned for u in updates) == 2
    assert sum(u.is_key_event for u in updates) == 8
    with_photo = [u for u in updates if any(b["type"] == "image" for b in u.body.raw_data)]
    assert len(with_photo) >= 5
    assert sum(bool(u.headline) for u in updates) > len(updates) / 2
    assert {u.author_id for u in updates} <= set(Author.objects.values_list("pk", flat=True))
    assert all(u.summary_text for u in updates)

    assert HomeTopStory.objects.order_by("sort_order").first().article_id == page.pk
    assert client.get(page.url).status_code == 200


def test_an_ended_live_page_from_a_week_ago(demo, client):
    from masthead.demo import live
    from masthead.publishing.models import CoverageStatus, LivePage

    page = LivePage.objects.live().get(slug=live.ENDED_SLUG)
    assert page.coverage_status == CoverageStatus.ENDED
    updates = list(page.updates.order_by("sequence"))
    assert len(updates) == live.ENDED_UPDATES
    assert page.coverage_ended_at >= updates[-1].posted_at
    assert timedelta(days=6) < timezone.now() - page.coverage_ended_at < timedelta(days=8)
    assert page.section.slug == "politics"
    assert not any(u.is_pinned for u in updates)
    assert client.get(page.url).status_code == 200


def test_briefs_trickle_in_through_the_day_with_one_breaking(demo, client):
    from zoneinfo import ZoneInfo

    now = timezone.now()
    briefs = ArticlePage.objects.live().briefs()
    times = sorted(briefs.values_list("published_at", flat=True), reverse=True)
    assert len([t for t in times if now - t < timedelta(hours=2)]) >= 3
    recent = [t for t in times if now - t < timedelta(hours=48)]
    assert len(recent) >= 40
    gaps = [(newer - older, older) for newer, older in pairwise(recent)]
    kyiv = ZoneInfo("Europe/Kyiv")
    # A gap is a day gap when both of its briefs are filed by day: the desk picks each gap
    # by the hour of the newer brief, so one that starts just after midnight reaches back
    # into the evening with a night's length.
    day = [
        gap
        for gap, at in gaps
        if 8 <= at.astimezone(kyiv).hour < 22 and 8 <= (at + gap).astimezone(kyiv).hour < 22
    ]
    night = [gap for gap, at in gaps if at.astimezone(kyiv).hour < 6]
    assert max(day) <= timedelta(minutes=60)
    assert max(gap for gap, _ in gaps) <= timedelta(minutes=150)
    assert sum(day, timedelta()) / len(day) < sum(night, timedelta()) / len(night)

    breaking = list(ArticlePage.objects.live().filter(is_breaking=True))
    assert len(breaking) == 1 and breaking[0].is_brief
    assert list(ArticlePage.objects.live().breaking_at(now)) == breaking
    assert f'data-breaking="{breaking[0].pk}"'.encode() in client.get("/").content


def test_a_dozen_videos_with_durations_transcripts_and_posters(demo, client):
    from masthead.publishing.blocks import parse_video_url
    from masthead.publishing.models import SiteSettings, VideoIndexPage

    videos = list(ArticlePage.objects.live().videos())
    assert len(videos) >= 12
    assert all(video.video_duration for video in videos)
    assert all(video.lead_image_id for video in videos)
    assert sum(bool(video.video_transcript) for video in videos) >= 3
    providers = Counter(parse_video_url(video.lead_video_url)[0] for video in videos)
    assert providers["youtube"] > 0 and providers["vimeo"] > 0

    index = VideoIndexPage.objects.live().get()
    assert index.url == "/video/" and index.title == "Video"
    navigation = SiteSettings.objects.get().navigation
    links = [item.value for item in navigation if item.block_type == "link"]
    assert [(link["label"], link["page"].pk) for link in links] == [("Video", index.pk)]
    assert "video" not in [item.value.slug for item in navigation if item.block_type == "section"]
    assert client.get("/video/").status_code == 200
