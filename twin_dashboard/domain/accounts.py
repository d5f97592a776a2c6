"""Accounts: people who sign in (with a role and an area), kiosks, and personal API tokens.

Passwords are hashed with argon2id and never printed or logged; API tokens and kiosk enrolment
links are 32 random bytes, stored as SHA-256 (nothing to brute-force). Every id an account names
— subdistrict, neighborhood, patrol zone, person — must exist: an unknown one is refused by name.
:func:`viewer_of` turns an account into the :class:`~twin_dashboard.domain.access.Viewer` every
page, callback and route asks.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from twin_dashboard.domain import audit
from twin_dashboard.domain.access import Viewer
from twin_dashboard.domain.roles import ROLES, role
from twin_dashboard.domain.tokens import _NAME, hash_token
from twin_dashboard.store.base import Store, StoreError

API_TOKEN_PREFIX = "twp_"  # a personal token (gateway tokens are twg_)
ENROL_PREFIX = "twk_"
MIN_PASSWORD = 10
ENROL_VALID = pd.Timedelta(hours=24)


def _hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2id, the library's current recommended cost


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches; a missing hash still costs one verification (timing)."""
    try:
        return _hasher().verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


# A fixed hash of a random string: unknown names cost as much as known ones.
_DUMMY_HASH = ("$argon2id$v=19$m=65536,t=3,p=4$RNdHNgC0xAH12TVYytCCJA"
               "$hP3fs4EQ7timqeiEEQQVSNajeQsEqM9m0Rai8udH1+0")


@dataclass(frozen=True)
class Area:
    """What ``user create`` (or ``kiosk create``) names as the account's area."""

    subdistrict: str | None = None
    neighborhoods: tuple[str, ...] = ()
    zones: tuple[str, ...] = ()
    district: str | None = None  # one district of a city, for a district-wide role or kiosk

    @classmethod
    def parse_kiosk(cls, text: str) -> Area:
        """``district``, ``district:ID``, ``subdistrict:ID`` or ``neighborhood:ID``."""
        kind, _, value = text.partition(":")
        if kind == "district":
            return cls(district=value or None)
        if kind == "subdistrict" and value:
            return cls(subdistrict=value)
        if kind == "neighborhood" and value:
            return cls(neighborhoods=(value,))
        raise ValueError(f"bad scope {text!r}: district, district:ID, subdistrict:ID or "
                         "neighborhood:ID")


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"password too short: at least {MIN_PASSWORD} characters")


def create_user(store: Store, name: str, role_name: str, area: Area, *,
                person_id: str | None = None, password: str | None, now: pd.Timestamp,
                by: str | None = None) -> dict[str, Any]:
    """Add an account; ``ValueError`` naming what is wrong (name, role, unknown ids, password)."""
    if not _NAME.match(name):
        raise ValueError(f"bad user name {name!r}: use 1-64 letters, digits, '_', '.', '-'")
    spec = role(role_name)
    check_area(store, spec.area, area, person_id)
    if spec.area != "kiosk":
        if password is None:
            raise ValueError("a password is needed")
        check_password(password)
    row = {"name": name, "role": role_name, "person_id": person_id,
           "subdistrict_id": area.subdistrict,
           "neighborhood_ids": ";".join(area.neighborhoods) or None,
           "zone_ids": ";".join(area.zones) or None, "district_id": area.district,
           "password_hash": hash_password(password) if password else None,
           "created_at": _s(now)}
    try:
        store.accounts.add_user(row)
    except StoreError as err:
        raise ValueError(str(err)) from None
    audit.record(store, now, by, "user.create", name, detail=f"role={role_name}")
    return row


def check_area(store: Store, kind: str, area: Area, person_id: str | None) -> None:
    """The options a role takes, each id known: refused by name otherwise."""
    needs = {"subdistrict": kind == "subdistrict",
             "neighborhoods": kind == "neighborhoods", "zones": kind == "zones"}
    if kind == "kiosk":
        needs = {"subdistrict": False, "neighborhoods": False, "zones": False}
        if sum(map(bool, (area.subdistrict, area.neighborhoods, area.district))) > 1:
            raise ValueError("a kiosk shows one scope: a district, a subdistrict or a "
                             "neighborhood")
    given = {"subdistrict": bool(area.subdistrict), "neighborhoods": bool(area.neighborhoods),
             "zones": bool(area.zones)}
    option = {"subdistrict": "--subdistrict", "neighborhoods": "--neighborhood",
              "zones": "--zone"}
    for part, needed in needs.items():
        if needed and not given[part]:
            raise ValueError(f"role needs {option[part]}")
        if given[part] and not needed and kind != "kiosk":
            raise ValueError(f"{option[part]} does not apply to this role (its area: {kind})")
    if area.district and kind not in ("district", "kiosk"):
        raise ValueError(f"--district does not apply to this role (its area: {kind})")
    if kind == "buddy" and not person_id:
        raise ValueError("a buddy needs --person (their elders are the households they buddy)")
    _known(store, "subdistricts", [area.subdistrict] if area.subdistrict else [], "subdistrict")
    _known(store, "neighborhoods", list(area.neighborhoods), "neighborhood")
    _known(store, "patrol-zones", list(area.zones), "zone")
    _known(store, "district", [area.district] if area.district else [], "district")
    if person_id and store.read_records("people", where={"id": person_id}).empty:
        raise ValueError(f"unknown person {person_id!r}")


def _known(store: Store, layer: str, wanted: Sequence[str], what: str) -> None:
    if not wanted:
        return
    found = set(_ids(store, layer))
    unknown = [w for w in wanted if w not in found]
    if unknown:
        raise ValueError(f"unknown {what} {', '.join(map(repr, unknown))}")


def _ids(store: Store, layer: str) -> list[str]:
    read = getattr(store, "read_columns", None)
    frame = read(layer, ["id"]) if read else store.read_layer(layer)
    return list(frame["id"])


def user_row(store: Store, name: str) -> dict[str, Any]:
    found = store.accounts.user(name)
    if found is None:
        raise ValueError(f"unknown user {name!r}")
    return found


def disable_user(store: Store, name: str, now: pd.Timestamp, by: str | None = None) -> None:
    """Disable an account, end its sessions and revoke its tokens — at once."""
    row = user_row(store, name)
    if row["disabled_at"] is not None:
        raise ValueError(f"user {name!r} is already disabled")
    store.accounts.update_user(name, {"disabled_at": _s(now)})
    store.accounts.end_sessions(name, _s(now))
    store.accounts.revoke_api_tokens(name, _s(now))
    store.accounts.drop_enrolments(name, _s(now))
    audit.record(store, now, by, "user.disable", name)


def set_password(store: Store, name: str, password: str, now: pd.Timestamp,
                 by: str | None = None) -> None:
    """A new password; the account's open sessions end (sign in again)."""
    row = user_row(store, name)
    if ROLES[row["role"]].area == "kiosk":
        raise ValueError(f"{name!r} is a kiosk: it enrols, it has no password")
    check_password(password)
    store.accounts.update_user(name, {"password_hash": hash_password(password)})
    store.accounts.end_sessions(name, _s(now))
    audit.record(store, now, by, "user.password", name)


def issue_api_token(store: Store, name: str, now: pd.Timestamp, by: str | None = None) -> str:
    """A personal API token for ``name`` (``Authorization: Bearer``); only its hash is kept."""
    row = user_row(store, name)
    if row["disabled_at"] is not None:
        raise ValueError(f"user {name!r} is disabled")
    if ROLES[row["role"]].area == "kiosk":
        raise ValueError(f"{name!r} is a kiosk: kiosks do not get API tokens")
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    store.accounts.add_api_token(hash_token(token), name, _s(now))
    audit.record(store, now, by, "token.create", name)
    return token


def token_user(store: Store, token: str) -> str | None:
    """The user a personal API token belongs to (None: unknown or revoked)."""
    if not token.startswith(API_TOKEN_PREFIX):
        return None
    return store.accounts.api_token_user(hash_token(token))


MIN_ROTATE_S = 5  # faster than this, nobody can read a subdistrict before it changes


def create_kiosk(store: Store, name: str, scope: str, now: pd.Timestamp,
                 by: str | None = None, rotate_s: int | None = None) -> str:
    """A kiosk account at ``scope`` and its one-time enrolment token (valid 24 h); with
    ``rotate_s``, its wall rotates through the scope's subdistricts that often."""
    if rotate_s is not None and rotate_s < MIN_ROTATE_S:
        raise ValueError(f"bad rotation {rotate_s} s: at least {MIN_ROTATE_S} s, so a "
                         "subdistrict can be read before the next")
    create_user(store, name, "kiosk", Area.parse_kiosk(scope), password=None, now=now, by=by)
    if rotate_s is not None:
        store.accounts.update_user(name, {"rotate_s": int(rotate_s)})
    return enrolment(store, name, now)


def enrolment(store: Store, name: str, now: pd.Timestamp) -> str:
    token = ENROL_PREFIX + secrets.token_urlsafe(32)
    store.accounts.add_enrolment(hash_token(token), name, _s(now + ENROL_VALID))
    return token


def revoke_kiosk(store: Store, name: str, now: pd.Timestamp, by: str | None = None) -> None:
    row = user_row(store, name)
    if row["role"] != "kiosk":
        raise ValueError(f"{name!r} is not a kiosk (role {row['role']})")
    disable_user(store, name, now, by)


def users_table(store: Store) -> list[dict[str, Any]]:
    """Every account without its password hash (``user list``)."""
    out = []
    for row in store.accounts.users():
        area = row["subdistrict_id"] or row["neighborhood_ids"] or row["zone_ids"] or "district"
        out.append({"name": row["name"], "role": row["role"], "area": area,
                    "person": row["person_id"] or "",
                    "status": "disabled" if row["disabled_at"] is not None else "active"})
    return out


def viewer_of(store: Store, row: dict[str, Any], *, reason: str | None = None,
              session: str | None = None) -> Viewer:
    """The viewer an account is: its area expanded to subdistrict/neighborhood id sets."""
    spec = ROLES[row["role"]]
    nbhs = frozenset(filter(None, (row.get("neighborhood_ids") or "").split(";")))
    sub = row.get("subdistrict_id")
    subs: frozenset[str] | None = None
    neighborhoods: frozenset[str] | None = None
    households: frozenset[str] | None = None
    zones: frozenset[str] | None = None
    if spec.area == "subdistrict" or (spec.area == "kiosk" and sub):
        subs = frozenset([sub])
    elif spec.area == "neighborhoods" or (spec.area == "kiosk" and nbhs):
        neighborhoods = nbhs
        subs = _parents(store, nbhs)
    elif spec.area == "zones":
        zones = frozenset(filter(None, (row.get("zone_ids") or "").split(";")))
        frame = store.read_layer("patrol-zones")
        subs = frozenset(frame.loc[frame["id"].isin(zones), "subdistrict_id"].dropna())
    elif spec.area in ("district", "kiosk") and row.get("district_id"):
        subs = _district_subdistricts(store, row["district_id"])
    elif spec.area == "buddy":
        homes = store.read_records("households", where={"buddy_id": row.get("person_id") or ""})
        households = frozenset(homes["id"])
        neighborhoods = frozenset(homes["neighborhood_id"].dropna())
        subs = frozenset(homes["subdistrict_id"].dropna())
    rotate = row.get("rotate_s") if spec.area == "kiosk" else None
    return Viewer(row["name"], row["role"], row.get("person_id"), subs, neighborhoods,
                  households, reason if spec.personal == "with_reason" else None, session,
                  zones, int(rotate) if rotate else None)


def _district_subdistricts(store: Store, district: str) -> frozenset[str]:
    """The subdistricts of one district of a city: a district-wide account's scope."""
    read = getattr(store, "read_columns", None)
    frame = (read("subdistricts", ["id", "district_id"]) if read
             else store.read_layer("subdistricts"))
    return frozenset(frame.loc[frame["district_id"] == district, "id"])


def _parents(store: Store, neighborhoods: frozenset[str]) -> frozenset[str]:
    read = getattr(store, "read_columns", None)
    frame = (read("neighborhoods", ["id", "subdistrict_id"]) if read
             else store.read_layer("neighborhoods"))
    return frozenset(frame.loc[frame["id"].isin(neighborhoods), "subdistrict_id"].dropna())


def _s(at: pd.Timestamp) -> int:
    return int(pd.Timestamp(at).timestamp())
