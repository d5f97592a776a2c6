"""The README's API reference follows the OpenAPI document (issue 12): every operation of
``/api/v1/openapi.json`` has an example request and answer there, and each fits the document
(path, query parameters, body, status, answer body). ``scripts/api_reference.py`` writes them.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jsonschema_rs
import pytest
from starlette.routing import compile_path

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- api-reference:start -->", "<!-- api-reference:end -->"
HEADING = re.compile(r"^#### `(GET|POST|PUT|PATCH|DELETE) (\S+)`$", re.M)
BLOCK = re.compile(r"```(\w+)\n(.*?)\n```", re.S)
STATUS = re.compile(r"^→ (\d{3})$", re.M)
DOCUMENTED = ("/api/", "/healthz")


@cache
def document() -> dict[str, Any]:
    """The OpenAPI document of an app over an empty store (routes do not need data)."""
    import tempfile

    from twin_dashboard.app import create_app
    from twin_dashboard.config import Settings

    folder = tempfile.mkdtemp(prefix="contract-docs-")
    app = create_app(Settings(db_url=f"sqlite:///{folder}/t.db", simulate=False), seed=False)
    return app.server.openapi()


def operations(doc: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((method.upper(), path) for path, item in doc["paths"].items()
                  if path.startswith(DOCUMENTED) for method in item)


def reference(readme: str | None = None) -> dict[tuple[str, str], dict[str, Any]]:
    """The README's examples by (method, path): request target, body, status, answer."""
    text = readme if readme is not None else (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index(START):text.index(END)]
    found: dict[tuple[str, str], dict[str, Any]] = {}
    heads = list(HEADING.finditer(section))
    for head, after in zip(heads, [*heads[1:], None], strict=True):
        chunk = section[head.end():after.start() if after else len(section)]
        blocks = BLOCK.findall(chunk)
        status = STATUS.search(chunk)
        request = blocks[0][1] if blocks else ""
        first, _, rest = request.partition("\n")
        body = rest.split("\n\n", 1)[1] if "\n\n" in rest else None
        found[(head.group(1), head.group(2))] = {
            "target": first.split(" ", 1)[1] if " " in first else "",
            "body": json.loads(body) if body else None,
            "status": status.group(1) if status else None,
            "answer": blocks[1] if len(blocks) > 1 else None}
    return found


def missing_examples() -> list[str]:
    """Operations of the document without a complete example in the README."""
    examples = reference()
    return [f"{m} {p}" for m, p in operations(document())
            if not (examples.get((m, p)) or {}).get("status")
            or not examples[(m, p)]["answer"]]


def test_con101_every_operation_has_an_example_in_the_readme():
    assert operations(document()), "the document lists no operation"
    assert missing_examples() == [], ("without an example in the README (add one to "
                                      "scripts/api_reference.py and run it)")


def test_con102_the_readme_lists_no_operation_the_document_lacks():
    known = set(operations(document()))
    assert [f"{m} {p}" for m, p in reference() if (m, p) not in known] == []


def _validator(schema: dict[str, Any]) -> Any:
    return jsonschema_rs.validator_for({**schema, "components": document()["components"]})


def _errors(schema: dict[str, Any], value: Any) -> list[str]:
    return [e.message for e in _validator(schema).iter_errors(value)]


def _typed(value: str, schema: dict[str, Any]) -> Any:
    """A query string value as the type its schema names (query strings are text)."""
    kinds = {s.get("type") for s in [schema, *schema.get("anyOf", [])]}
    if "integer" in kinds and value.lstrip("-").isdigit():
        return int(value)
    if "number" in kinds:
        try:
            return float(value)
        except ValueError:
            return value
    return value


@pytest.mark.parametrize("key", sorted(reference()), ids=lambda k: f"{k[0]} {k[1]}")
def test_con103_each_example_fits_the_document(key):
    method, template = key
    example = reference()[key]
    operation = document()["paths"][template][method.lower()]
    target = urlsplit(example["target"])
    assert compile_path(template)[0].match(target.path), f"{target.path} is not {template}"
    declared = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "query"}
    for name, value in parse_qsl(target.query, keep_blank_values=True):
        assert name in declared, f"query parameter {name!r} is not in the document"
        schema = declared[name]["schema"]
        assert _errors(schema, _typed(value, schema)) == [], f"{name}={value!r}"
    if example["body"] is not None:
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        assert _errors(schema, example["body"]) == [], "the example's body"
    answer = operation["responses"].get(example["status"])
    assert answer is not None, f"status {example['status']} is not documented"
    lang, text = example["answer"]
    content = answer.get("content", {})
    if lang == "json":
        media = next(m for m in content if "json" in m)
        assert _errors(content[media]["schema"], json.loads(text)) == [], "the answer"
    elif "text/event-stream" in content:
        data = json.loads(text.split("data: ", 1)[1])
        event = content["text/event-stream"]["schema"]["properties"]["data"]["contentSchema"]
        assert _errors(event, data) == [], "the event's data"
    else:
        media = re.search(r"bytes of (\S+);", text)
        assert media and media.group(1) in content, f"{text!r}: not a documented answer"
