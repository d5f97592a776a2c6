"""Road-chief patrol coverage 双路长制: which zones and road segments were patrolled in time.

Coverage (docs/domain.md) is the share of road segments patrolled within their target interval.
A segment's target is its patrol zone's ``target_hours``; a patrol covers the segments listed in
its ``road_ids``. Only patrols that had started by ``now`` count, and one still under way counts
as patrolling at ``now`` — so the same functions serve live screens and time replay.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from twin_dashboard.domain._frames import require_columns, share
from twin_dashboard.domain.time import HOUR, as_utc, as_utc_series

ROAD_SEPARATOR = ";"
ZONE_COLUMNS: tuple[str, ...] = (
    "zone_id", "name", "subdistrict_id", "target_hours", "patrols", "last_patrol_end",
    "hours_since", "covered",
)
SEGMENT_COLUMNS: tuple[str, ...] = (
    "road_id", "zone_id", "subdistrict_id", "target_hours", "last_patrol_end", "hours_since",
    "covered",
)


def zone_coverage(zones: pd.DataFrame, patrols: pd.DataFrame, now: pd.Timestamp) -> pd.DataFrame:
    """Per patrol zone: when it was last patrolled and whether that is within its target.

    Parameters
    ----------
    zones : DataFrame
        The ``patrol-zones`` layer: ``id``, ``target_hours`` (``name``, ``subdistrict_id``
        carried along when present).
    patrols : DataFrame
        Patrol records: ``zone_id``, ``started_at``, ``ended_at`` (missing while under way).
    now : Timestamp
        The moment to judge at (naive means UTC).

    Returns
    -------
    DataFrame
        ``ZONE_COLUMNS``, one row per zone in ``zones`` order: ``patrols`` started by ``now``,
        ``last_patrol_end``, ``hours_since`` it (NaN if never), ``covered`` when
        ``hours_since <= target_hours`` (False when never patrolled or without a target).
    """
    require_columns(zones, ("id", "target_hours"), "patrol zones")
    done = _patrols_until(patrols, now)
    per_zone = done.groupby("zone_id")["end"].agg(["count", "max"])
    out = pd.DataFrame({"zone_id": zones["id"].to_numpy()})
    for column in ("name", "subdistrict_id"):
        out[column] = zones[column].to_numpy() if column in zones else None
    out["target_hours"] = pd.to_numeric(zones["target_hours"]).to_numpy(float)
    found = per_zone.reindex(out["zone_id"])
    out["patrols"] = found["count"].fillna(0).astype(int).to_numpy()
    out["last_patrol_end"] = pd.to_datetime(found["max"].to_numpy(), utc=True)
    return _judge(out, now)[list(ZONE_COLUMNS)]


def segment_coverage(roads: pd.DataFrame, patrols: pd.DataFrame, now: pd.Timestamp,
                     zones: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per road segment: when a patrol last covered it and whether that is within target.

    Parameters
    ----------
    roads : DataFrame
        The ``roads`` layer: ``id``, ``zone_id`` (``subdistrict_id`` carried along), and
        optionally its own ``target_hours``.
    patrols : DataFrame
        Patrol records: ``road_ids`` (``;``-separated), ``started_at``, ``ended_at``.
    now : Timestamp
        The moment to judge at (naive means UTC).
    zones : DataFrame, optional
        The ``patrol-zones`` layer (``id``, ``target_hours``), giving each segment its zone's
        target when ``roads`` has none.

    Returns
    -------
    DataFrame
        ``SEGMENT_COLUMNS``, one row per road. A segment outside every zone has no target
        (NaN) and is never ``covered``; :func:`coverage_share` leaves such segments out.
    """
    require_columns(roads, ("id", "zone_id"), "roads")
    require_columns(patrols, ("road_ids",), "patrols")
    out = pd.DataFrame({"road_id": roads["id"].to_numpy(), "zone_id": roads["zone_id"].to_numpy()})
    out["subdistrict_id"] = roads["subdistrict_id"].to_numpy() if "subdistrict_id" in roads \
        else None
    out["target_hours"] = _segment_targets(roads, zones)
    done = _patrols_until(patrols, now)
    ids = done["road_ids"].fillna("").astype(str).str.split(ROAD_SEPARATOR)
    covered = pd.DataFrame({"road_id": ids, "end": done["end"]}).explode("road_id")
    covered["road_id"] = covered["road_id"].str.strip()
    last = covered[covered["road_id"] != ""].groupby("road_id")["end"].max()
    out["last_patrol_end"] = pd.to_datetime(last.reindex(out["road_id"]).to_numpy(), utc=True)
    return _judge(out, now)[list(SEGMENT_COLUMNS)]


def coverage_share(coverage: pd.DataFrame) -> float:
    """Share of rows with a target that are covered (0.0 when none has a target).

    Parameters
    ----------
    coverage : DataFrame
        From :func:`segment_coverage` (the coverage figure of docs/domain.md) or
        :func:`zone_coverage`.

    Returns
    -------
    float
        ``covered / rows with a target_hours``.
    """
    require_columns(coverage, ("target_hours", "covered"), "coverage")
    targeted = coverage[coverage["target_hours"].notna()]
    return share(int(targeted["covered"].sum()), len(targeted))


def _patrols_until(patrols: pd.DataFrame, now: pd.Timestamp) -> pd.DataFrame:
    """Patrols started by ``now`` with ``end``: their end, or ``now`` while under way."""
    require_columns(patrols, ("started_at", "ended_at"), "patrols")
    at = as_utc(now)
    started = as_utc_series(patrols["started_at"])
    ended = as_utc_series(patrols["ended_at"])
    keep = (started <= at).to_numpy()
    done = pd.DataFrame(patrols.drop(columns="geometry", errors="ignore")[keep])
    done["end"] = ended[keep].where(ended[keep] <= at, at).fillna(at)
    return done


def _segment_targets(roads: pd.DataFrame, zones: pd.DataFrame | None) -> np.ndarray:
    """Each road's own ``target_hours`` if given, else its zone's (NaN when it has neither)."""
    own = (pd.to_numeric(roads["target_hours"]).to_numpy(float) if "target_hours" in roads
           else np.full(len(roads), np.nan))
    if zones is None:
        return own
    require_columns(zones, ("id", "target_hours"), "patrol zones")
    by_zone = pd.Series(pd.to_numeric(zones["target_hours"]).to_numpy(float),
                        index=zones["id"].to_numpy())
    from_zone = roads["zone_id"].map(by_zone).to_numpy(float)
    return np.where(np.isnan(own), from_zone, own)


def _judge(out: pd.DataFrame, now: pd.Timestamp) -> pd.DataFrame:
    """Add ``hours_since`` the last patrol end and ``covered`` against ``target_hours``."""
    out["hours_since"] = ((as_utc(now) - out["last_patrol_end"]) / HOUR).astype(float)
    out["covered"] = (out["hours_since"] <= out["target_hours"]).fillna(False).astype(bool)
    return out


# --- the desk's road-chief view ----------------------------------------------------------------

BOARD_DAYS = 7  # a chief's recent work: patrols and kilometres over this many days
ZONE_BOARD_COLUMNS: tuple[str, ...] = (
    "zone_id", "name", "subdistrict_id", "gov_chief_id", "community_chief_id", "target_hours",
    "last_patrol_end", "hours_since", "overdue", "segments", "segments_covered",
    "coverage_share",
)
CHIEF_BOARD_COLUMNS: tuple[str, ...] = (
    "chief_id", "chief_role", "zone_ids", "patrols", "km", "last_patrol_end",
)


def zone_board(zones: pd.DataFrame, roads: pd.DataFrame, patrols: pd.DataFrame,
               now: pd.Timestamp) -> pd.DataFrame:
    """Per patrol zone: its two chiefs, last patrol, whether overdue, its segments' coverage.

    Parameters
    ----------
    zones : DataFrame
        The ``patrol-zones`` layer: ``id``, ``target_hours`` (``name``, ``subdistrict_id``,
        ``gov_chief_id``, ``community_chief_id`` carried along when present).
    roads : DataFrame
        The ``roads`` layer (``id``, ``zone_id``).
    patrols : DataFrame
        Patrol records (``zone_id``, ``road_ids``, ``started_at``, ``ended_at``).
    now : Timestamp
        The moment to judge at.

    Returns
    -------
    DataFrame
        ``ZONE_BOARD_COLUMNS``, one row per zone: ``overdue`` when the zone was not patrolled
        within its target (never, or too long ago); ``segments`` of the zone, how many are
        ``segments_covered`` and their ``coverage_share`` (0.0 for a zone without roads).
    """
    out = zone_coverage(zones, patrols, now)
    for column in ("gov_chief_id", "community_chief_id"):
        out[column] = zones[column].to_numpy() if column in zones else None
    out["overdue"] = out["target_hours"].notna() & ~out["covered"]
    segments = segment_coverage(roads, patrols, now, zones)
    per = segments.groupby("zone_id")["covered"].agg(["size", "sum"]).reindex(out["zone_id"])
    out["segments"] = per["size"].fillna(0).astype(int).to_numpy()
    out["segments_covered"] = per["sum"].fillna(0).astype(int).to_numpy()
    out["coverage_share"] = [share(c, n) for c, n in zip(out["segments_covered"],
                                                         out["segments"], strict=True)]
    return out[list(ZONE_BOARD_COLUMNS)]


def chief_board(zones: pd.DataFrame, patrols: pd.DataFrame, now: pd.Timestamp,
                lengths_m: pd.Series, days: float = BOARD_DAYS) -> pd.DataFrame:
    """Per road chief of ``zones``: their patrols and kilometres in the last ``days``.

    Parameters
    ----------
    zones : DataFrame
        The ``patrol-zones`` layer (``id``, ``gov_chief_id``, ``community_chief_id``).
    patrols : DataFrame
        Patrol records (``id``, ``chief_id``, ``started_at``, ``ended_at``).
    now : Timestamp
        The moment to judge at: patrols started in ``(now - days, now]`` count.
    lengths_m : Series
        Each patrol's track length in metres, indexed by patrol id (``tracks.track_length_m``).
    days : float, default 7

    Returns
    -------
    DataFrame
        ``CHIEF_BOARD_COLUMNS``, one row per chief (zone order, government chief first):
        ``chief_role`` (``gov`` | ``community``), ``zone_ids`` (list), ``patrols``, ``km``,
        ``last_patrol_end`` (ever, up to ``now``).
    """
    require_columns(zones, ("id", "gov_chief_id", "community_chief_id"), "patrol zones")
    require_columns(patrols, ("id", "chief_id"), "patrols")
    chiefs: dict[str, dict] = {}
    for zone in zones.to_dict("records"):
        for role in ("gov", "community"):
            chief = zone.get(f"{role}_chief_id")
            if isinstance(chief, str) and chief:
                row = chiefs.setdefault(chief, {"chief_id": chief, "chief_role": role,
                                                "zone_ids": []})
                row["zone_ids"].append(zone["id"])
    done = _patrols_until(patrols, now)
    since = as_utc(now) - pd.Timedelta(days=days)
    recent = done[as_utc_series(done["started_at"]) > since]
    metres = recent["id"].map(lengths_m).astype(float).fillna(0.0)  # empty: not a str column
    count = recent.groupby("chief_id").size()
    km = metres.groupby(recent["chief_id"]).sum() / 1000
    last = done.groupby("chief_id")["end"].max()
    out = pd.DataFrame(list(chiefs.values()), columns=["chief_id", "chief_role", "zone_ids"])
    out["patrols"] = out["chief_id"].map(count).fillna(0).astype(int)
    out["km"] = out["chief_id"].map(km).fillna(0.0).astype(float).round(2)
    out["last_patrol_end"] = pd.to_datetime(last.reindex(out["chief_id"]).to_numpy(), utc=True)
    return out[list(CHIEF_BOARD_COLUMNS)]
