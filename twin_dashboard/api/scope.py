"""Turning query parameters into a checked Scope inside the caller's: an id that names no place
is 404 (the query names a place that does not exist), a place outside the caller's scope 403;
nothing asked means the caller's whole scope."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import HTTPException

from twin_dashboard.domain.access import OutOfScope, Viewer
from twin_dashboard.services import Services
from twin_dashboard.store.base import Scope


def scope_from_query(services: Services, viewer: Viewer, subdistrict: str | None,
                     neighborhood: str | None, district: str | None = None) -> Scope:
    """The scope asked for, narrowed to ``viewer``'s (and to ``district``, a city's); 404 or
    403 naming the parameter."""
    places = services.atlas.places()
    try:
        scope = viewer.checked(places, subdistrict or None, neighborhood or None)
        return viewer.in_district(places, district or None, scope)
    except OutOfScope as err:
        raise HTTPException(403, str(err)) from None
    except ValueError as err:
        raise HTTPException(404, str(err)) from None


def require_covered(viewer: Viewer, row: Mapping[str, Any], what: str) -> None:
    """403 when one object (an alarm, a person's inbox) lies outside the viewer's scope."""
    if not viewer.covers_row(row):
        raise HTTPException(403, f"{what} is outside the scope of {viewer.name!r} "
                                 f"({viewer.role})")
