"""The HTTP API is an exact contract (issue 12): schemathesis over every operation of the served
OpenAPI document, against a real ``twin-dashboard serve``, with every check and every phase
(examples, coverage, fuzzing, stateful), a fixed seed and a bounded number of cases.

Callers as the routes expect them: a gateway token for readings, a signed-in admin (session
cookie and CSRF header) for the admin routes, a signed-in commander linked to a duty officer for
the rest. The operations are read from the document itself, so a route added later is covered
without a change here. ``tests/contract_hooks.py`` shapes positive cases by the constraints JSON
Schema cannot state (an end after a start, a point inside the district, a known device).

A second test proves the check can fail: a proxy that renames one field of one response makes
the same run fail with a schema violation naming it.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.requests import Request
from starlette.responses import Response

from twin_dashboard.testing import add_user, free_port, serve_command, sign_in, wait_healthy

pytestmark = pytest.mark.slow

HOOKS = Path(__file__).with_name("contract_hooks.py")
ST = Path(sys.executable).with_name("st")  # schemathesis's command line, in the venv
SEED = 12
MAX_EXAMPLES = 10  # per operation and phase: the whole run fits in ~3 minutes on 2 cores
# A report renders charts into a PDF: seconds each, longer than the default 10 s limit under
# a loaded CI machine's two cores; fewer cases, and a minute each.
SLOW_OPERATIONS = {"/api/v1/reports/{kind}.{fmt}": 3}
SLOW_LIMIT_S = 60
STEPS = 12  # stateful phase: steps per scenario
START_TIMEOUT_S = 120
COMMANDER, ADMIN, GATEWAY = "contract-commander", "contract-admin", "contract-gateway"
ADMIN_PATHS = r"^/api/v1/(audit|people/)"


@dataclass
class Served:
    url: str
    db_url: str
    commander: dict[str, str]  # headers of a signed-in session: Cookie and X-CSRFToken
    admin: dict[str, str]
    gateway: str  # a gateway token


def _session_headers(url: str, name: str) -> dict[str, str]:
    with httpx.Client(base_url=url) as client:
        sign_in(client, name)
        cookies = "; ".join(f"{k}={v}" for k, v in client.cookies.items()
                            if k in ("twin_session", "_csrf_token"))
        return {"Cookie": cookies, "X-CSRFToken": client.cookies["_csrf_token"]}


def _accounts(db_url: str) -> str:
    """The commander (linked to a subdistrict's duty officer, so alarm actions can succeed),
    the admin, and a gateway token; returns the token."""
    from twin_dashboard.domain.tokens import create_token
    from twin_dashboard.store.base import open_store

    store = open_store(db_url)
    try:
        demo = store.accounts.user("demo-commander")
        add_user(store, COMMANDER, "commander", person=demo["person_id"] if demo else None)
        add_user(store, ADMIN, "admin")
        return create_token(store, GATEWAY)
    finally:
        store.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[Served]:
    """``twin-dashboard serve`` on a free port over a freshly seeded demo district."""
    folder = tmp_path_factory.mktemp("contract")
    db_url = f"sqlite:///{folder / 'twin.db'}"
    port = free_port()
    log = folder / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(serve_command(db_url, port), stdout=out,
                                stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_healthy(url, proc, START_TIMEOUT_S)
        except RuntimeError as err:
            raise RuntimeError(f"{err}:\n{log.read_text()[-3000:]}") from err
        gateway = _accounts(db_url)
        yield Served(url, db_url, _session_headers(url, COMMANDER),
                     _session_headers(url, ADMIN), gateway)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _toml(value: object) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)


def write_config(served: Served, folder: Path) -> Path:
    """The schemathesis configuration: callers per operation, seed, bounds."""
    lines = [
        f"seed = {SEED}",
        f"hooks = {json.dumps(str(HOOKS))}",
        "workers = 1",
        "max-stream-events = 1",  # the live stream's first event comes at once; it never ends
        "request-timeout = 30",
        f"headers = {_toml(served.commander)}",
        "[cache]",
        "enabled = false",  # every run from the seed alone: no replay of an earlier run's cases
        "[generation]",
        f"max-examples = {MAX_EXAMPLES}",
        'database = ":memory:"',
        "with-security-parameters = false",  # the callers' own credentials, not generated ones
        "[phases.stateful]",
        f"max-steps = {STEPS}",
        "[[operations]]",
        'include-path = "/api/v1/readings"',
        f"headers = {_toml({**served.commander, 'Authorization': 'Bearer ' + served.gateway})}",
        "[[operations]]",
        f"include-path-regex = {json.dumps(ADMIN_PATHS)}",
        f"headers = {_toml(served.admin)}",
    ]
    for path, examples in SLOW_OPERATIONS.items():
        lines += ["[[operations]]", f"include-path = {json.dumps(path)}",
                  f"generation = {{ max-examples = {examples} }}",
                  f"checks = {{ max_response_time = {SLOW_LIMIT_S} }}"]
    config = folder / "schemathesis.toml"
    config.write_text("\n".join(lines) + "\n")
    return config


def run_schemathesis(base_url: str, config: Path, *options: str,
                     timeout_s: float = 600) -> subprocess.CompletedProcess[str]:
    """``st run`` over ``base_url``'s document with every check; its output for the report."""
    command = [str(ST), "--config-file", str(config), "run",
               f"{base_url}/api/v1/openapi.json", "--checks", "all",
               "--phases", "examples,coverage,fuzzing,stateful", "--no-color",
               "--output-truncate", "false", *options]
    return subprocess.run(command, cwd=config.parent, capture_output=True, text=True,
                          timeout=timeout_s, check=False)


def _failure(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n{result.stdout[-12000:]}\n{result.stderr[-3000:]}"


def test_every_operation_keeps_the_contract(served: Served, tmp_path: Path) -> None:
    result = run_schemathesis(served.url, write_config(served, tmp_path))
    assert result.returncode == 0, _failure(result)


# --- the check can fail -------------------------------------------------------------------------

RENAMED = ("as_of", "asOf")  # a field of /api/v1/summary, renamed on the way out


def renaming_proxy(upstream: str):
    """An ASGI app that forwards every request to ``upstream`` and renames one field of the
    summary's JSON: the drift a careless change to a route would make."""
    client = httpx.AsyncClient(base_url=upstream, timeout=60)

    async def app(scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        headers = {k: v for k, v in request.headers.items()
                   if k not in ("host", "accept-encoding", "content-length")}
        answer = await client.request(request.method, request.url.path,
                                      params=request.query_params, headers=headers,
                                      content=await request.body())
        body = answer.content
        if request.url.path == "/api/v1/summary" and answer.status_code == 200:
            data = answer.json()
            data[RENAMED[1]] = data.pop(RENAMED[0])
            body = json.dumps(data).encode()
        kept = {k: v for k, v in answer.headers.items()
                if k not in ("content-length", "content-encoding", "transfer-encoding")}
        await Response(body, answer.status_code, headers=kept)(scope, receive, send)

    return app


@pytest.fixture
def drifted(served: Served) -> Iterator[str]:
    """The served app behind :func:`renaming_proxy`, on its own port."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(renaming_proxy(served.url), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, None, 30)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_a_renamed_response_field_breaks_the_contract(served: Served, drifted: str,
                                                      tmp_path: Path) -> None:
    result = run_schemathesis(drifted, write_config(served, tmp_path),
                              "--include-path", "/api/v1/summary", "--max-examples", "3",
                              timeout_s=300)
    assert result.returncode != 0, _failure(result)
    assert "Response violates schema" in result.stdout, _failure(result)
    assert f'"{RENAMED[0]}" is a required property' in result.stdout, _failure(result)
