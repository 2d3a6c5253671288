"""Webhook acknowledgement latency on the embedded cloud (issue #2: p99 under 100 ms).

Method: `LocalCloud` from template.yaml in server mode (moto over HTTP, as `make run`), a warm-up of
20 requests, then N signed Shopify orders/paid webhooks (distinct orders) POSTed one after another
from a client thread on loopback; the latency is the client's wall time from request to the end of
the response. Baseline in the same run: GET /_local/health on the same gateway (HTTP stack only, no
Lambda, no AWS call). Two scenarios:
  A. ack only: queue pollers off, the webhook function runs alone (verify, dedupe write, enqueue);
  B. whole product busy: pollers on, so ingest, Step Functions and emails run concurrently behind
     the webhooks (with the in-process runtime, one handler at a time: this shows that contention;
     with worker processes, each function runs in its own processes);
  C. concurrent clients: BENCH_WEBHOOK_CLIENTS connections posting at once, pollers off (the
     webhook function's workers serve them in parallel, up to POSTVENTA_LAMBDA_CONCURRENCY).
Lambda runtime: worker processes per function (default) or, with POSTVENTA_LAMBDA_WORKERS=0, the
in-process runtime under one lock (how server mode ran before): run both to compare.
Figures are information, not pass/fail; machines here are noisy: medians and percentiles.
"""

from __future__ import annotations

import http.client
import os
import statistics
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
N = int(os.environ.get("BENCH_WEBHOOK_N", "1000"))
N_BUSY = int(os.environ.get("BENCH_WEBHOOK_BUSY_N", "150"))
CLIENTS = int(os.environ.get("BENCH_WEBHOOK_CLIENTS", "4"))


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _row(name: str, samples: list[float], base_p50: float | None = None) -> str:
    p50 = statistics.median(samples)
    ratio = f"{p50 / base_p50:6.1f}x" if base_p50 else "   1.0x"
    return (
        f"{name:44} n={len(samples):5}  p50 {p50:6.1f} ms  p90 {_pct(samples, 90):6.1f}  "
        f"p99 {_pct(samples, 99):6.1f}  max {max(samples):7.1f}  {ratio}"
    )


def _measure(cloud, count: int, first_id: int) -> tuple[list[float], list[float]]:
    from postventa.services.demo import sample_orders_paid, shopify_webhook_request

    url = urlsplit(cloud.gateway_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)

    def timed(method: str, path: str, body: bytes | None = None, headers=None) -> float:
        started = time.perf_counter()
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        resp.read()
        elapsed = (time.perf_counter() - started) * 1000
        if resp.status != 200:
            raise RuntimeError(f"{path} -> {resp.status}")
        return elapsed

    requests = []
    for i in range(count + 20):
        raw, headers = shopify_webhook_request(sample_orders_paid(first_id + i), "demo-secret")
        requests.append((raw, headers))
    hooks, health = [], []
    for i, (raw, headers) in enumerate(requests):
        ms = timed("POST", "/webhooks/shopify/demo", raw, headers)
        hs = timed("GET", "/_local/health")
        if i >= 20:  # warm-up
            hooks.append(ms)
            health.append(hs)
    conn.close()
    return hooks, health


def _measure_concurrent(cloud, clients: int, per_client: int, first_id: int) -> list[float]:
    from concurrent.futures import ThreadPoolExecutor

    def one(k: int) -> list[float]:
        hooks, _ = _measure(cloud, per_client, first_id + k * (per_client + 20))
        return hooks

    with ThreadPoolExecutor(clients) as pool:
        return [ms for hooks in pool.map(one, range(clients)) for ms in hooks]


def run() -> str:
    from localcloud import LocalCloud
    from postventa.cli.local import cloud_hooks

    workers = os.environ.get("POSTVENTA_LAMBDA_WORKERS", "1") != "0"
    concurrency = int(os.environ.get("POSTVENTA_LAMBDA_CONCURRENCY") or 3)
    lines = [__doc__.strip().splitlines()[0], ""]
    lines.append(
        "Lambda runtime: "
        + (
            f"worker processes per function (up to {concurrency} each)"
            if workers
            else "in-process, one handler at a time (POSTVENTA_LAMBDA_WORKERS=0)"
        )
    )

    def cloud(**options: bool) -> LocalCloud:
        return LocalCloud(
            template=ROOT / "template.yaml",
            port=0,
            scheduler=False,
            lambda_workers=workers,
            lambda_concurrency=concurrency,
            **options,
            **cloud_hooks(),
        )

    with cloud(pollers=False) as c:
        hooks, health = _measure(c, N, 8_000_000)
    base = statistics.median(health)
    lines.append(_row("baseline: GET /_local/health (same gateway)", health))
    lines.append(_row("A. webhook ack, pollers off", hooks, base))
    with cloud() as c:
        hooks, health = _measure(c, N_BUSY, 9_000_000)
        c.drain_queues(timeout=120)
    lines.append(_row("B. webhook ack, whole product busy", hooks, base))
    with cloud(pollers=False) as c:
        hooks = _measure_concurrent(c, CLIENTS, max(1, N_BUSY // CLIENTS * 2), 10_000_000)
    lines.append(_row(f"C. webhook ack, {CLIENTS} concurrent clients", hooks, base))
    lines.append("")
    lines.append(
        "server mode (moto over HTTP on 127.0.0.1); A and B: one client connection, sequential "
        "requests; C: one connection per client, each sequential; "
        "the ratio column is p50 / baseline p50"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
