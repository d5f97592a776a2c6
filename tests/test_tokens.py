"""Gateway tokens: created once per name, stored hashed, verified, revoked."""

from __future__ import annotations

import pytest

from tests._postgis import raw_connection
from twin_dashboard.domain.tokens import create_token, hash_token, revoke_token, verify_token
from twin_dashboard.store.base import open_store


@pytest.fixture
def store(store_url):
    s = open_store(store_url)
    yield s
    s.close()


def test_token_is_stored_hashed_and_verifies(store):
    token = create_token(store, "gw-1")
    assert token.startswith("twg_") and len(token) > 40
    conn, _ = raw_connection(store)
    rows = [tuple(r) for r in conn.execute("SELECT name, token_hash FROM gateway_tokens")]
    conn.close()
    assert rows == [("gw-1", hash_token(token))]
    assert token not in repr(rows)
    assert verify_token(store, token) == "gw-1"
    assert verify_token(store, token + "x") is None
    assert verify_token(store, "") is None
    assert verify_token(store, None) is None


def test_revoked_token_no_longer_verifies_and_name_can_be_reissued(store):
    old = create_token(store, "gw")
    with pytest.raises(ValueError, match="already has an active token"):
        create_token(store, "gw")
    revoke_token(store, "gw")
    assert verify_token(store, old) is None
    with pytest.raises(ValueError, match="no active token"):
        revoke_token(store, "gw")
    new = create_token(store, "gw")
    assert verify_token(store, new) == "gw" and verify_token(store, old) is None


@pytest.mark.parametrize("name", ["", " gw", "a/b", "x" * 65])
def test_bad_names_are_refused(store, name):
    with pytest.raises(ValueError, match="bad gateway name"):
        create_token(store, name)


def test_cli_create_and_revoke(tmp_path):
    from click.testing import CliRunner

    from twin_dashboard.cli import main

    db = f"sqlite:///{tmp_path / 'c.db'}"
    runner = CliRunner()
    created = runner.invoke(main, ["token", "create", "gw", "--db", db])
    assert created.exit_code == 0, created.output
    token = created.output.strip()
    store = open_store(db)
    assert verify_token(store, token) == "gw"
    assert runner.invoke(main, ["token", "revoke", "gw", "--db", db]).exit_code == 0
    assert verify_token(store, token) is None
    assert runner.invoke(main, ["token", "revoke", "gw", "--db", db]).exit_code == 2
