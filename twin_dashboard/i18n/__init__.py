"""One catalog of visible strings, Chinese first: ``t(key, lang)``.

Each part of the UI keeps its strings in a module of this package (``map.py``,
``screens.py``); they are merged here so that a test can check every key has both languages.
"""

from __future__ import annotations

from twin_dashboard.i18n import auth as _auth
from twin_dashboard.i18n import brain as _brain
from twin_dashboard.i18n import city as _city
from twin_dashboard.i18n import field as _field
from twin_dashboard.i18n import map as _map
from twin_dashboard.i18n import replay as _replay
from twin_dashboard.i18n import reports as _reports
from twin_dashboard.i18n import screens as _screens
from twin_dashboard.i18n import search as _search

LANGS: tuple[str, ...] = ("zh", "en")
DEFAULT_LANG = "zh"

PARTS: tuple[dict[str, tuple[str, str]], ...] = (
    _screens.TEXT, _map.TEXT, _auth.TEXT, _field.TEXT, _reports.TEXT, _brain.TEXT,
    _replay.TEXT, _search.TEXT, _city.TEXT)
# A key defined by two parts would silently take the last one's text (tests/test_i18n.py).
TEXT: dict[str, tuple[str, str]] = {k: v for part in PARTS for k, v in part.items()}


def lang_of(value: str | None) -> str:
    """The language a query parameter asks for; anything unknown falls back to Chinese."""
    return value if value in LANGS else DEFAULT_LANG


def t(key: str, lang: str = DEFAULT_LANG, **values: object) -> str:
    """The string for ``key`` in ``lang``, formatted with ``values``; KeyError if missing."""
    zh, en = TEXT[key]
    text = en if lang == "en" else zh
    return text.format(**values) if values else text
