"""The error bodies every API route answers with, for the OpenAPI document."""

from __future__ import annotations

from pydantic import BaseModel


class Problem(BaseModel):
    """What went wrong, in one sentence naming the value and the reason."""

    detail: str
