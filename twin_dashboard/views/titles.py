"""Incident titles on the screens, in the page's language.

A title is data, written once by whoever reported the incident (in Chinese: a hotline note, a
resident's words, ``漏水：江湾新苑5号楼``). In English it is named by what the data does have in
English: its kind and its neighborhood's ``name_en``; the Chinese title stays in the details
panel, marked as the original. A kind without an English name keeps the Chinese title.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from twin_dashboard.catalog import CATEGORY_BY_CODE
from twin_dashboard.i18n import TEXT, t


def kind_name(kind: str | None, lang: str) -> str | None:
    """The name of an incident kind (a report form's, the district's, a device category or an
    alarm rule it came from); ``None`` when there is none."""
    kind = str(kind or "")
    if kind in CATEGORY_BY_CODE:
        category = CATEGORY_BY_CODE[kind]
        return category.en if lang == "en" else category.zh
    for key in (f"kind.{kind}", f"rule.{kind}", f"rule.{'_'.join(kind.split('_')[:2])}"):
        if key in TEXT:
            return t(key, lang)
    return None


def incident_title(title: str | None, kind: str | None, place: str, lang: str) -> str:
    """What a row, a feed line or a tooltip calls an incident; ``place``: its neighborhood's
    name in ``lang`` (may be empty)."""
    written = str(title or "")
    if lang != "en":
        return written
    named = kind_name(kind, lang)
    if named is None:
        return written
    return f"{named} · {place}" if place else named


def incident_titles(incidents: pd.DataFrame, names: Mapping[str, str], lang: str) -> list[str]:
    """:func:`incident_title` per row (``title``, ``kind``, ``neighborhood_id``)."""
    kinds = incidents["kind"] if "kind" in incidents else pd.Series([None] * len(incidents))
    return [incident_title(title if isinstance(title, str) else "", kind,
                           names.get(nid, "") if isinstance(nid, str) else "", lang)
            for title, kind, nid in zip(incidents["title"], kinds,
                                        incidents["neighborhood_id"], strict=True)]
