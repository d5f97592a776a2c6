"""The ``twin-dashboard`` command line (README: command line and HTTP).

serve; data: import, export, seed, generate-demo, simulate; accounts: token, user, kiosk, audit.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime, timedelta
from pathlib import Path

import click

from twin_dashboard.config import GEODATA_DIR, Settings, default_db_url
from twin_dashboard.geo.layers import LAYER_NAMES

CRS_HELP = ("coordinates of the file: wgs84, gcj02, bd09 or EPSG:N "
            "(default: the file's own, else wgs84)")
PORT = click.IntRange(1, 65535)
db_option = click.option(
    "--db", "db_url", default=None, metavar="URL",
    help="database URL, SQLAlchemy form (default: embedded SQLite in ./data)",
)


def _open(db_url: str | None):
    from twin_dashboard.store.base import open_store

    return open_store(db_url or default_db_url())


class _Commands(click.Group):
    """Every command ends a store it cannot use, or a bad option value, with one line on
    stderr and exit status 2 — never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except click.BadParameter as err:  # raised while a subcommand parses its options
            click.echo(f"error: {err.format_message()}", err=True)
            ctx.exit(2)
        except Exception as err:
            if not _store_problem(err):
                raise
            click.echo(f"error: {err}", err=True)
            ctx.exit(2)


def _store_problem(err: Exception) -> bool:
    """A bad database URL or a store that cannot be opened or written (not a bug of ours)."""
    base = sys.modules.get("twin_dashboard.store.base")  # loaded if a store was asked for
    return base is not None and isinstance(err, base.StoreError | base.StoreUnavailable)


@click.group(cls=_Commands)
@click.version_option(package_name="twin-dashboard")
def main() -> None:
    """Digital-twin map command dashboard (一网统管) for a district's neighborhoods."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8050, show_default=True, type=PORT)
@db_option
@click.option("--no-simulate", is_flag=True, help="do not run the in-process sensor simulator")
@click.option("--mqtt", "mqtt_url", default=None, metavar="URL",
              help="also take readings from an MQTT broker: mqtt://host:port/topic")
@click.option("--max-reading-age", "max_age_days", default=7.0, show_default=True,
              metavar="DAYS", type=click.FloatRange(min=0, min_open=True),
              help="refuse readings dated more than this many days before now")
@click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="HOST",
              help="also answer requests for this Host name (repeatable; '*.example.org', "
                   "'*' for any); always: the --host address, localhost, 127.0.0.1, [::1]")
@click.option("--demo-users", is_flag=True,
              help="create one demo account per role (and a kiosk) with random passwords, "
                   "printed once; done anyway when a demo store has no accounts yet")
@click.option("--schedule", "report_at", default=None, metavar="HH:MM",
              help="write the district's daily report (and on Mondays the weekly) as PDF and "
                   "XLSX into <data folder>/reports at this time every day")
@click.option("--bus", "bus_url", default=None, metavar="URL",
              help="share live events between workers and servers through Redis: "
                   "redis://HOST:PORT/N (default: in process)")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="server processes; more than 1 needs --bus and a PostgreSQL --db")
@click.option("--test-hooks", is_flag=True, hidden=True,
              help="pages expose window.twinMap / window.twinLive (browser tests, benchmarks)")
def serve(host: str, port: int, db_url: str | None, no_simulate: bool,
          mqtt_url: str | None, max_age_days: float, allowed_hosts: tuple[str, ...],
          demo_users: bool, report_at: str | None, bus_url: str | None, workers: int,
          test_hooks: bool) -> None:
    """Serve the dashboard, its API and health endpoint."""
    from twin_dashboard.app import run
    from twin_dashboard.live.bus import BusUnavailable
    from twin_dashboard.live.reports import parse_at
    from twin_dashboard.store.lock import StoreLocked, server_lock

    settings = Settings(db_url=db_url or default_db_url(), simulate=not no_simulate,
                        host=host, port=port, mqtt_url=mqtt_url,
                        max_reading_age=timedelta(days=max_age_days), test_hooks=test_hooks,
                        allowed_hosts=allowed_hosts, demo_users=demo_users,
                        report_at=report_at, bus_url=bus_url, workers=workers)
    _check_workers(settings)
    if report_at:
        try:
            parse_at(report_at)
        except ValueError as err:
            raise click.BadParameter(str(err)) from None
    since = datetime.now().astimezone().isoformat(timespec="seconds")
    try:
        with server_lock(settings.db_url, f"pid {os.getpid()}, http://{host}:{port}, "
                                          f"since {since}"):
            run(settings)
    except (StoreLocked, BusUnavailable) as err:
        click.echo(f"serve refused: {err}", err=True)
        sys.exit(2)


def _check_workers(settings: Settings) -> None:
    """Several workers need a bus between them and a store all of them can write."""
    if settings.workers > 1 and not settings.bus_url:
        raise click.BadParameter(f"--workers {settings.workers} needs --bus redis://HOST:PORT/N:"
                                 " without it each worker's screens see only its own changes")
    if settings.workers > 1 and not settings.db_url.startswith(("postgresql:", "postgres:")):
        raise click.BadParameter(f"--workers {settings.workers} needs a PostgreSQL --db "
                                 "(postgresql://USER@HOST:PORT/DB): one SQLite file takes one "
                                 "server")


@main.command("import")
@click.argument("layer", type=click.Choice(LAYER_NAMES))
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--crs", default=None, help=CRS_HELP)
@click.option("--drop-outside", is_flag=True,
              help="import the features inside the district and list those dropped")
@click.option("--encoding", default=None, metavar="CODEC",
              help="text encoding of the file, e.g. gb18030 or utf-8 (default: what the file "
                   "declares; a shapefile without .cpg: UTF-8 if it decodes, else GB18030)")
@click.option("--district", "district_id", default=None, metavar="ID",
              help="replace only this district's part of LAYER (a city of several districts); "
                   "for the district layer, the file's one boundary becomes district ID")
@db_option
def import_(layer: str, path: Path, crs: str | None, drop_outside: bool, encoding: str | None,
            district_id: str | None, db_url: str | None) -> None:
    """Replace LAYER (or one district's part of it) with the features of PATH, all or
    nothing."""
    from twin_dashboard.geo.importer import ImportRefused, prepare_import

    store = _open(db_url)
    try:
        district = None if layer == "district" else store.read_layer("district")
        prepared = prepare_import(layer, path, crs=crs, district=district,
                                  drop_outside=drop_outside, progress=True, encoding=encoding,
                                  district_id=district_id)
        count = store.replace_layer(layer, prepared.frame, district=district_id)
        from twin_dashboard.domain import audit as trail

        trail.record(store, _now(), _by(), "import", layer, detail=f"{count} features from {path}")
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
@click.option("--devices", type=click.IntRange(25), default=None, metavar="N",
              help="about N devices over the 25 neighborhoods (default: ~25k)")
@click.option("--districts", default=1, show_default=True, type=click.IntRange(1, 40),
              help="a demo city: the district copied N times side by side (benchmarks)")
def generate_demo(out_dir: Path, devices: int | None, districts: int) -> None:
    """Regenerate the demo district in OUT_DIR (deterministic, byte for byte)."""
    from twin_dashboard.geo.demo import generate, generate_city

    counts = (generate(out_dir, devices=devices) if districts == 1
              else generate_city(out_dir, districts, devices=devices))
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


def _refuse(what: str, err: Exception) -> None:
    click.echo(f"{what} refused: {err}", err=True)
    sys.exit(2)


def _now():
    from twin_dashboard.domain.time import utc_now

    return utc_now()


def _by() -> str:
    """Who changes accounts from the command line, for the audit."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _new_password(from_stdin: bool) -> str:
    """A password from stdin (one line) or typed twice, hidden; never echoed or logged."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("password", hide_input=True, confirmation_prompt=True)


@main.group()
def user() -> None:
    """Accounts of people who sign in (roles in README: Users and roles)."""


@user.command("create")
@click.argument("name")
@click.option("--role", required=True, help="commander, officer, cadre, property, road_chief, "
              "buddy or admin")
@click.option("--subdistrict", default=None, metavar="ID", help="an officer's subdistrict")
@click.option("--neighborhood", "neighborhoods", multiple=True, metavar="ID",
              help="a cadre's or property manager's neighborhood (repeat for more)")
@click.option("--zone", "zones", multiple=True, metavar="ID",
              help="a road chief's patrol zone (repeat for more)")
@click.option("--person", default=None, metavar="ID", help="the person (people.id) it is")
@click.option("--district", default=None, metavar="ID",
              help="a commander's or admin's one district of a city (default: all of it)")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
@db_option
def user_create(name: str, role: str, subdistrict: str | None, neighborhoods: tuple[str, ...],
                zones: tuple[str, ...], person: str | None, district: str | None,
                password_stdin: bool, db_url: str | None) -> None:
    """Create account NAME with a role, an area and a password."""
    from twin_dashboard.domain.accounts import Area, check_area, create_user
    from twin_dashboard.domain.roles import ROLES

    if role == "kiosk" or role not in ROLES:
        _refuse("user", ValueError(f"unknown role {role!r}: one of "
                                   f"{', '.join(r for r in ROLES if r != 'kiosk')} "
                                   "(kiosks: `twin-dashboard kiosk create`)"))
    store = _open(db_url)
    try:
        area = Area(subdistrict, neighborhoods, zones, district)
        check_area(store, ROLES[role].area, area, person)  # refuse before asking a password
        password = _new_password(password_stdin)
        create_user(store, name, role, area, person_id=person, password=password,
                    now=_now(), by=_by())
    except ValueError as err:
        _refuse("user", err)
    finally:
        store.close()
    click.echo(f"created {name} ({role})")


@user.command("disable")
@click.argument("name")
@db_option
def user_disable(name: str, db_url: str | None) -> None:
    """Disable NAME: its sessions and tokens end at once."""
    from twin_dashboard.domain.accounts import disable_user

    store = _open(db_url)
    try:
        disable_user(store, name, _now(), _by())
    except ValueError as err:
        _refuse("disable", err)
    finally:
        store.close()
    click.echo(f"disabled {name}")


@user.command("list")
@db_option
def user_list(db_url: str | None) -> None:
    """Every account: name, role, area, person, status (never a password)."""
    from twin_dashboard.domain.accounts import users_table

    store = _open(db_url)
    try:
        rows = users_table(store)
    finally:
        store.close()
    for row in rows:
        click.echo(f"{row['name']:<20} {row['role']:<11} {row['area']:<30} "
                   f"{row['person']:<10} {row['status']}")


@user.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
@db_option
def user_password(name: str, password_stdin: bool, db_url: str | None) -> None:
    """Set NAME's password; its open sessions end."""
    from twin_dashboard.domain.accounts import set_password, user_row

    store = _open(db_url)
    try:
        user_row(store, name)
        set_password(store, name, _new_password(password_stdin), _now(), _by())
    except ValueError as err:
        _refuse("password", err)
    finally:
        store.close()
    click.echo(f"password of {name} changed")


@user.command("token")
@click.argument("name")
@db_option
def user_token(name: str, db_url: str | None) -> None:
    """Print a personal API token for NAME (Authorization: Bearer); only its hash is kept."""
    from twin_dashboard.domain.accounts import issue_api_token

    store = _open(db_url)
    try:
        click.echo(issue_api_token(store, name, _now(), _by()))
    except ValueError as err:
        _refuse("token", err)
    finally:
        store.close()


@main.group()
def kiosk() -> None:
    """Walls that show one scope, read-only, without personal data."""


@kiosk.command("create")
@click.argument("name")
@click.option("--scope", "scope", required=True,
              help="district, subdistrict:ID or neighborhood:ID")
@click.option("--base-url", default="http://127.0.0.1:8050", show_default=True,
              help="where the wall's browser reaches the server")
@click.option("--rotate", "rotate_s", type=click.IntRange(min=1), default=None,
              help="rotate the wall through its subdistricts every SECONDS (at least 5)")
@db_option
def kiosk_create(name: str, scope: str, base_url: str, rotate_s: int | None,
                 db_url: str | None) -> None:
    """Create kiosk NAME and print its one-time enrolment URL (valid 24 h)."""
    from twin_dashboard.domain.accounts import create_kiosk

    store = _open(db_url)
    try:
        token = create_kiosk(store, name, scope, _now(), _by(), rotate_s)
    except ValueError as err:
        _refuse("kiosk", err)
    finally:
        store.close()
    click.echo(f"{base_url.rstrip('/')}/kiosk/enrol/{token}")


@kiosk.command("revoke")
@click.argument("name")
@db_option
def kiosk_revoke(name: str, db_url: str | None) -> None:
    """Revoke kiosk NAME: its wall is signed out at once."""
    from twin_dashboard.domain.accounts import revoke_kiosk

    store = _open(db_url)
    try:
        revoke_kiosk(store, name, _now(), _by())
    except ValueError as err:
        _refuse("kiosk revoke", err)
    finally:
        store.close()
    click.echo(f"revoked {name}")


@main.command()
@click.option("--since", default=None, metavar="ISO", help="entries from this time on")
@click.option("--actor", default=None, metavar="NAME", help="entries of this user only")
@click.option("--format", "fmt", default="jsonl", show_default=True,
              type=click.Choice(["jsonl", "csv"]))
@db_option
def audit(since: str | None, actor: str | None, fmt: str, db_url: str | None) -> None:
    """Print the audit trail: sign-ins, personal data views, actions, account changes."""
    import pandas as pd

    from twin_dashboard.domain import audit as trail

    try:
        at = pd.Timestamp(since) if since else None
    except ValueError:
        _refuse("audit", ValueError(f"bad --since {since!r}: give an ISO 8601 time"))
    if at is not None and at.tzinfo is None:
        at = at.tz_localize("UTC")
    store = _open(db_url)
    try:
        rows = trail.entries(store, at, actor)
    finally:
        store.close()
    click.echo(trail.as_jsonl(rows) if fmt == "jsonl" else trail.as_csv(rows), nl=False)


@main.command()
@click.argument("kind", type=click.Choice(["daily", "weekly"]))
@click.option("--date", "day", default=None, metavar="YYYY-MM-DD",
              help="the day (weekly: the Monday-Sunday week holding it; default: today)")
@click.option("--scope", default="district", show_default=True,
              help="district, subdistrict:ID or neighborhood:ID")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="the file to write: .pdf or .xlsx")
@click.option("--lang", default="zh", show_default=True, type=click.Choice(["zh", "en"]))
@db_option
def report(kind: str, day: str | None, scope: str, out: Path, lang: str,
           db_url: str | None) -> None:
    """Write the daily or weekly report of a scope as PDF or XLSX."""
    from twin_dashboard.domain.reports import ReportRefused, parse_day, parse_scope, read_places
    from twin_dashboard.domain.time import utc_now
    from twin_dashboard.live.reports import make_report
    from twin_dashboard.store.base import Scope
    from twin_dashboard.views.report_charts import ChartsUnavailable
    from twin_dashboard.views.report_pdf import FontMissing

    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("pdf", "xlsx"):
        _refuse("report", ValueError(f"--out: {out.name!r} must end in .pdf or .xlsx"))
    store = _open(db_url)
    try:
        now = utc_now()
        subdistrict, neighborhood = parse_scope(scope)
        read_places(store).checked(subdistrict, neighborhood)
        _, body = make_report(store, Scope.of(subdistrict, neighborhood), kind,
                              parse_day(day, now), now, fmt, lang)
    except (ReportRefused, FontMissing, ChartsUnavailable) as err:
        _refuse("report", err)
    except ValueError as err:  # an unknown place id
        _refuse("report", ValueError(f"scope: {err}"))
    finally:
        store.close()
    out.write_bytes(body)
    click.echo(f"wrote {out} ({len(body):,} bytes)")


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
