"""The ``twin-dashboard`` command line (README: command line and HTTP): serve, import, export, token, simulate."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from twin_dashboard.config import GEODATA_DIR, Settings, default_db_url
from twin_dashboard.geo.layers import LAYER_NAMES

CRS_HELP = ("coordinates of the file: wgs84, gcj02, bd09 or EPSG:N "
            "(default: the file's own, else wgs84)")
db_option = click.option(
    "--db", "db_url", default=None, metavar="URL",
    help="database URL, SQLAlchemy form (default: embedded SQLite in ./data)",
)


def _open(db_url: str | None):
    from twin_dashboard.store.base import open_store

    return open_store(db_url or default_db_url())


@click.group()
@click.version_option(package_name="twin-dashboard")
def main() -> None:
    """Digital-twin map command dashboard (一网统管) for a district's neighborhoods."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8050, show_default=True, type=int)
@db_option
@click.option("--no-simulate", is_flag=True, help="do not run the in-process sensor simulator")
@click.option("--mqtt", "mqtt_url", default=None, metavar="URL",
              help="also take readings from an MQTT broker: mqtt://host:port/topic")
def serve(host: str, port: int, db_url: str | None, no_simulate: bool,
          mqtt_url: str | None) -> None:
    """Serve the dashboard, its API and health endpoint."""
    from twin_dashboard.app import run

    run(Settings(db_url=db_url or default_db_url(), simulate=not no_simulate,
                 host=host, port=port, mqtt_url=mqtt_url))


@main.command("import")
@click.argument("layer", type=click.Choice(LAYER_NAMES))
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--crs", default=None, help=CRS_HELP)
@click.option("--drop-outside", is_flag=True,
              help="import the features inside the district and list those dropped")
@db_option
def import_(layer: str, path: Path, crs: str | None, drop_outside: bool,
            db_url: str | None) -> None:
    """Replace LAYER with the features of PATH, all or nothing."""
    from twin_dashboard.geo.importer import ImportRefused, prepare_import

    store = _open(db_url)
    try:
        district = None if layer == "district" else store.read_layer("district")
        prepared = prepare_import(layer, path, crs=crs, district=district,
                                  drop_outside=drop_outside, progress=True)
        count = store.replace_layer(layer, prepared.frame)
    except (ImportRefused, ValueError) as err:
        click.echo(f"import refused: {err}", err=True)
        sys.exit(2)
    finally:
        store.close()
    for line in prepared.notes:
        click.echo(line, err=True)
    click.echo(f"imported {count} features into {layer}")


@main.command()
@click.argument("layer", type=click.Choice(LAYER_NAMES))
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--crs", default="wgs84", show_default=True,
              type=click.Choice(["wgs84", "gcj02"]))
@db_option
def export(layer: str, path: Path, crs: str, db_url: str | None) -> None:
    """Write LAYER to PATH as GeoJSON (or GeoPackage for .gpkg)."""
    from twin_dashboard.geo.export import export_layer

    store = _open(db_url)
    try:
        frame = store.read_layer(layer)
    finally:
        store.close()
    try:
        export_layer(frame, path, crs=crs)
    except ValueError as err:
        click.echo(f"export failed: {err}", err=True)
        sys.exit(2)
    click.echo(f"exported {len(frame)} features of {layer} to {path}")


@main.command("generate-demo")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path),
                default=GEODATA_DIR)
def generate_demo(out_dir: Path) -> None:
    """Regenerate the demo district in OUT_DIR (deterministic, byte for byte)."""
    from twin_dashboard.geo.demo import generate

    counts = generate(out_dir)
    for name, n in counts.items():
        click.echo(f"{name:24s} {n:>8d}")


@main.command()
@db_option
@click.option("--geodata", "geodata_dir", type=click.Path(file_okay=False, path_type=Path),
              default=GEODATA_DIR, show_default=True)
def seed(db_url: str | None, geodata_dir: Path) -> None:
    """Load the demo district from geodata/ into the store (replacing what is there)."""
    from twin_dashboard.seed import seed_store

    store = _open(db_url)
    try:
        report = seed_store(store, geodata_dir, progress=True)
    finally:
        store.close()
    click.echo(report)


@main.group()
def token() -> None:
    """Gateway tokens for POST /api/v1/readings."""


@token.command("create")
@click.argument("name")
@db_option
def token_create(name: str, db_url: str | None) -> None:
    """Print a new token for gateway NAME (only its hash is stored)."""
    from twin_dashboard.domain.tokens import create_token

    store = _open(db_url)
    try:
        click.echo(create_token(store, name))
    except ValueError as err:
        click.echo(f"token refused: {err}", err=True)
        sys.exit(2)
    finally:
        store.close()


@token.command("revoke")
@click.argument("name")
@db_option
def token_revoke(name: str, db_url: str | None) -> None:
    """Revoke gateway NAME's token."""
    from twin_dashboard.domain.tokens import revoke_token

    store = _open(db_url)
    try:
        revoke_token(store, name)
    except ValueError as err:
        click.echo(f"token revoke failed: {err}", err=True)
        sys.exit(2)
    finally:
        store.close()
    click.echo(f"revoked {name}")


@main.command()
@click.option("--url", required=True, help="the server's base URL, e.g. http://127.0.0.1:8050")
@click.option("--rate", default=50.0, show_default=True, help="readings per second")
@click.option("--token", "token_value", envvar="TWIN_GATEWAY_TOKEN", required=True,
              help="gateway token (or $TWIN_GATEWAY_TOKEN)")
@click.option("--read-token", envvar="TWIN_API_TOKEN", required=True,
              help="a person's API token to read the device list (`user token`; or "
                   "$TWIN_API_TOKEN)")
def simulate(url: str, rate: float, token_value: str, read_token: str) -> None:
    """A sensor gateway that posts realistic readings to URL."""
    from twin_dashboard.live.simulate import run_gateway

    run_gateway(url, rate=rate, token=token_value, read_token=read_token)


if __name__ == "__main__":
    main()
