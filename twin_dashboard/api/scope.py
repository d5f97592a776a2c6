"""Turning query parameters into a checked Scope: unknown ids are refused, not ignored."""

from __future__ import annotations

from fastapi import HTTPException

from twin_dashboard.runtime import runtime
from twin_dashboard.store.base import Scope


def scope_from_query(subdistrict: str | None, neighborhood: str | None) -> Scope:
    """A scope of known ids; 422 naming the parameter when an id is unknown or inconsistent."""
    store = runtime().store
    if subdistrict and store.count("subdistricts", Scope.of(subdistrict)) == 0:
        raise HTTPException(422, f"unknown subdistrict {subdistrict!r}")
    if neighborhood:
        found = store.read_layer("neighborhoods", Scope.of(neighborhood=neighborhood))
        if found.empty:
            raise HTTPException(422, f"unknown neighborhood {neighborhood!r}")
        parent = found["subdistrict_id"].iloc[0]
        if subdistrict and parent != subdistrict:
            raise HTTPException(
                422, f"neighborhood {neighborhood!r} is in {parent!r}, not in {subdistrict!r}")
    return Scope.of(subdistrict or None, neighborhood or None)
