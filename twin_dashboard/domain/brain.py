"""Community brain 社区大脑: people found by their person and policy tags.

A person's ``tags`` is one ``;``-separated string (``独居老人;高龄;助餐补贴``). A query combines
tags with AND (``include_all``), OR (``include_any``) and NOT (``exclude``); the answer is a list
(for roles allowed to see people) or counts per area (for everyone else, and the map).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from twin_dashboard.catalog import PERSON_TAGS, POLICY_TAGS
from twin_dashboard.domain._frames import require_columns

TAG_SEPARATOR = ";"


def query_people(people: pd.DataFrame, include_all: Sequence[str] = (),
                 include_any: Sequence[str] = (), exclude: Sequence[str] = ()) -> pd.DataFrame:
    """People whose tags satisfy an AND / OR / NOT query.

    Parameters
    ----------
    people : DataFrame
        People records with a ``tags`` column (``;``-separated, may be empty).
    include_all : sequence of str
        Tags a person must all carry (AND). Empty: no condition.
    include_any : sequence of str
        Tags of which a person must carry at least one (OR). Empty: no condition.
    exclude : sequence of str
        Tags a person must carry none of (NOT).

    Returns
    -------
    DataFrame
        The matching rows of ``people`` in their order (index kept). An empty query matches
        everyone; a tag nobody carries matches nobody.

    Raises
    ------
    ValueError
        For an empty tag or one containing ``;``, or a tag both required and excluded.
    """
    require_columns(people, ("tags",), "people")
    _check_tags(include_all, include_any, exclude)
    padded = _padded_tags(people)
    keep = np.ones(len(people), dtype=bool)
    for tag in include_all:
        keep &= _has(padded, tag)
    if include_any:
        keep &= np.logical_or.reduce([_has(padded, tag) for tag in include_any])
    for tag in exclude:
        keep &= ~_has(padded, tag)
    return people[keep]


def tag_counts(people: pd.DataFrame, by: str = "neighborhood_id") -> pd.DataFrame:
    """How many people carry each tag, per area (or any other column).

    Parameters
    ----------
    people : DataFrame
        People records with ``tags`` and the ``by`` column.
    by : str, default "neighborhood_id"
        The column to group by (``subdistrict_id``, ``role`` …).

    Returns
    -------
    DataFrame
        Index: the ``by`` values present (sorted); columns: the catalog's person tags then
        policy tags, then any other tag found (sorted); integer counts, zeros included.
    """
    require_columns(people, ("tags", by), "people")
    split = people["tags"].fillna("").astype(str).str.split(TAG_SEPARATOR)
    pairs = pd.DataFrame({by: people[by].to_numpy(), "tag": split.to_numpy()}).explode("tag")
    pairs["tag"] = pairs["tag"].str.strip()
    pairs = pairs[pairs["tag"].notna() & (pairs["tag"] != "")]
    counts = pd.crosstab(pairs[by], pairs["tag"]) if len(pairs) else pd.DataFrame()
    known = [*PERSON_TAGS, *POLICY_TAGS]
    columns = known + sorted(set(counts.columns) - set(known))
    groups = sorted(people[by].dropna().unique())
    counts = counts.reindex(index=groups, columns=columns, fill_value=0).astype(int)
    counts.index.name, counts.columns.name = by, "tag"
    return counts


def _check_tags(include_all: Sequence[str], include_any: Sequence[str],
                exclude: Sequence[str]) -> None:
    for tag in (*include_all, *include_any, *exclude):
        if not isinstance(tag, str) or not tag.strip() or TAG_SEPARATOR in tag:
            raise ValueError(f"bad tag {tag!r}: a tag is a non-empty string without ';'")
    both = sorted((set(include_all) | set(include_any)) & set(exclude))
    if both:
        raise ValueError(f"tag(s) both included and excluded: {', '.join(both)}")


def _padded_tags(people: pd.DataFrame) -> pd.Series:
    """``;a;b;`` per person, so one substring test matches a whole tag and never a part."""
    tags = people["tags"].fillna("").astype(str).str.replace(r"\s*;\s*", ";", regex=True)
    return TAG_SEPARATOR + tags.str.strip() + TAG_SEPARATOR


def _has(padded: pd.Series, tag: str) -> np.ndarray:
    needle = f"{TAG_SEPARATOR}{tag.strip()}{TAG_SEPARATOR}"
    return padded.str.contains(needle, regex=False).to_numpy(bool)
