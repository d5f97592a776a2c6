"""The caller of the request being served: set by the middleware, read by routes and callbacks.

Like ``services.serving()``: Dash keeps pages and callbacks process-wide, so they find the
request's viewer through a ContextVar the middleware sets per request (copied into worker
threads by ``asyncio.to_thread`` and Starlette's thread pool).
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException

from twin_dashboard.domain.access import Viewer


@dataclass(frozen=True)
class Caller:
    """Who sent this request: the viewer, how they proved it, and from where."""

    viewer: Viewer
    via: str  # "session" or "token"
    csrf: str | None = None
    ip: str | None = None


_CALLER: ContextVar[Caller | None] = ContextVar("twin_dashboard_caller", default=None)


def current_caller() -> Caller | None:
    return _CALLER.get()


def set_caller(caller: Caller | None):
    """Mark the current context as served for ``caller``; returns the reset token."""
    return _CALLER.set(caller)


def reset_caller(token) -> None:
    _CALLER.reset(token)


def viewing() -> Viewer:
    """The signed-in viewer of the current request (pages, callbacks); PermissionError if none.

    The middleware answers anonymous requests before any page or callback runs, so reaching
    here without a viewer is a wiring mistake, never a way in.
    """
    caller = _CALLER.get()
    if caller is None:
        raise PermissionError("no signed-in caller for this request")
    return caller.viewer


def _viewer_dep() -> Viewer:
    caller = _CALLER.get()
    if caller is None:
        raise HTTPException(401, "sign in first", headers={"WWW-Authenticate": "Bearer"})
    return caller.viewer


# A route's parameter ``viewer: ViewerDep`` receives the signed-in caller.
ViewerDep = Annotated[Viewer, Depends(_viewer_dep)]


def caller_ip() -> str | None:
    caller = _CALLER.get()
    return caller.ip if caller else None
