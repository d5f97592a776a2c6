"""Web hardening (api/hardening.py): headers on every response, allowed hosts, body limits, and
what the page's Dash config leaves out."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import socket
import sys
import threading
import time
import tracemalloc

import pytest
import uvicorn
from click.testing import CliRunner
from fastapi.testclient import TestClient

from twin_dashboard.api.hardening import allowed_hosts
from twin_dashboard.app import create_app, services_of_app
from twin_dashboard.config import Settings
from twin_dashboard.testing import add_user, free_port, sign_in

MB = 1024 * 1024
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}
CALLBACK_URL = "/_dash-update-component"


def _app(tmp_path, **settings):
    return create_app(Settings(db_url=f"sqlite:///{tmp_path}/t.db", simulate=False, **settings),
                      seed=False)


@pytest.fixture
def app(tmp_path):
    return _app(tmp_path)


@pytest.fixture
def client(app):
    """Signed in as a commander: the headers are judged on what a signed-in screen gets."""
    add_user(services_of_app(app).store, "boss", "commander")
    with TestClient(app.server, base_url="http://localhost",
                    raise_server_exceptions=False) as c:
        sign_in(c, "boss")
        yield c


def _policy(response) -> dict[str, list[str]]:
    """The response's CSP as {directive: [sources]}."""
    header = response.headers["content-security-policy"]
    return {name: sources for name, *sources in
            (part.split() for part in header.split(";") if part.strip())}


def _inline_scripts(html: str) -> list[str]:
    """The text of every inline <script> a browser would run (not JSON, not in a comment)."""
    html = re.sub(r"<!--.*?-->", "", html, flags=re.S)
    found = []
    for attrs, text in re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S):
        if "src=" in attrs or "application/json" in attrs:
            continue
        found.append(text)
    return found


def _sha256(text: str) -> str:
    return f"'sha256-{base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()}'"


@pytest.mark.parametrize("path,status", [
    ("/wall", 200),  # a page
    ("/api/v1/summary", 200),  # the API
    ("/healthz", 200),
    ("/assets/twin_map.js", 200),  # an asset
    ("/assets/no-such-file.js", 404),  # a 404 of the assets
    ("/api/v1/layers/rivers", 404),  # a 404 of the API
])
def test_sec001_every_response_carries_the_security_headers(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value, name
    policy = _policy(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"] and policy["form-action"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]
    assert set(policy["img-src"]) == {"'self'", "data:", "blob:"}
    assert set(policy["worker-src"]) == {"'self'", "blob:"}


def test_sec002_a_server_error_carries_them_too(app):
    def boom():
        raise RuntimeError("boom")

    app.server.add_api_route("/api/v1/boom", boom)
    routes = app.server.router.routes  # first: before the /api/ and Dash catch-alls
    routes.insert(0, routes.pop())
    add_user(services_of_app(app).store, "boss", "commander")
    with TestClient(app.server, base_url="http://localhost",
                    raise_server_exceptions=False) as client:
        sign_in(client, "boss")
        response = client.get("/api/v1/boom")
    assert response.status_code == 500
    assert "boom" not in response.text  # no traceback either
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value, name
    assert "content-security-policy" in response.headers


def test_sec003_scripts_only_from_us_or_by_hash(app, client):
    policy = _policy(client.get("/wall"))
    script_src = policy["script-src"]
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "'self'" in script_src
    assert set(app.csp_hashes()) <= set(script_src)
    assert "'unsafe-inline'" not in policy.get("script-src-elem", [])
    assert "'unsafe-inline'" not in policy.get("script-src-attr", [])


@pytest.mark.parametrize("path", ["/", "/wall", "/desk", "/tablet", "/desk?lang=en"])
def test_sec004_every_inline_script_of_a_page_has_its_hash_in_the_policy(client, path):
    """Not only Dash's list: each inline script the page really holds is allowed by hash."""
    response = client.get(path)
    scripts = _inline_scripts(response.text)
    assert len(scripts) >= 5  # the renderer and the clientside callbacks given as JS strings
    allowed = set(_policy(response)["script-src"])
    for text in scripts:
        assert _sha256(text) in allowed, text[:200]


def test_sec005_api_json_is_not_stored_but_pages_and_assets_may_be(client):
    for path in ("/api/v1/summary", "/healthz", "/api/v1/layers/rivers",
                 "/api/v1/openapi.json"):
        assert client.get(path).headers.get("cache-control") == "no-store", path
    assert client.get("/wall").headers.get("cache-control") != "no-store"
    assert client.get("/assets/twin_map.js").headers.get("cache-control") != "no-store"


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8050", "127.0.0.1.nip.io",
                                  "localhost.evil.example"])
def test_sec006_a_host_that_is_not_ours_is_refused(client, host):
    response = client.get("/api/v1/summary", headers={"host": host})
    assert response.status_code == 400
    assert response.text == "Invalid host header"
    assert response.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("host", ["localhost", "localhost:8050", "127.0.0.1:8050", "[::1]:8050",
                                  "LOCALHOST"])
def test_sec007_loopback_hosts_are_answered(client, host):
    assert client.get("/healthz", headers={"host": host}).status_code == 200


def test_sec008_allowed_hosts_add_to_the_bind_address_and_loopback(tmp_path):
    app = _app(tmp_path, host="0.0.0.0", allowed_hosts=("twin.example.org", "*.district.lan"))
    with TestClient(app.server, base_url="http://twin.example.org") as c:
        assert c.get("/healthz").status_code == 200
        for host in ("wall-3.district.lan", "localhost:8050", "0.0.0.0:8050"):
            assert c.get("/healthz", headers={"host": host}).status_code == 200, host
        assert c.get("/healthz", headers={"host": "example.org"}).status_code == 400
    assert allowed_hosts(Settings(host="::1")) == ["[::1]", "localhost", "127.0.0.1"]
    assert allowed_hosts(Settings(host="192.168.1.20", allowed_hosts=("Twin.LAN",))) == [
        "192.168.1.20", "localhost", "127.0.0.1", "[::1]", "twin.lan"]
    anyone = _app(tmp_path / "any", allowed_hosts=("*",))
    with TestClient(anyone.server, base_url="http://whatever.example") as c:
        assert c.get("/healthz").status_code == 200


def test_sec009_serve_takes_allowed_hosts(monkeypatch):
    from twin_dashboard import app as app_module
    from twin_dashboard.cli import main

    seen: list[Settings] = []
    monkeypatch.setattr(app_module, "run", seen.append)
    result = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0", "--allowed-host",
                                       "twin.example.org", "--allowed-host", "10.0.0.5"])
    assert result.exit_code == 0, result.output
    assert seen[0].allowed_hosts == ("twin.example.org", "10.0.0.5")
    assert CliRunner().invoke(main, ["serve", "--help"]).output.count("--allowed-host") == 1


def test_sec010_a_callback_body_over_1mb_is_413_by_its_length(client):
    response = client.post(CALLBACK_URL, content=b" " * (2 * MB),
                           headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json() == {"detail": "body larger than 1048576 bytes"}
    assert response.headers["x-content-type-options"] == "nosniff"


def test_sec011_a_chunked_callback_body_is_cut_at_the_limit_without_memory(app):
    """No Content-Length: the body is counted as it streams in, and the server stops asking
    for more once it is over 1 MB — of 100 MB offered, memory stays flat."""
    chunk = b" " * 65536
    offered = 100 * MB // len(chunk)
    pulled = 0
    sent: list[dict] = []

    async def receive():
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": chunk, "more_body": pulled < offered}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": CALLBACK_URL, "raw_path": b"",
             "root_path": "", "query_string": b"", "client": ("127.0.0.1", 50000),
             "server": ("127.0.0.1", 8050),
             "headers": [(b"host", b"localhost"), (b"content-type", b"application/json"),
                         (b"transfer-encoding", b"chunked")]}
    tracemalloc.start()
    try:
        asyncio.run(app.server(scope, receive, send))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 413
    assert pulled <= MB // len(chunk) + 2  # stopped just past the limit, not at 100 MB
    assert peak < 8 * MB


def test_sec012_a_real_server_answers_413_before_the_body_is_sent(tmp_path):
    """Over a socket: the headers announce 2 MB, 1 kB follows, and the 413 comes back at once
    (the rest was never sent, so nothing waited for it) and the connection closes."""
    app = _app(tmp_path)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app.server, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.05)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(f"POST {CALLBACK_URL} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                         f"Content-Type: application/json\r\nContent-Length: {2 * MB}\r\n\r\n"
                         .encode() + b" " * 1024)
            answer = b""
            while chunk := sock.recv(65536):  # until the server closes
                answer += chunk
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    head = answer.decode("latin-1").lower()
    assert head.startswith("http/1.1 413")
    assert "connection: close" in head and "x-frame-options: deny" in head


def test_sec013_the_readings_api_keeps_its_own_5mb_limit(client):
    two_mb = b"[" + b" " * (2 * MB) + b"]"
    response = client.post("/api/v1/readings", content=two_mb,
                           headers={"content-type": "application/json"})
    assert response.status_code == 401  # over the callbacks' 1 MB, but within 5 MB: not 413
    response = client.post("/api/v1/readings", content=b" " * (Settings.max_batch_bytes + 1),
                           headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_sec014_a_small_callback_still_works(client):
    body = {"output": "..scope-title.children...app-title.children...app-title.title..",
            "outputs": [{"id": "scope-title", "property": "children"},
                        {"id": "app-title", "property": "children"},
                        {"id": "app-title", "property": "title"}],
            "inputs": [{"id": "selection", "property": "data",
                        "value": {"subdistrict": None, "neighborhood": None}}],
            "state": [{"id": "screen", "property": "data",
                       "value": {"screen": "desk", "lang": "en"}}],
            "changedPropIds": ["selection.data"]}
    response = client.post(CALLBACK_URL, json=body)
    assert response.status_code in (200, 204), response.text


def test_sec015_the_page_config_holds_no_python_or_package_versions(client):
    import dash
    import plotly

    for path in ("/wall", "/_dash-config"):
        page = client.get(path).text
        config = re.search(r'<script id="_dash-config" type="application/json">(.*?)</script>',
                           page, flags=re.S).group(1)
        assert sys.version not in page and sys.version.split()[0] not in config
        for key in ("python_version", "dash_version", "plotly_version", "ddk_version",
                    "dash_version_url"):
            assert f'"{key}"' not in config, key
        assert f'"{dash.__version__}"' not in config
        assert f'"{plotly.__version__}"' not in config
        assert '"ui":false' in config and '"props_check":false' in config
        assert "hot_reload" not in config


def test_sec016_dev_tools_stay_off_whatever_the_environment(tmp_path, monkeypatch):
    for name in ("DASH_DEBUG", "DASH_UI", "DASH_PROPS_CHECK", "DASH_HOT_RELOAD",
                 "DASH_SERVE_DEV_BUNDLES", "DASH_VALIDATE_CALLBACKS"):
        monkeypatch.setenv(name, "true")
    app = _app(tmp_path)
    tools = app._dev_tools
    assert not (tools.ui or tools.props_check or tools.hot_reload or tools.serve_dev_bundles
                or tools.validate_callbacks)
    add_user(services_of_app(app).store, "boss", "commander")
    with TestClient(app.server, base_url="http://localhost") as c:
        sign_in(c, "boss")
        page = c.get("/wall").text
    assert '"ui":false' in page and "hot_reload" not in page
    assert ".dev.js" not in page  # production bundles


def test_sec017_serve_limits_websocket_messages_like_bodies(tmp_path, monkeypatch):
    """Dash also takes callbacks over a websocket (/_dash-ws-callback): uvicorn refuses a
    message over the same 1 MB there (close 1009) instead of its default 16 MB."""
    from twin_dashboard import app as app_module
    from twin_dashboard.live import background

    built = _app(tmp_path)
    calls: list[dict] = []
    monkeypatch.setattr(app_module, "create_app", lambda settings: built)
    monkeypatch.setattr(background, "start_background", lambda services: lambda: None)
    monkeypatch.setattr(app_module.uvicorn, "run", lambda server, **kw: calls.append(kw))
    app_module.run(Settings(db_url=f"sqlite:///{tmp_path}/t.db", simulate=False))
    assert calls[0]["ws_max_size"] == Settings.max_request_bytes == MB
