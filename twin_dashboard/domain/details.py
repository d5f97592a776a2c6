"""Click-to-details: one object of the map or a list, gathered from the store into a plain dict.

The screens draw what :func:`details` returns (``layouts/details.py``). What the viewer may see is
decided here, from the :class:`~twin_dashboard.domain.access.Viewer`: an object outside their
scope is not found (``None``), and residents are shown in full, masked, or not at all
(:meth:`Viewer.personal_for`); each full view is reported to ``Lookup.on_personal`` (the audit).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from twin_dashboard.catalog import CATEGORY_BY_CODE, DEVICE_CATEGORIES
from twin_dashboard.domain import workflow
from twin_dashboard.domain.access import Shown, Viewer
from twin_dashboard.domain.incidents import sla_breaches
from twin_dashboard.domain.masking import mask_address, mask_name
from twin_dashboard.domain.patrols import zone_coverage
from twin_dashboard.domain.places import Places
from twin_dashboard.domain.routing import Directory, allowed_actions, present
from twin_dashboard.domain.summary import summarize
from twin_dashboard.domain.time import LOCAL_TZ, as_utc
from twin_dashboard.domain.visits import household_visit_coverage
from twin_dashboard.profiles import profile
from twin_dashboard.store.base import LIVE_COLUMNS, Scope, Store

Pick = Mapping[str, Any]  # {"layer", "id", "neighborhood", "subdistrict", ...} (twin_map.js)


@dataclass(frozen=True)
class Lookup:
    """What gathering needs besides the pick: the store, names, who is responsible, the time."""

    store: Store
    places: Places
    directory: Directory
    now: pd.Timestamp
    viewer: Viewer
    screen: str = "desk"  # layout only: a wall never shows residents, whoever looks
    on_personal: Callable[[str], None] | None = None  # told each household shown in full

    def shown(self, household: Mapping[str, Any] | None) -> Shown:
        """How this lookup may show a household's residents."""
        if household is None or not profile(self.screen).personal_data:
            return "none"
        return self.viewer.personal_for(household)


def details(pick: Pick, lookup: Lookup) -> dict[str, Any] | None:
    """The picked object as a dict for the panel; ``None`` when unknown or outside the scope."""
    gather = GATHER.get(pick.get("layer", ""))
    if gather is None or not pick.get("id"):
        return None
    data = gather(pick, lookup)
    if data is None or not _in_scope(pick["layer"], data, lookup):
        return None
    if pick["layer"] == "alarms" and profile(lookup.screen).pointer:  # not on the wall
        held = lookup.store.read_records("alarm_inbox", where={"alarm_id": pick["id"]})
        data = {**data, "actions": allowed_actions(data, set(held["person_id"]),
                                                   lookup.viewer)}
    if pick["layer"] == "incidents" and profile(lookup.screen).pointer:
        data = {**data, "actions": tuple(workflow.allowed_actions(data["row"], lookup.viewer))}
    return data


def _in_scope(layer: str, data: Mapping[str, Any], lookup: Lookup) -> bool:
    """Whether the viewer may see this object at all (a pick names any id it likes)."""
    viewer = lookup.viewer
    if layer in ("neighborhoods", "subdistricts"):
        return bool(data.get("allowed"))
    levels = viewer.spec.incident_levels
    if layer == "incidents" and levels is not None and data.get("level") not in levels:
        return False
    if layer == "patrol_zones":  # zones belong to subdistricts: any part of one will do
        return viewer.subdistricts is None or data.get("subdistrict_id") in viewer.subdistricts
    return viewer.covers_row(data)


def _near(pick: Pick) -> Scope:
    """The narrowest scope the pick names, so one object is found without reading them all."""
    return Scope.of(pick.get("subdistrict"), pick.get("neighborhood"))


def _when(value: Any) -> str | None:
    """A stored time on the district's clock, ``YYYY-MM-DD HH:MM``."""
    if value is None or pd.isna(value):
        return None
    return as_utc(value).tz_convert(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def _one(frame: pd.DataFrame, key: str, value: str) -> dict | None:
    found = frame[frame[key] == value]
    return None if found.empty else found.iloc[0].to_dict()


def _names(store: Store, person_ids: list[str | None]) -> dict[str, str]:
    people = store.read_records("people", where={"id": [p for p in person_ids if p]})
    return dict(zip(people["id"], people["name"], strict=True))


def _phones(store: Store, person_ids: list[str | None]) -> dict[str, str]:
    people = store.read_records("people", where={"id": [p for p in person_ids if p]})
    return {i: str(p) for i, p in zip(people["id"], people["phone"], strict=True)
            if isinstance(p, str) and p.strip()}


def _household(lookup: Lookup, household_id: str | None) -> dict | None:
    """The household's address and people as the lookup may show them (None: not at all)."""
    if not household_id:
        return None
    store = lookup.store
    row = _one(store.read_records("households", where={"id": household_id}), "id", household_id)
    shown = lookup.shown(row)
    if row is None or shown == "none":
        return None
    names = _names(store, [row.get("elder_id"), row.get("cadre_id"), row.get("buddy_id")])
    people = {k: names.get(row.get(f"{k}_id")) for k in ("elder", "cadre", "buddy")}
    if shown == "masked":
        return {"address": mask_address(row.get("address")), "masked": True,
                "reason_needed": lookup.viewer.spec.personal == "with_reason",
                **{k: mask_name(v) for k, v in people.items()}}
    if lookup.on_personal is not None:
        lookup.on_personal(household_id)
    phones = _phones(store, [row.get("cadre_id")])
    return {"address": row.get("address"), **people,
            "cadre_phone": phones.get(row.get("cadre_id"))}


def device(pick: Pick, lookup: Lookup) -> dict | None:
    store = lookup.store
    row = _one(store.read_layer("devices", _near(pick)), "id", pick["id"])
    if row is None:
        return None
    status = _one(store.read_records("device_status", where={"device_id": pick["id"]}),
                  "device_id", pick["id"]) or {}
    category = CATEGORY_BY_CODE.get(row["category"])
    household = _household(lookup, row.get("household_id")) if lookup.viewer.covers_row(
        row) else None
    return {**row, **status, "unit": category.unit if category else "",
            "last_seen": _when(status.get("last_seen")), "household": household}


def alarm(pick: Pick, lookup: Lookup) -> dict | None:
    store = lookup.store
    row = _one(store.read_records("alarms", where={"id": pick["id"]}), "id", pick["id"])
    if row is None:
        return None
    device_pick = {"id": row.get("device_id"), "neighborhood": row.get("neighborhood_id")}
    found = device(device_pick, lookup) if present(row.get("device_id")) else None
    # An elderly-care rule fires for a household, not one device: show the household itself.
    home = None
    if found is None and present(row.get("household_id")) and lookup.viewer.covers_row(row):
        home = _household(lookup, row["household_id"])
    return {**row, "raised_at": _when(row.get("raised_at")), "device": found,
            "household": home, "escalated": present(row.get("escalated_at")),
            "place": lookup.places.neighborhoods.get(row.get("neighborhood_id"))}


def incident(pick: Pick, lookup: Lookup) -> dict | None:
    store = lookup.store
    row = _one(store.read_records("incidents", where={"id": pick["id"]}), "id", pick["id"])
    if row is None:
        return None
    late = sla_breaches(pd.DataFrame([row]), lookup.now)
    events = store.read_records("incident_events", where={"incident_id": pick["id"]})
    history = [{**e, "ts": _when(e["ts"])} for e in events.sort_values("ts").to_dict("records")]
    return {**row, "sla_due_at": _when(row.get("sla_due_at")), "overdue": not late.empty,
            "history": history, "row": row}


ELDERLY_SET: tuple[str, ...] = tuple(c.code for c in DEVICE_CATEGORIES if c.elderly)
HOUSEHOLD_ALARMS = 8  # the card's alarm history: the newest ones


def household(pick: Pick, lookup: Lookup) -> dict | None:
    """A five-piece home (住户卡): its people as the viewer may see them, the five devices with
    their states, the last activity any of them sensed, and the newest alarms."""
    store = lookup.store
    row = _one(store.read_records("households", where={"id": pick["id"]}), "id", pick["id"])
    if row is None or not lookup.viewer.covers_row({**row, "household_id": row["id"]}):
        return None
    devices = store.read_layer("devices", Scope.of(row.get("subdistrict_id"),
                                                   row.get("neighborhood_id")))
    devices = devices[devices["household_id"] == row["id"]]
    states = store.read_records("device_status", where={"device_id": list(devices["id"])})
    state_of = dict(zip(states["device_id"], states["state"], strict=True))
    with store.live_tx() as tx:
        live = tx.load_live(list(devices["id"]))
    active = [r[LIVE_COLUMNS.index("active_at")] for r in live.values()]
    active = [a for a in active if a is not None]
    kit = [{"id": d, "category": c, "state": state_of.get(d)}
           for d, c in zip(devices["id"], devices["category"], strict=True)]
    kit.sort(key=lambda k: ELDERLY_SET.index(k["category"]) if k["category"] in ELDERLY_SET
             else len(ELDERLY_SET))
    alarms = store.read_records("alarms", where={"household_id": row["id"]})
    alarms = alarms.sort_values("raised_at", ascending=False).head(HOUSEHOLD_ALARMS)
    return {"id": row["id"], "subdistrict_id": row.get("subdistrict_id"),
            "neighborhood_id": row.get("neighborhood_id"), "household_id": row["id"],
            "may_visit": lookup.viewer.may_record("visit") and profile(lookup.screen).pointer,
            "people": _household(lookup, row["id"]), "devices": kit,
            "last_activity": _when(pd.Timestamp(max(active), unit="s", tz="UTC"))
            if active else None,
            "place": lookup.places.neighborhoods.get(row.get("neighborhood_id")),
            "alarms": [{"id": a["id"], "rule": a["rule"], "status": a["status"],
                        "severity": a["severity"], "raised_at": _when(a["raised_at"])}
                       for a in alarms.to_dict("records")]}


def zone(pick: Pick, lookup: Lookup) -> dict | None:
    store = lookup.store
    row = _one(store.read_layer("patrol-zones"), "id", pick["id"])
    if row is None:
        return None
    scope = Scope.of(row.get("subdistrict_id"))
    coverage = zone_coverage(pd.DataFrame([row]), store.read_records("patrols", scope),
                             lookup.now)
    cov = coverage.iloc[0].to_dict()
    names = _names(store, [row.get("gov_chief_id"), row.get("community_chief_id")])
    return {**row, **cov, "gov_chief": names.get(row.get("gov_chief_id")),
            "community_chief": names.get(row.get("community_chief_id")),
            "last_patrol": _when(cov.get("last_patrol_end"))}


def area(pick: Pick, lookup: Lookup) -> dict:
    is_nbh = pick["layer"] == "neighborhoods"
    places = lookup.places
    asked = places.resolve(None, pick["id"]) if is_nbh else places.resolve(pick["id"], None)
    known = asked.neighborhood if is_nbh else asked.subdistrict
    if not known or not lookup.viewer.allows(asked):
        return {"allowed": False}
    scope = Scope.of(neighborhood=pick["id"]) if is_nbh else Scope.of(pick["id"])
    names = places.neighborhoods if is_nbh else places.subdistricts
    return {"kind": "details.neighborhood" if is_nbh else "details.subdistrict", "allowed": True,
            "name": names.get(pick["id"]), "summary": summarize(lookup.store, scope, lookup.now),
            "visited": household_visit_coverage(lookup.store, scope, lookup.now)}


def building(pick: Pick, lookup: Lookup) -> dict | None:
    row = _one(lookup.store.read_layer("buildings", _near(pick)), "id", pick["id"])
    if row is None:
        return None
    may = lookup.viewer.may_record("inspection") and profile(lookup.screen).pointer
    return {**row, "may_inspect": may}


GATHER: dict[str, Callable[[Pick, Lookup], dict | None]] = {
    "devices": device, "incidents": incident, "alarms": alarm, "patrol_zones": zone,
    "neighborhoods": area, "subdistricts": area, "buildings": building,
    "households": household,
}
