"""The string catalog: both languages for every key, no mixed scripts, vocabulary covered."""

from __future__ import annotations

import re
import string

import pytest

from twin_dashboard.catalog import (
    ALARM_SEVERITIES,
    ALARM_STATUSES,
    DEVICE_CATEGORIES,
    DEVICE_STATES,
    INCIDENT_SOURCES,
    INCIDENT_STATUSES,
    LEVELS,
    READING_EVENTS,
)
from twin_dashboard.i18n import TEXT, lang_of, t
from twin_dashboard.i18n import screens as screen_text

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
LATIN = re.compile(r"[A-Za-z]")


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _without_fields(text: str) -> str:
    return re.sub(r"\{[^}]*\}", "", text)


@pytest.mark.parametrize("key", sorted(screen_text.TEXT))
def test_i18n001_both_languages_and_same_placeholders(key: str) -> None:
    zh, en = screen_text.TEXT[key]
    assert zh.strip() and en.strip()
    assert _fields(zh) == _fields(en), key


@pytest.mark.parametrize("key", sorted(screen_text.TEXT))
def test_i18n002_english_has_no_cjk_and_chinese_no_latin(key: str) -> None:
    zh, en = screen_text.TEXT[key]
    assert not CJK.search(en), f"{key}: {en!r}"
    assert not LATIN.search(_without_fields(zh)), f"{key}: {zh!r}"


@pytest.mark.parametrize(("prefix", "codes"), [
    ("state", DEVICE_STATES), ("level", LEVELS), ("source", INCIDENT_SOURCES),
    ("status", INCIDENT_STATUSES), ("severity", ALARM_SEVERITIES),
    ("alarm_status", ALARM_STATUSES), ("event", READING_EVENTS),
])
def test_i18n003_every_vocabulary_code_has_a_label(prefix: str, codes: tuple[str, ...]) -> None:
    missing = [code for code in codes if f"{prefix}.{code}" not in TEXT]
    assert not missing


def test_i18n004_category_names_come_from_the_catalog() -> None:
    for category in DEVICE_CATEGORIES:
        assert CJK.search(category.zh) and not CJK.search(category.en)


def test_i18n005_lookup_and_language_fallback() -> None:
    assert t("kpi.online", "en") == "Devices online"
    assert t("kpi.online") == "设备在线率"
    assert t("kpi.online.sub", "en", n=3) == "3 devices"
    assert lang_of("fr") == "zh" and lang_of("en") == "en"
    with pytest.raises(KeyError):
        t("no.such.key")


# Keys whose (zh, en) texts are the same but whose meanings are not, so that one may change
# without the other. Vocabularies are looked up as "<kind>.<code>" from stored codes, so a code
# of two kinds (or two spellings of one action in the data) keeps a key in each.
SAME_TEXT_ON_PURPOSE: tuple[frozenset[str], ...] = tuple(frozenset(keys) for keys in (
    # a selector's label, an incident's handling level, a kind of object in the details panel
    {"select.subdistrict", "level.subdistrict", "details.subdistrict"},
    {"select.neighborhood", "details.neighborhood"},
    {"login.title", "login.submit"},  # the login page's heading and its button
    # a device state, a kind of feed line, a kind of object in the details panel
    {"state.alarm", "feed.alarm", "details.alarm"},
    {"state.fault", "event.fault"},  # a device state, a reading's event
    {"status.in_progress", "action.in_progress"},  # an incident's status, a history step
    {"status.closed", "alarm_status.closed"},  # incident and alarm statuses
    # an alarm's status, and what the acknowledge / escalate button says once done
    {"alarm_status.acknowledged", "live.acked"},
    {"alarm_status.escalated", "live.escalated"},
    # a role of a signed-in person, a handling level, a person in the details panel
    {"level.property", "role.property"},
    {"check.stairwell_clutter", "kind.clutter"},  # a checklist item, the incident it files
    {"report.device", "search.kind.device"},  # a report's column, a kind of search result
    {"details.buddy", "role.buddy"},
    {"audit.col.reason", "reveal.reason"},  # the audit's column, the reason form's field
    # a table column, a row of the details panel
    {"table.col.source", "details.source"},
    {"table.col.status", "details.status"},
    # history steps stored as either the verb or its past participle
    {"action.report", "action.reported"},
    {"action.dispatch", "action.dispatched"},
    {"action.escalate", "action.escalated"},
    {"action.resolve", "action.resolved"},
    {"action.close", "action.closed"},
    {"action.comment", "action.note"},
    {"fresh.incidents", "map.layer.incidents"},  # a data source's name, a map layer's toggle
))


def test_i18n006_one_key_per_meaning() -> None:
    """Two keys with the same texts in both languages are one meaning written down twice (as
    ``map.state.alarm`` once was beside ``state.alarm``), unless listed above as separate."""
    by_text: dict[tuple[str, str], set[str]] = {}
    for key, texts in TEXT.items():
        by_text.setdefault(texts, set()).add(key)
    twins = {frozenset(keys) for keys in by_text.values() if len(keys) > 1}
    assert twins - set(SAME_TEXT_ON_PURPOSE) == set(), "keep one key, or list them as separate"
    assert set(SAME_TEXT_ON_PURPOSE) - twins == set(), "listed as separate but no longer twins"


def test_i18n007_parts_never_define_the_same_key():
    from twin_dashboard.i18n import PARTS

    seen: dict[str, int] = {}
    clashes = []
    for i, part in enumerate(PARTS):
        for key in part:
            if key in seen:
                clashes.append(key)
            seen[key] = i
    assert clashes == []
