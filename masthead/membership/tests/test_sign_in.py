"""Joining and signing in by magic link and code, end to end through a real SMTP server."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from masthead.membership.models import Member, SignInRequest


def post_and_send(client: Client, url: str, data: dict[str, Any], capture: Any) -> Any:
    """POST a form; run the email task the way the worker would after the commit."""
    with capture(execute=True):
        return client.post(url, data)


def test_the_code_signs_in_a_reader_who_reads_the_email_elsewhere(
    smtp_inbox: Any, free_member: Member, django_capture_on_commit_callbacks: Any
) -> None:
    laptop = Client()
    response = post_and_send(
        laptop, "/members/signin/", {"email": free_member.email}, django_capture_on_commit_callbacks
    )
    reference = parse_qs(urlsplit(response["Location"]).query)["r"][0]
    assert "Sign in to" in smtp_inbox.last_to(free_member.email)["Subject"]
    code = smtp_inbox.code_for(free_member.email)

    wrong = "000000" if code != "000000" else "111111"
    rejected = laptop.post("/members/code/", {"request": reference, "code": wrong})
    assert rejected.status_code == 400
    assert "4 attempts left" in rejected.content.decode()

    accepted = laptop.post(
        "/members/code/", {"request": reference, "code": f"{code[:3]} {code[3:]}"}
    )
    assert accepted.status_code == 302
    assert laptop.get("/members/api/reader/").json()["signed_in"] is True
    # The link from the same email is now spent too.
    spent_link = smtp_inbox.link_for(free_member.email).removeprefix(settings.MASTHEAD_SITE_URL)
    assert Client().get(spent_link).status_code == 410


def test_five_wrong_codes_spend_the_request(
    smtp_inbox: Any, free_member: Member, django_capture_on_commit_callbacks: Any
) -> None:
    client = Client()
    response = post_and_send(
        client, "/members/signin/", {"email": free_member.email}, django_capture_on_commit_callbacks
    )
    reference = parse_qs(urlsplit(response["Location"]).query)["r"][0]
    code = smtp_inbox.code_for(free_member.email)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        last = client.post("/members/code/", {"request": reference, "code": wrong})
    assert last.status_code == 410
    # Even the right code no longer works: guessing has to start over with a new email.
    assert client.post("/members/code/", {"request": reference, "code": code}).status_code == 410


def test_known_and_unknown_addresses_get_the_same_answer(
    smtp_inbox: Any, free_member: Member, django_capture_on_commit_callbacks: Any
) -> None:
    known = post_and_send(
        Client(),
        "/members/signin/",
        {"email": free_member.email},
        django_capture_on_commit_callbacks,
    )
    unknown = post_and_send(
        Client(),
        "/members/signin/",
        {"email": "nobody@example.org"},
        django_capture_on_commit_callbacks,
    )
    assert known.status_code == unknown.status_code == 302
    strip = lambda r: urlsplit(r["Location"]).path  # noqa: E731
    assert strip(known) == strip(unknown)
    page_known = Client().get(known["Location"]).content.decode()
    page_unknown = Client().get(unknown["Location"]).content.decode()
    assert free_member.email not in page_known
    assert page_known.count("Check your inbox") == page_unknown.count("Check your inbox")
    # Each address is told what fits it, in its own inbox.
    assert "Sign in" in smtp_inbox.last_to(free_member.email)["Subject"]
    assert "join" in smtp_inbox.last_to("nobody@example.org")["Subject"]


def test_expired_links_lead_to_a_page_that_offers_a_new_one(
    smtp_inbox: Any, free_member: Member, django_capture_on_commit_callbacks: Any
) -> None:
    post_and_send(
        Client(),
        "/members/signin/",
        {"email": free_member.email},
        django_capture_on_commit_callbacks,
    )
    path = smtp_inbox.link_for(free_member.email).removeprefix(settings.MASTHEAD_SITE_URL)
    later = timezone.now() + timedelta(minutes=settings.MASTHEAD_SIGNIN_LINK_MINUTES + 1)
    with time_machine.travel(later):
        response = Client().get(path)
    assert response.status_code == 410
    body = response.content.decode()
    assert "expired" in body and "Send me a new link" in body
    assert Client().get("/members/?token=not-a-real-token").status_code == 410


def test_tokens_and_codes_are_stored_only_as_hashes(
    smtp_inbox: Any, free_member: Member, django_capture_on_commit_callbacks: Any
) -> None:
    post_and_send(
        Client(),
        "/members/signin/",
        {"email": free_member.email},
        django_capture_on_commit_callbacks,
    )
    token = parse_qs(urlsplit(smtp_inbox.link_for(free_member.email)).query)["token"][0]
    code = smtp_inbox.code_for(free_member.email)
    sign_in = SignInRequest.objects.get()
    stored = " ".join(str(value) for value in sign_in.__dict__.values())
    assert token not in stored and code not in stored
    assert sign_in.expires_at - sign_in.created_at == timedelta(
        minutes=settings.MASTHEAD_SIGNIN_LINK_MINUTES
    )


def test_requests_are_rate_limited_per_address_and_per_ip(
    settings: Any, free_member: Member, django_capture_on_commit_callbacks: Any, mailoutbox: Any
) -> None:
    settings.MASTHEAD_SIGNIN_PER_EMAIL_HOUR = 2
    settings.MASTHEAD_SIGNIN_PER_IP_HOUR = 4
    client = Client()
    statuses = []
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            statuses.append(
                client.post("/members/signin/", {"email": free_member.email}).status_code
            )
    assert statuses == [302, 302, 429]
    assert len(mailoutbox) == 2
    # Another address from the same IP: one more is allowed, then the IP limit holds.
    assert client.post("/members/signin/", {"email": "a@example.org"}).status_code == 302
    blocked = client.post("/members/signin/", {"email": "b@example.org"})
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.content.decode()


@pytest.mark.parametrize("address", ["", "not-an-email", "a@b", "x" * 200 + "@example.org"])
def test_invalid_addresses_are_rejected_with_a_clear_message(address: str, db: None) -> None:
    response = Client().post("/members/join/", {"email": address})
    assert response.status_code == 400
    body = response.content.decode()
    assert "email address" in body.lower()
    assert not SignInRequest.objects.exists()


def test_the_honeypot_sends_nothing_but_looks_the_same(db: None, mailoutbox: Any) -> None:
    response = Client().post(
        "/members/join/", {"email": "bot@example.org", "mh_trap": "spam.example"}
    )
    assert response.status_code == 302 and "/members/check-email/" in response["Location"]
    assert not SignInRequest.objects.exists()
    assert mailoutbox == []


def test_forms_need_a_csrf_token_and_the_failure_page_offers_the_form_again(db: None) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/members/join/", {"email": "reader@example.org"})
    assert response.status_code == 403
    body = response.content.decode()
    assert "press the button once more" in body
    assert 'value="reader@example.org"' in body
    assert "csrfmiddlewaretoken" in body
    # The reader endpoint hands out the token that cached pages' forms need.
    token = client.get("/members/api/reader/").json()["csrf_token"]
    with_token = client.post(
        "/members/join/", {"email": "reader@example.org", "csrfmiddlewaretoken": token}
    )
    assert with_token.status_code == 302


def test_next_urls_never_leave_the_site(
    smtp_inbox: Any, free_member: Member, django_capture_on_commit_callbacks: Any
) -> None:
    post_and_send(
        Client(),
        "/members/signin/",
        {"email": free_member.email, "next": "https://evil.example/phish"},
        django_capture_on_commit_callbacks,
    )
    path = smtp_inbox.link_for(free_member.email).removeprefix(settings.MASTHEAD_SITE_URL)
    assert Client().get(path)["Location"] == "/"


def test_sign_out_and_sign_out_everywhere(free_member: Member, member_client: Any) -> None:

    phone, laptop = member_client(free_member), member_client(free_member)
    assert phone.get("/members/api/reader/").json()["signed_in"]
    response = phone.post("/members/signout/")
    assert response.status_code == 302
    assert phone.get("/members/api/reader/").json()["signed_in"] is False
    assert laptop.get("/members/api/reader/").json()["signed_in"]
    laptop.post("/members/signout/", {"everywhere": "1"})
    assert member_client_stale_is_rejected(free_member)


def member_client_stale_is_rejected(member: Member) -> bool:
    from django.core import signing

    client = Client()
    client.cookies[settings.MASTHEAD_MEMBER_COOKIE] = signing.dumps(
        [member.pk, 1], salt="masthead.membership.session", compress=False
    )
    return client.get("/members/api/reader/").json()["signed_in"] is False


def test_a_tampered_cookie_is_ignored(db: None) -> None:
    client = Client()
    client.cookies[settings.MASTHEAD_MEMBER_COOKIE] = "1:forged"
    assert client.get("/members/api/reader/").json()["signed_in"] is False
    assert client.get("/members/api/member/").status_code == 204


def test_closed_sign_up_sends_nothing_to_unknown_addresses(
    site: Any, free_member: Member, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from masthead.membership.models import MembershipSettings

    config = MembershipSettings.for_site(site)
    config.allow_signup = False
    config.save()
    with django_capture_on_commit_callbacks(execute=True):
        unknown = Client().post("/members/signin/", {"email": "stranger@example.org"})
        known = Client().post("/members/signin/", {"email": free_member.email})
    assert unknown.status_code == known.status_code == 302
    assert [m.to for m in mailoutbox] == [[free_member.email]]
    assert "by invitation" in Client().get("/members/join/").content.decode()
    # The code form answers both alike, so it cannot tell who has an account.
    answers = []
    for response in (unknown, known):
        reference = parse_qs(urlsplit(response["Location"]).query)["r"][0]
        wrong = Client().post("/members/code/", {"request": reference, "code": "000000"})
        answers.append((wrong.status_code, "4 attempts left" in wrong.content.decode()))
    assert answers[0] == answers[1] == (400, True)
    assert not Member.objects.filter(email="stranger@example.org").exists()


def test_a_rate_limited_code_attempt_asks_to_wait_and_keeps_the_code(
    settings: Any,
    smtp_inbox: Any,
    free_member: Member,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.MASTHEAD_CODE_ATTEMPTS_PER_IP_HOUR = 1
    client = Client()
    response = post_and_send(
        client, "/members/signin/", {"email": free_member.email}, django_capture_on_commit_callbacks
    )
    reference = parse_qs(urlsplit(response["Location"]).query)["r"][0]
    client.post("/members/code/", {"request": reference, "code": "000000"})
    limited = client.post(
        "/members/code/", {"request": reference, "code": smtp_inbox.code_for(free_member.email)}
    )
    assert limited.status_code == 429
    assert "Too many attempts" in limited.content.decode()


def test_sign_up_emails_do_not_repeat_the_unverified_name(
    db: None, smtp_inbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    post_and_send(
        Client(),
        "/members/join/",
        {"email": "victim@example.org", "name": "call +1 555 0100 now, visit evil.example"},
        django_capture_on_commit_callbacks,
    )
    text = smtp_inbox.text(smtp_inbox.last_to("victim@example.org"))
    assert "evil.example" not in text
    assert text.startswith("Hello,")


def test_the_no_javascript_fallback_keeps_where_the_reader_came_from(db: None) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/members/join/",
        {
            "email": "reader@example.org",
            "name": "Rhea",
            "source": "paywall",
            "page_id": "42",
            "next": "/some-story/",
        },
    )
    assert response.status_code == 403
    body = response.content.decode()
    for field in [
        'name="source" value="paywall"',
        'name="page_id" value="42"',
        'name="next" value="/some-story/"',
        'value="Rhea"',
    ]:
        assert field in body, field


def test_codes_in_other_scripts_digits_are_refused_as_malformed(free_member: Member) -> None:
    response = Client().post("/members/code/", {"request": "0" * 32, "code": "١٢٣٤٥٦"})
    assert response.status_code == 400
    assert "six digits" in response.content.decode()


def test_sign_out_everywhere_spends_pending_links(
    smtp_inbox: Any,
    free_member: Member,
    member_client: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    post_and_send(
        Client(),
        "/members/signin/",
        {"email": free_member.email},
        django_capture_on_commit_callbacks,
    )
    link = smtp_inbox.link_for(free_member.email).removeprefix(settings.MASTHEAD_SITE_URL)
    member_client(free_member).post("/members/signout/", {"everywhere": "1"})
    assert Client().get(link).status_code == 410
