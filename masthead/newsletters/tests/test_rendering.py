"""An article as an email: absolute addresses, inlined CSS, the paywall per variant."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.conf import settings
from lxml import html as lxml_html
from wagtail.embeds.models import Embed

from masthead.membership.access import Visibility
from masthead.membership.models import MembershipSettings
from masthead.newsletters.models import Delivery, Newsletter
from masthead.newsletters.rendering import (
    MANAGE_URL,
    NAME,
    UNSUBSCRIBE_URL,
    RenderedEmail,
    personalise,
    render_article_email,
)
from masthead.publishing.factories import (
    ArticleNoteFactory,
    ArticlePageFactory,
    PhotoFactory,
    image_block,
    paragraph_blocks,
)
from masthead.publishing.models import SiteSettings

pytestmark = pytest.mark.django_db

SITE = settings.MASTHEAD_SITE_URL
PREVIEW = "Aardvarkprelude: the opening that every subscriber may read."
SECRET_WORD = "zanzibarquokka"
SECRET = f"The {SECRET_WORD} finding is for paying members only."
BROWSER_URL = f"{SITE}/newsletters/view/0b0c9a1e-5f0e-4bcb-9d52-4e1e2c8a7d11/"


@pytest.fixture
def newsletter(db: None) -> Newsletter:
    return Newsletter.objects.create(
        name="The Morning Brief",
        slug="morning-brief",
        footer="The Arvenian Independent, 12 Harbour Street, Velna",
        show_excerpt=True,
    )


def render(
    page: Any, newsletter: Newsletter, variant: str = Delivery.Variant.FULL
) -> RenderedEmail:
    return render_article_email(
        page=page,
        newsletter=newsletter,
        variant=variant,
        subject=page.title,
        view_in_browser_url=BROWSER_URL,
    )


def parse(rendered: RenderedEmail) -> Any:
    return lxml_html.document_fromstring(rendered.html)


def gated_story(home: Any, **fields: Any) -> Any:
    """A paid article: a preview paragraph, the paywall, then gated text, image and quote."""
    secret_photo = PhotoFactory(
        title="Harbour at night",
        description=f"Alt text that names the {SECRET_WORD}",
        caption=f"Caption about the {SECRET_WORD}",
    )
    body = [
        *paragraph_blocks([PREVIEW]),
        {"type": "paywall", "value": None},
        *paragraph_blocks([SECRET]),
        image_block(secret_photo),
        {"type": "pull_quote", "value": {"quote": f"A {SECRET_WORD} quote", "attribution": ""}},
    ]
    defaults = {
        "title": "The harbour deal",
        "slug": "harbour-deal",
        "dek": "What the port authority agreed, and what it left out.",
        "body": body,
        "visibility": Visibility.PAID,
    }
    return ArticlePageFactory(parent=home, **{**defaults, **fields})


def test_the_email_is_a_complete_document_with_its_css_inlined(
    home: Any, author: Any, newsletter: Newsletter
) -> None:
    page = ArticlePageFactory(parent=home, title="Night trains return", authors=[author])
    rendered = render(page, newsletter)
    doc = parse(rendered)

    assert rendered.html.startswith("<!DOCTYPE html>")
    assert doc.get("lang") == settings.LANGUAGE_CODE
    assert doc.findtext(".//title") == "Night trains return"
    (h1,) = doc.findall(".//h1")
    assert h1.text_content().strip() == "Night trains return"
    # The CSS went into style attributes; no stylesheet is linked or left to fetch.
    assert "font-size: 32px" in h1.get("style")
    assert doc.findall(".//link") == []
    assert all(
        p.get("style")
        for p in doc.xpath(
            "//td[contains(@class, 'content')]//p[not(ancestor::*[@class='preheader'])]"
        )
    )
    # Only the media queries stay in <style>, for the clients that read them.
    styles = " ".join(style.text_content() for style in doc.findall(".//style"))
    assert "@media" in styles
    assert "border-collapse" not in styles
    tables = doc.findall(".//table")
    assert tables and all(table.get("role") == "presentation" for table in tables)


def test_every_link_and_image_is_absolute(
    home: Any, section: Any, author: Any, newsletter: Newsletter
) -> None:
    newsletter.header_image = PhotoFactory()
    newsletter.save()
    other = ArticlePageFactory(parent=home, title="Earlier coverage", slug="earlier-coverage")
    photo = PhotoFactory(description="Ferries lined up at the quay")
    page = ArticlePageFactory(
        parent=home,
        slug="ferry-strike",
        section=section,
        authors=[author],
        lead_image=PhotoFactory(),
        body=[
            {
                "type": "paragraph",
                "value": (
                    f'<p>See <a linktype="page" id="{other.pk}">our earlier report</a>, '
                    '<a href="/tag/war/">the section</a> and '
                    '<a href="https://example.org/a?x=1&amp;y=2">the ministry</a>.</p>'
                ),
            },
            image_block(photo),
            {"type": "read_also", "value": {"article": other.pk, "label": "Read also"}},
            {"type": "membership_drive", "value": {"campaign": None}},
        ],
    )
    rendered = render(page, newsletter)
    doc = parse(rendered)

    hrefs = [a.get("href") for a in doc.iter("a")]
    srcs = [img.get("src") for img in doc.iter("img")]
    assert len(srcs) == 3  # header, lead and body image
    for url in hrefs + srcs:
        assert url.startswith(("https://", "http://")) or url in {UNSUBSCRIBE_URL, MANAGE_URL}, url
        assert not url.startswith("/")
    assert all(src.startswith(f"{SITE}/media/") for src in srcs)
    # The internal link from rich text is expanded to the page's absolute address.
    assert f"{SITE}/earlier-coverage/" in hrefs
    assert f"{SITE}/tag/war/" in hrefs
    assert "https://example.org/a?x=1&y=2" in hrefs
    assert f"{SITE}/ferry-strike/" in hrefs
    assert f"{SITE}/members/join/" in hrefs
    assert BROWSER_URL in hrefs
    # The text part carries the same links as addresses.
    assert f"our earlier report ({SITE}/earlier-coverage/)" in rendered.text
    assert "the ministry (https://example.org/a?x=1&y=2)" in rendered.text


def test_images_have_alt_text_captions_and_a_width_for_outlook(
    home: Any, newsletter: Newsletter
) -> None:
    photo = PhotoFactory(
        description="Ferries lined up at the quay", caption="The quay at dawn", credit="Ana Rusu"
    )
    page = ArticlePageFactory(
        parent=home,
        lead_image=PhotoFactory(description="The harbour master"),
        lead_image_caption="The harbour master on Monday",
        body=[image_block(photo)],
    )
    doc = parse(render(page, newsletter))

    alts = {img.get("alt") for img in doc.iter("img")}
    assert alts == {"The harbour master", "Ferries lined up at the quay"}
    for img in doc.iter("img"):
        assert 0 < int(img.get("width")) <= 552
        assert "max-width: 100%" in img.get("style")
    text = doc.text_content()
    assert "The quay at dawn" in text
    assert "Ana Rusu" in text
    assert "The harbour master on Monday" in text


def test_the_preview_of_a_paid_article_stops_at_the_paywall(
    home: Any, site: Any, newsletter: Newsletter
) -> None:
    config = MembershipSettings.for_site(site)
    config.paywall_heading = "Keep reading with a membership"
    config.paywall_text = '<p>Reader-funded since 1998. <a href="/members/join/">Join us</a>.</p>'
    config.save()
    page = gated_story(home, dek="")
    rendered = render(page, newsletter, Delivery.Variant.PREVIEW)
    doc = parse(rendered)

    assert PREVIEW in doc.text_content()
    assert PREVIEW in rendered.text
    # Nothing from below the paywall: not in the text, the markup, alt texts or captions.
    assert SECRET_WORD not in rendered.html
    assert SECRET_WORD not in rendered.text
    assert "Keep reading with a membership" in doc.text_content()
    assert "Reader-funded since 1998" in rendered.text
    (button,) = doc.find_class("button")
    assert button.get("href") == f"{SITE}/harbour-deal/"
    assert button.text_content() == "Upgrade to keep reading"
    assert f"Upgrade to keep reading: {SITE}/harbour-deal/" in rendered.text
    assert f"{SITE}/members/join/" in [a.get("href") for a in doc.iter("a")]
    # The hidden preheader is the excerpt, drawn from the free preview.
    (preheader,) = doc.find_class("preheader")
    assert preheader.text_content().startswith("Aardvarkprelude")
    assert "display: none" in preheader.get("style")


def test_the_full_variant_carries_the_whole_article_and_no_call_to_action(
    home: Any, newsletter: Newsletter
) -> None:
    page = gated_story(home)
    rendered = render(page, newsletter, Delivery.Variant.FULL)
    doc = parse(rendered)

    assert PREVIEW in doc.text_content()
    assert SECRET in doc.text_content()
    assert SECRET in rendered.text
    assert f"A {SECRET_WORD} quote" in rendered.text
    assert any(SECRET_WORD in img.get("alt") for img in doc.iter("img"))
    assert doc.find_class("button") == []
    assert "Upgrade to keep reading" not in rendered.text


def test_corrections_of_a_gated_story_stay_out_of_its_preview(
    home: Any, newsletter: Newsletter
) -> None:
    page = gated_story(home)
    ArticleNoteFactory(page=page, text=f"<p>Correction: the {SECRET_WORD} figure was wrong.</p>")
    page = type(page).objects.get(pk=page.pk)

    preview = render(page, newsletter, Delivery.Variant.PREVIEW)
    full = render(page, newsletter, Delivery.Variant.FULL)
    assert SECRET_WORD not in preview.html + preview.text
    assert f"Correction: the {SECRET_WORD} figure was wrong." in full.text
    assert "Corrections and updates" in parse(full).text_content()


def test_a_gated_article_without_a_paywall_block_previews_no_body(
    home: Any, newsletter: Newsletter
) -> None:
    page = ArticlePageFactory(
        parent=home,
        body=paragraph_blocks([SECRET]),
        visibility=Visibility.MEMBERS,
        dek="Public dek",
    )
    rendered = render(page, newsletter, Delivery.Variant.PREVIEW)
    assert SECRET_WORD not in rendered.html + rendered.text
    assert "Become a member to keep reading" in rendered.text
    assert "Public dek" in rendered.text


def test_the_preview_of_a_public_article_is_the_whole_article(
    home: Any, newsletter: Newsletter
) -> None:
    page = ArticlePageFactory(parent=home, body=paragraph_blocks([PREVIEW, SECRET]))
    preview = render(page, newsletter, Delivery.Variant.PREVIEW)
    full = render(page, newsletter, Delivery.Variant.FULL)
    assert preview == full
    assert SECRET in preview.text


def test_an_unknown_variant_is_refused_rather_than_sent_in_full(
    home: Any, newsletter: Newsletter
) -> None:
    page = gated_story(home)
    with pytest.raises(ValueError, match="variant"):
        render(page, newsletter, "members")


def test_the_text_part_reads_as_the_article(home: Any, author: Any, newsletter: Newsletter) -> None:
    page = ArticlePageFactory(
        parent=home,
        title="Night trains return",
        dek="The Velna line reopens after two years.",
        authors=[author],
        first_published_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        body=[
            *paragraph_blocks(["The first train left at dawn."]),
            {"type": "heading", "value": {"text": "What changes", "level": "h2"}},
            {
                "type": "paragraph",
                "value": (
                    '<p>Timetables are <a href="https://rail.example/times">online</a>.</p>'
                    "<ul><li>Faster</li><li>Cheaper</li></ul>"
                    '<p>Write to <a href="mailto:letters@example.org">letters@example.org</a>.</p>'
                ),
            },
            {
                "type": "pull_quote",
                "value": {"quote": "We waited long enough.", "attribution": "A commuter"},
            },
        ],
    )
    text = render(page, newsletter).text

    assert text.startswith("The Morning Brief")
    lines = text.splitlines()
    for expected in [
        "Night trains return",
        "The Velna line reopens after two years.",
        "By Mira Valen",
        "2 March 2026",
        "The first train left at dawn.",
        "What changes",
        "“We waited long enough.”",
        "— A commuter",
        f"Unsubscribe: {UNSUBSCRIBE_URL}",
        f"Manage your newsletters: {MANAGE_URL}",
    ]:
        assert expected in lines, expected
    assert "Timetables are online (https://rail.example/times)." in text
    assert "* Faster" in text
    assert "Write to letters@example.org." in lines
    assert f"View in your browser: {BROWSER_URL}" in text
    assert "You are receiving this because you subscribed to The Morning Brief" in text
    assert "The Arvenian Independent, 12 Harbour Street, Velna" in text
    assert "\n\n\n" not in text
    assert "<" not in text


def test_the_date_is_the_site_timezone_s_date(home: Any, site: Any, newsletter: Newsletter) -> None:
    site_settings = SiteSettings.for_site(site)
    site_settings.timezone = "Pacific/Auckland"
    site_settings.save()
    # 20:00 UTC on 1 March is 09:00 on 2 March in Auckland.
    page = ArticlePageFactory(
        parent=home, first_published_at=datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
    )
    rendered = render(page, newsletter)
    (time,) = parse(rendered).iter("time")
    assert time.text == "2 March 2026"
    assert "2 March 2026" in rendered.text


def test_header_excerpt_and_lead_image_follow_the_newsletter(
    home: Any, newsletter: Newsletter
) -> None:
    page = ArticlePageFactory(
        parent=home, dek="A standfirst.", lead_image=PhotoFactory(description="Lead")
    )

    doc = parse(render(page, newsletter))
    (header,) = doc.find_class("header")
    assert header.text_content().strip() == "The Morning Brief"
    assert "A standfirst." in doc.text_content()
    assert [img.get("alt") for img in doc.iter("img")] == ["Lead"]

    newsletter.header_image = PhotoFactory()
    newsletter.show_excerpt = False
    newsletter.show_feature_image = False
    newsletter.save()
    doc = parse(render(page, newsletter))
    (header,) = doc.find_class("header")
    assert [img.get("alt") for img in header.iter("img")] == ["The Morning Brief"]
    assert [img.get("alt") for img in doc.iter("img")] == ["The Morning Brief"]
    # The standfirst stays only in the hidden preheader.
    (preheader,) = doc.find_class("preheader")
    assert "A standfirst." in preheader.text_content()
    assert doc.find_class("dek") == []


def test_the_footer_says_why_and_how_to_leave(home: Any, site: Any, newsletter: Newsletter) -> None:
    site_settings = SiteSettings.for_site(site)
    site_settings.publication_name = "The Arvenian Independent"
    site_settings.save()
    doc = parse(render(ArticlePageFactory(parent=home), newsletter))
    (footer,) = doc.find_class("footer")
    text = " ".join(footer.text_content().split())

    assert "The Arvenian Independent, 12 Harbour Street, Velna" in text
    assert (
        "You are receiving this because you subscribed to The Morning Brief from The Arvenian Independent."
        in text
    )
    links = {a.text_content(): a.get("href") for a in footer.iter("a")}
    assert links["Unsubscribe"] == UNSUBSCRIBE_URL
    assert links["Manage your newsletters"] == MANAGE_URL
    assert links["The Arvenian Independent"] == f"{SITE}/"


def test_embeds_and_videos_become_links(home: Any, newsletter: Newsletter) -> None:
    post = "https://social.example/@velna/1234"
    Embed.objects.create(
        url=post,
        hash="0" * 32,
        type="rich",
        html="<iframe src='https://social.example/embed/1234'></iframe><script></script>",
        title="Velna port authority on the strike",
        provider_name="Social Example",
        thumbnail_url="https://cdn.social.example/thumb.jpg",
    )
    page = ArticlePageFactory(
        parent=home,
        body=[
            {"type": "embed", "value": {"embed": post, "caption": "The announcement"}},
            {
                "type": "video",
                "value": {
                    "url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
                    "title": "The strike in two minutes",
                    "caption": "",
                    "poster": PhotoFactory().pk,
                },
            },
        ],
    )
    rendered = render(page, newsletter)
    doc = parse(rendered)

    assert doc.findall(".//iframe") == [] and doc.findall(".//script") == []
    # Nothing is loaded from the provider: its thumbnail would tell it who opened the email.
    assert "cdn.social.example" not in rendered.html
    links = {a.text_content().strip(): a.get("href") for a in doc.iter("a")}
    assert links["Velna port authority on the strike"] == post
    assert links["Watch “The strike in two minutes” on YouTube"] == (
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    )
    (poster,) = doc.iter("img")
    assert poster.getparent().get("href") == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    assert f"Velna port authority on the strike: {post}" in rendered.text
    assert "on YouTube: https://www.youtube.com/watch?v=dQw4w9WgXcQ" in rendered.text


def test_placeholders_survive_rendering_and_personalise_fills_them(
    home: Any, newsletter: Newsletter
) -> None:
    rendered = render(ArticlePageFactory(parent=home), newsletter)
    doc = parse(rendered)
    hrefs = [a.get("href") for a in doc.iter("a")]
    assert UNSUBSCRIBE_URL in hrefs and MANAGE_URL in hrefs
    assert UNSUBSCRIBE_URL in rendered.text and MANAGE_URL in rendered.text

    unsubscribe = f"{SITE}/unsubscribe/?uuid=abc&key=def&newsletter=ghi"
    html, text = personalise(
        rendered, name="Ana", unsubscribe_url=unsubscribe, manage_url=f"{SITE}/members/account/"
    )
    assert "%%masthead:" not in html and "%%masthead:" not in text
    hrefs = [a.get("href") for a in lxml_html.document_fromstring(html).iter("a")]
    assert unsubscribe in hrefs  # the &amp; in the attribute reads back as &
    assert f"{SITE}/members/account/" in hrefs
    assert f"Unsubscribe: {unsubscribe}" in text


def test_personalise_escapes_the_html_part_and_replaces_every_occurrence() -> None:
    rendered = RenderedEmail(
        subject="Subject",
        html=f'<p>Hi {NAME}!</p><p>{NAME}</p><a href="{UNSUBSCRIBE_URL}">u</a><a href="{UNSUBSCRIBE_URL}">again</a><a href="{MANAGE_URL}">m</a>',
        text=f"Hi {NAME}! {NAME}\n{UNSUBSCRIBE_URL}\n{UNSUBSCRIBE_URL}\n{MANAGE_URL}",
    )
    name = f'<script>alert("x")</script> Smith & Sons {UNSUBSCRIBE_URL}'
    html, text = personalise(
        rendered,
        name=name,
        unsubscribe_url="https://x.example/u?a=1&b=2",
        manage_url="https://x.example/m",
    )

    assert "<script>" not in html
    assert html.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Smith &amp; Sons") == 2
    assert html.count('href="https://x.example/u?a=1&amp;b=2"') == 2
    assert 'href="https://x.example/m"' in html
    # A name that contains a placeholder is shown as typed, not expanded.
    assert html.count(UNSUBSCRIBE_URL) == 2
    assert text.count(name) == 2
    assert text.count("https://x.example/u?a=1&b=2") == 2
    assert "https://x.example/m" in text


@pytest.mark.parametrize(
    ("accent", "expected"),
    [("#B3261E", "#b3261e"), ("#FFE600", "#1a1a1a"), ("red", "#1a1a1a")],
)
def test_the_button_keeps_the_site_accent_only_when_white_text_on_it_is_readable(
    home: Any, site: Any, newsletter: Newsletter, accent: str, expected: str
) -> None:
    site_settings = SiteSettings.for_site(site)
    site_settings.accent_colour = accent
    site_settings.save()
    doc = parse(render(gated_story(home), newsletter, Delivery.Variant.PREVIEW))
    (cell,) = doc.find_class("button-cell")
    assert f"background-color: {expected}" in cell.get("style")
    (button,) = doc.find_class("button")
    assert "color: #ffffff" in button.get("style")


@pytest.fixture
def both_variants(home: Any, author: Any, newsletter: Newsletter) -> dict[str, str]:
    # Rendered before the browser starts: Playwright's event loop would open a second
    # connection to the test database while this test's transaction holds it.
    page = gated_story(home, authors=[author], lead_image=PhotoFactory())
    return {variant: render(page, newsletter, variant).html for variant in Delivery.Variant.values}


@pytest.mark.browser
def test_both_variants_pass_the_wcag_checks_in_a_browser(
    both_variants: dict[str, str], browser: Any, axe_violations: Any
) -> None:
    for variant, document in both_variants.items():
        tab = browser.new_page()
        # The images point at a site that is not running here; their alt texts stand in.
        tab.set_content(document)
        assert axe_violations(tab) == [], variant
        tab.close()
