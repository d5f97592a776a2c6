"""Gateway tokens for POST /api/v1/readings: issued and revoked by command, stored hashed.

A token is 32 random bytes (url-safe), so one SHA-256 is enough to store it safely: there is
nothing to brute-force that a slow hash would protect. Checks compare digests in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from twin_dashboard.domain.time import utc_now
from twin_dashboard.store.base import Store, StoreError

TOKEN_PREFIX = "twg_"  # makes a leaked token easy to recognise (secret scanners, logs)
TOKEN_BYTES = 32
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def hash_token(token: str) -> str:
    """The stored form of a token: hex SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(store: Store, name: str) -> str:
    """Issue a token for gateway ``name`` and return it; only its hash is stored.

    Raises
    ------
    ValueError
        When ``name`` is not 1–64 letters, digits, ``_ . -``, or already has an active token.
    """
    if not _NAME.match(name):
        raise ValueError(f"bad gateway name {name!r}: use 1-64 letters, digits, '_', '.', '-'")
    token = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    try:
        store.save_token(name, hash_token(token), utc_now())
    except StoreError as err:
        raise ValueError(str(err)) from None
    return token


def revoke_token(store: Store, name: str) -> None:
    """Revoke gateway ``name``'s token; ``ValueError`` when it has no active one."""
    if not store.revoke_token_hash(name, utc_now()):
        raise ValueError(f"gateway {name!r} has no active token")


def verify_token(store: Store, token: str | None) -> str | None:
    """The gateway name ``token`` belongs to, or None (missing, unknown or revoked).

    Every active hash is compared, each in constant time, so timing does not tell which
    names exist or how much of a hash matched.
    """
    if not token:
        return None
    digest = hash_token(token)
    found = None
    for name, stored in store.active_token_hashes().items():
        if hmac.compare_digest(digest, stored):
            found = name
    return found
