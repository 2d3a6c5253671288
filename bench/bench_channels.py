"""Channels (issue 10): acknowledgement p99 per channel, orders normalised per second per channel,
and the Liverpool (Mirakl OR11) poller's time for 10,000 orders across pages.

Method.
A. Acknowledgement: `LocalCloud` from template.yaml in server mode (moto over HTTP, as
   `make run`), queue pollers off, one client connection on loopback. Per channel, 20 warm-up
   requests then N distinct deliveries POSTed one after another: Shopify orders/paid and
   WooCommerce order.updated (base64 HMAC), PrestaShop (our signed contract), Mercado Libre
   orders_v2 notifications to the application-wide route (the account names the tenant: one
   DynamoDB read, then the dedupe write and the enqueue). Latency is the client's wall time from
   request to the end of the response. Baseline in the same run: GET /_local/health on the same
   gateway. Amazon's notifications arrive through SQS and Liverpool is polled: no HTTP ack.
B. Normalising: each channel's adapter on its own payload shape (written from the documented
   formats), K times in this process after a warm-up, medians of 5 runs; baseline: json.loads of
   the same payload (what any consumer pays to read it).
C. Poller: 10,000 paid orders in the fake Mirakl, one tenant; `poll_tenant` with the product's own
   client, throttle and dedupe (in-memory fakes of the AWS ports, the fake marketplace in process:
   no network), so the figure is the product's paging and queueing work. The rate limit (1 request
   a second, bursts of 5) is kept on a simulated clock: its waits are reported, not slept.
   Baseline: reading the same 100 pages straight from the fake.
Figures are information, not pass/fail; this machine is shared and noisy.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
N = int(os.environ.get("BENCH_CHANNELS_N", "300"))
K = int(os.environ.get("BENCH_CHANNELS_K", "2000"))
POLL_ORDERS = int(os.environ.get("BENCH_CHANNELS_POLL_ORDERS", "10000"))


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _row(name: str, samples: list[float], base: float | None = None) -> str:
    p50 = statistics.median(samples)
    ratio = f"{p50 / base:6.1f}x" if base else "   1.0x"
    return (
        f"{name:40} n={len(samples):5}  p50 {p50:6.1f} ms  p99 {_pct(samples, 99):6.1f} ms  "
        f"max {max(samples):7.1f}  {ratio}"
    )


# ---------------------------------------------------------------- A. acknowledgements
def _seed_mercadolibre() -> None:
    """The demo tenant owns the fake's demo seller (as after OAuth)."""
    from postventa.bootstrap import bootstrap
    from postventa.cli.local import DEMO_ML_SELLER
    from postventa.domain.channels import ChannelConnection, ConnectionStatus
    from postventa.domain.orders import Channel

    adapters = bootstrap()
    adapters.connections.claim_account("mercadolibre", str(DEMO_ML_SELLER), "demo")
    adapters.connections.put(
        ChannelConnection(
            tenant_id="demo",
            channel=Channel.MERCADOLIBRE,
            status=ConnectionStatus.CONNECTED,
            account_id=str(DEMO_ML_SELLER),
            connected_at="2026-11-20T16:00:00.000Z",
            updated_at="2026-11-20T16:00:00.000Z",
        )
    )
    adapters.secrets.put_channel("demo", "prestashop", {"webhook_secret": "demo-secret"})


def _deliveries(channel: str, count: int) -> list[tuple[str, bytes, dict[str, str]]]:
    from postventa.channels.base import sign_base64_hmac
    from postventa.channels.prestashop import sign_post
    from postventa.cli.local import DEMO_ML_SELLER
    from postventa.services.demo import sample_orders_paid, shopify_webhook_request

    out = []
    for i in range(count):
        if channel == "shopify":
            raw, headers = shopify_webhook_request(sample_orders_paid(7_000_000 + i), "demo-secret")
            out.append(("/webhooks/shopify/demo", raw, headers))
        elif channel == "woocommerce":
            body = {"id": 900_000 + i, "status": "processing", "line_items": [{"id": 1}]}
            raw = json.dumps(body).encode()
            headers = {
                "x-wc-webhook-topic": "order.updated",
                "x-wc-webhook-signature": sign_base64_hmac(raw, "demo-secret"),
                "x-wc-webhook-delivery-id": uuid.uuid4().hex,
            }
            out.append(("/webhooks/woocommerce/demo", raw, headers))
        elif channel == "prestashop":
            post = {
                "version": 1,
                "event": "order.validated",
                "order": {"id": i, "paid": True, "lines": [{}]},
            }
            raw, headers = sign_post(post, "demo-secret", uuid.uuid4().hex)
            out.append(("/webhooks/prestashop/demo", raw, headers))
        else:
            note = {
                "_id": str(uuid.uuid4()),
                "resource": f"/orders/{2000020000000000 + i}",
                "user_id": DEMO_ML_SELLER,
                "topic": "orders_v2",
                "application_id": 5503910054141466,
                "attempts": 1,
                "sent": "2026-11-20T16:00:00.000Z",
                "received": "2026-11-20T16:00:00.000Z",
            }
            out.append(
                (
                    "/webhooks/mercadolibre",
                    json.dumps(note).encode(),
                    {"content-type": "application/json"},
                )
            )
    return out


def _acks(gateway: str) -> list[str]:
    url = urlsplit(gateway)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)

    def timed(method: str, path: str, body: bytes | None = None, headers: Any = None) -> float:
        started = time.perf_counter()
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        resp.read()
        if resp.status != 200:
            raise RuntimeError(f"{path} -> {resp.status}")
        return (time.perf_counter() - started) * 1000

    health = [timed("GET", "/_local/health") for _ in range(N + 20)][20:]
    base = statistics.median(health)
    lines = [_row("baseline: GET /_local/health", health)]
    for channel in ("shopify", "woocommerce", "prestashop", "mercadolibre"):
        samples = [timed("POST", p, b, h) for p, b, h in _deliveries(channel, N + 20)][20:]
        lines.append(_row(f"ack {channel}", samples, base))
    conn.close()
    return lines


# ---------------------------------------------------------------- B. normalising
def _normalizers() -> dict[str, tuple[Callable[[], Any], str]]:
    from fakemarkets import FakeMarkets
    from postventa.channels import amazon, liverpool, mercadolibre, prestashop, shopify, woocommerce
    from postventa.services.demo import sample_orders_paid
    from tests.support.marketplaces import ML_USER

    fake = FakeMarkets(port=None, notify=None)
    fake.mercadolibre.add_seller(ML_USER, "BENCH")
    sale = fake.mercadolibre.create_sale(
        ML_USER,
        [
            [{"title": "Cazuela", "quantity": 1, "unit_price": 480.0}],
            [{"title": "Jarro", "quantity": 2, "unit_price": 150.0}],
        ],
        shipping_cost=99.0,
        notify=False,
    )
    ml_orders = [fake.mercadolibre.orders[i] for i in sale["orders"]]
    amazon_id = fake.amazon.create_order(
        "A1", [{"sku": "S", "title": "Rebozo", "quantity": 2, "price": 650.0}], notify=False
    )
    az_order, az_items = fake.amazon.orders[amazon_id], fake.amazon.items[amazon_id]
    lp_id = fake.liverpool.create_order(
        1, [{"sku": "S", "title": "Sartén", "quantity": 1, "price_unit": 899.0}]
    )
    lp_order = fake.liverpool.orders[lp_id]
    shop = sample_orders_paid(1)
    woo = {
        "id": 1, "number": "1", "status": "processing", "currency": "MXN",
        "date_paid_gmt": "2026-11-20T16:00:00", "total": "1200.00", "shipping_total": "86.21",
        "shipping_tax": "13.79", "payment_method": "stripe",
        "line_items": [{"id": 1, "name": "Cojín &ndash; Oaxaca", "sku": "C", "quantity": 2,
                        "subtotal": "862.07", "subtotal_tax": "137.93",
                        "total": "862.07", "total_tax": "137.93"}],
        "fee_lines": [{"id": 9, "name": "Envoltura", "total": "86.21", "total_tax": "13.79"}],
    }  # fmt: skip
    presta = prestashop._Order.model_validate(
        {
            "id": 58, "reference": "XKB", "date_add": "2026-11-20 10:00:00", "currency": "MXN",
            "paid": True, "total_paid_tax_incl": "1299.00", "total_shipping_tax_incl": "99.00",
            "lines": [{"reference": "V", "name": "Vela", "quantity": 3,
                       "unit_price_tax_incl": "400.00", "total_price_tax_incl": "1200.00"}],
        }
    )  # fmt: skip
    return {
        "shopify": (lambda: shopify.normalize_order("t", shop), json.dumps(shop)),
        "woocommerce": (lambda: woocommerce.normalize_order("t", woo), json.dumps(woo)),
        "prestashop": (lambda: prestashop.normalize_order("t", presta), presta.model_dump_json()),
        "mercadolibre (pack of 2)": (
            lambda: mercadolibre.normalize_pack("t", sale["key"], ml_orders),
            json.dumps(ml_orders),
        ),
        "amazon": (
            lambda: amazon.normalize_order("t", az_order, az_items),
            json.dumps([az_order, az_items]),
        ),
        "liverpool": (lambda: liverpool.normalize_order("t", lp_order), json.dumps(lp_order)),
    }


def _rate(work: Callable[[], Any]) -> float:
    for _ in range(50):
        work()
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(K):
            work()
        runs.append(K / (time.perf_counter() - started))
    return statistics.median(runs)


def _normalizing() -> list[str]:
    lines = []
    for name, (work, text) in _normalizers().items():
        rate = _rate(work)
        base = _rate(lambda text=text: json.loads(text))
        lines.append(
            f"normalise {name:28} {rate:9,.0f} orders/s   (json.loads of the payload "
            f"{base:9,.0f}/s, {base / rate:5.1f}x the parse)"
        )
    return lines


# ---------------------------------------------------------------- C. the poller
def _poller() -> list[str]:
    from postventa.services.polling import PollRequest, poll_tenant
    from tests.support import builders
    from tests.support.fakes import FakeAdapters
    from tests.support.marketplaces import LIVERPOOL_SHOP, connect_liverpool, with_fake_markets

    adapters = FakeAdapters()
    adapters.tenants.put(builders.tenant("tienda"))
    markets = with_fake_markets(adapters)
    markets.fake.liverpool.rate = (10_000.0, 10_000)  # the product's own limit is what counts
    connect_liverpool(adapters, markets, "tienda")
    for i in range(POLL_ORDERS):
        markets.fake.liverpool.create_order(
            LIVERPOOL_SHOP,
            [{"sku": f"S{i % 50}", "title": "Sartén", "quantity": 1, "price_unit": 899.0}],
        )
    key = {"authorization": "clave-liverpool-de-prueba"}
    started = time.perf_counter()
    offset = 0
    while offset < POLL_ORDERS:
        page = markets.fake.handle(
            "GET", f"http://x/liverpool/api/orders?max=100&offset={offset}", key, b""
        )
        offset += len(json.loads(page.body)["orders"])
    raw = time.perf_counter() - started
    simulated = adapters.clock.now()
    started = time.perf_counter()
    outcome = poll_tenant(
        PollRequest(tenant_id="tienda", channel="liverpool"), adapters, lambda: 300.0
    )
    wall = time.perf_counter() - started
    waited = (adapters.clock.now() - simulated).total_seconds()
    assert outcome.queued == POLL_ORDERS, outcome
    return [
        f"poll {POLL_ORDERS:,} orders: {outcome.pages} pages, {outcome.queued:,} queued once, "
        f"product work {wall:.2f} s ({POLL_ORDERS / wall:,.0f} orders/s)",
        f"  baseline: the same {outcome.pages} pages read straight from the fake {raw:.2f} s "
        f"({wall / raw:.1f}x)",
        f"  rate limit kept (1 request/s, burst 5) on the simulated clock: {waited:.0f} s of waits "
        "in a real run; a poller run has 300 s, so about 28,000 orders fit one run "
        "(more continue from the stored offset on the next)",
    ]


def run() -> str:
    from localcloud import LocalCloud
    from postventa.cli.local import (
        cloud_hooks,
        seed_channel_apps,
        start_fake_marketplaces,
        wire_fake_marketplaces,
    )

    lines = [__doc__.strip().splitlines()[0], ""]
    fake = start_fake_marketplaces(0)
    try:
        with LocalCloud(
            template=ROOT / "template.yaml",
            port=0,
            scheduler=False,
            pollers=False,
            placeholders={"FakeMarketsUrl": fake.url},
            **cloud_hooks(seed_channel_apps, _seed_mercadolibre),
        ) as cloud:
            wire_fake_marketplaces(fake, cloud)
            lines += _acks(cloud.gateway_url)
    finally:
        fake.stop()
    lines.append("")
    lines += _normalizing()
    lines.append("")
    lines += _poller()
    lines.append("")
    lines.append(
        "A: server mode, worker processes per function, one sequential client; "
        "the ratio is p50 / baseline p50"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
