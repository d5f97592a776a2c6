"""The roles of people who sign in, side by side: the one table of what each may see and do.

Everything that decides on access (``access.py``, ``accounts.py``, the middleware, the pages)
reads a :class:`Role` from here; nothing tests a role's name elsewhere. Plain data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from twin_dashboard.catalog import LEVELS

# How a role's area is given at ``user create``: the whole district, one subdistrict, listed
# neighborhoods, listed patrol zones, or the households the person buddies.
AreaKind = Literal["district", "subdistrict", "neighborhoods", "zones", "buddy", "kiosk"]
# Residents' personal data: never, masked, of the households in the area, of the households the
# person buddies, or all of it once a reason has been stated (commander).
Personal = Literal["never", "masked", "area", "buddied", "with_reason"]


@dataclass(frozen=True)
class Role:
    """One role: its area, its personal data, what it may do, where it lands after sign-in."""

    name: str
    area: AreaKind
    personal: Personal
    acts: bool  # may act on alarms (acknowledge, escalate, close, open an incident)
    home: str  # the screen it lands on after sign-in
    admin: bool = False  # users, tokens, kiosks, imports, audit
    incident_levels: tuple[str, ...] | None = None  # only incidents at these levels (None: all)
    # Field work it may record (docs/domain.md): "visit" (大走访 of a household), "inspection"
    # (大排查 of a building), "patrol" (a road-chief patrol; a road chief only in their zones).
    records: tuple[str, ...] = ()
    # The incident workflow (domain/workflow.py): the levels whose incidents this role handles
    # (accept, start, escalate, resolve), and whether it supervises the loop (dispatch, verify,
    # close, reopen, at any level).
    handles: tuple[str, ...] = ()
    supervises: bool = False


ROLES: dict[str, Role] = {
    # 指挥长: the whole district; personal data only after stating a reason (audited).
    "commander": Role("commander", "district", "with_reason", acts=True, home="desk",
                      records=("visit", "inspection", "patrol"), handles=LEVELS, supervises=True),
    # 街道工作人员: one subdistrict, masked personal data.
    "officer": Role("officer", "subdistrict", "masked", acts=True, home="desk",
                    records=("visit", "inspection", "patrol"), handles=LEVELS, supervises=True),
    # 居委干部: listed neighborhoods, personal data of their households.
    "cadre": Role("cadre", "neighborhoods", "area", acts=True, home="tablet",
                  records=("visit", "inspection"), handles=("committee",)),
    # 物业: listed neighborhoods, incidents at property level, no residents' personal data.
    # Inspects its buildings (大排查) but does not visit residents (no personal data).
    "property": Role("property", "neighborhoods", "masked", acts=True, home="tablet",
                     incident_levels=("property",), records=("inspection",),
                     handles=("property",)),
    # 路长: their patrol zones' subdistrict(s), masked personal data.
    "road_chief": Role("road_chief", "zones", "masked", acts=True, home="tablet",
                       records=("patrol",)),
    # 老伙伴: only the elders they buddy.
    "buddy": Role("buddy", "buddy", "buddied", acts=True, home="tablet"),
    # A wall in a room: one scope, read-only, never personal data.
    "kiosk": Role("kiosk", "kiosk", "never", acts=False, home="wall"),
    # Users, tokens, imports, audit; the district's figures without personal data.
    "admin": Role("admin", "district", "never", acts=False, home="desk", admin=True),
}
ROLE_NAMES: tuple[str, ...] = tuple(ROLES)


def role(name: str) -> Role:
    """The role called ``name``; ``ValueError`` naming the known ones otherwise."""
    try:
        return ROLES[name]
    except KeyError:
        raise ValueError(f"unknown role {name!r}: one of {', '.join(ROLE_NAMES)}") from None
