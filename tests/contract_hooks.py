"""schemathesis hooks for tests/test_contract.py: the constraints JSON Schema cannot state.

A schema says which values each field takes, not how fields relate or what the data holds: an
end after its start, a time within the replay window, a point inside the district, a device that
exists, an item given once. Each is named in the document's descriptions and answered 422 (or
404 for an id that names nothing). These hooks shape only *positive* cases (those the schema
allows) the way a well-behaved client does, so a 422 for a schema-valid request still fails the
run wherever the schema could have said it; negative cases are left alone.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import schemathesis

# Known to the demo district seeded from geodata/ (tests/test_contract.py serves one).
KNOWN_DEVICE = "dev-000001"
INSIDE = (121.4995, 31.2530)  # in 云舫小区 (yunfang), 北外滩
TRACK_INSIDE = [[121.458394, 31.286877], [121.458294, 31.288642], [121.458228, 31.290434]]
MOMENTS = ("at", "from", "to")  # replay moments: within the last 90 days, not in the future


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _recent(hours: float) -> str:
    return _iso(datetime.now(UTC) - timedelta(hours=hours))


def _moments(query: dict[str, Any]) -> None:
    for key in MOMENTS:
        if query.get(key):
            query[key] = _recent(1)


def _report_day(query: dict[str, Any]) -> None:
    if query.get("date"):  # a day not in the future
        query["date"] = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()


def _incident(body: dict[str, Any]) -> None:
    if not body.get("neighborhood_id"):  # located by its point: one in a neighborhood
        body["lon"], body["lat"] = INSIDE


def _times(body: dict[str, Any]) -> None:
    body["started_at"], body["ended_at"] = _recent(2), _recent(1)


def _patrol(body: dict[str, Any]) -> None:
    _times(body)
    body["track"] = {"type": "LineString", "coordinates": TRACK_INSIDE}
    body.pop("chief_id", None)  # a chief of that zone, which the schema cannot know


def _visit(body: dict[str, Any]) -> None:
    _times(body)
    seen: set[str] = set()
    findings = []
    for finding in body.get("findings") or []:
        if isinstance(finding, dict) and finding.get("item") not in seen:
            seen.add(finding.get("item"))
            findings.append(finding)
    body["findings"] = findings or body.get("findings")


def _readings(body: list[Any]) -> None:
    for reading in body:
        if isinstance(reading, dict):
            reading["device_id"] = KNOWN_DEVICE
            reading["ts"] = _recent(0.01)


def _brain(query: dict[str, Any]) -> None:
    """A tag both included and excluded is a 422: drop it from ``not``."""
    wanted = {t for key in ("all", "any") for t in str(query.get(key) or "").replace(
        "，", ",").split(",")}
    if query.get("not"):
        kept = [t for t in str(query["not"]).replace("，", ",").split(",") if t not in wanted]
        query["not"] = ",".join(kept)


QUERY_FIXES = {
    ("GET", "/api/v1/summary"): _moments,
    ("GET", "/api/v1/replay/delta"): _moments,
    ("GET", "/api/v1/reports/{kind}.{fmt}"): _report_day,
    ("GET", "/api/v1/brain/counts"): _brain,
    ("GET", "/api/v1/brain/people"): _brain,
}
BODY_FIXES = {
    ("POST", "/api/v1/incidents"): _incident,
    ("POST", "/api/v1/patrols"): _patrol,
    ("POST", "/api/v1/visits"): _visit,
}


@schemathesis.hook
def map_case(context: schemathesis.HookContext, case: schemathesis.Case) -> schemathesis.Case:
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return case
    key = (case.method.upper(), case.operation.path)
    if key in QUERY_FIXES and isinstance(case.query, dict):
        QUERY_FIXES[key](case.query)
    if key in BODY_FIXES and isinstance(case.body, dict):
        BODY_FIXES[key](case.body)
    if key == ("POST", "/api/v1/readings") and isinstance(case.body, list):
        _readings(case.body)
    return case
