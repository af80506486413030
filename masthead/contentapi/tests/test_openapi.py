"""The OpenAPI description: served, well formed, and the same routes as the URLconf."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from jsonschema import Draft202012Validator

from masthead.contentapi import actions
from masthead.contentapi.openapi import build_document
from masthead.publishing.factories import ArticlePageFactory, TagFactory

URL = "/ghost/api/openapi.json"
API_ROOTS = {"ghost/api/content/": "/content/", "ghost/api/admin/": "/admin/"}
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
CONVERTER = re.compile(r"<(?:\w+:)?\w+>")
TEMPLATE = re.compile(r"\{\w+\}")

# A minimal OpenAPI 3.1 meta-check: the parts a client generator or a viewer relies on.
PARAMETER = {
    "type": "object",
    "required": ["name", "in", "schema"],
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "in": {"enum": ["query", "header", "path", "cookie"]},
        "required": {"type": "boolean"},
        "schema": {"type": "object"},
    },
}
REF = {"type": "object", "required": ["$ref"], "properties": {"$ref": {"type": "string"}}}
OPERATION = {
    "type": "object",
    "required": ["summary", "responses"],
    "properties": {
        "parameters": {"type": "array", "items": {"anyOf": [REF, PARAMETER]}},
        "responses": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"pattern": "^[1-5][0-9][0-9]$"},
        },
        "security": {"type": "array"},
        "requestBody": {"type": "object", "required": ["content"]},
    },
}
META_SCHEMA = {
    "type": "object",
    "required": ["openapi", "info", "paths", "components"],
    "properties": {
        "openapi": {"type": "string", "pattern": "^3\\.1\\.\\d+$"},
        "info": {"type": "object", "required": ["title", "version"]},
        "servers": {"type": "array", "items": {"type": "object", "required": ["url"]}},
        "paths": {
            "type": "object",
            "propertyNames": {"pattern": "^/"},
            "additionalProperties": {
                "type": "object",
                "propertyNames": {"enum": sorted(METHODS)},
                "additionalProperties": OPERATION,
            },
        },
        "components": {
            "type": "object",
            "properties": {
                "parameters": {"additionalProperties": PARAMETER},
                "securitySchemes": {
                    "additionalProperties": {
                        "type": "object",
                        "required": ["type"],
                        "properties": {"type": {"enum": ["apiKey", "http", "oauth2"]}},
                    }
                },
            },
        },
    },
}


def walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern.callback


def served_routes() -> dict[str, str]:
    """Every API route the URLconf serves, as ``/content/posts/{}/`` → example path."""
    routes: dict[str, str] = {}
    for route, _callback in walk(get_resolver().url_patterns):
        for root, api in API_ROOTS.items():
            if route.startswith(root) and not route.startswith("^"):
                relative = api + route[len(root) :]
                routes[CONVERTER.sub("{}", relative)] = CONVERTER.sub("0" * 24, route)
    return routes


def documented(document: dict[str, Any]) -> dict[str, set[str]]:
    return {
        TEMPLATE.sub("{}", path): {method.upper() for method in item if method in METHODS}
        for path, item in document["paths"].items()
    }


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def validator(document: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    # Refs in the document point into #/components: give the schema the same root.
    return Draft202012Validator({**schema, "components": document["components"]})


def test_every_served_route_is_described_and_every_described_path_is_served() -> None:
    document = build_document("https://news.example")

    served = served_routes()
    described = documented(document)

    assert served, "no API routes found in the URLconf"
    assert sorted(set(served) - set(described)) == [], "served but not in openapi.py"
    assert sorted(set(described) - set(served)) == [], "in openapi.py but not served"


@pytest.mark.django_db
def test_each_path_documents_exactly_the_methods_its_view_answers(client: Any) -> None:
    document = build_document("https://news.example")
    described = documented(document)
    mismatches = {}
    for template, example in served_routes().items():
        # Every API view answers a CORS preflight listing the methods it answers.
        response = client.options(
            "/" + example,
            HTTP_ORIGIN="https://elsewhere.example",
            HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        )
        answered = set(response["Access-Control-Allow-Methods"].split(", ")) - {
            "OPTIONS",
            "HEAD",
        }
        if answered != described.get(template, set()):
            mismatches[template] = {"served": answered, "described": described.get(template)}
    assert mismatches == {}


def test_the_document_is_well_formed_openapi_3_1() -> None:
    document = build_document("https://news.example")

    Draft202012Validator(META_SCHEMA).validate(document)
    for ref in set(refs(document)):
        assert resolve(document, ref) is not None
    for schema in document["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    for path, item in document["paths"].items():
        path_names = set(re.findall(r"\{(\w+)\}", path))
        for method, operation in item.items():
            parameters = [
                resolve(document, p["$ref"]) if "$ref" in p else p for p in operation["parameters"]
            ]
            in_path = {p["name"] for p in parameters if p["in"] == "path"}
            assert in_path == path_names, (method, path)
            ids = [(p["name"], p["in"]) for p in parameters]
            assert len(ids) == len(set(ids)), (method, path)
            assert operation["security"] in ([], [{"contentKey": []}], [{"adminToken": []}])
    assert document["servers"] == [
        {"url": "https://news.example/ghost/api", "description": "This site"}
    ]


@pytest.mark.django_db
def test_it_is_served_at_a_stable_cacheable_url(client: Any, settings: Any) -> None:
    settings.MASTHEAD_SITE_URL = "https://news.example"

    response = client.get(URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "public" in response["Cache-Control"]
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response.json() == build_document()
    assert client.post(URL).status_code == 405


@pytest.mark.django_db
def test_real_answers_match_the_described_envelopes(
    client: Any, home: Any, section: Any, author: Any
) -> None:
    document = build_document("https://news.example")
    integration = actions.create_integration(name="Checks")
    ArticlePageFactory(
        parent=home, slug="first", section=section, tags=[TagFactory()], authors=[author]
    )

    def check(path: str, status: str, method: str = "get", **query: str) -> None:
        response = client.get(f"/ghost/api{path}", query)
        assert str(response.status_code) == status, response.content
        template = next(
            key for key in document["paths"] if re.fullmatch(TEMPLATE.sub("[^/]+", key), path)
        )
        answer = document["paths"][template][method]["responses"][status]
        if "$ref" in answer:
            answer = resolve(document, answer["$ref"])
        schema = answer["content"]["application/json"]["schema"]
        validator(document, schema).validate(response.json())

    key = integration.content_key
    check("/content/posts/", "200", key=key, include="tags,authors")
    check("/content/posts/slug/first/", "200", key=key)
    check("/content/tags/", "200", key=key, include="count.posts")
    check("/content/authors/", "200", key=key)
    check("/content/settings/", "200", key=key)
    check("/content/tiers/", "200", key=key)
    check("/content/newsletters/", "200", key=key)
    check("/content/posts/", "401", key="0" * 26)
    check("/content/posts/", "403")
    check("/content/posts/", "400", key=key, filter="tag:(")
    check("/content/posts/slug/missing/", "404", key=key)
    check("/admin/site/", "200")
    check("/admin/posts/", "403")
