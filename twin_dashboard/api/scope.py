"""Turning query parameters into a checked Scope: unknown ids are refused, not ignored."""

from __future__ import annotations

from fastapi import HTTPException

from twin_dashboard.services import Services
from twin_dashboard.store.base import Scope


def scope_from_query(services: Services, subdistrict: str | None,
                     neighborhood: str | None) -> Scope:
    """A scope of known ids; 422 naming the parameter when an id is unknown or inconsistent."""
    if not (subdistrict or neighborhood):
        return Scope()
    try:
        services.atlas.places().checked(subdistrict, neighborhood)
    except ValueError as err:
        raise HTTPException(422, str(err)) from None
    return Scope.of(subdistrict or None, neighborhood or None)  # as asked: echoed in figures
