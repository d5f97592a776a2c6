"""Readings ingested per second into PostGIS, beside SQLite in the same run, nothing lost.

    python bench/bench_ingest_postgis.py                  # 25,000 devices, 200,000 readings
    python bench/bench_ingest_postgis.py --http-readings 400000 --batch 5000

Two ways for each engine: in process (``Ingestor.ingest_body`` on pre-serialized batches: the
store's share of the cost) and over HTTP (a real ``twin-dashboard serve`` subprocess, as in
bench_ingest.py). PostgreSQL is a throwaway cluster started for the run (tests/_postgis.py) with
fsync and synchronous commit on, as a production server runs. Each figure counts only if every
reading is stored.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.bench_ingest import bench_http, make_readings, setup_db  # noqa: E402
from tests._postgis import Cluster  # noqa: E402
from twin_dashboard.domain.ingest import Ingestor  # noqa: E402
from twin_dashboard.store.base import open_store  # noqa: E402


def bench_in_process(db_url: str, args: argparse.Namespace) -> float:
    store = open_store(db_url)
    ingestor = Ingestor(store)
    readings = make_readings(args.http_readings, args.devices, "i")
    bodies = [orjson.dumps(readings[i:i + args.batch])
              for i in range(0, len(readings), args.batch)]
    started = time.perf_counter()
    accepted = sum(ingestor.ingest_body(body).accepted for body in bodies)
    elapsed = time.perf_counter() - started
    stored = store.count("readings")
    store.close()
    assert accepted == stored == len(readings), (accepted, stored, len(readings))
    rate = len(readings) / elapsed
    engine = db_url.split(":", 1)[0]
    print(f"in-process {engine:<10} {len(readings):>8,} readings in batches of {args.batch:,}: "
          f"{elapsed:6.2f} s  {rate:>9,.0f} readings/s  stored {stored:,} (nothing lost)")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=25_000)
    parser.add_argument("--http-readings", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=5_000)
    args = parser.parse_args()
    cluster = Cluster(durable=True)
    cluster.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            for engine in ("sqlite", "postgis"):
                for way in ("in-process", "http"):
                    (folder / engine / way / "http").mkdir(parents=True)
                    url = (f"sqlite:///{folder / engine / way / 'bench.db'}"
                           if engine == "sqlite" else cluster.new_database())
                    if way == "http":
                        bench_http(folder / engine / way, args, url)
                    else:
                        setup_db(folder, args.devices, url)
                        bench_in_process(url, args)
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
