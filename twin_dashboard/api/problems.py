"""The error bodies every API route answers with, for the OpenAPI document.

Two shapes: :class:`Problem` (``{"detail": "one sentence naming the value and the reason"}``)
from the routes and the middlewares, and FastAPI's own ``HTTPValidationError`` (``detail`` a list
of field errors) when a request does not fit its schema; a 422 may be either.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class Problem(BaseModel):
    """What went wrong, in one sentence naming the value and the reason."""

    detail: str


def problem(description: str) -> dict[str, Any]:
    """One documented error status: a :class:`Problem` body and when it is answered."""
    return {"model": Problem, "description": description}


NOT_FOUND_PLACE = ("an id that names nothing: an unknown subdistrict, neighborhood, patrol "
                   "zone, person or place")
OUT_OF_SCOPE = "a place or object outside the caller's scope, or a role that may not do this"
