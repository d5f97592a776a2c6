"""Issue 11 part 2: live events cross workers through Redis (``serve --bus``, ``--workers N``).

Real servers on one PostGIS database (tests/_postgis.py) and one Redis (tests/_redis.py): an
alarm raised by a reading posted to one server reaches a screen connected to the other, and a
browser that reconnects to the other server with its ``Last-Event-ID`` catches up there.
"""

from __future__ import annotations

import time

import httpx
import pytest
from click.testing import CliRunner

from tests.test_live_api import Server, Stream, make_district
from twin_dashboard.cli import main
from twin_dashboard.testing import free_port, wait_until

WAIT_S = 3.0  # the bus adds a Redis round trip to the in-process budget (2 s)

pytestmark = pytest.mark.slow  # real `twin-dashboard serve` processes


@pytest.fixture
def shared(tmp_path, postgis_cluster, redis_url):
    """A district on a fresh PostGIS database, and an empty Redis database."""
    db_url = postgis_cluster.new_database()
    yield make_district(tmp_path, db_url), redis_url
    postgis_cluster.drop_database(db_url)


def test_wrk001_an_alarm_posted_to_one_server_reaches_a_screen_on_the_other(shared):
    (db_url, token, people), bus = shared
    one = Server(db_url, token, people, "--bus", bus)
    two = Server(db_url, token, people, "--bus", bus)
    watching = Stream(two)
    try:
        hello = watching.first()
        one.post("h1-smoke", event="smoke")
        alarm = watching.next_with("alarms", wait=WAIT_S)
        assert alarm is not None, "the alarm raised on server one never reached server two"
        (raised,) = alarm["alarms"]
        assert (raised["rule"], raised["device_id"]) == ("smoke", "h1-smoke")
        assert alarm["states"] == {"h1-smoke": "alarm"} and alarm["seq"] > hello["seq"]
        boot = alarm["_id"].partition("-")[0]
        assert one.status()["boot"] == two.status()["boot"] == boot  # one numbering for both

        # A person acts on server two: a screen on server one hears of it.
        on_one = Stream(one)
        on_one.first()
        ack = httpx.post(f"{two.url}/api/v1/alarms/{raised['id']}/ack",
                         headers=two.auth("p-cadre"))
        assert ack.status_code == 200, ack.text
        acted = on_one.next_with("updates", wait=WAIT_S)
        assert acted is not None and [(u["id"], u["status"]) for u in acted["updates"]] == [
            (raised["id"], "acknowledged")]
        on_one.close()

        # The browser on server two goes away; a reading arrives meanwhile (on server one);
        # it comes back to server one with the last id server two sent it and catches up.
        seen = watching.ids[-1]
        watching.close()
        one.post("mh-1", event="fault")
        wait_until(lambda: two.status()["seq"] > acted["seq"], timeout=WAIT_S)
        back = Stream(one, last_id=seen)
        caught = back.first()
        back.close()
        assert not caught.get("reset"), caught
        assert caught["states"].get("mh-1") == "fault" and caught["seq"] > alarm["seq"]
        stale = Stream(two, last_id=f"{boot}x-1")  # not an id of this bus: reload
        first = stale.first()
        stale.close()
        assert first.get("reset") is True
    finally:
        watching.close()
        one.stop()
        two.stop()


def test_wrk002_serve_workers_2_shares_events_between_its_workers(shared):
    (db_url, token, people), bus = shared
    server = Server(db_url, token, people, "--bus", bus, "--workers", "2")
    streams = [Stream(server) for _ in range(6)]  # spread over both workers by the kernel
    try:
        for stream in streams:
            stream.first()
        started = time.monotonic()
        server.post("h1-gas", event="gas")
        got = [stream.next_with("alarms", wait=WAIT_S) for stream in streams]
        assert all(g is not None and g["alarms"][0]["device_id"] == "h1-gas" for g in got), got
        assert time.monotonic() - started < WAIT_S
        assert len({g["_id"] for g in got}) == 1  # the same event, the same id, everywhere
        import redis

        with redis.Redis.from_url(bus) as client:  # one worker holds the once-only jobs
            assert client.get("twin:live:leader") is not None
    finally:
        for stream in streams:
            stream.close()
        server.stop()


@pytest.mark.parametrize(("options", "says"), [
    (["--workers", "2"], "needs --bus"),
    (["--workers", "2", "--bus", "redis://127.0.0.1:1/0"], "needs a PostgreSQL --db"),
])
def test_wrk003_serve_refuses_workers_without_a_bus_or_a_shared_store(tmp_path, options, says):
    result = CliRunner().invoke(main, ["serve", "--db", f"sqlite:///{tmp_path}/x.db",
                                       *options])
    assert result.exit_code == 2 and says in result.output, result.output


def test_wrk004_serve_refuses_a_bus_it_cannot_reach(tmp_path):
    result = CliRunner().invoke(main, [
        "serve", "--no-simulate", "--db", f"sqlite:///{tmp_path}/x.db", "--port",
        str(free_port()), "--bus", f"redis://127.0.0.1:{free_port()}/0"])
    assert result.exit_code == 2, result.output
    assert "serve refused: cannot use the bus at redis://127.0.0.1" in result.output
