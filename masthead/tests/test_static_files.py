"""Static files as production serves them: collected, hashed, pre-compressed, cached forever."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import brotli
import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.templatetags.static import static
from django.test import Client, override_settings

THEME_STATIC = Path(__file__).resolve().parent.parent / "theme" / "static"
STYLESHEET = "masthead/css/site.css"


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The theme's files collected with the production storage into a folder of their own.

    Only the theme's folder is collected (Wagtail's admin files would take half a minute to
    compress), through the same storage and middleware production uses.
    """
    root = tmp_path_factory.mktemp("static")
    with override_settings(
        STATIC_ROOT=str(root),
        STATICFILES_DIRS=[str(THEME_STATIC)],
        STATICFILES_FINDERS=["django.contrib.staticfiles.finders.FileSystemFinder"],
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "masthead.staticstorage.ManifestStaticFilesStorage"},
        },
    ):
        call_command("collectstatic", interactive=False, verbosity=0)
        yield root


def hashed_name(root: Path, name: str) -> str:
    manifest = json.loads((root / "staticfiles.json").read_text())
    return str(manifest["paths"][name])


def body(response) -> bytes:  # type: ignore[no-untyped-def]
    return b"".join(response.streaming_content)


def test_collectstatic_writes_brotli_and_gzip_beside_each_hashed_file(collected):
    original = (THEME_STATIC / STYLESHEET).read_bytes()
    hashed = collected / hashed_name(collected, STYLESHEET)
    assert hashed.name != "site.css"
    assert brotli.decompress(Path(f"{hashed}.br").read_bytes()) == hashed.read_bytes()
    assert gzip.decompress(Path(f"{hashed}.gz").read_bytes()) == hashed.read_bytes()
    assert len(Path(f"{hashed}.br").read_bytes()) < len(original) / 3


def test_a_hashed_file_is_sent_brotli_compressed_and_cached_forever(collected):
    url = "/static/" + hashed_name(collected, STYLESHEET)

    response = Client().get(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")

    assert response.status_code == 200
    assert response["Content-Encoding"] == "br"
    assert response["Cache-Control"] == "max-age=315360000, public, immutable"
    assert "Accept-Encoding" in response["Vary"]
    assert (
        brotli.decompress(body(response)) == (collected / url.removeprefix("/static/")).read_bytes()
    )


def test_a_client_without_brotli_gets_gzip_and_one_without_either_gets_plain(collected):
    url = "/static/" + hashed_name(collected, STYLESHEET)
    plain = (collected / url.removeprefix("/static/")).read_bytes()

    gzipped = Client().get(url, HTTP_ACCEPT_ENCODING="gzip")
    identity = Client().get(url)

    assert gzipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(body(gzipped)) == plain
    assert "Content-Encoding" not in identity
    assert body(identity) == plain


def test_an_unhashed_name_is_served_but_not_cached_forever(collected):
    response = Client().get("/static/" + STYLESHEET, HTTP_ACCEPT_ENCODING="br")

    assert response.status_code == 200
    assert response["Content-Encoding"] == "br"
    assert "immutable" not in response["Cache-Control"]


def test_a_page_names_each_file_by_its_hash_and_works_it_out_once(collected, monkeypatch):
    hashed = "/static/" + hashed_name(collected, STYLESHEET)
    assert static(STYLESHEET) == hashed
    lookups: list[str] = []
    stored_name = staticfiles_storage.stored_name
    monkeypatch.setattr(
        staticfiles_storage, "stored_name", lambda name: lookups.append(name) or stored_name(name)
    )
    assert [static(STYLESHEET) for _ in range(3)] == [hashed] * 3
    assert lookups == []  # the manifest was read for the first page only


def test_with_debug_on_a_page_names_the_file_as_it_is_in_the_source(collected, settings):
    assert static(STYLESHEET) == "/static/" + hashed_name(collected, STYLESHEET)
    settings.DEBUG = True
    assert static(STYLESHEET) == "/static/" + STYLESHEET


def test_collecting_again_forgets_the_addresses_worked_out(collected, tmp_path):
    stylesheet = tmp_path / "masthead" / "css" / "site.css"
    stylesheet.parent.mkdir(parents=True)
    stylesheet.write_text((THEME_STATIC / STYLESHEET).read_text() + "\nbody { color: red; }\n")
    before = static(STYLESHEET)
    with override_settings(STATICFILES_DIRS=[str(tmp_path)]):
        call_command("collectstatic", interactive=False, verbosity=0)
        after = static(STYLESHEET)
    assert after != before
    assert after == "/static/" + hashed_name(collected, STYLESHEET)
    # The theme's own file again, for the other tests of this module.
    with override_settings(STATICFILES_DIRS=[str(THEME_STATIC)]):
        call_command("collectstatic", interactive=False, verbosity=0)
