"""The invoice lifecycle end to end on the embedded cloud with the sandbox PAC (issue #9).

Method: `LocalCloud` from template.yaml in server mode (moto over HTTP, worker processes per
function, as `make run`), the demo tenant with N more folios added through the seller API
(POST /api/v1/folios). A warm-up of WARMUP orders runs the whole flow first (every function's
worker started), then, timed:
  - one client thread POSTs N signed Shopify orders/paid webhooks (distinct orders) one after
    another on one connection, closed loop: the next goes once fewer than IN_FLIGHT orders await
    their invoice email (a 2-core machine cannot scale out as Lambda does; with every webhook at
    once the queue before the stamping workers outgrows the functions' timeouts);
  - a mail watcher GETs /_local/mail.json every POLL seconds; each new billing email's link goes
    to BUYERS buyer threads, each new email with attachments is an order's invoice email (its time
    is when the watcher first saw it, so times carry up to POLL seconds of resolution);
  - each buyer GETs the form page and POSTs it as a browser does (its csrf token, same Origin);
    "submit" is the moment the POST is sent;
  - the run ends when every order's invoice email (XML + PDF attached) is in the mailbox and the
    seller API (GET /api/v1/orders?status=facturada, Bearer demo-api-key) lists every order as
    facturada, or after TIMEOUT seconds (what is missing is reported, not dropped).
Figures: orders per minute from the first webhook to the last invoice email; submit-to-invoice-
email latency p50/p90/p99/max. Baseline in the same run: the same work as direct calls without the
cloud: the same services (webhook -> ingest -> billing request -> form page + post -> decide ->
stamp (folio, build, seal, sandbox PAC) -> deliver (PDF, email), the audit of every event, the
ERP hand-off check) called in this process, one order after another, on the unit tier's in-memory
fakes (tests/support/fakes.py): only the cloud (HTTP, SQS, Step Functions, moto, worker
processes, polling) differs. Figures are information, not pass/fail.
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import re
import resource
import statistics
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
N = int(os.environ.get("BENCH_LIFECYCLE_N", "200"))
BUYERS = int(os.environ.get("BENCH_LIFECYCLE_BUYERS", "4"))
WARMUP = int(os.environ.get("BENCH_LIFECYCLE_WARMUP", "3"))
TIMEOUT = float(os.environ.get("BENCH_LIFECYCLE_TIMEOUT", "600"))
POLL = float(os.environ.get("BENCH_LIFECYCLE_POLL", "0.25"))
# Orders between webhook and invoice email at once. A 2-core machine cannot scale out as Lambda
# does: with every webhook at once the queue for the stamping workers outgrows the functions'
# timeouts and the local runtime throttles (TooManyRequestsException), which AWS would not.
IN_FLIGHT = int(os.environ.get("BENCH_LIFECYCLE_IN_FLIGHT", "8"))
STALE = 120.0
# Order ids whose display number ("#" + id % 100000) is unique within a run: 10000 + i.
FIRST_ORDER = 7_010_000
_NUMBER = re.compile(r"#(\d+)\b")
_LINK = re.compile(r"/facturar/([A-Za-z0-9_-]{40,})")


def pct(values: list[float], p: float) -> float:
    """The p-th percentile by nearest rank (p50 is the median's neighbour for even counts)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def spread(values: list[float]) -> str:
    if not values:
        return "no samples"
    return (
        f"p50 {statistics.median(values):7.2f} s  p90 {pct(values, 90):7.2f}  "
        f"p99 {pct(values, 99):7.2f}  max {max(values):7.2f}"
    )


def order_number(order_id: int) -> str:
    return f"{order_id % 100000}"


# ---------------------------------------------------------------------- the baseline
def direct_run(count: int, first_id: int) -> dict[str, Any]:
    """The same services, called in this process on the unit tier's fakes, one order at a time."""
    from postventa.channels.base import QueuedWebhook
    from postventa.domain.orders import OrderRef
    from postventa.services import invoices, invoicing
    from postventa.services.audit import OrderEvent, record_order_event
    from postventa.services.billing_form import show_form, submit_form
    from postventa.services.billing_request import BillingRequestTask, send_billing_request
    from postventa.services.demo import (
        DEMO_TENANT,
        sample_orders_paid,
        seed_demo_tenant,
        shopify_webhook_request,
    )
    from postventa.services.erp import forward_message
    from postventa.services.ingest import ingest_message
    from postventa.services.webhooks import receive_webhook
    from postventa.web.billing_pages import form_page
    from tests.support.builders import VALID_FORM, issuer_csd
    from tests.support.fakes import FakeAdapters, FakeClock
    from tests.support.http import csrf_of

    adapters = FakeAdapters(clock=FakeClock(datetime.now(UTC)))
    seed_demo_tenant(adapters, csd=issuer_csd())
    adapters.folios.add(DEMO_TENANT, count + 1)
    tenant = adapters.tenants.get(DEMO_TENANT)
    assert tenant is not None
    deadline = min(tenant.billing_deadline_seconds, 604_800)  # the template's default limit

    def audit(start: int) -> None:
        """What the bus does with each event: the audit's history entry; the ERP queue's for
        InvoiceStamped (the demo tenant has no ERP: the forwarder drops it)."""
        for detail_type, detail in adapters.events.published[start:]:
            envelope = {
                "version": "0",
                "id": str(uuid.uuid4()),
                "detail-type": detail_type,
                "source": "postventa",
                "account": "123456789012",
                "time": datetime.now(UTC).isoformat(),
                "region": "us-east-1",
                "resources": [],
                "detail": detail,
            }
            record_order_event(OrderEvent.model_validate(envelope), adapters)
            if detail_type == "InvoiceStamped":
                forward_message(
                    json.dumps(envelope), attempt=1, receipt_handle="r", adapters=adapters
                )

    totals, latencies = [], []
    for i in range(-1, count):  # order -1 warms up (imports, the XSD and catalogs): not counted
        started = time.perf_counter()
        published = len(adapters.events.published)
        raw, headers = shopify_webhook_request(
            sample_orders_paid(first_id + i),
            adapters.secrets.channel(DEMO_TENANT, "shopify")["webhook_secret"],
        )
        assert receive_webhook("shopify", DEMO_TENANT, raw, headers, adapters).queued
        message = QueuedWebhook.model_validate_json(adapters.queue.messages.pop())
        assert ingest_message(message, adapters).lifecycle_started
        ref = OrderRef(tenant_id=DEMO_TENANT, channel="shopify", order_id=str(first_id + i))
        task_token = f"token-{first_id + i}"
        task = BillingRequestTask(task_token=task_token, order=ref, deadline_seconds=deadline)
        assert send_billing_request(task, adapters).sent
        link = _LINK.search(adapters.mailer.sent[-1].text or "")
        assert link, "the billing email carries the form link"
        token = link.group(1)
        page = form_page(show_form(token, adapters), token).html
        submitted = time.perf_counter()
        body = urlencode({**VALID_FORM, "csrf": csrf_of(page)})
        answer = form_page(submit_form(token, body, same_origin=True, adapters=adapters), token)
        assert answer.status_code == 200 and adapters.lifecycle.completed[-1][0] == task_token
        # The state machine's Decide (it records the data) and Stamp (it reserves the folio).
        assert invoicing.decide(ref, adapters, data_received=True).route == "invoice"
        assert invoices.stamp(ref, adapters)["result"] == "stamped"
        assert invoices.deliver(ref, adapters) == {"emailed": True}
        emailed = time.perf_counter()
        audit(published)
        if i >= 0:
            latencies.append(emailed - submitted)
            totals.append(time.perf_counter() - started)
    mails = adapters.mailer.sent
    invoices_sent = [m for m in mails if len(m.attachments) == 2]
    assert len(invoices_sent) == count + 1, "every order got its invoice email"
    return {"per_order": totals, "latency": latencies, "wall": sum(totals)}


# ---------------------------------------------------------------------- on the cloud
@dataclass
class OrderTimes:
    webhook_at: float | None = None
    link_seen_at: float | None = None
    submitted_at: float | None = None
    invoice_seen_at: float | None = None
    attachments: tuple[str, ...] = ()
    problem: str | None = None


@dataclass
class Run:
    """What the client threads saw of the measured orders, by display number."""

    orders: dict[str, OrderTimes]
    links: queue.Queue[tuple[str, str] | None] = field(default_factory=queue.Queue)
    lock: threading.Lock = field(default_factory=threading.Lock)
    polls: list[tuple[float, int, int]] = field(default_factory=list)  # (seconds, bytes, mails)
    stop: threading.Event = field(default_factory=threading.Event)
    invoiced: set[str] = field(default_factory=set)  # order ids the seller API lists facturada


THROTTLED: Counter[str] = Counter()  # 429s the gateway answered, by route


class Client:
    """One keep-alive HTTP connection to the gateway; 429s wait their Retry-After."""

    def __init__(self, base: str) -> None:
        self.base = base
        parts = urlsplit(base)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        self.throttled = 0

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        while True:
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                resp = self.conn.getresponse()
                data = resp.read()
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()  # reconnect once the server dropped the idle connection
                continue
            if resp.status != 429:
                return resp.status, data
            self.throttled += 1
            THROTTLED[f"{method} {path.split('?')[0].rsplit('/', 1)[0]}"] += 1
            time.sleep(float(resp.getheader("Retry-After") or 1))

    def close(self) -> None:
        self.conn.close()


def _watch_mail(base: str, run: Run, seen: set[str]) -> None:
    client = Client(base)
    try:
        while not run.stop.is_set():
            started = time.perf_counter()
            status, raw = client.request("GET", "/_local/mail.json")
            now = time.perf_counter()
            mails = json.loads(raw) if status == 200 else []
            run.polls.append((now - started, len(raw), len(mails)))
            for mail in reversed(mails):  # oldest first
                if mail["id"] in seen:
                    continue
                seen.add(mail["id"])
                found = _NUMBER.search(mail.get("subject") or "") or _NUMBER.search(
                    mail.get("text") or ""
                )
                times = run.orders.get(found.group(1)) if found else None
                if times is None:
                    continue  # a warm-up order's mail, or the seller's notices
                if mail["attachments"]:
                    with run.lock:
                        times.invoice_seen_at = now
                        times.attachments = tuple(
                            sorted(a["content_type"] for a in mail["attachments"])
                        )
                elif link := _LINK.search(mail.get("text") or ""):
                    times.link_seen_at = now
                    run.links.put((found.group(1), link.group(1)))
            run.stop.wait(POLL)
    finally:
        client.close()


def _buyer(base: str, run: Run, form: dict[str, str]) -> None:
    from tests.support.http import csrf_of

    client = Client(base)
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(base))
    try:
        while (item := run.links.get()) is not None:
            number, token = item
            times = run.orders[number]
            status, page = client.request("GET", f"/facturar/{token}")
            if status != 200:
                times.problem = f"GET del formulario: {status}"
                continue
            body = urlencode({**form, "csrf": csrf_of(page.decode())}).encode()
            headers = {"Content-Type": "application/x-www-form-urlencoded", "Origin": origin}
            times.submitted_at = time.perf_counter()
            status, _ = client.request("POST", f"/facturar/{token}", body, headers)
            if status != 200:
                times.problem = f"POST del formulario: {status}"
    finally:
        client.close()


def _facturadas(client: Client, wanted: set[str]) -> set[str]:
    """The wanted order ids the seller API lists as facturada."""
    found: set[str] = set()
    cursor = ""
    auth = {"Authorization": "Bearer demo-api-key"}
    while True:
        query = urlencode(
            {"status": "facturada", "limit": 100, **({"cursor": cursor} if cursor else {})}
        )
        status, raw = client.request("GET", f"/api/v1/orders?{query}", headers=auth)
        if status != 200:
            raise RuntimeError(f"seller API -> {status}: {raw[:200]!r}")
        page = json.loads(raw)
        found |= {o["order_id"] for o in page["orders"]} & wanted
        cursor = page.get("next_cursor") or ""
        if not cursor:
            return found


def _cpu_of(pids: list[int]) -> float:
    """User + system CPU seconds of live processes (from /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Invocations:
    """Every Lambda invocation the cloud ran: function, its duration in the worker, its wait."""

    rows: list[tuple[str, float, float, bool]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wrap(self, invoke: Callable[[str, Any], Any], names: Callable[[str], str]) -> Any:
        def timed(name: str, event: Any) -> Any:
            started = time.perf_counter()
            result = invoke(name, event)
            wall = time.perf_counter() - started
            match = re.search(r"Duration: ([0-9.]+) ms", result.logs or "")
            ran = float(match.group(1)) / 1000 if match else wall
            with self.lock:
                self.rows.append((names(name), ran, wall - ran, bool(result.errored)))
            return result

        return timed


def cloud_run(count: int, first_id: int) -> dict[str, Any]:
    from localcloud import LocalCloud
    from postventa.cli.local import cloud_hooks
    from postventa.services.demo import sample_orders_paid, shopify_webhook_request
    from tests.support.builders import VALID_FORM

    workers = os.environ.get("POSTVENTA_LAMBDA_WORKERS", "1") != "0"
    concurrency = int(os.environ.get("POSTVENTA_LAMBDA_CONCURRENCY") or 3)
    cloud = LocalCloud(
        template=ROOT / "template.yaml",
        port=0,
        scheduler=False,
        lambda_workers=workers,
        lambda_concurrency=concurrency,
        **cloud_hooks(),
    )
    calls = Invocations()
    with cloud:
        assert cloud.stack is not None
        logical = {spec.name: lid for lid, spec in cloud.stack.functions.items()}

        def name_of(target: str) -> str:
            spec = cloud.runtime.find(target)
            return logical.get(spec.name, target) if spec else target

        cloud.runtime.invoke = calls.wrap(cloud.runtime.invoke, name_of)  # type: ignore[method-assign]
        base = cloud.gateway_url
        api = Client(base)
        auth = {"Authorization": "Bearer demo-api-key", "Content-Type": "application/json"}
        status, raw = api.request(
            "POST", "/api/v1/folios", json.dumps({"cantidad": count + WARMUP}).encode(), auth
        )
        if status != 200:
            raise RuntimeError(f"POST /api/v1/folios -> {status}: {raw[:200]!r}")
        folios = json.loads(raw)

        def one_pass(ids: list[int]) -> tuple[Run, float, float]:
            run = Run({order_number(i): OrderTimes() for i in ids})
            seen: set[str] = set(_seen_ids(api))
            threads = [threading.Thread(target=_watch_mail, args=(base, run, seen), daemon=True)]
            threads += [
                threading.Thread(target=_buyer, args=(base, run, VALID_FORM), daemon=True)
                for _ in range(BUYERS)
            ]
            for thread in threads:
                thread.start()
            hooks = Client(base)
            started = time.perf_counter()
            for order_id in ids:
                _wait_for_room(run)
                raw, headers = shopify_webhook_request(sample_orders_paid(order_id), "demo-secret")
                run.orders[order_number(order_id)].webhook_at = time.perf_counter()
                status, _ = hooks.request("POST", "/webhooks/shopify/demo", raw, headers)
                if status != 200:
                    run.orders[order_number(order_id)].problem = f"webhook: {status}"
            hooks.close()
            wanted = {str(i) for i in ids}
            deadline = started + TIMEOUT
            invoiced: set[str] = set()
            while time.perf_counter() < deadline:
                with run.lock:
                    mailed = sum(1 for t in run.orders.values() if t.invoice_seen_at)
                if mailed == len(ids):
                    invoiced = _facturadas(api, wanted)
                    if invoiced == wanted:
                        break
                time.sleep(1.0)
            else:
                invoiced = _facturadas(api, wanted)
            ended = time.perf_counter()
            run.stop.set()
            for _ in range(BUYERS):
                run.links.put(None)
            for thread in threads:
                thread.join(timeout=30)
            run.invoiced = invoiced
            return run, started, ended

        one_pass([first_id + count + k for k in range(WARMUP)])  # every worker started
        calls.rows.clear()
        pids = cloud.runtime.worker_pids()
        cpu_before = _self_cpu(), _cpu_of(pids), _children_cpu()
        load_before = os.getloadavg()[0]
        run, started, ended = one_pass([first_id + k for k in range(count)])
        pids_after = cloud.runtime.worker_pids()
        cpu_after = _self_cpu(), _cpu_of(pids_after), _children_cpu()
        load_after = os.getloadavg()[0]
        statuses = _statuses(api, [first_id + k for k in range(count)], run.invoiced)
        api.close()
    return {
        "run": run,
        "started": started,
        "ended": ended,
        "calls": list(calls.rows),
        "folios": folios,
        "cpu_self": cpu_after[0] - cpu_before[0],
        # Worker CPU: live workers' growth plus any that ended (reaped) during the window.
        "cpu_workers": (cpu_after[1] - cpu_before[1]) + (cpu_after[2] - cpu_before[2]),
        "load": (load_before, load_after),
        "statuses": statuses,
        "workers": workers,
        "concurrency": concurrency,
    }


def _wait_for_room(run: Run) -> None:
    """Closed loop: the next webhook goes once fewer than IN_FLIGHT orders await their invoice
    email (an order silent for STALE seconds no longer counts: it is reported as a miss)."""
    while True:
        now = time.perf_counter()
        with run.lock:
            waiting = sum(
                1
                for t in run.orders.values()
                if t.webhook_at and not t.invoice_seen_at and now - t.webhook_at < STALE
            )
        if waiting < IN_FLIGHT:
            return
        time.sleep(0.02)


def _seen_ids(api: Client) -> list[str]:
    status, raw = api.request("GET", "/_local/mail.json")
    return [m["id"] for m in json.loads(raw)] if status == 200 else []


def _statuses(api: Client, ids: list[int], invoiced: set[str]) -> dict[str, int]:
    """How many of the measured orders ended in each status (the missing ones asked one by one)."""
    out: dict[str, int] = {"facturada": len(invoiced)}
    auth = {"Authorization": "Bearer demo-api-key"}
    for order_id in ids:
        if str(order_id) in invoiced:
            continue
        status, raw = api.request("GET", f"/api/v1/orders/shopify/{order_id}", headers=auth)
        key = json.loads(raw).get("status", "?") if status == 200 else f"HTTP {status}"
        out[key] = out.get(key, 0) + 1
    return out


# ---------------------------------------------------------------------- the report
def run() -> str:
    direct = direct_run(N, FIRST_ORDER - 1_000_000)
    cloud = cloud_run(N, FIRST_ORDER)
    r: Run = cloud["run"]
    times = list(r.orders.values())
    done = [t for t in times if t.invoice_seen_at and t.submitted_at]
    complete = [t for t in done if t.attachments == ("application/pdf", "application/xml")]
    last_mail = max((t.invoice_seen_at for t in done if t.invoice_seen_at), default=None)
    span = (last_mail - cloud["started"]) if last_mail else float("nan")
    cloud_rate = len(done) / span * 60 if last_mail else 0.0
    direct_rate = N / direct["wall"] * 60
    latency = [t.invoice_seen_at - t.submitted_at for t in done]  # type: ignore[operator]
    to_link = [t.link_seen_at - t.webhook_at for t in times if t.link_seen_at and t.webhook_at]
    problems: dict[str, int] = {}
    for t in times:
        if t.problem:
            problems[t.problem] = problems.get(t.problem, 0) + 1
    polls = r.polls
    lines = [__doc__.strip().splitlines()[0], ""]
    lines.append(
        f"N={N} orders, at most {IN_FLIGHT} in flight, {BUYERS} buyer threads, mail polled "
        f"every {POLL:g} s, warm-up {WARMUP} orders; Lambda runtime: "
        + (
            f"worker processes per function (up to {cloud['concurrency']} each)"
            if cloud["workers"]
            else "in-process, one handler at a time"
        )
    )
    lines.append("")
    lines.append("                                          orders/min   submit -> invoice email")
    lines.append(
        f"baseline: direct calls on fakes (1 thread) {direct_rate:9.1f}     "
        f"{spread(direct['latency'])}"
    )
    lines.append(
        f"embedded cloud, HTTP end to end           {cloud_rate:9.1f}     {spread(latency)}"
    )
    if latency:
        lines.append(
            f"ratio cloud / baseline: throughput {cloud_rate / direct_rate:.2f}x, "
            f"p50 latency {statistics.median(latency) / statistics.median(direct['latency']):.0f}x"
        )
    lines.append("")
    lines.append(
        f"invoiced: {len(done)}/{N} invoice emails seen ({len(complete)} with XML + PDF), "
        f"seller API facturada {len(r.invoiced)}/{N}; statuses {cloud['statuses']}"
    )
    if problems:
        lines.append(f"misses on the way: {problems}")
    lines.append(
        f"first webhook -> last invoice email: {span:.1f} s; webhook -> billing link in the "
        f"mailbox: {spread(to_link)}"
    )
    lines.append(
        f"baseline per order (whole flow, direct): {spread(direct['per_order'])}; "
        f"{direct['wall']:.1f} s for {N}"
    )
    lines.append("")
    lines.append(_invocation_table(cloud["calls"], span))
    wall = cloud["ended"] - cloud["started"]
    cores = len(os.sched_getaffinity(0))
    used = cloud["cpu_self"] + cloud["cpu_workers"]
    lines.append("")
    lines.append(
        f"CPU in the measured window ({wall:.1f} s x {cores} cores = {wall * cores:.0f} core-s): "
        f"worker processes {cloud['cpu_workers']:.1f} s, this process (moto, gateway, pollers, "
        f"Step Functions interpreter, mailbox, the bench's clients) {cloud['cpu_self']:.1f} s: "
        f"{used / (wall * cores):.0%} of the machine; load average "
        f"{cloud['load'][0]:.1f} -> {cloud['load'][1]:.1f} (other work on the machine included)"
    )
    if polls:
        lines.append(
            f"mail watcher: {len(polls)} polls of /_local/mail.json, median "
            f"{statistics.median(p[0] for p in polls) * 1000:.0f} ms (about "
            f"{sum(p[0] for p in polls):.0f} s of the gateway's time in all), last one "
            f"{polls[-1][1] / 1e6:.1f} MB for {polls[-1][2]} emails"
        )
    lines.append(
        f"folios after adding: {cloud['folios']}; 429s from the gateway's route throttles "
        f"(waited out as a client would): {dict(THROTTLED) or 'none'}"
    )
    lines.append("")
    busy = sum(ran for _name, ran, _wait, _err in cloud["calls"])
    lines.append(
        f"What bounds it: the cloud's own process (moto answering every AWS call, the gateway, "
        f"the Step Functions interpreter: one Python process, one GIL) used "
        f"{cloud['cpu_self'] / wall:.0%} of a core, all worker processes together "
        f"{cloud['cpu_workers'] / wall:.0%}; the functions were busy {busy:.0f} s for "
        f"{cloud['cpu_workers']:.0f} s of CPU, so most of a function's time is waiting for "
        f"moto's answers over HTTP; with at most {cloud['concurrency']} workers per function, "
        f"stamp invocations queue for a worker (wait column). The baseline runs the same "
        f"services on one core with no AWS emulation at all. The machine's 2 cores are shared "
        f"with other work (load average above)."
    )
    return "\n".join(lines)


def _invocation_table(rows: list[tuple[str, float, float, bool]], span: float) -> str:
    by: dict[str, list[tuple[float, float, bool]]] = {}
    for name, ran, waited, errored in rows:
        by.setdefault(name, []).append((ran, waited, errored))
    out = [
        "Lambda invocations in the measured run (duration in the worker; wait = for a free worker"
        " and the IPC):",
        f"  {'function':30} {'calls':>6} {'errors':>6} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'busy s':>8} {'wait p50':>9}",
    ]
    for name in sorted(by, key=lambda n: -sum(r[0] for r in by[n])):
        ran = [r[0] * 1000 for r in by[name]]
        waited = [r[1] * 1000 for r in by[name]]
        errors = sum(1 for r in by[name] if r[2])
        out.append(
            f"  {name:30} {len(ran):6} {errors:6} {statistics.median(ran):8.1f} "
            f"{pct(ran, 99):8.1f} {sum(ran) / 1000:8.1f} {statistics.median(waited):8.1f}"
        )
    return "\n".join(out)


if __name__ == "__main__":
    print(run())
