"""Global invoice of 1k / 10k / 50k orders: build + seal + XSD + sandbox stamp, wall time and peak
RSS, one subprocess per size (clean RSS). Goal: 50k in < 30 s and < 1 GB, linear growth."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SIZES = (1_000, 10_000, 50_000)


def sample_orders(n: int, paid_at: Any, *, tenant_id: str = "t", first_id: int = 0) -> list[Any]:
    """N orders paid at `paid_at` (SKU A at 16 %; 1 in 5 also SKU B at 0 %: two conceptos)."""
    from decimal import Decimal

    from postventa.domain.orders import Order

    orders = []
    for i in range(n):
        price = Decimal(100 + i % 997) + Decimal("0.99")
        lines = [{"sku": "A", "description": "x", "quantity": 1 + i % 3, "unit_price": price}]
        total = (1 + i % 3) * price
        if i % 5 == 0:
            lines.append({"sku": "B", "description": "y", "quantity": 1, "unit_price": "10"})
            total += 10
        shipping = Decimal("99") if i % 2 else Decimal(0)
        orders.append(
            Order(
                tenant_id=tenant_id,
                channel="shopify",
                order_id=str(first_id + i),
                paid_at=paid_at,
                lines=lines,
                shipping=shipping,
                total_paid=total + shipping,
                payment_method="credit_card",
            )
        )
    return orders


def measure(n: int) -> dict[str, float]:
    import resource
    import time
    from datetime import UTC, datetime

    from postventa.cfdi.global_invoice import GlobalPeriod, stamp_global_invoices
    from postventa.cfdi.issuer import Issuer, ProductKeys
    from postventa.cfdi.pac.sandbox import SandboxPac
    from tests.support.csd import eku_csd

    issuer = Issuer(
        rfc="EKU9003173C9",
        nombre="ESCUELA KEMPER URGATE",
        regimen_fiscal="601",
        lugar_expedicion="42501",
        products={
            "A": ProductKeys(clave_prod_serv="43211503", clave_unidad="H87"),
            "B": ProductKeys(clave_prod_serv="50192100", clave_unidad="H87", tax="iva0"),
        },
    )
    now = datetime.now(UTC)
    orders = sample_orders(n, now)
    csd = eku_csd().credentials()  # the tests' generated CSD (tests/support/csd.py)
    pac = SandboxPac(check_certificate_validity=False)
    pac.no_certificado_sat  # noqa: B018 - load the PAC certificate outside the timing
    started = time.perf_counter()
    stamped = stamp_global_invoices(
        orders, issuer, csd, pac, GlobalPeriod.for_month(2024, 4), 1, now
    )
    seconds = time.perf_counter() - started
    assert sum(s.total for s in stamped) == sum(o.total_paid for o in orders)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"orders": n, "cfdis": len(stamped), "seconds": seconds, "peak_rss_mb": rss}


def run() -> str:
    rows = []
    for n in SIZES:
        out = subprocess.run(
            [
                sys.executable,
                "-c",
                f"import json, bench.bench_global_invoice as b; print(json.dumps(b.measure({n})))",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        )
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    lines = ["global invoice, 250 conceptos per CFDI (orders: 1/5 mixed IVA 16 + 0 -> 2 conceptos)"]
    for r in rows:
        lines.append(
            f"  {r['orders']:>6} orders -> {r['cfdis']:>4} CFDIs: {r['seconds']:.1f} s, "
            f"{r['seconds'] / r['orders'] * 1000:.3f} ms/order, peak RSS {r['peak_rss_mb']:.0f} MB "
            "(incl. the orders themselves)"
        )
    first, last = rows[0], rows[-1]
    growth = (last["seconds"] / last["orders"]) / (first["seconds"] / first["orders"])
    lines.append(
        f"  per-order time growth {first['orders']} -> {last['orders']}: {growth:.2f}x "
        "(1.0 = linear)"
    )
    lines.append("  goal: 50k orders < 30 s and < 1 GB")
    return "\n".join(lines) + "\n"
