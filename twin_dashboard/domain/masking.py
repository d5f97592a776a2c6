"""Masking residents' personal data for those who may know that a household exists, not whose.

张三丰 → 张**, 某区武昌路7弄47号1504室 → 某区武昌路7弄**号, 170-0000-8351 → 170-****-**51:
enough to tell households apart on a list, too little to find or call anybody.
"""

from __future__ import annotations

import re

# The street part of a Shanghai address: up to and including the lane (弄), else the road.
_LANE = re.compile(r"^(.*?弄)")
_ROAD = re.compile(r"^(.*?(?:路|街|道|巷))")


def mask_name(name: str | None) -> str | None:
    """The family name (first character) and one ``*`` per other character."""
    if not name:
        return name
    return name[0] + "*" * max(len(name) - 1, 1)


def mask_address(address: str | None) -> str | None:
    """The street and lane only; the building number and the flat become ``**号``."""
    if not address:
        return address
    found = _LANE.match(address) or _ROAD.match(address)
    return f"{found.group(1)}**号" if found else "**"


def mask_phone(phone: str | None) -> str | None:
    """The first three and last two digits; the rest as ``*``."""
    if not phone:
        return phone
    digits = [i for i, c in enumerate(phone) if c.isdigit()]
    keep = set(digits[:3] + digits[-2:])
    return "".join(c if (i in keep or not c.isdigit()) else "*" for i, c in enumerate(phone))
