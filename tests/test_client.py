"""What the asset scripts are told by the page (layouts/client.py): ids.py is the one home of
every element id they use (the scripts name none of them), and the test hooks are the server's
choice, off unless ``serve --test-hooks``."""

from __future__ import annotations

import re

import dash
import pytest
from click.testing import CliRunner

from twin_dashboard.app import create_app, services_of_app
from twin_dashboard.callbacks import register_all
from twin_dashboard.callbacks.pages import screen_page
from twin_dashboard.cli import main
from twin_dashboard.config import ASSETS_DIR, Settings
from twin_dashboard.domain.access import Viewer
from twin_dashboard.domain.places import Places
from twin_dashboard.layouts import client, ids, screens
from twin_dashboard.testing import serve_command

SCRIPTS = ("twin_map.js", "live.js")  # the scripts that talk to elements
ID_VALUES: dict[str, str] = {name: value for name, value in vars(ids).items()
                             if name.isupper() and isinstance(value, str)}


def _script(name: str) -> str:
    return (ASSETS_DIR / name).read_text(encoding="utf-8")


def test_js001_config_ids_are_the_constants_of_ids_py() -> None:
    config = client.client_config()
    assert config["ids"] == client.JS_IDS
    assert set(config["ids"].values()) <= set(ID_VALUES.values())
    assert config["ids"]["map"] == ids.TWIN_MAP and config["ids"]["event"] == ids.LIVE_EVENT


@pytest.mark.parametrize("script", SCRIPTS)
def test_js002_scripts_use_only_ids_they_are_given(script: str) -> None:
    used = set(re.findall(r"\bstate\.ids\.(\w+)", _script(script)))
    assert used and used <= set(client.JS_IDS)


@pytest.mark.parametrize("script", sorted(p.name for p in ASSETS_DIR.glob("*.js")))
def test_js003_scripts_hard_code_no_id_of_ids_py(script: str) -> None:
    text = _script(script)
    found = [name for name, value in ID_VALUES.items()  # as a string, or a CSS #selector
             if re.search(rf"""(["'`]){re.escape(value)}\1|#{re.escape(value)}(?![\w-])""", text)]
    assert found == []


def test_js004_every_page_carries_the_config_and_the_scripts_read_it() -> None:
    places = Places({"s1": "S"}, {"n1": "N"}, {"n1": "s1"})
    for screen in ("wall", "desk", "tablet"):
        page = screens.build(screen, lang="zh", places=places, selection={})
        stores = [c for c in page.children if getattr(c, "id", None) == ids.CLIENT_CONFIG]
        assert [s.data for s in stores] == [client.client_config()]
    app = dash.Dash(__name__, suppress_callback_exceptions=True)
    register_all(app, None)  # type: ignore[arg-type]  # registering reads no services
    readers = {c["output"] for c in app._callback_list
               if {"id": ids.CLIENT_CONFIG, "property": "data"} in c["state"]}
    assert readers == {f"{ids.TWIN_MAP}.data-scope", f"{ids.STALE_BANNER}.data-stream",
                       f"{ids.REPLAY_BAR}.data-scope"}


def _client_config(page) -> dict:
    return next(c.data for c in page.children if getattr(c, "id", None) == ids.CLIENT_CONFIG)


@pytest.mark.parametrize("hooks", [False, True])
def test_js005_test_hooks_are_the_servers_choice_and_off_by_default(tmp_path, hooks) -> None:
    assert Settings().test_hooks is False
    app = create_app(Settings(db_url=f"sqlite:///{tmp_path}/h.db", simulate=False,
                              test_hooks=hooks), seed=False)
    services = services_of_app(app)
    try:
        page = screen_page(services, Viewer("boss", "commander"), "desk")
        assert _client_config(page)["test_hooks"] is hooks
    finally:
        services.close()


def test_js006_serve_test_hooks_is_a_hidden_flag(monkeypatch, tmp_path) -> None:
    import twin_dashboard.app

    ran: list[Settings] = []
    monkeypatch.setattr(twin_dashboard.app, "run", ran.append)
    runner = CliRunner()
    assert "--test-hooks" not in runner.invoke(main, ["serve", "--help"]).output
    db = f"sqlite:///{tmp_path / 'hooks.db'}"
    assert runner.invoke(main, ["serve", "--test-hooks", "--db", db]).exit_code == 0
    assert runner.invoke(main, ["serve", "--db", db]).exit_code == 0
    assert [s.test_hooks for s in ran] == [True, False]
    assert "--test-hooks" in serve_command("sqlite://", 1, test_hooks=True)
    assert "--test-hooks" not in serve_command("sqlite://", 1)
