"""First paint's bytes (issue 11 part 5, vendor.py): every static bundle goes compressed,
compressed once per process, and the deck.gl bundle with a cache header for good."""

from __future__ import annotations

import gzip
import re

import pytest
from fastapi.testclient import TestClient

from twin_dashboard.app import create_app, services_of_app
from twin_dashboard.config import Settings
from twin_dashboard.testing import add_user, sign_in
from twin_dashboard.vendor import DECK_BUNDLE, DECK_SCRIPT_URL, PrecompressedBundles

GZIP = {"Accept-Encoding": "gzip"}


@pytest.fixture
def app(tmp_path):
    return create_app(Settings(db_url=f"sqlite:///{tmp_path}/t.db", simulate=False), seed=False)


@pytest.fixture
def client(app):
    add_user(services_of_app(app).store, "boss", "commander")
    with TestClient(app.server, base_url="http://localhost") as c:
        sign_in(c, "boss")
        yield c


def _bundles(app) -> PrecompressedBundles:
    stack = app.server.middleware_stack
    while not isinstance(stack, PrecompressedBundles):
        stack = stack.app
    return stack


def _scripts(client) -> list[str]:
    """The <script src> of a screen's page, as Dash writes them."""
    page = client.get("/wall").text
    return re.findall(r'<script src="([^"]+)"', page)


def test_deck_bundle_is_compressed_once_and_cached_for_good(app, client):
    first = client.get(DECK_SCRIPT_URL, headers=GZIP)
    assert first.status_code == 200
    assert first.headers["content-encoding"] == "gzip"
    assert "immutable" in first.headers["cache-control"]
    assert "accept-encoding" in first.headers["vary"].lower()
    assert first.content == DECK_BUNDLE.read_bytes()  # httpx decoded it: the bundle, whole
    assert int(first.headers["content-length"]) < DECK_BUNDLE.stat().st_size / 3
    kept = _bundles(app).bundles
    assert [key for key in kept if key.startswith(DECK_SCRIPT_URL)]
    packed = next(body for key, (_, body) in kept.items() if key.startswith(DECK_SCRIPT_URL))
    second = client.get(DECK_SCRIPT_URL, headers=GZIP)
    assert second.content == first.content
    assert gzip.decompress(packed) == first.content  # the kept bytes are what was sent


def test_every_script_of_a_screen_goes_compressed(client):
    scripts = _scripts(client)
    assert DECK_SCRIPT_URL in scripts
    for src in scripts:
        response = client.get(src, headers=GZIP)
        assert response.status_code == 200, src
        if int(response.headers["content-length"]) > 1024:
            assert response.headers.get("content-encoding") == "gzip", src


def test_without_gzip_a_bundle_goes_as_it_is(client):
    response = client.get(DECK_SCRIPT_URL, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in response.headers
    assert response.content == DECK_BUNDLE.read_bytes()


def test_a_missing_bundle_is_not_kept(app, client):
    assert client.get("/assets/no-such-file.js", headers=GZIP).status_code == 404
    assert not [key for key in _bundles(app).bundles if "no-such-file" in key]


def test_plotly_is_not_a_script_of_the_page(client):
    """plotly.js (1.5 MB compressed) comes only when a chart is drawn (dcc's async chunk),
    never as a script every screen waits for before it renders."""
    assert not [src for src in _scripts(client) if "plotly" in src]
