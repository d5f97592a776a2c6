"""What the OpenAPI document says of every route, and what /api/ answers off the routes (issue
12). Quick checks beside tests/test_contract.py's schemathesis run: these read the document and
an app over an empty store, so a route added later is checked without a change here."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.test_contract_docs import document, operations
from twin_dashboard.testing import add_user, sign_in

WRITES = ("POST", "PUT", "PATCH", "DELETE")


def _operation(method: str, path: str) -> dict:
    return document()["paths"][path][method.lower()]


@pytest.mark.parametrize(("method", "path"), operations(document()),
                         ids=lambda v: str(v))
def test_con201_every_operation_describes_its_success(method, path):
    """A 2xx answer with a schema for its content: what is sent, not an empty object."""
    successes = {s: r for s, r in _operation(method, path)["responses"].items()
                 if s.startswith("2")}
    assert successes, "no success status"
    for status, answer in successes.items():
        content = answer.get("content") or {}
        assert content, f"{status}: no content documented"
        for media, body in content.items():
            schema = body.get("schema") or {}
            assert schema not in ({}, {"type": "object"}), f"{status} {media}: no model"


@pytest.mark.parametrize(("method", "path"), operations(document()),
                         ids=lambda v: str(v))
def test_con202_every_operation_lists_the_statuses_around_it(method, path):
    """401 for an anonymous caller, 403 and 503 for writes, 400/413 for bodies, 403/404 for
    place parameters; a 422 is a Problem or FastAPI's field list."""
    operation = _operation(method, path)
    statuses = set(operation["responses"])
    if path.startswith("/api/"):
        assert "401" in statuses
    if method in WRITES:
        assert {"403", "503"} <= statuses or path == "/api/v1/readings"
    if "requestBody" in operation:
        assert {"400", "413"} <= statuses
    names = {p["name"] for p in operation.get("parameters", [])}
    if names & {"subdistrict", "neighborhood"}:
        assert {"403", "404"} <= statuses
    unprocessable = operation["responses"].get("422")
    if unprocessable:
        schema = unprocessable["content"]["application/json"]["schema"]
        refs = {s.get("$ref") for s in schema.get("anyOf", [schema])}
        assert refs & {"#/components/schemas/Problem",
                       "#/components/schemas/Refused"}, schema


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from twin_dashboard.app import create_app, services_of_app
    from twin_dashboard.config import Settings

    db = tmp_path_factory.mktemp("routes") / "t.db"
    app = create_app(Settings(db_url=f"sqlite:///{db}", simulate=False), seed=False)
    add_user(services_of_app(app).store, "boss", "commander")
    with TestClient(app.server, base_url="http://localhost") as client:
        sign_in(client, "boss")
        yield client


@pytest.mark.parametrize(("method", "path", "allow"), [
    ("GET", "/api/v1/alarms/a1/ack", "POST"),
    ("GET", "/api/v1/readings", "POST"),
    ("DELETE", "/api/v1/incidents", "GET, HEAD, POST"),
    ("PUT", "/api/v1/summary", "GET, HEAD"),
    ("POST", "/api/v1/openapi.json", "GET, HEAD"),
])
def test_con203_a_method_a_route_does_not_take_is_405_with_allow(client, method, path, allow):
    response = client.request(method, path)
    assert response.status_code == 405, response.text
    assert response.headers["allow"] == allow
    assert response.headers["content-type"] == "application/json"
    assert method in response.json()["detail"]


@pytest.mark.parametrize("path", ["/api", "/api/", "/api/v1/nothing", "/api/v2/summary",
                                  "/api/v1/alarms/a1/ack/more"])
def test_con204_any_other_path_under_api_is_json_404_never_the_page(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert path in response.json()["detail"]


def test_con205_a_repeated_single_query_parameter_is_refused(client):
    response = client.get("/api/v1/alarms?limit=1&limit=2")
    assert response.status_code == 422 and "'limit'" in response.json()["detail"]
    assert client.get("/api/v1/alarms?limit=1").status_code == 200
