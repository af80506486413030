"""Ghost's official JavaScript clients against a running masthead.

``compat/ghost-clients/`` is a Node test suite that uses ``@tryghost/content-api`` and
``@tryghost/admin-api`` exactly as front ends, writing tools and scripts do. This test seeds
a small newsroom, starts the site on a real port (pytest-django's live server), gives the
suite an integration's keys and runs it with ``node --test``. A failure shows the suite's
output: which client call failed, and Ghost's error as the client saw it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from wagtail.models import Site

from masthead.contentapi.models import Integration

ROOT = Path(__file__).resolve().parents[3]
SUITE = ROOT / "compat" / "ghost-clients"
CLIENTS = ("@tryghost/content-api", "@tryghost/admin-api")
GATED_MARKER = "Only members read this sentence"
# The suite makes a few dozen requests; a server that hangs should not hang the test run.
SUITE_TIMEOUT_SECONDS = 300


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the official Ghost clients run on Node.js 20 or newer")
    version = subprocess.run(  # the node found on PATH, a fixed argument
        [node, "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    if int(version.lstrip("v").split(".")[0]) < 20:
        pytest.skip(f"node {version} is too old for `node --test`: install Node.js 20 or newer")
    missing = [name for name in CLIENTS if not (ROOT / "node_modules" / name).is_dir()]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed: run `npm ci` (make test does)")
    return node


def _seed() -> dict[str, Any]:
    """A small newsroom: tagged and bylined posts, one featured, one gated, a page, tiers."""
    from masthead.membership.access import Visibility
    from masthead.membership.factories import TierFactory
    from masthead.newsletters.models import Newsletter
    from masthead.publishing.factories import (
        ArticlePageFactory,
        AuthorFactory,
        StandardPageFactory,
        TagFactory,
        paragraph_blocks,
    )
    from masthead.publishing.models import HomePage

    home = HomePage.objects.get()
    war = TagFactory(name="War", slug="war", is_section=True)
    energy = TagFactory(name="Energy", slug="energy")
    mira = AuthorFactory(name="Mira Valen", slug="mira-valen")
    oleh = AuthorFactory(name="Oleh Petrenko", slug="oleh-petrenko")
    for number, (tags, authors) in enumerate(
        [
            ([war], [mira]),
            ([war, energy], [mira, oleh]),
            ([energy], [oleh]),
            ([war], [oleh]),
        ]
    ):
        ArticlePageFactory(
            parent=home,
            title=f"Dispatch number {number}",
            slug=f"dispatch-{number}",
            tags=tags,
            authors=authors,
            is_featured=number == 1,
        )
    ArticlePageFactory(
        parent=home,
        title="What the members read",
        slug="members-dispatch",
        tags=[war],
        authors=[mira],
        visibility=Visibility.MEMBERS,
        body=[
            *paragraph_blocks(["Everyone may read this opening."]),
            {"type": "paywall", "value": None},
            *paragraph_blocks([f"{GATED_MARKER}, after the paywall."]),
        ],
    )
    StandardPageFactory(parent=home, title="About us", slug="about")
    supporter = TierFactory(name="Supporter", slug="supporter")
    newsletter, _created = Newsletter.objects.get_or_create(
        slug="the-weekly", defaults={"name": "The Weekly"}
    )
    return {
        "author_slug": oleh.slug,
        "featured_slug": "dispatch-1",
        "gated_slug": "members-dispatch",
        "gated_marker": GATED_MARKER,
        "page_slug": "about",
        "tier_slug": supporter.slug,
        "newsletter_slug": newsletter.slug,
    }


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_ghosts_official_clients_work_against_masthead(live_server: Any, settings: Any) -> None:
    node = _node()
    # Links in the answers must lead back to this server: the suite follows them.
    address = urlsplit(live_server.url)
    settings.MASTHEAD_SITE_URL = live_server.url
    settings.WAGTAILADMIN_BASE_URL = live_server.url
    Site.objects.filter(is_default_site=True).update(hostname=address.hostname, port=address.port)
    seed = _seed()
    integration = Integration.objects.create(name="Official clients")
    environment = {
        **os.environ,
        "MASTHEAD_URL": live_server.url,
        "CONTENT_KEY": integration.content_key,
        "ADMIN_KEY": integration.admin_key,
        "SEED": json.dumps(seed),
        "NO_COLOR": "1",
    }
    # One test file at a time: the live server shares the test database between its
    # threads, and the webhook test counts deliveries it alone caused.
    result = subprocess.run(  # node from PATH, the suite from this checkout
        [node, "--test", "--test-concurrency=1", "--test-reporter=spec", str(SUITE)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=SUITE_TIMEOUT_SECONDS,
        check=False,
    )
    assert result.returncode == 0, (
        f"the official clients' suite failed (exit {result.returncode}):\n"
        f"{result.stdout[-20000:]}\n{result.stderr[-5000:]}"
    )
    passed = re.search(r"\bpass (\d+)", result.stdout)
    assert passed and int(passed.group(1)) > 0, f"the suite ran no tests:\n{result.stdout}"
