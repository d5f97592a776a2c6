"""Smart reports: period figures against the store, every PDF and XLSX figure against
GET /api/v1/summary, the API's roles and scope, the CLI and the schedule (a FixedClock)."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date, time
from io import BytesIO

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from tests._field_fixtures import T0, as_user, load_field, tokens
from twin_dashboard.app import create_app, services_of_app
from twin_dashboard.config import Settings
from twin_dashboard.domain.reports import (
    ReportRefused,
    build_report,
    change,
    narrative,
    parse_day,
    parse_scope,
    report_period,
)
from twin_dashboard.live.reports import ReportSchedule, parse_at
from twin_dashboard.store.base import Scope
from twin_dashboard.testing import FixedClock

DAY = date(2026, 3, 1)  # a Sunday; T0 is Monday 2026-03-02 10:00 in Shanghai
SOURCES = ["visit", "sensor", "hotline", "hotline", "patrol", "resident", "sensor"]


def _at(local: str) -> pd.Timestamp:
    return pd.Timestamp(local, tz="Asia/Shanghai").tz_convert("UTC")


def _incidents() -> pd.DataFrame:
    """7 incidents on 1 March (5 in yunfang, 2 in far), 3 on 28 Feb, 2 the week before."""
    rows = []
    times = ["2026-03-01 08:00", "2026-03-01 09:00", "2026-03-01 10:00", "2026-03-01 11:00",
             "2026-03-01 12:00", "2026-03-01 13:00", "2026-03-01 23:59",
             "2026-02-28 08:00", "2026-02-28 09:00", "2026-02-28 10:00",
             "2026-02-20 10:00", "2026-02-21 10:00"]
    for k, local in enumerate(times):
        far = k in (5, 6)
        rows.append({
            "id": f"inc-{k:03d}", "source": SOURCES[k % len(SOURCES)], "kind": "x",
            "title": f"事项{k}", "level": ["property", "property", "committee"][k % 3],
            "status": ["reported", "resolved", "closed", "in_progress"][k % 4],
            "reported_at": _at(local), "sla_due_at": _at(local) + pd.Timedelta(hours=10),
            "subdistrict_id": "ouyanglu" if far else "beiwaitan",
            "neighborhood_id": "far" if far else "yunfang"})
    return pd.DataFrame(rows)


def _alarms() -> pd.DataFrame:
    raised = [_at("2026-03-01 08:00"), _at("2026-03-01 09:00"), _at("2026-03-01 10:00"),
              _at("2026-02-28 10:00")]
    return pd.DataFrame({
        "id": ["a1", "a2", "a3", "a4"], "rule": ["smoke", "smoke", "gas", "smoke"],
        "severity": "critical", "status": ["acknowledged", "acknowledged", "open", "closed"],
        "raised_at": raised,
        "acked_at": [raised[0] + pd.Timedelta(minutes=10), raised[1] + pd.Timedelta(minutes=30),
                     None, raised[3] + pd.Timedelta(minutes=5)],
        "subdistrict_id": "beiwaitan", "neighborhood_id": "yunfang"})


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    db = tmp_path_factory.mktemp("reports") / "r.db"
    out = tmp_path_factory.mktemp("scheduled")
    app = create_app(Settings(db_url=f"sqlite:///{db}", simulate=False, reports_dir=out),
                     seed=False, clock=FixedClock(T0))
    services = services_of_app(app)
    store = services.store
    load_field(store)
    store.replace_records("incidents", _incidents())
    store.replace_records("alarms", _alarms())
    store.replace_records("visits", pd.DataFrame([{
        "id": "v1", "kind": "visit", "household_id": "h1", "subdistrict_id": "beiwaitan",
        "neighborhood_id": "yunfang", "started_at": _at("2026-03-01 15:00"),
        "ended_at": _at("2026-03-01 15:30"), "findings": 5, "failed": 2}]))
    keys = tokens(store)
    with TestClient(app.server, base_url="http://localhost") as client:
        yield app, services, client, keys


def _get(world, who: str, path: str, **params):
    _, _, client, keys = world
    return client.get(path, params=params, headers=as_user(keys, who))


# --- the domain ---------------------------------------------------------------------------------

def test_rep001_periods_are_local_days_and_monday_weeks():
    daily = report_period("daily", DAY, T0)
    assert daily.start == _at("2026-03-01 00:00") and daily.end == _at("2026-03-02 00:00")
    assert daily.previous_start == _at("2026-02-28 00:00") and daily.until == daily.end
    weekly = report_period("weekly", DAY, T0)
    assert weekly.first_day == date(2026, 2, 23) and weekly.last_day == DAY
    today = report_period("daily", date(2026, 3, 2), T0)
    assert today.until == T0  # a running period counts up to now
    with pytest.raises(ReportRefused, match="date: 2026-03-03 is in the future"):
        report_period("daily", date(2026, 3, 3), T0)
    with pytest.raises(ReportRefused, match="kind: 'monthly'"):
        report_period("monthly", DAY, T0)


@pytest.mark.parametrize(("text", "refusal"), [
    ("2026-02-30", "date: '2026-02-30' is not a date"), ("yesterday", "date: 'yesterday'")])
def test_rep002_a_bad_date_is_refused_naming_it(text, refusal):
    with pytest.raises(ReportRefused, match=refusal):
        parse_day(text, T0)
    assert parse_day(None, T0) == date(2026, 3, 2)


def test_rep003_scopes_parse_or_are_refused_naming_the_parameter():
    assert parse_scope("district") == (None, None)
    assert parse_scope("subdistrict:beiwaitan") == ("beiwaitan", None)
    assert parse_scope("neighborhood:yunfang") == (None, "yunfang")
    for bad in ("city", "subdistrict:", "neighborhood"):
        with pytest.raises(ReportRefused, match="scope: "):
            parse_scope(bad)


def test_rep004_period_figures_equal_direct_counts_in_the_store(world):
    _, services, _, _ = world
    store = services.store
    period = report_period("daily", DAY, T0)
    report = build_report(store, Scope(), period, T0)
    frame = store.read_records("incidents")
    times = frame["reported_at"]
    now = frame[(times >= period.start) & (times < period.end)]
    before = frame[(times >= period.previous_start) & (times < period.start)]
    assert report.received == (len(now), len(before)) == (7, 3)
    for source, (n, b) in report.by_source.items():
        assert (n, b) == ((now["source"] == source).sum(), (before["source"] == source).sum())
    assert sum(n for n, _ in report.by_level.values()) == 7
    assert sum(n for n, _ in report.by_status.values()) == 7
    # alarms raised on 1 March: a1 (10 min), a2 (30 min) acknowledged, a3 open
    assert report.alarms["raised"] == 3 and report.alarms["previous"] == 1
    assert report.alarms["acked"] == 2 and report.alarms["ack_mean_min"] == 20.0
    assert report.alarms["ack_median_min"] == 20.0
    assert report.alarms["by_rule"] == {"smoke": 2, "gas": 1}
    assert report.visits["visit"] == (1, 0) and report.visit_findings_failed == 2
    # the snapshot is the summary as it stood when the day ended
    assert report.as_of == period.end
    assert report.summary == _get(world, "boss", "/api/v1/summary",
                                  at=report.as_of.isoformat()).json()
    assert {z["zone_id"] for z in report.zones} == {"z1", "z2"}
    assert {c["name"] for c in report.chiefs} == {"p-gov", "p-com", "p-gov2", "p-com2"}
    # every open incident past its deadline, longest first, named
    late = report.sla_worst
    assert len(late) == min(5, report.summary["incidents"]["sla_breaches"])
    assert late == sorted(late, key=lambda r: -r["overdue_hours"]) and late[0]["title"]


def test_rep005_a_neighborhood_report_counts_only_its_rows(world):
    _, services, _, _ = world
    report = build_report(services.store, Scope(None, frozenset({"far"})),
                          report_period("daily", DAY, T0), T0)
    assert report.received == (2, 0) and report.place_name("zh") == "远处"
    assert report.summary == _get(world, "boss", "/api/v1/summary", neighborhood="far",
                                  at=report.as_of.isoformat()).json()


def test_rep006_the_narrative_is_written_from_the_figures_in_both_languages(world):
    _, services, _, _ = world
    report = build_report(services.store, Scope(), report_period("daily", DAY, T0), T0)
    zh, en = narrative(report, "zh"), narrative(report, "en")
    moved = change(*report.received)
    assert zh[0].startswith(f"当日共受理事件 7 起，较前一日上升 {moved:.0%}")
    assert en[0].startswith(f"7 incidents were received that day, up {moved:.0%} on the day")
    assert "已确认 2 条，平均确认用时 20 分钟" in zh[2]


# --- files: figures equal the summary -----------------------------------------------------------

def _pdf_text(body: bytes) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (Debian poppler-utils, scripts/setup --test) is not installed")
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=body, capture_output=True,
                          check=True).stdout.decode()


def _pages(body: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", body))


@pytest.mark.parametrize("kind", ["daily", "weekly"])
def test_rep007_each_pdf_shows_the_summarys_figures(world, kind):
    response = _get(world, "duty", f"/api/v1/reports/{kind}.pdf", date=DAY.isoformat())
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert f'{kind}-' in response.headers["content-disposition"]
    body = response.content
    assert 1 <= _pages(body) <= 2
    assert b"/FontFile3" in body  # the CJK font's CFF outlines are embedded
    assert body.count(b"/Subtype /Image") >= 3  # the charts
    text = _pdf_text(body)
    report = build_report(services_of_app(world[0]).store, Scope(frozenset({"beiwaitan"})),
                          report_period(kind, DAY, T0), T0)
    summary = _get(world, "duty", "/api/v1/summary", at=report.as_of.isoformat()).json()
    assert "北外滩" in text and ("日报" if kind == "daily" else "周报") in text
    tiles = re.search(r"受理事件\s+在办事件\s+超时事件\s+未处置告警\s+设备在线率\s+巡查覆盖率\s+"
                      r"(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+([\d.]+)%\s+([\d.]+)%", text)
    assert tiles, text[:600]
    assert [int(v) for v in tiles.groups()[:4]] == [
        report.received[0], summary["incidents"]["open"], summary["incidents"]["sla_breaches"],
        summary["alarms"]["open"]]
    assert float(tiles[5]) == round(summary["devices"]["online_share"] * 100, 1)
    assert float(tiles[6]) == round(summary["patrols"]["coverage_share"] * 100, 1)
    for level in ("property", "committee", "subdistrict"):
        name = {"property": "物业", "committee": "居委", "subdistrict": "街道"}[level]
        funnel = summary["incidents"]["funnel"][level]
        assert re.search(rf"{name}\s+{funnel['count']}\s+{funnel['share']:.1%}", text), level
    for source, name in (("sensor", "物联感知"), ("hotline", "热线")):
        now, before = report.by_source[source]
        assert re.search(rf"{name}\s+{now}\s+{before}\s", text), source


@pytest.mark.parametrize("kind", ["daily", "weekly"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_rep008_each_xlsx_holds_the_summarys_figures_as_numbers(world, kind, lang):
    response = _get(world, "boss", f"/api/v1/reports/{kind}.xlsx", date=DAY.isoformat(),
                    scope="subdistrict:beiwaitan", lang=lang)
    assert response.status_code == 200, response.text
    book = load_workbook(BytesIO(response.content))
    as_of = min(report_period(kind, DAY, T0).until, T0)  # the period's end, or now
    summary = _get(world, "boss", "/api/v1/summary", subdistrict="beiwaitan",
                   at=as_of.isoformat()).json()
    first = book.worksheets[0]
    values = {first.cell(r, 1).value: first.cell(r, 2).value for r in range(6, 18)}
    label = {"zh": ("在办事件", "超时事件", "未处置告警", "设备在线率", "巡查覆盖率"),
             "en": ("Open incidents", "SLA breaches", "Open alarms", "Devices online",
                    "Patrol coverage")}[lang]
    assert [values[k] for k in label] == [
        summary["incidents"]["open"], summary["incidents"]["sla_breaches"],
        summary["alarms"]["open"], summary["devices"]["online_share"],
        summary["patrols"]["coverage_share"]]
    assert len(book.sheetnames) == 9
    funnel = book.worksheets[2]
    assert [funnel.cell(r, 2).value for r in (2, 3, 4)] == [
        summary["incidents"]["funnel"][lv]["count"]
        for lv in ("property", "committee", "subdistrict")]
    incidents = book.worksheets[1]
    report = build_report(services_of_app(world[0]).store, Scope(frozenset({"beiwaitan"})),
                          report_period(kind, DAY, T0), T0)
    assert [incidents.cell(2, c).value for c in (3, 4)] == list(report.received)
    assert all(isinstance(incidents.cell(r, 3).value, int) for r in range(2, 17))


# --- the API: roles and scope -------------------------------------------------------------------

@pytest.mark.parametrize(("who", "params", "status"), [
    ("duty", {"scope": "subdistrict:ouyanglu"}, 403),
    ("duty", {"scope": "district"}, 403),
    ("cadre", {"scope": "neighborhood:far"}, 403),
    ("cadre", {"scope": "neighborhood:yunfang"}, 200),
    ("prop", {}, 200),
    ("root", {"scope": "district"}, 200),
    ("boss", {"scope": "subdistrict:nowhere"}, 404),  # names nothing (issue 12)
    ("boss", {"scope": "town:x"}, 422),
    ("boss", {"date": "2026-3-1x"}, 422),
    ("boss", {"date": "2027-01-01"}, 422),
])
def test_rep009_the_api_narrows_to_the_callers_scope(world, who, params, status):
    response = _get(world, who, "/api/v1/reports/daily.xlsx", **params)
    assert response.status_code == status, response.text
    if status in (404, 422):
        assert any(w in str(response.json()["detail"])
                   for w in ("scope", "date", "subdistrict"))


def test_rep010_a_cadres_report_is_of_their_neighborhood(world):
    response = _get(world, "cadre", "/api/v1/reports/daily.xlsx", date=DAY.isoformat())
    first = load_workbook(BytesIO(response.content)).worksheets[0]
    assert first["A1"].value == "云舫日报"
    assert first.cell(6, 2).value == 5  # the 5 incidents of yunfang on 1 March
    assert _get(world, "cadre", "/api/v1/reports/yearly.pdf").status_code == 422
    assert _get(world, "cadre", "/api/v1/reports/daily.docx").status_code == 422


# --- the command line ---------------------------------------------------------------------------

def test_rep011_the_command_writes_a_file_or_refuses_naming_why(world, tmp_path):
    from click.testing import CliRunner

    from twin_dashboard.cli import main

    db = world[1].settings.db_url
    out = tmp_path / "r.xlsx"
    runner = CliRunner()
    done = runner.invoke(main, ["report", "weekly", "--date", "2026-03-01", "--scope",
                                "neighborhood:yunfang", "--out", str(out), "--db", db])
    assert done.exit_code == 0, done.output
    sheet = load_workbook(out).worksheets[1]
    assert sheet.cell(2, 3).value == 8  # yunfang's incidents of the week 23 Feb – 1 Mar
    for args, why in ((["--out", str(tmp_path / "r.doc")], "must end in .pdf or .xlsx"),
                      (["--scope", "subdistrict:x", "--out", str(out)], "unknown subdistrict"),
                      (["--date", "1 March", "--out", str(out)], "date: '1 March'")):
        refused = runner.invoke(main, ["report", "daily", *args, "--db", db])
        assert refused.exit_code == 2 and why in refused.output, refused.output


# --- the schedule -------------------------------------------------------------------------------

def test_rep012_the_schedule_writes_yesterdays_daily_and_on_mondays_the_weekly(world,
                                                                               monkeypatch):
    _, services, _, _ = world
    made = []
    monkeypatch.setattr("twin_dashboard.live.reports.make_report",
                        lambda store, scope, kind, day, now, fmt, lang: made.append(
                            (scope, kind, day, fmt)) or (f"{kind}-{day}.{fmt}", b"x"))
    clock = FixedClock(_at("2026-03-02 06:59"))  # a Monday
    schedule = ReportSchedule(services, parse_at("07:00"), services.settings.reports_dir)
    services_clock, services.clock = services.clock, clock
    try:
        assert schedule.tick() == []
        clock.at = _at("2026-03-02 07:00")
        written = schedule.tick()
        assert sorted(p.name for p in written) == [
            "daily-2026-03-01.pdf", "daily-2026-03-01.xlsx",
            "weekly-2026-03-01.pdf", "weekly-2026-03-01.xlsx"]
        assert all(p.read_bytes() == b"x" for p in written)
        assert {m[0] for m in made} == {Scope()}
        clock.at = _at("2026-03-02 23:00")
        assert schedule.tick() == []  # once a day
        clock.at = _at("2026-03-03 07:30")
        assert [p.name for p in schedule.tick()] == ["daily-2026-03-02.pdf",
                                                     "daily-2026-03-02.xlsx"]
    finally:
        services.clock = services_clock


def test_rep013_the_schedule_thread_stops_cleanly_and_bad_times_are_refused(world):
    schedule = ReportSchedule(world[1], time(7, 0), world[1].settings.reports_dir)
    stop = schedule.start(every_s=3600)
    stop()  # returns once the thread has ended: no wait for the hour
    for bad in ("7:00", "25:00", "07:00:00", "seven"):
        with pytest.raises(ValueError, match="--schedule"):
            parse_at(bad)
