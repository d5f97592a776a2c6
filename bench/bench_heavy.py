"""Bench heavy unauthenticated reads: /healthz latency and server memory under parallel layer reads.

    python bench/bench_heavy.py [--db sqlite:////path.db] [--clients 40] [--rounds 1]
                                [--layer devices] [--source DIR]

Starts ``twin-dashboard serve`` on loopback (an empty ``--db``, the default, is seeded from
geodata/ first: 25k devices), then has ``--clients`` threads each read the whole layer
``--rounds`` times — following ``next`` links when the server pages, waiting ``Retry-After``
when it answers 503 — while one thread asks ``/healthz`` every 50 ms. Prints /healthz p50/p95/max,
the server's resident memory (peak of samples every 50 ms, and the kernel's high-water mark),
how long the clients took and how often they were told to come back.

``--source DIR`` runs the server from another checkout (e.g. ``git archive`` of an older
commit) to compare before and after.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from twin_dashboard.testing import free_port, serve_command, wait_healthy

HEALTH_EVERY_S = 0.05
HEALTH_TIMEOUT_S = 60.0


def proc_status(pid: int, field: str) -> float:
    """A memory figure of /proc/<pid>/status in MB (VmRSS, VmHWM); NaN once it exited."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def quantile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def read_layer(client: httpx.Client, url: str, stats: dict[str, int]) -> int:
    """Every feature of the layer at ``url``, page by page; returns how many."""
    features, next_url = 0, url
    while next_url:
        response = client.get(next_url)
        if response.status_code == 503:
            stats["busy"] += 1
            time.sleep(float(response.headers.get("Retry-After", "1")))
            continue
        response.raise_for_status()
        stats["requests"] += 1
        stats["bytes"] += len(response.content)
        body = response.json()
        features += len(body["features"])
        next_url = next((link["href"] for link in body.get("links", [])
                         if link.get("rel") == "next"), None)
    return features


def clients(base: str, layer: str, count: int, rounds: int) -> tuple[float, dict[str, int]]:
    stats = {"requests": 0, "busy": 0, "bytes": 0, "features": 0, "errors": 0}
    lock = threading.Lock()

    def one() -> None:
        with httpx.Client(timeout=300) as client:
            for _ in range(rounds):
                try:
                    local = {"requests": 0, "busy": 0, "bytes": 0}
                    got = read_layer(client, f"{base}/api/v1/layers/{layer}", local)
                    local["features"] = got
                except httpx.HTTPError:
                    local = {"errors": 1}
                with lock:
                    for key, value in local.items():
                        stats[key] += value

    started = time.monotonic()
    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - started, stats


def watch(base: str, pid: int, done: threading.Event) -> tuple[list[float], list[float], int]:
    """/healthz latencies (ms), RSS samples (MB) and health failures until ``done``."""
    latencies, rss, failures = [], [], 0

    def sample_rss() -> None:
        while not done.is_set():
            rss.append(proc_status(pid, "VmRSS"))
            time.sleep(HEALTH_EVERY_S)

    sampler = threading.Thread(target=sample_rss)
    sampler.start()
    with httpx.Client(timeout=HEALTH_TIMEOUT_S) as client:
        while not done.is_set():
            started = time.perf_counter()
            try:
                ok = client.get(f"{base}/healthz").status_code < 500
            except httpx.HTTPError:
                ok = False
            latencies.append((time.perf_counter() - started) * 1000)
            failures += not ok
            time.sleep(HEALTH_EVERY_S)
    sampler.join()
    return latencies, rss, failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=None, help="database URL (default: a fresh seeded one)")
    parser.add_argument("--clients", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=1, help="whole-layer reads per client")
    parser.add_argument("--layer", default="devices")
    parser.add_argument("--source", default=None, help="run the server from this checkout")
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    db_url = args.db or f"sqlite:///{Path(tmp.name) / 'twin.db'}"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ)
    if args.source:
        env["PYTHONPATH"] = os.pathsep.join([str(Path(args.source).resolve()),
                                             env.get("PYTHONPATH", "")])
    log = open(Path(tmp.name) / "serve.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(serve_command(db_url, port), stdout=log, stderr=log, env=env,
                            cwd=args.source or None)
    try:
        wait_healthy(base, proc, timeout_s=900)
        idle = proc_status(proc.pid, "VmRSS")
        done = threading.Event()
        watched: dict[str, tuple] = {}
        watcher = threading.Thread(target=lambda: watched.setdefault(
            "w", watch(base, proc.pid, done)))
        watcher.start()
        seconds, stats = clients(base, args.layer, args.clients, args.rounds)
        done.set()
        watcher.join()
        latencies, rss, failures = watched["w"]
        report(args, seconds, stats, latencies, rss, failures, idle,
               proc_status(proc.pid, "VmHWM"))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
        tmp.cleanup()


def report(args, seconds, stats, latencies, rss, failures, idle, peak) -> None:
    print(f"{args.clients} clients × {args.rounds} whole-layer read(s) of {args.layer} "
          f"(server from {args.source or 'this checkout'})")
    print(f"  clients done in {seconds:.1f} s: {stats['features']:,d} features in "
          f"{stats['requests']:,d} responses, {stats['bytes'] / 1e6:,.1f} MB; "
          f"503 busy answers {stats['busy']:,d}; failed clients {stats['errors']}")
    print(f"  /healthz: {len(latencies)} asked, p50 {quantile(latencies, 50):.0f} ms, "
          f"p95 {quantile(latencies, 95):.0f} ms, max {max(latencies, default=0):.0f} ms, "
          f"failed {failures}")
    print(f"  server RSS: idle {idle:.0f} MB, peak sampled {max(rss, default=0):.0f} MB, "
          f"high-water mark {peak:.0f} MB")


if __name__ == "__main__":
    sys.exit(main())
