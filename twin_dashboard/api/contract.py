"""The API as an exact contract: what the OpenAPI document adds to every route, and the answer
to anything under ``/api/`` that is not a route.

Some statuses come from layers around the routes, not from the routes themselves: the sign-in
middleware (401; 403 for a missing CSRF token or a read-only caller on a write), the body limit
(413), FastAPI's body parsing (400), the store (503 when it cannot take a write), the scope
check of every ``subdistrict`` / ``neighborhood`` parameter (403 outside the caller's scope, 404
for an id that names nothing). :func:`contract_openapi` documents them on every operation they
can reach, so a route added later is described without repeating them; a 422 is documented as
either body (a :class:`Problem` from a route, or FastAPI's field list). ``tests/test_contract.py``
runs schemathesis over the whole document against a real server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.routing import compile_path

from twin_dashboard.api.models import LayerPage, LiveEvent
from twin_dashboard.api.problems import Problem
from twin_dashboard.auth.middleware import GATEWAY_PATHS

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

API_PREFIX = "/api/"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
VALIDATION_REF = {"$ref": "#/components/schemas/HTTPValidationError"}
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})
PLACE_PARAMS = frozenset({"subdistrict", "neighborhood", "district", "zone"})
# The extra models the document names outside any route's response_model.
EXTRA_MODELS: tuple[type[BaseModel], ...] = (Problem, LiveEvent, LayerPage)

# Who may call: a signed-in browser session (cookie; writes also need its CSRF token in the
# X-CSRFToken header) or a person's API token (`twin-dashboard user token NAME`). Readings
# declare their own gateway token (api/readings.py).
SECURITY_SCHEMES = {
    "session": {"type": "apiKey", "in": "cookie", "name": "twin_session",
                "description": "set by POST /login; a write also sends the _csrf_token "
                               "cookie's value as X-CSRFToken"},
    "personalToken": {"type": "http", "scheme": "bearer",
                      "description": "`twin-dashboard user token NAME`"},
}
SIGNED_IN_SECURITY = [{"session": []}, {"personalToken": []}]
SIGNED_IN = "not signed in: no session or token, or the session ended (sign in again)"
WRITE_REFUSED = ("a missing or wrong CSRF token (X-CSRFToken, with a session), a read-only "
                 "caller (kiosk, admin), or a role or scope that may not do this")
BAD_BODY = "the body is not JSON (or not UTF-8)"
TOO_LARGE = "the body is larger than the server's limit (`serve --max-request-bytes`)"
STORE_DOWN = ("the store cannot take the write now (read-only, disk full): retry after "
              "Retry-After seconds")
OUT_OF_SCOPE = "a place outside the caller's scope"
UNKNOWN_PLACE = "an id that names no known place (subdistrict, neighborhood, zone)"
INVALID = ("a value the schema allows but the server refuses, named in `detail` (a string: "
           "e.g. a time outside the replay window, an end before a start), or a request that "
           "does not fit the schema (`detail` a list of field errors)")


def document(server: FastAPI) -> None:
    """Serve :func:`contract_openapi` as the server's OpenAPI document, and answer
    :func:`not_a_route` for any other path under ``/api/`` (call after every API route)."""
    server.openapi = lambda: contract_openapi(server)  # type: ignore[method-assign]
    server.add_middleware(SingleQueryValues, server=server)
    for path in ("/api", "/api/{rest:path}"):
        server.add_route(path, not_a_route, methods=sorted(HTTP_METHODS),
                         include_in_schema=False)


def contract_openapi(server: FastAPI) -> dict[str, Any]:
    """The OpenAPI document with the statuses every route can answer (built once)."""
    if server.openapi_schema:
        return server.openapi_schema
    doc = get_openapi(title=server.title, version=server.version, routes=server.routes,
                      openapi_version=server.openapi_version, description=server.description)
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for model in EXTRA_MODELS:
        _add_model(schemas, model)
    components.setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
    for path, item in doc.get("paths", {}).items():
        for method, operation in item.items():
            if not path.startswith(API_PREFIX):
                operation.setdefault("security", [])  # /healthz: public
                continue
            operation.setdefault("security", SIGNED_IN_SECURITY)
            _complete(path, method, operation, schemas)
    server.openapi_schema = doc
    return doc


def _complete(path: str, method: str, operation: dict[str, Any],
              schemas: dict[str, Any]) -> None:
    """Add the statuses the layers around the route answer, and the two shapes of a 422."""
    responses: dict[str, Any] = operation.setdefault("responses", {})
    gateway = path in GATEWAY_PATHS  # its route checks the gateway token itself
    if not gateway:
        _problem(responses, 401, SIGNED_IN)
    if "requestBody" in operation:
        _problem(responses, 400, BAD_BODY)
        _problem(responses, 413, TOO_LARGE)
    if method in WRITE_METHODS:
        if not gateway:
            _problem(responses, 403, WRITE_REFUSED)
        _problem(responses, 503, STORE_DOWN)
    names = {p.get("name") for p in operation.get("parameters", [])}
    if names & PLACE_PARAMS:
        _problem(responses, 403, OUT_OF_SCOPE)
        _problem(responses, 404, UNKNOWN_PLACE)
    unprocessable = responses.get("422")
    if unprocessable is not None:
        content = unprocessable.setdefault("content", {}).setdefault("application/json", {})
        if content.get("schema") in (None, PROBLEM_REF, VALIDATION_REF):
            _ensure_validation_error(schemas)
            content["schema"] = {"anyOf": [PROBLEM_REF, VALIDATION_REF]}
            if unprocessable.get("description") in (None, "Validation Error"):
                unprocessable["description"] = INVALID


def _problem(responses: dict[str, Any], status: int, description: str) -> None:
    responses.setdefault(str(status), {
        "description": description,
        "content": {"application/json": {"schema": PROBLEM_REF}}})


def _add_model(schemas: dict[str, Any], model: type[BaseModel]) -> None:
    found = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in found.pop("$defs", {}).items():
        schemas.setdefault(name, sub)
    schemas.setdefault(model.__name__, found)


def _ensure_validation_error(schemas: dict[str, Any]) -> None:
    from fastapi.openapi.utils import (
        validation_error_definition,
        validation_error_response_definition,
    )

    schemas.setdefault("ValidationError", validation_error_definition)
    schemas.setdefault("HTTPValidationError", validation_error_response_definition)


async def not_a_route(request: Request) -> JSONResponse:
    """405 with ``Allow`` when the path is a route that takes other methods, else 404 — JSON,
    never the Dash page (its catch-all would otherwise answer any GET)."""
    allowed = allowed_methods(request)
    path = request.url.path
    if allowed:
        return JSONResponse(
            {"detail": f"{request.method} is not allowed on {path}: {', '.join(allowed)}"},
            405, headers={"Allow": ", ".join(allowed)})
    return JSONResponse({"detail": f"no API route {path}: see /api/v1/openapi.json"}, 404)


class SingleQueryValues:
    """Pure ASGI middleware: 422 for a query parameter given twice where the document says one
    value (FastAPI would silently keep the last: a request the schema refuses, taken)."""

    def __init__(self, app: ASGIApp, server: FastAPI) -> None:
        self.app, self.server = app, server

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(API_PREFIX) and \
                scope.get("query_string"):
            repeated = _repeated(self.server, scope)
            if repeated:
                answer = JSONResponse({"detail": f"query parameter {repeated!r} is given more "
                                                 "than once: give it once"}, 422)
                await answer(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _repeated(server: FastAPI, scope: Scope) -> str | None:
    """The first single-valued query parameter of the operation that the request repeats."""
    names = [k for k, _ in parse_qsl(scope["query_string"].decode("latin-1"),
                                     keep_blank_values=True)]
    twice = {n for n in names if names.count(n) > 1}
    if not twice:
        return None
    for template, item in server.openapi().get("paths", {}).items():
        operation = item.get(scope["method"].lower())
        if operation is None or not compile_path(template)[0].match(scope["path"]):
            continue
        for param in operation.get("parameters", []):
            if param["in"] == "query" and param["name"] in twice and \
                    param.get("schema", {}).get("type") != "array":
                return param["name"]
    return None


def allowed_methods(request: Request) -> list[str]:
    """The methods the OpenAPI document gives the request's path (none: not a route); HEAD
    with GET, as the server answers both."""
    path: str = request.scope["path"]
    methods: set[str] = {"GET"} if path == request.app.openapi_url else set()
    for template, item in request.app.openapi().get("paths", {}).items():
        if template.startswith(API_PREFIX) and compile_path(template)[0].match(path):
            methods |= {m.upper() for m in item if m.upper() in HTTP_METHODS}
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)
