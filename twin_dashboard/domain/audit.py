"""The audit trail: who signed in, saw whose personal data and why, acted, changed accounts.

Rows are only ever appended (the store's table refuses changes); this module words them and
reads them back for ``twin-dashboard audit`` and ``GET /api/v1/audit``.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pandas as pd

from twin_dashboard.store.base import Store

FIELDS: tuple[str, ...] = ("seq", "ts", "actor", "action", "subject", "reason", "detail", "ip")


def record(store: Store, now: pd.Timestamp, actor: str | None, action: str,
           subject: str | None = None, *, reason: str | None = None,
           detail: str | None = None, ip: str | None = None) -> None:
    """Append one entry: ``actor`` (a user name) did ``action`` to ``subject``."""
    store.accounts.append_audit({"ts": int(pd.Timestamp(now).timestamp()), "actor": actor,
                                 "action": action, "subject": subject, "reason": reason,
                                 "detail": detail, "ip": ip})


def entries(store: Store, since: pd.Timestamp | None = None, actor: str | None = None,
            limit: int | None = None, newest: bool = False) -> list[dict[str, Any]]:
    """Entries in order (``newest`` first), each with its time as ISO 8601 (UTC)."""
    since_s = int(pd.Timestamp(since).timestamp()) if since is not None else None
    rows = store.accounts.read_audit(since_s, actor, limit, newest)
    return [{**r, "ts": pd.Timestamp(r["ts"], unit="s", tz="UTC").isoformat()} for r in rows]


def as_jsonl(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def as_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(FIELDS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
