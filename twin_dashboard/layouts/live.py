"""The live parts of a page (issue 4): stores for assets/live.js, the stale banner, the flash.

``assets/live.js`` keeps one ``EventSource`` on ``/api/v1/live`` per page. What it needs to know
and cannot find in the DOM travels in ``ids.LIVE_CONFIG``, built here server-side: the stale
limits of ``domain/freshness.py`` (not copied into JS), the acting person of the tablet's inbox,
and the few texts and names it shows. Strings come from the catalog in the page's language.
"""

from __future__ import annotations

import math
from typing import Any

from dash import dcc, html

from twin_dashboard.catalog import CATEGORY_BY_CODE
from twin_dashboard.domain.freshness import DEFAULT_STALE_AFTER_S, STALE_AFTER_S
from twin_dashboard.domain.places import Places
from twin_dashboard.domain.rules import DEFAULT_RULES
from twin_dashboard.i18n import TEXT, t
from twin_dashboard.layouts import ids
from twin_dashboard.profiles import profile
from twin_dashboard.views.charts import rule_name

LIVE_TEXT_KEYS: tuple[str, ...] = (
    "live.stale.stream", "live.stale.source", "live.ack", "live.acked", "live.ack_failed",
    "live.flash", "live.escalated")


def stale_limits() -> dict[str, float | None]:
    """Seconds after which each source is stale; ``None`` for never (JSON has no infinity)."""
    limits = {**STALE_AFTER_S, "*": DEFAULT_STALE_AFTER_S}
    return {name: None if math.isinf(s) else s for name, s in limits.items()}


def rule_names(lang: str) -> dict[str, str]:
    """Every alarm rule the stream may name (device categories, elderly rules) → its name."""
    rules = [*CATEGORY_BY_CODE, *DEFAULT_RULES.severity]
    return {rule: rule_name(rule, lang) for rule in rules}


def live_config(screen: str, lang: str, found: Places,
                actor: str | None = None) -> dict[str, Any]:
    """What live.js reads once per page (``ids.LIVE_CONFIG``); ``actor``: whom the page's
    inbox belongs to (the tablet's), if anyone's."""
    return {
        "screen": screen, "lang": lang, "actor": actor, "stale_after": stale_limits(),
        "text": {key.removeprefix("live."): t(key, lang) for key in LIVE_TEXT_KEYS},
        "sources": {k.removeprefix("fresh."): t(k, lang) for k in TEXT if k.startswith("fresh.")},
        "rules": rule_names(lang),
        "places": {**found.subdistricts, **found.neighborhoods},
    }


def live_parts(screen: str, lang: str, found: Places, actor: str | None = None) -> list:
    """The stores and banners every screen carries; the flash banner where the profile asks."""
    parts: list = [
        dcc.Store(id=ids.LIVE_CONFIG, data=live_config(screen, lang, found, actor)),
        dcc.Store(id=ids.LIVE_EVENT), dcc.Store(id=ids.LIVE_FIGURES),
        dcc.Store(id=ids.LIVE_STATUS),
        stale_banner(lang),
    ]
    if profile(screen).flash:
        parts.append(html.Div(id=ids.ALARM_FLASH, className="alarm-flash", role="alert",
                              **{"aria-live": "assertive"}))
    return parts


def stale_banner(lang: str) -> html.Div:
    """Hidden until live.js reports the stream down or a source older than its limit; built
    here only: live.js shows it and fills in the reason (``ids.STALE_REASON``)."""
    return html.Div([html.Span(className="stale-icon"),
                     html.Span(t("live.stale.title", lang), className="stale-title"),
                     html.Span(id=ids.STALE_REASON, className="stale-reason")],
                    id=ids.STALE_BANNER, className="stale-banner", role="status",
                    hidden=True, **{"aria-live": "polite"})
