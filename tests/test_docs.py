"""Every command, option, layer and route is documented in the README (datasette's test_docs)."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from twin_dashboard.cli import main
from twin_dashboard.geo.layers import LAYER_NAMES

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        full = f"{prefix}{name}"
        found.append((full, command))
        if isinstance(command, click.Group):
            found.extend(_commands(command, f"{full} "))
    return found


@pytest.mark.parametrize("name,command", _commands(main), ids=lambda v: str(v))
def test_doc001_every_command_and_option_is_in_the_readme(name, command):
    assert f"twin-dashboard {name}" in README, f"command {name!r} is not documented"
    for param in command.params:
        for opt in getattr(param, "opts", []):
            if opt.startswith("--") and opt != "--help":
                assert opt in README, f"option {opt} of {name!r} is not documented"


@pytest.mark.parametrize("layer", LAYER_NAMES)
def test_doc002_every_layer_is_in_the_readme(layer):
    assert f"`{layer}`" in README


def test_doc003_every_api_route_is_in_the_readme(tmp_path):
    from twin_dashboard.app import create_app
    from twin_dashboard.config import Settings

    app = create_app(Settings(db_url=f"sqlite:///{tmp_path}/t.db", simulate=False), seed=False)
    # FastAPI keeps included routers as entries without a path: read the OpenAPI paths.
    paths = set(app.server.openapi()["paths"]) | {"/healthz", "/api/v1/openapi.json"}
    ours = {p for p in paths if p.startswith(("/api/", "/healthz"))}
    assert {"/api/v1/summary", "/api/v1/readings", "/api/v1/layers/{layer}"} <= ours
    for path in ours:
        assert path in README, f"route {path} is not documented"


PACKAGE = Path(__file__).parent.parent / "twin_dashboard"
ARCHITECTURE = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("part", sorted(
    p.name + ("/" if p.is_dir() else "") for p in PACKAGE.iterdir()
    if (p.is_dir() and (p / "__init__.py").exists())
    or (p.suffix == ".py" and p.stem not in ("__init__", "__main__", "testing"))))
def test_doc005_the_layout_of_the_code_names_every_folder_and_module(part):
    """The README's "Layout of the code" and docs/architecture.md follow the folders."""
    layout = README[README.index("## Layout of the code"):]
    assert f"`{part}" in layout, f"{part} is missing from the README's layout of the code"
    assert part.rstrip("/").removesuffix(".py") in ARCHITECTURE, f"{part}: docs/architecture.md"


def test_doc006_every_setting_is_in_the_readme():
    """Each field of Settings (config.py) is named in the README's settings table."""
    import dataclasses

    from twin_dashboard.config import Settings

    for setting in dataclasses.fields(Settings):
        assert f"`{setting.name}`" in README, f"setting {setting.name} is not documented"
