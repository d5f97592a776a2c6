"""The command line never answers with a traceback: one line on stderr and exit status 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from twin_dashboard.cli import main

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def one_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    return lines[0]


@pytest.fixture
def bad_dbs(tmp_path) -> dict[str, tuple[str, str]]:
    """URL -> (what the message must say) for every kind of --db that cannot be a store."""
    text = tmp_path / "notes.txt"
    text.write_text("hello, not a database\n")
    return {
        # nothing listens on port 1: refused at once, the URL named (no password in it)
        "postgres": ("postgresql://127.0.0.1:1/twin", "connection failed"),
        "other scheme": ("mysql://db.example/twin", "unsupported database URL"),
        "folder": (f"sqlite:///{tmp_path}", f"{tmp_path} is a folder, not a database file"),
        "text file": (f"sqlite:///{text}", "is not a SQLite database (it begins b'hello"),
        "under a file": (f"sqlite:///{text}/t.db", f"{text} is a file, not a folder"),
        "unwritable folder": ("sqlite:////proc/twin-dashboard-test.db", "cannot create"),
        "bad option": (f"sqlite:///{tmp_path}/t.db?journal=off", "unsupported SQLite URL option"),
    }


@pytest.mark.parametrize("kind", ["postgres", "other scheme", "folder", "text file",
                                  "under a file", "unwritable folder", "bad option"])
@pytest.mark.parametrize("command", [("token", "create", "gw"), ("token", "revoke", "gw"),
                                     ("export", "devices", "out.geojson"), ("seed",)],
                         ids=lambda c: " ".join(c))
def test_fail008_a_bad_db_is_one_line_and_exit_2(bad_dbs, kind, command):
    url, message = bad_dbs[kind]
    result = run(*command, "--db", url)
    assert result.exit_code == 2
    line = one_line(result)
    assert line.startswith("error: ") and message in line


def test_fail008_import_with_a_bad_db_is_one_line(bad_dbs, tmp_path):
    url, message = bad_dbs["folder"]
    source = tmp_path / "n.geojson"
    source.write_text('{"type": "FeatureCollection", "features": []}')
    result = run("import", "neighborhoods", str(source), "--db", url)
    assert result.exit_code == 2 and message in one_line(result)


@pytest.mark.parametrize("port", ["70000", "0", "-1", "http"])
def test_fail008_serve_refuses_a_port_outside_1_to_65535(port, tmp_path):
    result = run("serve", "--port", port, "--db", f"sqlite:///{tmp_path}/t.db")
    assert result.exit_code == 2
    assert "Invalid value for '--port'" in one_line(result)
    assert not (tmp_path / "t.db").exists()  # refused before anything was opened


def test_fail008_deeply_nested_geojson_is_a_named_refusal(tmp_path):
    deep = tmp_path / "deep.geojson"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    result = run("import", "neighborhoods", str(deep), "--db", f"sqlite:///{tmp_path}/t.db")
    assert result.exit_code == 2
    assert "deep.geojson: JSON nested deeper than the reader takes" in result.stderr
    assert "Traceback" not in result.output


def test_fail008_deeply_nested_properties_are_a_named_refusal(tmp_path):
    deep = tmp_path / "props.geojson"
    deep.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", '
                    '"properties": {"id": "a", "address": "x", "deep": ' + "[" * 600 + "1"
                    + "]" * 600 + '}, "geometry": {"type": "Point", '
                    '"coordinates": [121.49, 31.26]}}]}')
    result = run("import", "addresses", str(deep), "--db", f"sqlite:///{tmp_path}/t.db")
    assert result.exit_code == 2
    assert "props.geojson: values nested deeper than the importer takes" in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("args", [("serve", "--no-simulate", "--db", "sqlite:////proc"),
                                  ("serve", "--port", "70000"),
                                  ("token", "create", "gw", "--db", "postgresql://x/y")])
def test_fail008_the_installed_command_prints_one_line(args):
    """Through ``python -m twin_dashboard``, as a user runs it: stderr, status 2."""
    done = subprocess.run([sys.executable, "-m", "twin_dashboard", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith("error: ")
