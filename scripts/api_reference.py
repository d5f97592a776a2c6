"""Write the README's API reference from the OpenAPI document and real answers.

    .venv/bin/python scripts/api_reference.py          # rewrite README.md's reference
    .venv/bin/python scripts/api_reference.py --check  # exit 1 when an operation lacks one

One example per operation of ``/api/v1/openapi.json``: the request and the answer of an app over
the demo district (seeded from geodata/ into a temporary database), lists cut to their first
item and long strings shortened so the examples still fit their schemas.
``tests/test_contract_docs.py`` checks that every operation has an example and that each
request and answer validates against the document. A new route: add its example to
:data:`EXAMPLES` and run this script.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
START, END = "<!-- api-reference:start -->", "<!-- api-reference:end -->"
MAX_TEXT = 120  # characters of a string in an example body


@dataclass
class Example:
    method: str
    path: str  # the document's path template
    params: Callable[[dict[str, Any]], dict[str, str]] = lambda ids: {}
    query: Callable[[dict[str, Any]], dict[str, str]] = lambda ids: {}
    body: Callable[[dict[str, Any]], Any] = lambda ids: None
    caller: str = "commander"  # commander | admin | gateway | anyone
    headers: dict[str, str] = field(default_factory=dict)


def _recent(hours: float) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours)).isoformat(timespec="seconds")


TRACK = [[121.458394, 31.286877], [121.458294, 31.288642], [121.458228, 31.290434]]
EXAMPLES: list[Example] = [
    Example("GET", "/healthz", caller="anyone"),
    Example("GET", "/api/v1/me"),
    Example("GET", "/api/v1/summary", query=lambda i: {"subdistrict": "beiwaitan"}),
    Example("GET", "/api/v1/replay/delta", query=lambda i: {"from": _recent(2),
                                                            "neighborhood": "yunfang"}),
    Example("GET", "/api/v1/layers/{layer}", params=lambda i: {"layer": "neighborhoods"},
            query=lambda i: {"limit": "1"}),
    Example("POST", "/api/v1/readings", caller="gateway", body=lambda i: [
        {"reading_id": "gw1-000001", "device_id": i["device"], "ts": _recent(0.01),
         "event": "heartbeat", "battery": 0.9}]),
    Example("GET", "/api/v1/alarms", query=lambda i: {"neighborhood": "yunfang", "limit": "1"}),
    Example("GET", "/api/v1/alarms/{alarm_id}", params=lambda i: {"alarm_id": i["alarm"]}),
    Example("POST", "/api/v1/alarms/{alarm_id}/ack", params=lambda i: {"alarm_id": i["mine"]}),
    Example("POST", "/api/v1/alarms/{alarm_id}/close", params=lambda i: {"alarm_id": i["mine"]},
            body=lambda i: {"note": "visited: the elder is well"}),
    Example("POST", "/api/v1/alarms/{alarm_id}/escalate",
            params=lambda i: {"alarm_id": i["alarm"]}),
    Example("POST", "/api/v1/alarms/{alarm_id}/incident",
            params=lambda i: {"alarm_id": i["alarm2"]}, body=lambda i: {"level": "committee"}),
    Example("GET", "/api/v1/inbox/{person_id}", params=lambda i: {"person_id": i["person"]}),
    Example("GET", "/api/v1/incidents", query=lambda i: {"status": "reported,dispatched",
                                                         "limit": "1"}),
    Example("POST", "/api/v1/incidents", body=lambda i: {
        "kind": "leak", "title": "楼道漏水", "source": "resident", "neighborhood_id": "yunfang"}),
    Example("GET", "/api/v1/incidents/{incident_id}",
            params=lambda i: {"incident_id": i["incident"]}),
    Example("POST", "/api/v1/incidents/{incident_id}/dispatch",
            params=lambda i: {"incident_id": i["incident"]}, body=lambda i: {"level": "property"}),
    Example("POST", "/api/v1/incidents/{incident_id}/accept",
            params=lambda i: {"incident_id": i["incident"]}),
    Example("POST", "/api/v1/incidents/{incident_id}/start",
            params=lambda i: {"incident_id": i["incident"]}),
    Example("POST", "/api/v1/incidents/{incident_id}/resolve",
            params=lambda i: {"incident_id": i["incident"]}, body=lambda i: {"note": "fixed"}),
    Example("POST", "/api/v1/incidents/{incident_id}/verify",
            params=lambda i: {"incident_id": i["incident"]}),
    Example("POST", "/api/v1/incidents/{incident_id}/close",
            params=lambda i: {"incident_id": i["incident"]}),
    Example("POST", "/api/v1/incidents/{incident_id}/reopen",
            params=lambda i: {"incident_id": i["incident"]},
            body=lambda i: {"reason": "leaking again"}),
    Example("POST", "/api/v1/incidents/{incident_id}/escalate",
            params=lambda i: {"incident_id": i["incident"]},
            body=lambda i: {"reason": "the property manager cannot reach the pipe"}),
    Example("POST", "/api/v1/visits", body=lambda i: {
        "kind": "inspection", "building_id": i["building"], "started_at": _recent(2),
        "ended_at": _recent(1.5), "findings": [{"item": "fire_lanes", "ok": True},
                                              {"item": "drains", "ok": False,
                                               "note": "blocked"}]}),
    Example("GET", "/api/v1/visits", query=lambda i: {"kind": "inspection", "limit": "1"}),
    Example("POST", "/api/v1/patrols", body=lambda i: {
        "zone_id": i["zone"], "started_at": _recent(3), "ended_at": _recent(2.5),
        "track": {"type": "LineString", "coordinates": TRACK}}),
    Example("GET", "/api/v1/patrols", query=lambda i: {"limit": "1"}),
    Example("GET", "/api/v1/brain/counts",
            query=lambda i: {"all": "独居老人", "by": "subdistrict"}),
    Example("GET", "/api/v1/brain/people", query=lambda i: {"all": "独居老人,高龄", "limit": "1"}),
    Example("GET", "/api/v1/brain/gaps"),
    Example("PUT", "/api/v1/people/{person_id}/tags", caller="admin",
            params=lambda i: {"person_id": i["resident"]}, body=lambda i: {"tags": ["高龄"]}),
    Example("GET", "/api/v1/search", query=lambda i: {"q": "云舫", "limit": "1"}),
    Example("GET", "/api/v1/districts", query=lambda i: {"lang": "en"}),
    Example("POST", "/api/v1/reveal", body=lambda i: {"reason": "visit planning for 云舫小区"}),
    Example("GET", "/api/v1/audit", caller="admin", query=lambda i: {"limit": "1"}),
    Example("GET", "/api/v1/live", query=lambda i: {"neighborhood": "yunfang"}),
    Example("GET", "/api/v1/live/status"),
    Example("GET", "/api/v1/reports/{kind}.{fmt}", params=lambda i: {"kind": "daily",
                                                                     "fmt": "xlsx"},
            query=lambda i: {"scope": "neighborhood:yunfang"}),
]


def shortened(value: Any) -> Any:
    """Lists cut to their first item, mappings to their first few keys where they are
    id → value maps, long strings shortened: an example, not the data."""
    if isinstance(value, list):
        return [shortened(v) for v in value[:1]]
    if isinstance(value, dict):
        items = list(value.items())
        if len(items) > 6 and all(k.startswith(("dev-", "alm-", "hh-")) for k, _ in items):
            items = items[:2]
        return {k: shortened(v) for k, v in items}
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return value[:MAX_TEXT - 1] + "…"
    return value


def _target(example: Example, ids: dict[str, Any]) -> str:
    path = example.path.format(**example.params(ids)) if "{" in example.path else example.path
    query = example.query(ids)
    return path + ("?" + urlencode(query) if query else "")


def _answer_text(response: Any) -> tuple[str, str]:
    """(language, text) of an answer for the README."""
    media = response.headers.get("content-type", "").split(";")[0]
    if media == "text/event-stream":
        lines = response.text.split("\n\n")
        first = next(e for e in lines if e.startswith("id:")).strip()
        event_id, data = first.split("\n", 1)
        payload = shortened(json.loads(data.removeprefix("data: ")))
        return "text", f"{event_id}\ndata: {json.dumps(payload, ensure_ascii=False)}"
    if "json" in media:
        return "json", json.dumps(shortened(response.json()), ensure_ascii=False, indent=2)
    disposition = response.headers.get("content-disposition", "")
    return "text", f"({len(response.content):,} bytes of {media}; {disposition})"


def collect() -> list[tuple[Example, str, Any, int, str, str]]:
    """Run every example against an app over a freshly seeded demo district."""
    import pandas as pd
    from starlette.testclient import TestClient

    from twin_dashboard.app import create_app, services_of_app
    from twin_dashboard.config import Settings
    from twin_dashboard.domain.tokens import create_token
    from twin_dashboard.testing import add_user, sign_in

    folder = Path(tempfile.mkdtemp(prefix="api-reference-"))
    app = create_app(Settings(db_url=f"sqlite:///{folder / 'twin.db'}", simulate=False))
    store = services_of_app(app).store
    people = store.read_records("people")
    alarms = store.read_records("alarms")
    inbox = store.read_records("alarm_inbox")
    open_ = alarms[alarms["status"] == "open"]
    mine = inbox[inbox["alarm_id"].isin(open_["id"])].iloc[0]  # the commander's person gets it
    add_user(store, "ref-commander", "commander", person=str(mine["person_id"]))
    add_user(store, "ref-admin", "admin")
    gateway = create_token(store, "ref-gateway")
    others = open_[~open_["id"].isin([mine["alarm_id"]])]["id"].tolist()
    ids = {
        "device": str(store.read_columns("devices", ["id"])["id"].iloc[0]),
        "alarm": others[0], "alarm2": others[1], "mine": str(mine["alarm_id"]),
        "person": str(mine["person_id"]),
        "resident": str(people[people["role"] == "resident"]["id"].iloc[0]),
        "building": str(store.read_columns("buildings", ["id"])["id"].iloc[0]),
        "zone": str(store.read_layer("patrol-zones")["id"].iloc[0]),
    }
    clients = {name: TestClient(app.server, base_url="http://localhost")
               for name in ("commander", "admin", "gateway", "anyone")}
    sign_in(clients["commander"], "ref-commander")
    sign_in(clients["admin"], "ref-admin")
    clients["gateway"].headers["Authorization"] = f"Bearer {gateway}"
    out = []
    for example in EXAMPLES:
        target = _target(example, ids)
        body = example.body(ids)
        client = clients[example.caller]
        if example.path == "/api/v1/live":
            text = ""
            with client.stream("GET", target) as streamed:
                for chunk in streamed.iter_text():
                    text += chunk
                    if "data: " in text:
                        break
            response = _Streamed(text)
        else:
            response = client.request(example.method, target,
                                      json=body if body is not None else None)
        if example.path == "/api/v1/incidents" and example.method == "POST":
            ids["incident"] = response.json()["id"]
        lang, text = _answer_text(response)
        out.append((example, target, body, response.status_code, lang, text))
    del pd
    return out


class _Streamed:
    """The first chunk of an event stream, as the README shows it."""

    status_code = 200

    def __init__(self, text: str) -> None:
        self.text = text
        self.headers = {"content-type": "text/event-stream"}


def render(rows: list[tuple[Example, str, Any, int, str, str]]) -> str:
    callers = {"commander": "a signed-in commander (session cookie and X-CSRFToken)",
               "admin": "a signed-in admin", "gateway": "a gateway (Authorization: Bearer)",
               "anyone": "anyone (no sign-in)"}
    parts = [START, "",
             "Generated by `scripts/api_reference.py` from `/api/v1/openapi.json` and the "
             "answers of the demo district; `tests/test_contract_docs.py` checks every "
             "operation is here and every example fits the document. Every answer below "
             "is one the document describes; the statuses each operation can answer, with "
             "their `{\"detail\"}` bodies, are in the document.", ""]
    for example, target, body, status, lang, text in rows:
        parts += [f"#### `{example.method} {example.path}`", "",
                  f"As {callers[example.caller]}:", "", "```http", f"{example.method} {target}"]
        if body is not None:
            parts += ["Content-Type: application/json", "",
                      json.dumps(body, ensure_ascii=False, indent=2)]
        parts += ["```", "", f"→ {status}", "", f"```{lang}", text, "```", ""]
    parts.append(END)
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="only report operations of the document without an example")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    if args.check:
        from tests.test_contract_docs import missing_examples

        missing = missing_examples()
        print("\n".join(missing) or "every operation has an example")
        return 1 if missing else 0
    text = README.read_text(encoding="utf-8")
    section = render(collect())
    start, end = text.index(START), text.index(END) + len(END)
    README.write_text(text[:start] + section + text[end:], encoding="utf-8")
    print(f"wrote {len(EXAMPLES)} examples into {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
