"""The global-invoice job for one tenant on the embedded cloud (issue #11: 50,000 orders; goal
under 2x the engine alone on the same orders).

Method: `LocalCloud` from template.yaml in server mode (moto over HTTP, as `make run`); the demo
tenant with a daily global invoice (cap 250 conceptos per CFDI) and N orders of one day that
closed yesterday, written into the table as the lifecycle leaves them (status `global`; setup,
not timed). Then, in a fresh process with FiscalJobsFunction's own environment (what its Lambda
gets), `issue_period` for that day, the code the hourly job runs: read the period's orders, take
each one (a conditional write), freeze the manifest, build, split, seal, stamp (sandbox PAC, its
memory in the table), store XML and PDF in S3, write each order's history with its UUID, email
the seller. Baselines in the same run, each in a fresh process: the engine alone on the same N
orders (build, split, seal, XSD, sandbox stamp in memory: `stamp_global_invoices`), and the same
plus the PDF of every CFDI. Wall time and peak RSS (VmHWM) of each process; the job's phases
from its progress callback. BENCH_GLOBAL_N sets N (default 50,000).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
N = int(os.environ.get("BENCH_GLOBAL_N", "50000"))
PRODUCTS = {
    "A": {"clave_prod_serv": "43211503", "clave_unidad": "H87"},
    "B": {"clave_prod_serv": "50192100", "clave_unidad": "H87", "tax": "iva0"},
}


def _day() -> date:
    """A day that closed yesterday at the demo's place of issue (its global is due)."""
    return (datetime.now(UTC) - timedelta(days=2)).date()


def orders(n: int, day: date) -> list[Any]:
    """The same N orders as bench_global_invoice, the demo tenant's, paid on `day`."""
    from bench.bench_global_invoice import sample_orders

    paid = datetime(day.year, day.month, day.day, 18, 0, tzinfo=UTC)
    return sample_orders(n, paid, tenant_id="demo", first_id=700_000)


def _peak_mb() -> float:
    """This process's peak resident memory since it started its program: VmHWM (Linux), which
    exec resets; ru_maxrss would also count the (large) bench process it was forked from."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _seed(env: dict[str, str], n: int, day: date) -> None:
    """The tenant set to a daily global with the bench's products; N orders in `global`."""
    from postventa.bootstrap import build_adapters
    from postventa.domain.clock import iso
    from postventa.domain.global_periods import Periodicidad
    from postventa.domain.status import OrderStatus
    from postventa.domain.tenants import GlobalInvoiceSettings
    from postventa.storage import keys

    adapters = build_adapters(env)
    demo = adapters.tenants.get("demo")
    assert demo is not None
    invoicing = {**demo.invoicing, "products": PRODUCTS}
    adapters.tenants.put(
        demo.model_copy(
            update={
                "invoicing": invoicing,
                "global_invoice": GlobalInvoiceSettings(periodicity=Periodicidad.DIARIA),
            }
        )
    )
    adapters.folios.add("demo", n // 200 + 10)
    at = iso(datetime.now(UTC))
    with adapters._table.batch_writer() as batch:  # the bench's bulk setup, not the product
        for order in orders(n, day):
            batch.put_item(
                Item={
                    **keys.order_key("demo", "shopify", order.order_id),
                    "gsi1pk": keys.orders_index_pk("demo"),
                    "gsi1sk": keys.orders_index_sk(
                        order.paid_at.isoformat(), "shopify", order.order_id
                    ),
                    "gsi2pk": keys.status_index_pk("demo", OrderStatus.GLOBAL.value),
                    "gsi2sk": at,
                    "type": "order",
                    "tenant_id": "demo",
                    "channel": "shopify",
                    "order_id": order.order_id,
                    "order_number": order.display_number,
                    "total_paid": order.total_paid,
                    "status": OrderStatus.GLOBAL.value,
                    "order": order.model_dump(mode="json"),
                    "created_at": at,
                    "updated_at": at,
                }
            )


def measure_job(day_text: str) -> dict[str, Any]:
    """In a fresh process with the fiscal worker's environment: issue the day's global.

    The product's AWS clients give up on an answer after 10 s; moto answers one page of an index
    holding ten thousand orders in more than that (it scans and sorts the whole index for every
    page), so here, and only here, the read timeout is raised."""
    from botocore.config import Config

    from postventa import aws
    from postventa.bootstrap import bootstrap

    aws._CONFIG = aws._CONFIG.merge(Config(read_timeout=1800))
    return _issue(bootstrap(), day_text)


def _issue(adapters: Any, day_text: str) -> dict[str, Any]:
    from postventa.domain.global_periods import Periodicidad, period_of
    from postventa.services.global_invoices import issue_period

    tenant = adapters.tenants.get("demo")
    assert tenant is not None
    period = period_of(Periodicidad.DIARIA, date.fromisoformat(day_text))
    marks: dict[str, float] = {}
    started = time.perf_counter()

    def progress(step: str, done: int, total: int) -> None:
        marks.setdefault(f"{step}_first", time.perf_counter() - started)
        marks[f"{step}_last"] = time.perf_counter() - started

    report = issue_period(tenant, period, adapters, progress=progress)
    seconds = time.perf_counter() - started
    assert report.state == "emitida", report
    return {
        "orders": report.orders,
        "cfdis": report.cfdis,
        "total": report.total,
        "seconds": seconds,
        "reading": marks.get("pedidos_first", 0.0),
        "taking": marks.get("pedidos_last", 0.0) - marks.get("pedidos_first", 0.0),
        "cfdi_phase": marks.get("cfdi_last", seconds) - marks.get("pedidos_last", 0.0),
        "after": seconds - marks.get("cfdi_last", seconds),
        "peak_rss_mb": _peak_mb(),
    }


def measure_job_inprocess(n: int, day_text: str) -> dict[str, Any]:
    """The embedded cloud in-process (moto without HTTP, as the integration tier runs it), the
    job in the same process: for sizes whose index queries outlast the HTTP client's timeout in
    server mode. Peak RSS then counts moto's copy of the table too."""
    from localcloud import local_cloud_inprocess
    from postventa.bootstrap import build_adapters
    from postventa.cli.local import cloud_hooks

    with local_cloud_inprocess(ROOT / "template.yaml", gateway=False, **cloud_hooks()) as cloud:
        env = dict(cloud.stack.functions["FiscalJobsFunction"].environment)
        _seed(env, n, date.fromisoformat(day_text))
        return _issue(build_adapters(env), day_text)


def measure_engine(n: int, day_text: str, with_pdf: bool) -> dict[str, Any]:
    """The engine alone on the same orders, in memory (and the PDFs, when asked)."""
    from postventa.cfdi.global_invoice import GlobalPeriod, stamp_global_invoices
    from postventa.cfdi.issuer import Issuer
    from postventa.cfdi.pac.sandbox import SandboxPac
    from postventa.domain.global_periods import Periodicidad, period_of
    from postventa.services.demo import DEMO_INVOICING
    from tests.support.csd import eku_csd

    day = date.fromisoformat(day_text)
    made = orders(n, day)
    issuer = Issuer.model_validate(
        {
            **DEMO_INVOICING,
            "products": PRODUCTS,
            "rfc": "EKU9003173C9",
            "nombre": "ESCUELA KEMPER URGATE",
            "regimen_fiscal": "601",
            "lugar_expedicion": "42501",
        }
    )
    pac = SandboxPac(check_certificate_validity=False)
    pac.no_certificado_sat  # noqa: B018 - load the PAC certificate outside the timing
    csd = eku_csd().credentials()
    period = GlobalPeriod.of(period_of(Periodicidad.DIARIA, day))
    started = time.perf_counter()
    stamped = stamp_global_invoices(made, issuer, csd, pac, period, 1)
    if with_pdf:
        from postventa.cfdi.pdf import render_pdf

        for cfdi in stamped:
            render_pdf(cfdi.xml)
    seconds = time.perf_counter() - started
    return {
        "orders": n,
        "cfdis": len(stamped),
        "total": str(sum(s.total for s in stamped)),
        "seconds": seconds,
        "peak_rss_mb": _peak_mb(),
    }


def _child(code: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import json, bench.bench_global_job as b; print(json.dumps({code}))",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=7200,
    )
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def run() -> str:
    from localcloud import LocalCloud
    from postventa.cli.local import cloud_hooks

    day = _day()
    lines = [__doc__.strip().splitlines()[0], ""]
    if os.environ.get("BENCH_GLOBAL_MODE") == "inprocess":
        return _report_inprocess(day, lines)
    with LocalCloud(
        template=ROOT / "template.yaml", port=0, scheduler=False, pollers=False, **cloud_hooks()
    ) as cloud:
        env = dict(cloud.stack.functions["FiscalJobsFunction"].environment)
        seeded = time.perf_counter()
        _seed(env, N, day)
        setup = time.perf_counter() - seeded
        child_env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
            **env,
            "AWS_ENDPOINT_URL": str(cloud.moto_url),
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
            "PYTHONPATH": str(ROOT),
        }
        job = _child(f"b.measure_job({str(day)!r})", child_env)
    engine = _child(f"b.measure_engine({N}, {str(day)!r}, False)")
    engine_pdf = _child(f"b.measure_engine({N}, {str(day)!r}, True)")
    assert Decimal(job["total"]) == Decimal(engine["total"]), (job, engine)
    lines.append(f"setup (not timed in the job): {N:,} orders written in {setup:.0f} s")
    for name, r in (
        ("baseline: engine alone (build, split, seal, stamp)", engine),
        ("baseline: engine alone + PDF of every CFDI", engine_pdf),
        ("the job on the embedded cloud (server mode)", job),
    ):
        ratio = r["seconds"] / engine["seconds"]
        lines.append(
            f"  {name:52} {r['orders']:>6} orders -> {r['cfdis']:>4} CFDIs: "
            f"{r['seconds']:7.1f} s, peak RSS {r['peak_rss_mb']:5.0f} MB, {ratio:5.2f}x"
        )
    lines.append(
        f"  the job's phases: reading the period's orders {job['reading']:.1f} s; taking each "
        f"(a conditional write) {job['taking']:.1f} s; freezing, sealing, "
        f"stamping, storing, PDF and history per CFDI {job['cfdi_phase']:.1f} s; "
        f"seller email {job['after']:.1f} s"
    )
    lines.append("  goal: under 2x the engine alone")
    return "\n".join(lines) + "\n"


def _report_inprocess(day: date, lines: list[str]) -> str:
    job = _child(f"b.measure_job_inprocess({N}, {str(day)!r})")
    engine = _child(f"b.measure_engine({N}, {str(day)!r}, False)")
    engine_pdf = _child(f"b.measure_engine({N}, {str(day)!r}, True)")
    assert Decimal(job["total"]) == Decimal(engine["total"]), (job, engine)
    for name, r in (
        ("baseline: engine alone (build, split, seal, stamp)", engine),
        ("baseline: engine alone + PDF of every CFDI", engine_pdf),
        ("the job, embedded cloud in-process (RSS incl. moto)", job),
    ):
        lines.append(
            f"  {name:52} {r['orders']:>6} orders -> {r['cfdis']:>4} CFDIs: "
            f"{r['seconds']:7.1f} s, peak RSS {r['peak_rss_mb']:5.0f} MB, "
            f"{r['seconds'] / engine['seconds']:5.2f}x"
        )
    lines.append(
        f"  the job's phases: reading {job['reading']:.1f} s; taking {job['taking']:.1f} s; "
        f"per CFDI (freeze, seal, stamp, store, PDF, history) {job['cfdi_phase']:.1f} s; "
        f"seller email {job['after']:.1f} s"
    )
    return "\n".join(lines) + "\n"
