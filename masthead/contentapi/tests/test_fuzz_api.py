"""Generated requests against every described endpoint: never a 5xx, always Ghost's envelope.

Hypothesis draws an operation from the OpenAPI description, then values for its path,
query, headers, credentials and body: valid ones, edge ones (huge, negative, unicode,
NUL, very long), malformed filters, broken JSON, wrong content types, expired and forged
tokens. Rows exist in the database, including a members-only article whose gated words
must never appear in a Content API answer (no member context is ever sent here).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any
from urllib.parse import quote

import jwt
import pytest
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from masthead.contentapi import actions
from masthead.contentapi.models import Integration, Webhook
from masthead.contentapi.openapi import build_document
from masthead.membership.factories import MemberFactory
from masthead.publishing.factories import (
    ArticlePageFactory,
    StandardPageFactory,
    TagFactory,
    paragraph_blocks,
)

pytestmark = pytest.mark.django_db

SECRET = "zebracrossingmembersonly"
EXAMPLES = 2500
DOCUMENT = build_document("http://testserver")
OPERATIONS = sorted(
    (path, method)
    for path, item in DOCUMENT["paths"].items()
    for method in item
    if method in {"get", "post", "put", "delete"}
)

EDGE_STRINGS = [
    "",
    " ",
    "0",
    "-1",
    "1",
    "15",
    "100",
    "101",
    "-9223372036854775809",
    "9223372036854775808",
    "9" * 400,
    "1e309",
    "NaN",
    "Infinity",
    "all",
    "null",
    "true",
    "[]",
    "{}",
    "\x00",
    "a\x00b",
    "\ud7ff",
    "💥",
    "Ü̈ber",
    "%",
    "%00",
    "..",
    "../../etc/passwd",
    "'",
    '"',
    "\\",
    "<script>alert(1)</script>",
    "x" * 5000,
    "0" * 24,
    "f" * 24,
    "G" * 24,
]
NQL_FIELDS = [
    "tag",
    "tags",
    "tags.slug",
    "author",
    "authors.slug",
    "primary_tag",
    "primary_author",
    "slug",
    "id",
    "title",
    "featured",
    "visibility",
    "status",
    "published_at",
    "updated_at",
    "created_at",
    "html",
    "plaintext",
    "email",
    "password",
    "name",
    "count.posts",
    "primary_tag.slug",
    "nonexistent",
    "",
]
NQL_OPERATORS = ["", "-", ">", ">=", "<", "<=", "~", "~^", "~$", "-~", "-~^", "-~$", "!"]
NQL_VALUES = [
    "news",
    "null",
    "true",
    "false",
    "now-1d",
    "now-999999999999d",
    "now+3w",
    "'2026-01-01'",
    "'2026-13-45 99:99:99'",
    "'it\\'s'",
    "'unterminated",
    "[a,b]",
    "[a,",
    "[]",
    "-[a,b]",
    "9" * 30,
    "-1",
    "'\x00'",
    "💥",
    "'%'",
    "'_'",
]


@st.composite
def nql(draw: st.DrawFn) -> str:
    """Filters from Ghost's grammar, well formed or nearly so."""
    terms = draw(
        st.lists(
            st.builds(
                lambda field, op, value: f"{field}:{op}{value}",
                st.sampled_from(NQL_FIELDS),
                st.sampled_from(NQL_OPERATORS),
                st.sampled_from(NQL_VALUES),
            ),
            min_size=1,
            max_size=4,
        )
    )
    text = terms[0]
    for term in terms[1:]:
        text += draw(st.sampled_from(["+", ",", "+(", ")+", "", " + "])) + term
    if draw(st.booleans()):
        text = "(" * draw(st.integers(0, 3)) + text + ")" * draw(st.integers(0, 3))
    return text


VALID_VALUES = {
    "include": ["tags,authors", "tags", "authors", "count.posts", "tiers", "nonsense", ""],
    "fields": ["title,url", "id", "title,slug,html", "nonsense", ","],
    "formats": ["html", "plaintext", "html,plaintext", "lexical", "mobiledoc", "pdf"],
    "limit": ["1", "15", "100", "all", "0"],
    "page": ["1", "2", "0", "999999"],
    "order": ["published_at desc", "title asc", "nonsense desc", "title sideways", "html asc"],
    "source": ["html"],
    "newsletter": ["default-newsletter", "nope"],
    "email_segment": ["all", "status:free", "status:-free", "nonsense"],
}


def value_for(name: str) -> st.SearchStrategy[str]:
    choices: list[st.SearchStrategy[str]] = [
        st.sampled_from(EDGE_STRINGS),
        st.text(max_size=40),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
    ]
    if name in VALID_VALUES:
        choices.insert(0, st.sampled_from(VALID_VALUES[name]))
    if name == "filter":
        choices.insert(0, nql())
    return st.one_of(*choices)


JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(EDGE_STRINGS),
    st.text(max_size=30),
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=8,
)
HTML = st.one_of(
    st.sampled_from(
        [
            "<p>Hello</p>",
            "<h2>Head</h2><p>Text <a href='https://x.example'>link</a></p>",
            "<figure class='kg-card kg-image-card'><img src='https://x.example/a.png'></figure>",
            "<!--members-only--><p>after</p>",
            "<p>unclosed <b>bold",
            "<script>alert(1)</script>",
            "<table><tr><td>cell</td></tr></table>",
            "<iframe src='https://www.youtube.com/embed/x'></iframe>",
            "",
        ]
    ),
    st.text(max_size=200),
)


VALID_BODIES: dict[str, dict[str, Any]] = {
    "posts": {"title": "Fuzzed", "html": "<p>Body</p>", "status": "draft"},
    "pages": {"title": "Fuzzed page", "html": "<p>Body</p>"},
    "tags": {"name": "Fuzzed tag"},
    "members": {"name": "Reader"},
    "newsletters": {"name": "Fuzzed letter"},
    "webhooks": {"event": "post.added", "target_url": "https://hooks.example/new"},
}


def field_value(name: str, schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    if name == "html":
        return st.one_of(HTML, JSON_VALUES)
    if name in ("status", "visibility"):
        return st.one_of(
            st.sampled_from(["draft", "published", "scheduled", "public", "members", "paid"]),
            JSON_VALUES,
        )
    if name.endswith("_at"):
        return st.one_of(
            st.sampled_from(["2026-01-01T00:00:00.000Z", "2099-01-01T00:00:00Z", "yesterday"]),
            JSON_VALUES,
        )
    if name in ("tags", "authors", "labels", "newsletters"):
        return st.one_of(
            st.lists(
                st.one_of(
                    st.text(max_size=20),
                    st.fixed_dictionaries({"name": st.text(max_size=20)}),
                    st.fixed_dictionaries({"id": st.sampled_from(EDGE_STRINGS)}),
                    st.fixed_dictionaries({"slug": st.text(max_size=20)}),
                    st.fixed_dictionaries({"email": st.sampled_from(["owner@example.org", "x"])}),
                ),
                max_size=3,
            ),
            JSON_VALUES,
        )
    if name in ("email", "target_url", "event"):
        return st.one_of(
            st.sampled_from(
                [
                    "reader@example.org",
                    "not-an-email",
                    "https://hooks.example/x",
                    "ftp://x",
                    "post.published",
                    "member.added",
                    "nope.nope",
                ]
            ),
            JSON_VALUES,
        )
    return JSON_VALUES


@st.composite
def body(draw: st.DrawFn, resource: str, schema: dict[str, Any] | None) -> tuple[bytes, str]:
    """(raw body, content type): a plausible object, or something broken."""
    kind = draw(st.sampled_from(["valid", "valid", "object", "object", "shape", "broken", "type"]))
    if kind == "broken":
        raw = draw(
            st.one_of(
                st.binary(max_size=60),
                st.sampled_from([b"{", b'{"posts": [', b"\xff\xfe", b"null", b"", b"[]"]),
            )
        )
        return raw, "application/json"
    if kind == "type":
        content_type = draw(
            st.sampled_from(
                ["text/plain", "application/x-www-form-urlencoded", "", "application/xml"]
            )
        )
        return b'{"x": 1}', content_type
    if kind == "shape":
        payload = draw(
            st.one_of(
                JSON_VALUES,
                st.fixed_dictionaries({resource: JSON_VALUES}),
                st.just({resource: []}),
                st.just({resource: [1]}),
            )
        )
        return json.dumps(payload).encode(), "application/json"
    properties: dict[str, Any] = {}
    if schema is not None:
        item = schema["properties"][resource]["items"]
        properties = item.get("properties", {})
    names = draw(st.lists(st.sampled_from(sorted(properties) or ["title"]), max_size=6))
    obj = {name: draw(field_value(name, properties.get(name, {}))) for name in names}
    if kind == "valid":
        # A write that should succeed, with at most one generated field besides.
        obj = {**VALID_BODIES.get(resource, {}), **dict(list(obj.items())[:1])}
        if resource == "members":
            obj["email"] = draw(st.emails())
    return json.dumps({resource: [obj]}, ensure_ascii=draw(st.booleans())).encode(), (
        "application/json"
    )


def admin_token(integration: Integration, variant: str) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {"iat": now, "exp": now + 300, "aud": "/admin/"}
    key_id, secret = integration.admin_key_id, integration.admin_secret
    algorithm = "HS256"
    if variant == "expired":
        claims = {"iat": now - 3600, "exp": now - 3000, "aud": "/admin/"}
    elif variant == "too_long":
        claims["exp"] = now + 3600
    elif variant == "audience":
        claims["aud"] = "/content/"
    elif variant == "no_aud":
        del claims["aud"]
    elif variant == "forged":
        secret = "00" * 32
    elif variant == "unknown_kid":
        key_id = "0" * 24
    elif variant == "hs512":
        algorithm = "HS512"
    elif variant == "strings":
        claims["iat"] = "now"
    return jwt.encode(claims, bytes.fromhex(secret), algorithm=algorithm, headers={"kid": key_id})


@st.composite
def credentials(
    draw: st.DrawFn, api: str, integration: Integration
) -> tuple[list[str], dict[str, str]]:
    """(content keys to send, headers): mostly valid, often not."""
    if api == "content":
        keys = draw(
            st.sampled_from(
                [
                    *[[integration.content_key]] * 8,
                    [],
                    ["0" * 26],
                    [integration.content_key, integration.content_key],
                    [integration.content_key.upper()],
                    ["\x00"],
                    ["k" * 3000],
                ]
            )
        )
        return keys, {}
    variant = draw(
        st.sampled_from(
            [
                *["valid"] * 12,
                "expired",
                "too_long",
                "audience",
                "no_aud",
                "forged",
                "unknown_kid",
                "hs512",
                "strings",
                "none",
                "bearer",
                "garbage",
                "empty",
            ]
        )
    )
    if variant == "none":
        return [], {}
    if variant == "bearer":
        return [], {"HTTP_AUTHORIZATION": "Bearer " + admin_token(integration, "valid")}
    if variant == "garbage":
        return [], {"HTTP_AUTHORIZATION": "Ghost " + draw(st.sampled_from(EDGE_STRINGS[:-3]))}
    if variant == "empty":
        return [], {"HTTP_AUTHORIZATION": "Ghost "}
    return [], {"HTTP_AUTHORIZATION": "Ghost " + admin_token(integration, variant)}


@pytest.fixture
def rows(home: Any, section: Any, author: Any, free_tier: Any) -> dict[str, Any]:
    integration = actions.create_integration(name="Fuzz")
    tag = TagFactory(name="News", slug="news")
    public = ArticlePageFactory(
        parent=home, slug="open", section=section, tags=[tag], authors=[author]
    )
    gated = ArticlePageFactory(
        parent=home,
        slug="gated",
        section=section,
        authors=[author],
        visibility="members",
        dek="",
        body=[
            *paragraph_blocks(["An opening anyone may read."]),
            {"type": "paywall", "value": None},
            *paragraph_blocks([f"The {SECRET} detail for members."]),
        ],
    )
    page = StandardPageFactory(parent=home, slug="about")
    member = MemberFactory()
    webhook = Webhook.objects.create(
        integration=integration, event="post.published", target_url="https://hooks.example/a"
    )
    return {
        "integration": integration,
        "ids": {
            "posts": [public.ghost_id, gated.ghost_id],
            "pages": [page.ghost_id],
            "authors": [author.ghost_id],
            "users": [author.ghost_id, "me"],
            "tags": [tag.ghost_id, section.ghost_id],
            "members": [member.ghost_id],
            "webhooks": [webhook.ghost_id],
            "newsletters": [],
            "offers": [],
        },
        "emails": {"users": [author.email or "nobody@example.org", "nobody@example.org"]},
        "slugs": {
            "users": [author.slug],
            "posts": ["open", "gated"],
            "pages": ["about"],
            "authors": [author.slug],
            "tags": ["news", section.slug],
        },
    }


def check(response: Any, path: str) -> None:
    assert response.status_code < 500, (path, response.status_code, response.content[:500])
    if response.status_code >= 400 and response.status_code != 405:
        data = response.json()
        assert isinstance(data["errors"], list), path
        assert data["errors"], path
        for error in data["errors"]:
            assert isinstance(error["message"], str), path
            assert error["message"], path
            assert isinstance(error["type"], str), path
    if path.startswith("/ghost/api/content/"):
        assert SECRET.encode() not in response.content, ("gated words leaked", path)


# The forged-algorithm variant signs HS512 with a 32-byte key on purpose.
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_generated_requests_never_fail_and_errors_have_ghosts_envelope(
    rows: dict[str, Any],
) -> None:
    client = Client(raise_request_exception=False)
    integration: Integration = rows["integration"]
    statuses: Counter[int] = Counter()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        template, method = data.draw(st.sampled_from(OPERATIONS), label="operation")
        operation = DOCUMENT["paths"][template][method]
        api = template.split("/")[1]
        resource = template.split("/")[2]
        path = template
        for name, pool in (
            ("{id}", rows["ids"]),
            ("{slug}", rows["slugs"]),
            ("{email}", rows["emails"]),
        ):
            if name in path:
                known = pool.get(resource, [])
                raw = data.draw(
                    st.one_of(
                        *([st.sampled_from(known)] * 3 if known else []),
                        st.sampled_from(EDGE_STRINGS[1:]),
                        st.text(min_size=1, max_size=30),
                    ),
                    label=name,
                )
                path = path.replace(name, quote(raw, safe=""))
        query: dict[str, Any] = {}
        for parameter in operation["parameters"]:
            ref = parameter.get("$ref", "")
            name = ref.rsplit("/", 1)[-1]
            if name in ("key", "id", "slug", "Accept-Version"):
                continue
            if data.draw(st.booleans(), label=f"send {name}"):
                values = data.draw(st.lists(value_for(name), min_size=1, max_size=2), label=name)
                query[name] = values if len(values) > 1 else values[0]
        keys, headers = data.draw(credentials(api, integration), label="credentials")
        if keys:
            query["key"] = keys if len(keys) > 1 else keys[0]
        if data.draw(st.booleans(), label="accept-version"):
            headers["HTTP_ACCEPT_VERSION"] = data.draw(
                st.sampled_from(["v6.0", "v2.0", "v99.99", "nonsense", "\x00"])
            )
        url = f"/ghost/api{path}"
        # The Django client puts a dict's lists as repeated parameters, as browsers do.
        if method in ("get", "delete"):
            do = client.get if method == "get" else client.delete
            kwargs: dict[str, Any] = {"data": query} if method == "get" else {}
            if method == "delete" and query:
                url += "?" + "&".join(
                    f"{quote(k)}={quote(str(v))}"
                    for k, vs in query.items()
                    for v in (vs if isinstance(vs, list) else [vs])
                )
            with transaction.atomic():
                response = do(url, **kwargs, **headers)
                transaction.set_rollback(True)
        else:
            if query:
                url += "?" + "&".join(
                    f"{quote(k)}={quote(str(v))}"
                    for k, vs in query.items()
                    for v in (vs if isinstance(vs, list) else [vs])
                )
            request_body = operation.get("requestBody", {}).get("content", {})
            if "multipart/form-data" in request_body:
                payload: dict[str, Any] = {
                    "purpose": data.draw(
                        st.sampled_from(["image", "profile_image", "icon", "nope", ""])
                    ),
                    "ref": data.draw(st.text(max_size=20)),
                }
                if data.draw(st.booleans()):
                    from django.core.files.uploadedfile import SimpleUploadedFile

                    payload["file"] = SimpleUploadedFile(
                        data.draw(
                            st.sampled_from(
                                ["a.png", "a.jpg", "a.txt", "..png", "名前.png", "x" * 300 + ".png"]
                            )
                        ),
                        data.draw(
                            st.one_of(
                                st.binary(max_size=200),
                                st.just(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40),
                            )
                        ),
                        content_type=data.draw(
                            st.sampled_from(["image/png", "image/jpeg", "text/plain"])
                        ),
                    )
                do = client.post if method == "post" else client.put
                with transaction.atomic():
                    if method == "post":
                        response = client.post(url, payload, **headers)
                    else:
                        response = client.put(url, payload, **headers)
                    transaction.set_rollback(True)
            else:
                schema = request_body.get("application/json", {}).get("schema")
                raw, content_type = data.draw(body(resource, schema), label="body")
                do = client.post if method == "post" else client.put
                with transaction.atomic():
                    response = do(url, raw, content_type=content_type, **headers)
                    transaction.set_rollback(True)
        statuses[response.status_code] += 1
        check(response, url)

    run()

    # Methods and addresses no endpoint answers.
    for method in ("patch", "delete", "put", "post"):
        for url in ("/ghost/api/content/posts/", "/ghost/api/content/nowhere/\x00/"):
            response = getattr(client, method)(url)
            statuses[response.status_code] += 1
            assert response.status_code == 404
            check(response, url)

    made = sum(statuses.values())
    summary = ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items()))
    print(f"\nfuzz: {made} requests, none answered 5xx ({summary})")  # noqa: T201  # the count is the point
    assert made >= EXAMPLES
    # The generator reaches the endpoints' real work, not only their refusals.
    assert statuses[200] + statuses[201] + statuses[204] > EXAMPLES // 10
