"""The OpenAPI 3.1 description of the Ghost-compatible APIs, served at ``/ghost/api/openapi.json``.

Built as data here rather than generated from the views, because the views are plain
functions (decision 0008) with nothing to introspect; ``tests/test_openapi.py`` compares
the paths and methods below with the live URLconf and the methods each view answers, so
the description cannot drift from what is served without a failing test.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

from .http import CONTENT_VERSION, GHOST_VERSION, json_response

Schema = dict[str, Any]

OPENAPI_VERSION = "3.1.0"
ERROR_TYPES = {
    "400": ("BadRequestError", "The request is malformed: a bad filter, parameter or token."),
    "401": ("UnauthorizedError", "The key or token is unknown, expired or wrongly signed."),
    "403": ("NoPermissionError", "No key or token was sent."),
    "404": ("NotFoundError", "No such resource, or no such endpoint or method."),
    "409": ("UpdateCollisionError", "The object changed since the client's updated_at."),
    "413": ("RequestEntityTooLargeError", "The body or upload is larger than the site accepts."),
    "415": ("UnsupportedMediaTypeError", "The body is not JSON (or not the expected file)."),
    "422": ("ValidationError", "A value is missing or not valid."),
}


def _ref(kind: str, name: str) -> Schema:
    return {"$ref": f"#/components/{kind}/{name}"}


def _nullable(type_: str, **extra: Any) -> Schema:
    return {"type": [type_, "null"], **extra}


STRING = {"type": "string"}
TEXT = _nullable("string")
URL = _nullable("string", format="uri")
DATE = _nullable("string", format="date-time")
BOOL = {"type": "boolean"}
INT = {"type": "integer"}
GHOST_ID = {"type": "string", "pattern": "^[0-9a-f]{24}$"}
SEO = dict.fromkeys(
    (
        "og_image",
        "og_title",
        "og_description",
        "twitter_image",
        "twitter_title",
        "twitter_description",
        "meta_title",
        "meta_description",
    ),
    TEXT,
)


def _object(properties: Schema, *, required: tuple[str, ...] = ()) -> Schema:
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


def _list_of(schema: Schema) -> Schema:
    return {"type": "array", "items": schema}


POST_PROPERTIES: Schema = {
    "id": GHOST_ID,
    "uuid": {"type": "string", "format": "uuid"},
    "title": STRING,
    "slug": STRING,
    "html": TEXT,
    "plaintext": {**TEXT, "description": "With formats=plaintext."},
    "comment_id": TEXT,
    "feature_image": URL,
    "featured": BOOL,
    "visibility": {"type": "string", "description": "public, members, paid or tiers."},
    "created_at": DATE,
    "updated_at": DATE,
    "published_at": DATE,
    "custom_excerpt": TEXT,
    "codeinjection_head": TEXT,
    "codeinjection_foot": TEXT,
    "custom_template": TEXT,
    "canonical_url": URL,
    "tags": {**_list_of(_ref("schemas", "Tag")), "description": "With include=tags."},
    "authors": {**_list_of(_ref("schemas", "Author")), "description": "With include=authors."},
    "primary_author": {"oneOf": [_ref("schemas", "Author"), {"type": "null"}]},
    "primary_tag": {"oneOf": [_ref("schemas", "Tag"), {"type": "null"}]},
    "tiers": _list_of(_ref("schemas", "Tier")),
    "url": STRING,
    "excerpt": TEXT,
    "reading_time": INT,
    "access": {"type": "boolean", "description": "Whether the reader may read it all."},
    "comments": BOOL,
    **SEO,
    "email_subject": TEXT,
    "frontmatter": TEXT,
    "feature_image_alt": TEXT,
    "feature_image_caption": TEXT,
    "status": {
        "type": "string",
        "description": "Admin API only: draft, published or scheduled.",
    },
    "lexical": {**TEXT, "description": "Admin API only, with formats=lexical."},
    "mobiledoc": {**TEXT, "description": "Admin API only; always null (not stored)."},
    "email_only": {**BOOL, "description": "Admin API only."},
    "newsletter": {"description": "Admin API only, with include=newsletter."},
    "email": {"description": "Admin API only, with include=email."},
}

AUTHOR_PROPERTIES: Schema = {
    "id": GHOST_ID,
    "name": STRING,
    "slug": STRING,
    "profile_image": URL,
    "cover_image": URL,
    "bio": TEXT,
    "website": URL,
    "location": TEXT,
    **dict.fromkeys(
        (
            "facebook",
            "twitter",
            "threads",
            "bluesky",
            "mastodon",
            "tiktok",
            "youtube",
            "instagram",
            "linkedin",
        ),
        TEXT,
    ),
    "meta_title": TEXT,
    "meta_description": TEXT,
    "count": _object({"posts": INT}),
    "url": STRING,
}

TAG_PROPERTIES: Schema = {
    "id": GHOST_ID,
    "name": STRING,
    "slug": STRING,
    "description": TEXT,
    "feature_image": URL,
    "visibility": {"type": "string", "enum": ["public", "internal"]},
    **SEO,
    "codeinjection_head": TEXT,
    "codeinjection_foot": TEXT,
    "canonical_url": URL,
    "accent_color": TEXT,
    "count": _object({"posts": INT}),
    "url": STRING,
}

SCHEMAS: Schema = {
    "Error": _object(
        {
            "message": STRING,
            "context": TEXT,
            "type": {
                "type": "string",
                "description": "Clients switch on this, never on message.",
                "enum": [
                    *(kind for kind, _what in ERROR_TYPES.values()),
                    "InternalServerError",
                ],
            },
            "details": {},
            "property": TEXT,
            "help": TEXT,
            "code": TEXT,
            "id": STRING,
            "ghostErrorCode": TEXT,
        },
        required=("message", "type"),
    ),
    "Errors": _object(
        {"errors": {**_list_of(_ref("schemas", "Error")), "minItems": 1}},
        required=("errors",),
    ),
    "Pagination": _object(
        {
            "page": INT,
            "limit": INT,
            "pages": INT,
            "total": INT,
            "next": _nullable("integer"),
            "prev": _nullable("integer"),
        },
        required=("page", "limit", "pages", "total", "next", "prev"),
    ),
    "BrowseMeta": _object({"pagination": _ref("schemas", "Pagination")}, required=("pagination",)),
    "Post": _object(POST_PROPERTIES, required=("id", "title", "slug")),
    "Page": _object(
        {**POST_PROPERTIES, "show_title_and_feature_image": BOOL},
        required=("id", "title", "slug"),
    ),
    "Author": _object(AUTHOR_PROPERTIES, required=("id", "name", "slug")),
    "Tag": _object(TAG_PROPERTIES, required=("id", "name", "slug")),
    "Tier": _object(
        {
            "id": GHOST_ID,
            "name": STRING,
            "description": TEXT,
            "slug": STRING,
            "active": BOOL,
            "type": {"type": "string", "enum": ["free", "paid"]},
            "welcome_page_url": TEXT,
            "created_at": DATE,
            "updated_at": DATE,
            "visibility": STRING,
            "benefits": _list_of(STRING),
            "currency": TEXT,
            "monthly_price": _nullable("integer", description="In minor units (cents)."),
            "yearly_price": _nullable("integer", description="In minor units (cents)."),
            "trial_days": INT,
        },
        required=("id", "name", "slug"),
    ),
    "Newsletter": _object(
        {
            "id": GHOST_ID,
            "uuid": {"type": "string", "format": "uuid"},
            "name": STRING,
            "description": TEXT,
            "slug": STRING,
            "sender_email": TEXT,
            "subscribe_on_signup": BOOL,
            "visibility": STRING,
            "sort_order": INT,
            "status": {"type": "string", "description": "Admin API: active or archived."},
            "created_at": DATE,
            "updated_at": DATE,
        },
        required=("id", "name", "slug"),
    ),
    "Settings": {
        "type": "object",
        "description": "Ghost's public settings: title, description, logo, icon, "
        "accent_color, navigation, members_*, portal_*, url, version …",
        "properties": {
            "title": STRING,
            "description": TEXT,
            "logo": URL,
            "icon": URL,
            "accent_color": TEXT,
            "cover_image": URL,
            "locale": STRING,
            "timezone": STRING,
            "navigation": _list_of(_object({"label": STRING, "url": STRING})),
            "secondary_navigation": _list_of(_object({"label": STRING, "url": STRING})),
            "members_enabled": BOOL,
            "paid_members_enabled": BOOL,
            "url": STRING,
            "version": STRING,
        },
    },
    "Offer": _object(
        {
            "id": GHOST_ID,
            "name": STRING,
            "code": STRING,
            "display_title": TEXT,
            "display_description": TEXT,
            "type": {"type": "string", "enum": ["percent", "fixed", "trial"]},
            "cadence": {"type": "string", "enum": ["month", "year"]},
            "amount": INT,
            "duration": STRING,
            "duration_in_months": _nullable("integer"),
            "currency": TEXT,
            "status": STRING,
            "tier": _object({"id": GHOST_ID, "name": STRING}),
        },
        required=("id",),
    ),
    "Recommendation": _object(
        {
            "id": GHOST_ID,
            "title": STRING,
            "description": TEXT,
            "excerpt": TEXT,
            "featured_image": URL,
            "favicon": URL,
            "url": STRING,
            "one_click_subscribe": BOOL,
            "created_at": DATE,
            "updated_at": DATE,
        },
        required=("id", "url"),
    ),
    "SearchIndexPost": _object(
        {
            "id": GHOST_ID,
            "slug": STRING,
            "title": STRING,
            "excerpt": TEXT,
            "url": STRING,
            "created_at": DATE,
            "updated_at": DATE,
            "published_at": DATE,
            "visibility": STRING,
        }
    ),
    "Member": _object(
        {
            "id": GHOST_ID,
            "uuid": {"type": "string", "format": "uuid"},
            "email": {"type": "string", "format": "email"},
            "name": TEXT,
            "note": TEXT,
            "geolocation": TEXT,
            "subscribed": BOOL,
            "created_at": DATE,
            "updated_at": DATE,
            "labels": _list_of(_object({"id": GHOST_ID, "name": STRING, "slug": STRING})),
            "subscriptions": _list_of({"type": "object"}),
            "avatar_image": URL,
            "comped": BOOL,
            "email_count": INT,
            "email_opened_count": INT,
            "email_open_rate": _nullable("number"),
            "status": {"type": "string", "enum": ["free", "paid", "comped"]},
            "last_seen_at": DATE,
            "newsletters": _list_of(_ref("schemas", "Newsletter")),
        },
        required=("id", "email"),
    ),
    "Webhook": _object(
        {
            "id": GHOST_ID,
            "event": {"type": "string", "description": "One of Ghost's 29 event names."},
            "target_url": {"type": "string", "format": "uri"},
            "name": TEXT,
            "secret": TEXT,
            "api_version": STRING,
            "integration_id": GHOST_ID,
            "status": STRING,
            "last_triggered_at": DATE,
            "last_triggered_status": TEXT,
            "last_triggered_error": TEXT,
            "created_at": DATE,
            "updated_at": DATE,
        },
        required=("id", "event", "target_url"),
    ),
    "User": _object(
        {
            **AUTHOR_PROPERTIES,
            "email": {"type": "string", "format": "email"},
            "status": STRING,
            "roles": _list_of(_object({"id": GHOST_ID, "name": STRING})),
        },
        required=("id", "name", "slug"),
    ),
    "Image": _object({"url": STRING, "ref": TEXT}, required=("url",)),
    "Site": _object(
        {
            "title": STRING,
            "description": TEXT,
            "logo": URL,
            "icon": URL,
            "accent_color": TEXT,
            "locale": STRING,
            "url": STRING,
            "version": STRING,
        },
        required=("title", "url", "version"),
    ),
}

WRITE_NOTE = "Send a list holding one object."
POST_WRITE: Schema = _object(
    {
        "title": STRING,
        "slug": STRING,
        "html": {**STRING, "description": "Read only with ?source=html."},
        "lexical": {**STRING, "description": "A Lexical document as a JSON string."},
        "status": {"type": "string", "enum": ["draft", "published", "scheduled"]},
        "published_at": DATE,
        "updated_at": {
            **DATE,
            "description": "Required on PUT: the updated_at the client last read (409 if stale).",
        },
        "featured": BOOL,
        "visibility": STRING,
        "custom_excerpt": TEXT,
        "feature_image": URL,
        "feature_image_alt": TEXT,
        "feature_image_caption": TEXT,
        "tags": _list_of(
            {"oneOf": [STRING, _object({"id": STRING, "name": STRING, "slug": STRING})]}
        ),
        "authors": _list_of(
            {"oneOf": [STRING, _object({"id": STRING, "email": STRING, "slug": STRING})]}
        ),
        **SEO,
        "canonical_url": URL,
        "email_only": BOOL,
    }
)
WRITE_BODIES: dict[str, Schema] = {
    "posts": POST_WRITE,
    "pages": POST_WRITE,
    "tags": _object(
        {
            "name": STRING,
            "slug": STRING,
            "description": TEXT,
            "feature_image": URL,
            "visibility": STRING,
            "accent_color": TEXT,
            **SEO,
        }
    ),
    "members": _object(
        {
            "email": {"type": "string", "format": "email"},
            "name": TEXT,
            "note": TEXT,
            "labels": _list_of({"oneOf": [STRING, _object({"name": STRING})]}),
            "newsletters": _list_of(_object({"id": STRING})),
            "comped": BOOL,
            "subscribed": BOOL,
        }
    ),
    "newsletters": _object(
        {
            "name": STRING,
            "description": TEXT,
            "slug": STRING,
            "sender_email": TEXT,
            "status": {"type": "string", "enum": ["active", "archived"]},
            "subscribe_on_signup": BOOL,
            "visibility": STRING,
            "sort_order": INT,
        }
    ),
    "webhooks": _object(
        {
            "event": STRING,
            "target_url": {"type": "string", "format": "uri"},
            "name": TEXT,
            "secret": TEXT,
            "api_version": STRING,
            "integration_id": GHOST_ID,
        }
    ),
}

SCHEMA_OF = {
    "posts": "Post",
    "pages": "Page",
    "authors": "Author",
    "tags": "Tag",
    "tiers": "Tier",
    "newsletters": "Newsletter",
    "offers": "Offer",
    "recommendations": "Recommendation",
    "members": "Member",
    "webhooks": "Webhook",
    "images": "Image",
    "users": "User",
}


def _parameter(
    name: str, where: str, description: str, schema: Schema, *, required: bool = False
) -> Schema:
    return {
        "name": name,
        "in": where,
        "description": description,
        "required": required,
        "schema": schema,
    }


PARAMETERS: Schema = {
    "key": _parameter(
        "key",
        "query",
        "The integration's Content API key (26 hex). Sent once; a repeated key is a 400.",
        {"type": "string"},
        required=True,
    ),
    "include": _parameter(
        "include",
        "query",
        "Comma-separated relations: tags, authors, tiers (posts, pages); count.posts "
        "(authors, tags); monthly_price, yearly_price, benefits (tiers); admin adds "
        "email, newsletter, labels. Unknown values are ignored.",
        {"type": "string"},
    ),
    "fields": _parameter(
        "fields", "query", "Comma-separated fields to return, e.g. title,url.", STRING
    ),
    "formats": _parameter(
        "formats",
        "query",
        "html (default) and/or plaintext; the Admin API also accepts lexical and "
        "mobiledoc. Any other value is a 422.",
        STRING,
    ),
    "filter": _parameter(
        "filter",
        "query",
        "An NQL filter, e.g. tag:news+featured:true. Unparsable → 400.",
        STRING,
    ),
    "limit": _parameter(
        "limit",
        "query",
        "Results per page: default 15, at most 100; all or any non-number means 100.",
        {"oneOf": [{"type": "integer", "minimum": 1}, {"type": "string"}]},
    ),
    "page": _parameter(
        "page", "query", "1-based; past the last page answers [].", {"type": "integer"}
    ),
    "order": _parameter(
        "order",
        "query",
        "e.g. published_at desc, title asc. Unknown fields are dropped.",
        STRING,
    ),
    "source": _parameter(
        "source",
        "query",
        "html: read the body's html field and turn it into the article's blocks.",
        {"type": "string", "enum": ["html"]},
    ),
    "newsletter": _parameter(
        "newsletter",
        "query",
        "When publishing: the slug of the newsletter to email the post to.",
        STRING,
    ),
    "email_segment": _parameter(
        "email_segment",
        "query",
        "When emailing: all, status:free or status:-free (both together mean all); any other "
        "value is a 422. Read only when the post becomes published or scheduled.",
        STRING,
    ),
    "id": _parameter("id", "path", "The object's 24-hex id.", STRING, required=True),
    "slug": _parameter("slug", "path", "The object's slug.", STRING, required=True),
    "email": _parameter("email", "path", "The user's email address.", STRING, required=True),
    "Accept-Version": _parameter(
        "Accept-Version",
        "header",
        "The Ghost API version the client was written for, e.g. v6.0; not validated.",
        STRING,
    ),
}

BROWSE = ("include", "fields", "formats", "filter", "limit", "page", "order")
READ = ("include", "fields", "formats")


def _error_response(status: str) -> Schema:
    kind, what = ERROR_TYPES[status]
    return {
        "description": f"{kind}: {what}",
        "content": {"application/json": {"schema": _ref("schemas", "Errors")}},
    }


def _envelope(resource: str, *, browse: bool) -> Schema:
    item = _ref("schemas", SCHEMA_OF[resource])
    properties: Schema = {resource: _list_of(item)}
    required = [resource]
    if browse:
        properties["meta"] = _ref("schemas", "BrowseMeta")
        required.append("meta")
    return {"type": "object", "properties": properties, "required": required}


def _json(schema: Schema, description: str) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _operation(
    api: str,
    summary: str,
    *,
    parameters: tuple[str, ...] = (),
    ok: Schema,
    status: str = "200",
    body: Schema | None = None,
    errors: tuple[str, ...] = (),
    public: bool = False,
) -> Schema:
    names = ["key", *parameters] if api == "content" else list(parameters)
    operation: Schema = {
        "summary": summary,
        "tags": [f"{api.capitalize()} API"],
        "parameters": [_ref("parameters", name) for name in (*names, "Accept-Version")],
        "responses": {status: ok},
    }
    auth_errors: tuple[str, ...] = ()
    if public:
        operation["security"] = []
    else:
        operation["security"] = [{"contentKey": []}] if api == "content" else [{"adminToken": []}]
        auth_errors = ("400", "401", "403")
    if body is not None:
        operation["requestBody"] = body
    for code in sorted({*auth_errors, *errors}):
        operation["responses"][code] = _ref("responses", ERROR_TYPES[code][0])
    return operation


def _with_path_parameter(operation: Schema, name: str) -> Schema:
    operation["parameters"].insert(0, _ref("parameters", name))
    return operation


def _content_paths() -> Schema:
    paths: Schema = {}
    for resource in ("posts", "pages", "authors", "tags"):
        noun = resource[:-1]
        paths[f"/content/{resource}/"] = {
            "get": _operation(
                "content",
                f"Browse {resource}",
                parameters=BROWSE,
                ok=_json(_envelope(resource, browse=True), f"A page of {resource}."),
                errors=("422",),
            )
        }
        for suffix, name in (("{id}/", "id"), ("slug/{slug}/", "slug")):
            paths[f"/content/{resource}/{suffix}"] = {
                "get": _with_path_parameter(
                    _operation(
                        "content",
                        f"Read a {noun} by {name}",
                        parameters=READ,
                        ok=_json(_envelope(resource, browse=False), f"One {noun}, in a list."),
                        errors=("404", "422"),
                    ),
                    name,
                )
            }
    paths["/content/settings/"] = {
        "get": _operation(
            "content",
            "The site's public settings",
            ok=_json(
                _object(
                    {"settings": _ref("schemas", "Settings"), "meta": {"type": "object"}},
                    required=("settings", "meta"),
                ),
                "The settings object and an empty meta.",
            ),
        )
    }
    for resource in ("tiers", "newsletters", "recommendations"):
        paths[f"/content/{resource}/"] = {
            "get": _operation(
                "content",
                f"Browse {resource}",
                parameters=("include", "fields", "filter", "limit", "page", "order"),
                ok=_json(_envelope(resource, browse=True), f"A page of {resource}."),
            )
        }
    paths["/content/offers/{id}/"] = {
        "get": _with_path_parameter(
            _operation(
                "content",
                "Read an offer",
                ok=_json(_envelope("offers", browse=False), "One offer, in a list."),
                errors=("404",),
            ),
            "id",
        )
    }
    for resource, item in (
        ("posts", _ref("schemas", "SearchIndexPost")),
        ("authors", _object({"id": GHOST_ID, "slug": STRING, "name": STRING, "url": STRING})),
        ("tags", _object({"id": GHOST_ID, "slug": STRING, "name": STRING, "url": STRING})),
    ):
        paths[f"/content/search-index/{resource}/"] = {
            "get": _operation(
                "content",
                f"Every public {resource[:-1]}, flat, for the search widget",
                ok=_json(
                    _object({resource: _list_of(item)}, required=(resource,)),
                    f"All {resource} (at most 10,000).",
                ),
            )
        }
    return paths


def _write_body(resource: str) -> Schema:
    return {
        "required": True,
        "description": WRITE_NOTE,
        "content": {
            "application/json": {
                "schema": _object(
                    {resource: {**_list_of(WRITE_BODIES[resource]), "minItems": 1}},
                    required=(resource,),
                )
            }
        },
    }


def _admin_collection(resource: str, *, extra: tuple[str, ...] = ()) -> Schema:
    write_errors = ("409", "413", "415", "422")
    return {
        "get": _operation(
            "admin",
            f"Browse {resource}",
            parameters=BROWSE,
            ok=_json(_envelope(resource, browse=True), f"A page of {resource}."),
            errors=("422",),
        ),
        "post": _operation(
            "admin",
            f"Add a {resource[:-1]}",
            parameters=extra,
            ok=_json(_envelope(resource, browse=False), f"The new {resource[:-1]}."),
            status="201",
            body=_write_body(resource),
            errors=write_errors,
        ),
    }


def _admin_item(resource: str, *, extra: tuple[str, ...] = (), delete: bool = True) -> Schema:
    noun = resource[:-1]
    operations: Schema = {
        "get": _operation(
            "admin",
            f"Read a {noun}",
            parameters=READ,
            ok=_json(_envelope(resource, browse=False), f"One {noun}, in a list."),
            errors=("404", "422"),
        ),
        "put": _operation(
            "admin",
            f"Edit a {noun}",
            parameters=(*READ, *extra),
            ok=_json(_envelope(resource, browse=False), f"The {noun} as saved."),
            body=_write_body(resource),
            errors=("404", "409", "413", "415", "422"),
        ),
    }
    if delete:
        operations["delete"] = _operation(
            "admin",
            f"Delete a {noun}",
            ok={"description": "Deleted."},
            status="204",
            errors=("404",),
        )
    for operation in operations.values():
        _with_path_parameter(operation, "id")
    return operations


def _admin_by_slug(resource: str) -> Schema:
    return {
        "get": _with_path_parameter(
            _operation(
                "admin",
                f"Read a {resource[:-1]} by slug",
                parameters=READ,
                ok=_json(_envelope(resource, browse=False), f"One {resource[:-1]}, in a list."),
                errors=("404", "422"),
            ),
            "slug",
        )
    }


def _admin_paths() -> Schema:
    paths: Schema = {}
    for resource in ("posts", "pages"):
        extra = ("source",)
        paths[f"/admin/{resource}/"] = _admin_collection(resource, extra=extra)
        item_extra = ("source", "newsletter", "email_segment") if resource == "posts" else extra
        paths[f"/admin/{resource}/{{id}}/"] = _admin_item(resource, extra=item_extra)
        paths[f"/admin/{resource}/slug/{{slug}}/"] = _admin_by_slug(resource)
    paths["/admin/tags/"] = _admin_collection("tags")
    paths["/admin/tags/{id}/"] = _admin_item("tags")
    paths["/admin/tags/slug/{slug}/"] = _admin_by_slug("tags")
    paths["/admin/members/"] = _admin_collection("members")
    paths["/admin/members/{id}/"] = _admin_item("members")
    paths["/admin/newsletters/"] = _admin_collection("newsletters")
    paths["/admin/newsletters/{id}/"] = _admin_item("newsletters", delete=False)
    paths["/admin/users/"] = {
        "get": _operation(
            "admin",
            "Browse users: the site's authors, as Ghost's staff users",
            parameters=BROWSE,
            ok=_json(_envelope("users", browse=True), "A page of users."),
            errors=("422",),
        )
    }
    for suffix, name in (("{id}/", "id"), ("slug/{slug}/", "slug"), ("email/{email}/", "email")):
        paths[f"/admin/users/{suffix}"] = {
            "get": _with_path_parameter(
                _operation(
                    "admin",
                    f"Read a user by {name}",
                    parameters=("include", "fields"),
                    ok=_json(_envelope("users", browse=False), "One user, in a list."),
                    errors=("404", "422"),
                ),
                name,
            )
        }
    paths["/admin/images/upload/"] = {
        "post": _operation(
            "admin",
            "Upload an image",
            ok=_json(_envelope("images", browse=False), "The image's URL and the ref sent."),
            status="201",
            body={
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": _object(
                            {
                                "file": {"type": "string", "contentMediaType": "image/*"},
                                "purpose": {
                                    "type": "string",
                                    "enum": ["image", "profile_image", "icon"],
                                },
                                "ref": STRING,
                            },
                            required=("file",),
                        )
                    }
                },
            },
            errors=("400", "413", "415", "422"),
        )
    }
    paths["/admin/site/"] = {
        "get": _operation(
            "admin",
            "What a client shows before signing in (no token needed)",
            ok=_json(_object({"site": _ref("schemas", "Site")}, required=("site",)), "The site."),
            public=True,
        )
    }
    webhook = _object({"webhooks": _list_of(_ref("schemas", "Webhook"))}, required=("webhooks",))
    paths["/admin/webhooks/"] = {
        "post": _operation(
            "admin",
            "Register a webhook for the signing integration",
            ok=_json(webhook, "The new webhook."),
            status="201",
            body=_write_body("webhooks"),
            errors=("415", "422"),
        )
    }
    paths["/admin/webhooks/{id}/"] = {
        "put": _with_path_parameter(
            _operation(
                "admin",
                "Edit a webhook",
                ok=_json(webhook, "The webhook as saved."),
                body=_write_body("webhooks"),
                errors=("404", "415", "422"),
            ),
            "id",
        ),
        "delete": _with_path_parameter(
            _operation(
                "admin",
                "Delete a webhook",
                ok={"description": "Deleted."},
                status="204",
                errors=("404",),
            ),
            "id",
        ),
    }
    return paths


def build_document(server_url: str | None = None) -> Schema:
    """The whole OpenAPI document, its server at ``server_url`` (the site's, by default)."""
    root = (server_url if server_url is not None else settings.MASTHEAD_SITE_URL).rstrip("/")
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "masthead: Ghost-compatible Content and Admin APIs",
            "version": GHOST_VERSION,
            "summary": "Ghost's Content and Admin APIs, answered by masthead.",
            "description": (
                "masthead answers Ghost's APIs the way Ghost "
                f"{GHOST_VERSION} does, so Ghost's client libraries work unchanged: "
                "articles are posts, standalone pages are pages. Every response carries "
                f"Content-Version: {CONTENT_VERSION}. Errors are Ghost's envelope "
                '{"errors": [{"message", "type", …}]}; switch on type. Old clients\' '
                "versioned roots (/ghost/api/v4/content/ …) reach the same endpoints. "
                "docs/reference/ghost-api-compatibility.md lists what differs from Ghost."
            ),
            "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
        },
        "servers": [{"url": f"{root}/ghost/api", "description": "This site"}],
        "tags": [
            {"name": "Content API", "description": "Public, read-only; ?key=<content key>."},
            {"name": "Admin API", "description": "Authorization: Ghost <admin token>."},
        ],
        "paths": {**_content_paths(), **_admin_paths()},
        "components": {
            "schemas": SCHEMAS,
            "parameters": PARAMETERS,
            "responses": {
                kind: _error_response(status) for status, (kind, _w) in ERROR_TYPES.items()
            },
            "securitySchemes": {
                "contentKey": {
                    "type": "apiKey",
                    "in": "query",
                    "name": "key",
                    "description": "An integration's Content API key (Settings → Integrations).",
                },
                "adminToken": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": (
                        "Ghost <token>: a JWT signed HS256 with the hex-decoded secret of the "
                        "Admin API key id:secret, header kid = id, claims iat, exp (at most "
                        "five minutes later) and aud /admin/."
                    ),
                },
                "memberToken": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": (
                        "Optional on the Content API: GhostMembers <identity token> reads "
                        "as that member, as the member's cookie does on the site."
                    ),
                },
            },
        },
    }


def openapi_view(request: HttpRequest) -> HttpResponse:
    """``GET /ghost/api/openapi.json``: the description, cacheable and readable from anywhere."""
    if request.method not in ("GET", "HEAD"):
        response = HttpResponse(status=405)
        response["Allow"] = "GET, HEAD"
        return response
    response = json_response(build_document())
    patch_cache_control(response, public=True, max_age=3600)
    response["Access-Control-Allow-Origin"] = "*"
    return response
