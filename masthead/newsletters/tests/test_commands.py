"""The newsletter commands: send an article from the terminal and follow its progress."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from masthead.newsletters import actions
from masthead.newsletters.models import NewsletterSend

from .test_delivery import daily, sink, story, subscriber  # noqa: F401 (fixtures)


def test_sending_an_article_from_the_terminal_and_waiting_for_it(
    sink: Any,  # noqa: F811
    home: Any,
    daily: Any,  # noqa: F811
    subscriber: Any,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for i in range(3):
        subscriber(f"cli{i}@example.org")
    story(home, slug="from-the-terminal")
    out = StringIO()
    # Outside a test's transaction the send is queued at once; here, when the block ends.
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "send_newsletter",
            "from-the-terminal",
            "--newsletter",
            "ukraine-daily",
            "--subject",
            "Tonight from Kyiv",
            stdout=out,
        )
    send = NewsletterSend.objects.get()
    call_command("newsletter_progress", str(send.pk), stdout=out)
    assert send.status == NewsletterSend.Status.SENT and send.subject == "Tonight from Kyiv"
    assert sorted(sink.counts.values()) == [1, 1, 1]
    assert f"Send {send.pk} finished: 3 sent, 0 failed" in out.getvalue()
    assert "Sending: 100%" in capsys.readouterr().err  # the progress bar


def test_the_commands_explain_what_is_wrong(
    home: Any,
    daily: Any,  # noqa: F811
    subscriber: Any,  # noqa: F811
) -> None:
    with pytest.raises(CommandError, match="No article has the slug 'nope'"):
        call_command("send_newsletter", "nope", "--newsletter", "ukraine-daily")
    draft = story(home, slug="draft")
    draft.live = False
    draft.save()
    subscriber("one@example.org")
    with pytest.raises(CommandError, match="not published yet"):
        call_command("send_newsletter", "draft", "--newsletter", "ukraine-daily")
    with pytest.raises(CommandError, match="No newsletter has the slug 'weekly'"):
        call_command("send_newsletter", "draft", "--newsletter", "weekly")
    with pytest.raises(CommandError, match="Choose a newsletter with --newsletter"):
        call_command("send_newsletter", "draft")  # two are active: the default and Daily
    with pytest.raises(CommandError, match="No tier has the slug ghost"):
        call_command("send_newsletter", "draft", "--newsletter", "ukraine-daily", "--tier", "ghost")
    out = StringIO()
    call_command(
        "send_newsletter", "draft", "--newsletter", "ukraine-daily", "--when-published", stdout=out
    )
    assert "Waiting for the article to be published" in out.getvalue()
    with pytest.raises(CommandError, match="There is no send number 999"):
        call_command("newsletter_progress", "999")


def test_following_a_cancelled_send_ends_with_an_error(
    home: Any,
    daily: Any,  # noqa: F811
    subscriber: Any,  # noqa: F811
) -> None:
    subscriber("two@example.org")
    send = actions.create_send(page=story(home), newsletter=daily)
    actions.cancel_send(send=send)
    with pytest.raises(CommandError, match=f"Send {send.pk} is cancelled"):
        call_command("newsletter_progress", str(send.pk), verbosity=0)
