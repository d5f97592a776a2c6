"""Response models of the routes that build their bodies in domain/ as plain dicts.

The domain functions (``summarize``, ``replay_delta``, ``search``, the live hub) stay free of
pydantic; these models are only the API's description of what they return, so the OpenAPI
document says exactly what is sent (FastAPI validates every body against them on the way out).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import AwareDatetime, BaseModel, BeforeValidator, Field

from twin_dashboard.catalog import ALARM_SEVERITIES, DEVICE_STATES, INCIDENT_STATUSES, LEVELS

DeviceState = Literal[DEVICE_STATES]  # type: ignore[valid-type]
Severity = Literal[ALARM_SEVERITIES]  # type: ignore[valid-type]
IncidentStatus = Literal[INCIDENT_STATUSES]  # type: ignore[valid-type]
Level = Literal[LEVELS]  # type: ignore[valid-type]
Iso = Field(description="ISO 8601 with a UTC offset")


# --- summary --------------------------------------------------------------------------------

class ScopeIds(BaseModel):
    subdistrict_ids: list[str] | None = Field(description="null: every subdistrict")
    neighborhood_ids: list[str] | None = Field(description="null: every neighborhood of them")


class DeviceFigures(BaseModel):
    total: int
    online_share: float = Field(ge=0, le=1, description="not offline / all")
    by_state: dict[str, int] = Field(description="state → devices: " + ", ".join(DEVICE_STATES))
    by_category: dict[str, dict[str, int]] = Field(
        description="category → state → devices (every category, zeros included)")


class AlarmFigures(BaseModel):
    open: int = Field(description="status open or escalated")
    by_severity: dict[str, int] = Field(description="of the open ones")
    by_rule: dict[str, int] = Field(description="of the open ones, most first")


class FunnelStep(BaseModel):
    count: int
    share: float = Field(ge=0, le=1)


class IncidentFigures(BaseModel):
    open: int = Field(description="reported, dispatched or in progress")
    open_by_level: dict[str, int]
    by_level_status: dict[str, dict[str, int]] = Field(description="level → status → incidents")
    funnel: dict[str, FunnelStep] = Field(description="level → resolved or closed there")
    sla_breaches: int = Field(description="open and past their deadline")


class PatrolFigures(BaseModel):
    zones: int
    zones_covered: int
    segments: int = Field(description="road segments with a patrol target")
    segments_covered: int
    coverage_share: float = Field(ge=0, le=1)


class Summary(BaseModel):
    """The figures the screens show, for one scope at one moment."""

    scope: ScopeIds
    as_of: str = Iso
    devices: DeviceFigures
    alarms: AlarmFigures
    incidents: IncidentFigures
    patrols: PatrolFigures


# --- live events and replay steps (the same shapes) ------------------------------------------

class LiveAlarm(BaseModel):
    id: str
    rule: str
    severity: str = Field(description=" | ".join(ALARM_SEVERITIES))
    device_id: str | None
    household_id: str | None
    subdistrict_id: str | None
    neighborhood_id: str | None
    lon: float | None
    lat: float | None
    raised_at: str | None = Iso


class AlarmUpdate(BaseModel):
    id: str
    status: str
    action: str = Field(description="ack, escalate, close or incident")
    actor: str | None
    at: str = Iso
    incident_id: str | None
    subdistrict_id: str | None
    neighborhood_id: str | None


class IncidentUpdate(BaseModel):
    id: str
    status: str
    level: str
    action: str = Field(description="report, or a workflow action")
    actor: str | None
    at: str = Iso
    sla_due_at: str | None
    subdistrict_id: str | None
    neighborhood_id: str | None


class LiveEvent(BaseModel):
    """The JSON on the ``data:`` line of one server-sent event."""

    seq: int = Field(description="the event's number; its SSE id is '<boot>-<seq>'")
    ts: str = Iso
    states: dict[str, str] = Field(description="device id → state now: "
                                               + ", ".join(DEVICE_STATES))
    alarms: list[LiveAlarm] = Field(description="alarms newly raised")
    sources: dict[str, str] = Field(description="data source → when it last delivered (ISO)")
    updates: list[AlarmUpdate] | None = Field(
        None, description="alarms people acted on (only when there are some)")
    incidents: list[IncidentUpdate] | None = Field(
        None, description="incidents reported or moved along the workflow (only when some)")
    reset: bool | None = Field(None, description="true: could not resume after Last-Event-ID; "
                                                 "reload the view")


class ReplayIncident(BaseModel):
    id: str
    status: str
    level: str | None
    subdistrict_id: str | None
    neighborhood_id: str | None


class ReplayDelta(BaseModel):
    """What changed on the map between two moments (``from`` → ``to``)."""

    from_: str = Field(alias="from", description="ISO 8601 with a UTC offset")
    to: str = Iso
    states: dict[str, str] = Field(description="device id → its state at `to`, where it differs")
    alarms: list[LiveAlarm] = Field(description="open at `to`, not at `from`")
    alarms_gone: list[str] = Field(description="ids open at `from`, not at `to`")
    incidents: list[ReplayIncident] = Field(description="open at `to`, new or changed")
    incidents_gone: list[str] = Field(description="ids open at `from`, not at `to`")


# --- search ---------------------------------------------------------------------------------

class Bilingual(BaseModel):
    zh: str | None
    en: str | None


class Selection(BaseModel):
    subdistrict: str | None
    neighborhood: str | None


class Opens(BaseModel):
    layer: str
    id: str


class SearchResult(BaseModel):
    kind: str = Field(description="subdistrict, neighborhood, zone, road, address, device, "
                                  "incident, household or person")
    id: str
    label: Bilingual
    secondary: Bilingual
    lon: float | None
    lat: float | None
    bbox: list[float] | None = Field(description="[west, south, east, north], WGS84")
    select: Selection = Field(description="the screen's selection to set")
    open: Opens | None = Field(description="the details to open")
    match: Literal["exact", "prefix", "substring"]
    masked: bool = Field(description="name or address masked for this caller")


class SearchResults(BaseModel):
    q: str
    results: list[SearchResult] = Field(description="best first")


# --- GeoJSON --------------------------------------------------------------------------------

class Geometry(BaseModel):
    type: Literal["Point", "MultiPoint", "LineString", "MultiLineString", "Polygon",
                  "MultiPolygon", "GeometryCollection"]
    coordinates: list[Any] | None = None
    geometries: list[dict[str, Any]] | None = None


class Link(BaseModel):
    rel: str
    type: str
    href: str


class LayerFeature(BaseModel):
    type: Literal["Feature"]
    id: str | int | None = None
    properties: dict[str, Any] = Field(description="the layer's columns (id first)")
    geometry: Geometry | None


class LayerPage(BaseModel):
    """One page of a layer (OGC API Features style), WGS84."""

    type: Literal["FeatureCollection"]
    numberMatched: int = Field(description="features of the layer in the caller's scope")
    numberReturned: int
    links: list[Link] = Field(description="rel=next while more follow")
    features: list[LayerFeature]


class PatrolProperties(BaseModel):
    id: str
    zone_id: str
    chief_id: str | None
    subdistrict_id: str | None
    started_at: str | None = Iso
    ended_at: str | None = Iso
    road_ids: list[str]
    length_m: float


class PatrolFeature(BaseModel):
    type: Literal["Feature"]
    id: str
    properties: PatrolProperties
    geometry: Geometry | None = Field(description="the track: a LineString, WGS84")


class PatrolTracks(BaseModel):
    type: Literal["FeatureCollection"]
    numberMatched: int = Field(description="tracks matching, before `limit`")
    features: list[PatrolFeature] = Field(description="newest first")


# --- health ---------------------------------------------------------------------------------

class SourceHealth(BaseModel):
    updated_at: str = Iso
    age_seconds: float
    stale: bool


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    now: str = Iso
    sources: dict[str, SourceHealth]


class Down(BaseModel):
    status: Literal["down"]
    error: str


# --- request parameters ---------------------------------------------------------------------

# A moment in a query: RFC 3339 with an offset, or empty for "now" (the replay bar's step back
# to live is the same call). FastAPI's own parsing would refuse the empty value.
MOMENT_SCHEMA: dict[str, Any] = {"anyOf": [{"type": "string", "format": "date-time"},
                                           {"type": "string", "maxLength": 0}]}


def moment(description: str, alias: str | None = None) -> Any:
    """A ``Query`` for an optional moment (``domain.replay.replay_time`` parses it)."""
    return Query(None, alias=alias, description=description, json_schema_extra=MOMENT_SCHEMA)


def comma_list(values: tuple[str, ...], *, alone: tuple[str, ...] = (),
               separators: str = ",") -> str:
    """The pattern of a comma-separated choice of ``values`` (empty allowed), or one of
    ``alone``: FastAPI enforces it, so the document and the server take the same strings."""
    one = "(" + "|".join(re.escape(v) for v in values) + ")"
    sep = f"[{separators}]" if len(separators) > 1 else re.escape(separators)
    choices = [f"{one}({sep}{one})*", *(re.escape(a) for a in alone)]
    return "^(" + "|".join(choices) + ")?$"


# --- strict request fields --------------------------------------------------------------------
# pydantic's lax mode would take `false` for a number, "true" for a boolean and 1700000000 for
# a time: things the document does not allow. These take what the JSON Schema says, no more.

RFC3339 = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
                     r"([Zz]|[+-][0-9]{2}:[0-9]{2})$")


def _rfc3339(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not RFC3339.match(value):
        raise ValueError("an RFC 3339 time with a UTC offset is needed, e.g. "
                         "2026-10-30T08:00:00+08:00")
    return value


Number = Annotated[float, Field(strict=True)]
Flag = Annotated[bool, Field(strict=True)]
Moment = Annotated[AwareDatetime, BeforeValidator(_rfc3339)]
NotBlank = r"[^\s\x1c-\x1f]"  # a character str.strip() keeps (Python's whitespace and the RE's)
