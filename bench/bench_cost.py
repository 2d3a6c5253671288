"""AWS cost per 1,000 invoiced orders, from a measured run (issue #9: under 1 % of a stamp).

The goal: under 1 % of what the stamps cost (about MXN 0.50 each), i.e. under MXN 0.005 per order.

Method: the product on the embedded cloud in-process (moto, Step Functions executing the real ASL,
every handler in this process, as the integration tier runs it), the demo tenant, ORDERS orders
one after another, each through the whole happy path as a buyer drives it: signed Shopify
orders/paid webhook (API Gateway event) -> queue -> ingest -> execution -> billing email -> form
page GET + POST -> decide -> folio -> stamp (sandbox PAC) -> deliver (email with XML + PDF) ->
audit of every event -> ERP queue. One warm-up order first (cold imports), not counted. What is
counted, and how:
- Lambda: every invocation, timed around the handler (the local runtime's on_env_change hook runs
  right before and after each call, under its lock); memory per function from template.yaml. The
  time includes moto's in-process work for each AWS call in place of the network round trip, and
  varies with the machine's load; the "CPU-bound" figure prices all of it as CPU at the function's
  share of a vCPU (1,769 MB = 1 vCPU).
- AWS API calls the product makes: botocore event hooks (before-call / after-call) registered on
  every boto3 session `postventa.aws` creates (the bench wraps its session factory), attributed to
  the function running in that thread.
- DynamoDB request units: for each call, item sizes by AWS's rules (attribute names + values,
  numbers 1 byte per 2 digits + 1, 3 bytes per list/map + 1 per element); writes = ceil(larger of
  the item before/after / 1 KB) (x2 in a transaction), the item read before and after through a
  separate, uncounted client; each GSI the item is in (or enters/leaves) adds its projected size
  (2 writes when the index key changes), as AWS documents for GSI writes; reads = ceil(bytes
  returned / 4 KB) per request, half for eventually consistent reads. Failed conditional writes
  count as AWS charges them.
- Step Functions: state transitions from each execution's real history (every state entered,
  retries included); its own DynamoDB and EventBridge tasks from the same history.
- SQS: SendMessage calls counted; the Lambda event source's ReceiveMessage + DeleteMessage modelled
  as one each per message (the low-traffic worst case: one message per batch); EventBridge's
  deliveries to the ERP queue are SendMessage requests too.
- SES: messages and their attachments (base64 size) from the mailbox; S3 PUT/GET counted, storage
  measured (every object version) and priced for the CFDI retention period.
- CloudWatch Logs: bytes the functions write to stdout (logs, EMF metrics) + Lambda's START/END/
  REPORT lines (PLATFORM_LOG_BYTES per invocation). X-Ray: one trace per invocation (Tracing:
  Active everywhere; an upper bound: sampling records fewer at volume).
Prices: us-east-1, list prices without free tiers, written down below with their source and the
date they were read. Figures are information, not pass/fail.
"""

from __future__ import annotations

import base64
import functools
import json
import math
import os
import re
import statistics
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
PUBLIC = "https://facturas.example.test"
ORDERS = int(os.environ.get("BENCH_COST_ORDERS", "30"))
MXN_PER_USD = float(os.environ.get("BENCH_COST_MXN_PER_USD", "18.50"))
STAMP_MXN = 0.50  # what a stamp costs the seller (issue #9)
GOAL_SHARE = 0.01
RETENTION_MONTHS = 60  # CFF art. 30: accounting records (the CFDI) are kept five years
PLATFORM_LOG_BYTES = 350  # START + END + REPORT lines Lambda writes per invocation
FIRST_ORDER = 6_020_000

# us-east-1 list prices in USD, read 2026-11-26 (sources: the AWS pricing pages named; where the
# page itself was not in the stored corpus, the figure was cross-checked on the pages cited).
PRICES: dict[str, tuple[float, str]] = {
    "sfn_transition": (0.025 / 1000, "aws.amazon.com/step-functions/pricing: $0.025 per 1,000"),
    "lambda_request": (0.20 / 1e6, "aws.amazon.com/lambda/pricing: $0.20 per 1M requests"),
    "lambda_gb_s": (
        0.0000166667,
        "aws.amazon.com/lambda/pricing: x86 $0.0000166667 per GB-s (first 6B GB-s)",
    ),
    "http_api_request": (
        1.00 / 1e6,
        "aws.amazon.com/api-gateway/pricing: HTTP APIs $1.00 per 1M (first 300M, 512 KB units)",
    ),
    "sqs_request": (0.40 / 1e6, "aws.amazon.com/sqs/pricing: standard $0.40 per 1M (64 KB units)"),
    "ddb_wru": (
        0.625 / 1e6,
        "aws.amazon.com/dynamodb/pricing/on-demand: $0.625 per 1M WRU (since 2024-11-01)",
    ),
    "ddb_rru": (0.125 / 1e6, "same page: $0.125 per 1M RRU"),
    "ddb_storage_gb_month": (0.25, "aws.amazon.com/dynamodb/pricing: $0.25 per GB-month"),
    "ddb_pitr_gb_month": (0.20, "same page: continuous backups (PITR) $0.20 per GB-month"),
    "s3_put": (0.005 / 1000, "aws.amazon.com/s3/pricing: Standard PUT $0.005 per 1,000"),
    "s3_get": (0.0004 / 1000, "same page: GET $0.0004 per 1,000"),
    "s3_gb_month": (0.023, "same page: Standard $0.023 per GB-month (first 50 TB)"),
    "ses_email": (0.10 / 1000, "aws.amazon.com/ses/pricing: $0.10 per 1,000 emails"),
    "ses_attachment_gb": (0.12, "same page: $0.12 per GB of attachments"),
    "eventbridge_event": (
        1.00 / 1e6,
        "aws.amazon.com/eventbridge/pricing: custom events $1.00 per 1M (64 KB units)",
    ),
    "secrets_call": (
        0.05 / 10_000,
        "aws.amazon.com/secrets-manager/pricing: $0.05 per 10,000 API calls",
    ),
    "logs_gb": (0.50, "aws.amazon.com/cloudwatch/pricing: Logs ingestion $0.50 per GB"),
    "xray_trace": (5.00 / 1e6, "aws.amazon.com/xray/pricing: $5.00 per 1M traces recorded"),
}


def price(name: str) -> float:
    return PRICES[name][0]


# ---------------------------------------------------------------------- DynamoDB item sizes
def _number_size(text: str) -> int:
    digits = text.lstrip("-").replace(".", "").split("e")[0].split("E")[0].strip("0") or "0"
    return math.ceil(len(digits) / 2) + 1


def value_size(value: dict[str, Any]) -> int:
    """Size of one typed attribute value by AWS's rules ("DynamoDB item sizes and formats")."""
    (kind, inner), *_ = value.items()
    if kind == "S":
        return len(inner.encode("utf-8"))
    if kind == "N":
        return _number_size(inner)
    if kind == "B":
        return len(base64.b64decode(inner)) if isinstance(inner, str) else len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode("utf-8")) for s in inner)
    if kind == "NS":
        return sum(_number_size(n) for n in inner)
    if kind == "BS":
        return sum(len(base64.b64decode(b)) for b in inner)
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in inner)
    if kind == "M":
        return 3 + sum(len(k.encode("utf-8")) + value_size(v) + 1 for k, v in inner.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_size(item: dict[str, Any] | None) -> int:
    if not item:
        return 0
    return sum(len(name.encode("utf-8")) + value_size(v) for name, v in item.items())


def write_units(size: int) -> int:
    return max(1, math.ceil(size / 1024))


@dataclass
class Index:
    name: str
    keys: tuple[str, ...]
    projection: str  # ALL | KEYS_ONLY | INCLUDE
    included: tuple[str, ...] = ()


@dataclass
class TableShape:
    keys: tuple[str, ...]
    indexes: list[Index]

    def key_of(self, item: dict[str, Any]) -> dict[str, Any]:
        return {k: item[k] for k in self.keys}

    def projected(self, index: Index, item: dict[str, Any]) -> dict[str, Any]:
        if index.projection == "ALL":
            return item
        wanted = set(self.keys) | set(index.keys) | set(index.included)
        return {k: v for k, v in item.items() if k in wanted}

    def index_writes(self, before: dict[str, Any] | None, after: dict[str, Any] | None) -> int:
        """Write units the table's GSIs consume for one item write (AWS: "Global secondary
        indexes: write activity")."""
        units = 0
        for index in self.indexes:
            was = bool(before) and all(k in before for k in index.keys)  # type: ignore[operator]
            now = bool(after) and all(k in after for k in index.keys)  # type: ignore[operator]
            old = self.projected(index, before) if was and before else None
            new = self.projected(index, after) if now and after else None
            if old is None and new is None:
                continue
            if old is None or new is None:
                units += write_units(item_size(old or new))
            elif any(before[k] != after[k] for k in index.keys):  # type: ignore[index]
                units += write_units(item_size(old)) + write_units(item_size(new))
            elif old != new:
                units += write_units(max(item_size(old), item_size(new)))
        return units


# ---------------------------------------------------------------------- the meter
@dataclass
class Meter:
    """What the product's functions did: invocations and their time, AWS calls, request units."""

    dynamodb: Any = None  # the uncounted client for before/after reads
    shape: dict[str, TableShape] = field(default_factory=dict)
    active: bool = False
    local: threading.local = field(default_factory=threading.local)
    runs: list[tuple[str, float]] = field(default_factory=list)
    calls: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    wru: Counter[str] = field(default_factory=Counter)
    wru_indexes: float = 0.0  # the part of `wru` that keeps the GSIs' copies up to date
    rru: Counter[str] = field(default_factory=Counter)
    events: Counter[str] = field(default_factory=Counter)  # EventBridge entries (64 KB units)
    s3_bytes_put: int = 0
    log_bytes: Counter[str] = field(default_factory=Counter)
    hook_errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def guarded(self, hook: Any) -> Any:
        """A hook that never breaks the product's call: a failure is kept for the report."""

        def run(**kwargs: Any) -> None:
            try:
                hook(**kwargs)
            except Exception as exc:
                with self.lock:
                    self.hook_errors.append(f"{hook.__name__}: {exc!r}")

        return run

    # -- Lambda: the local runtime calls this right before and right after each handler call
    def on_env_change(self) -> None:
        name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        stack = self.local.__dict__.setdefault("stack", [])
        if name:
            stack.append((name.removeprefix("postventa-"), time.perf_counter()))
        elif stack:
            function, started = stack.pop()
            if self.active:
                with self.lock:
                    self.runs.append((function, time.perf_counter() - started))

    def current(self) -> str | None:
        stack = self.local.__dict__.get("stack") or []
        return stack[-1][0] if stack else None

    # -- botocore hooks on the product's sessions
    def before_call(self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any):
        function = self.current()
        if not self.active or function is None:
            return
        service, op = model.service_model.service_name, model.name
        context["bench"] = (function, service, op)
        if service == "dynamodb" and op in ("GetItem", "Query"):
            context["bench_consistent"] = bool(json.loads(params["body"]).get("ConsistentRead"))
        elif service == "dynamodb" and op in ("PutItem", "UpdateItem", "DeleteItem"):
            request = json.loads(params["body"])
            key = self._key(request)
            context["bench_before"] = [(request["TableName"], key, self._read(request, key))]
        elif service == "dynamodb" and op == "TransactWriteItems":
            request = json.loads(params["body"])
            before = []
            for entry in request["TransactItems"]:
                (_, write), *_ = entry.items()
                key = self._key(write)
                before.append((write["TableName"], key, self._read(write, key)))
            context["bench_before"] = before
        elif service == "events" and op == "PutEvents":
            request = json.loads(params["body"])
            with self.lock:
                for entry in request["Entries"]:
                    size = len(json.dumps(entry).encode())
                    self.events[function] += max(1, math.ceil(size / 65536))
        elif service == "s3" and op == "PutObject":
            body = params.get("body") or b""
            size = len(body) if isinstance(body, bytes | bytearray) else 0
            with self.lock:
                self.s3_bytes_put += size

    def after_call(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        tag = context.pop("bench", None)  # once, though two registrations match DynamoDB calls
        if tag is None:
            return
        function, service, op = tag
        with self.lock:
            self.calls[(function, service, op)] += 1
        if service != "dynamodb":
            return
        failed = "Error" in parsed
        if op in ("GetItem", "Query"):
            items = [parsed["Item"]] if parsed.get("Item") else parsed.get("Items", [])
            units = max(1, math.ceil(sum(item_size(i) for i in items) / 4096))
            consistent = context.get("bench_consistent", False)
            self._add(self.rru, function, units * (1.0 if consistent else 0.5))
            return
        for table, key, before in context.get("bench_before", []):
            after = before if failed or key is None else self._get(table, key)
            factor = 2 if op == "TransactWriteItems" else 1
            indexes = self.shape[table].index_writes(before, after)
            units = factor * write_units(max(item_size(before), item_size(after))) + indexes
            with self.lock:
                self.wru_indexes += indexes
            self._add(self.wru, function, units)

    def _add(self, counter: Counter[str], function: str, units: float) -> None:
        with self.lock:
            counter[function] += units  # type: ignore[assignment]

    def _key(self, request: dict[str, Any]) -> dict[str, Any] | None:
        if "Key" in request:
            return dict(request["Key"])
        if "Item" in request:
            return self.shape[request["TableName"]].key_of(request["Item"])
        return None

    def _read(self, request: dict[str, Any], key: dict[str, Any] | None) -> dict[str, Any] | None:
        return self._get(request["TableName"], key) if key else None

    def _get(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        item: dict[str, Any] | None = self.dynamodb.get_item(
            TableName=table, Key=key, ConsistentRead=True
        ).get("Item")
        return item


class CountingStream:
    """Forwards writes to a stream and counts their bytes for the function running."""

    def __init__(self, inner: Any, meter: Meter) -> None:
        self._inner = inner
        self._meter = meter

    def write(self, text: str) -> int:
        function = self._meter.current()
        if self._meter.active and function is not None:
            with self._meter.lock:
                self._meter.log_bytes[function] += len(text.encode("utf-8", "replace"))
        return int(self._inner.write(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@contextmanager
def instrumented_sessions(meter: Meter) -> Iterator[None]:
    """Every boto3 session `postventa.aws` makes carries the meter's hooks."""
    import postventa.aws as aws

    original = aws._session

    @functools.cache
    def session() -> Any:
        made = original.__wrapped__()
        made.events.register("before-call", meter.guarded(meter.before_call))
        # DynamoDB first, before boto3's resource layer turns typed values into Python ones.
        made.events.register_first("after-call.dynamodb", meter.guarded(meter.after_call))
        made.events.register_first("after-call", meter.guarded(meter.after_call))
        return made

    aws._session = session  # type: ignore[assignment]
    aws.reset_clients()
    try:
        yield
    finally:
        aws._session = original  # type: ignore[assignment]
        aws.reset_clients()


@contextmanager
def counted_output(meter: Meter) -> Iterator[None]:
    """stdout (EMF metrics, prints) and the Powertools logger's stream, counted per function."""
    import logging

    handlers = [h for h in logging.getLogger("postventa").handlers if hasattr(h, "stream")]
    saved = [h.stream for h in handlers]
    stdout = sys.stdout
    sys.stdout = CountingStream(stdout, meter)  # type: ignore[assignment]
    for handler in handlers:
        handler.stream = CountingStream(handler.stream, meter)  # type: ignore[attr-defined]
    try:
        yield
    finally:
        sys.stdout = stdout
        for handler, stream in zip(handlers, saved, strict=True):
            handler.stream = stream  # type: ignore[attr-defined]


# ---------------------------------------------------------------------- driving the product
class Driver:
    """Calls the functions as API Gateway would, on the in-process cloud."""

    def __init__(self, cloud: Any) -> None:
        self.cloud = cloud
        self.api_requests = 0

    def http(self, function: str, method: str, path: str, route: str, **kwargs: Any) -> Any:
        from tests.support.events import http_event

        self.api_requests += 1
        result = self.cloud.invoke(function, http_event(method, path, route=route, **kwargs))
        if result.errored:
            raise RuntimeError(f"{function} {method} {path}: {result.payload[:300]}")
        return result.value()

    def webhook(self, order_id: int) -> None:
        from postventa.services.demo import sample_orders_paid, shopify_webhook_request

        raw, headers = shopify_webhook_request(sample_orders_paid(order_id), "demo-secret")
        answer = self.http(
            "WebhooksFunction",
            "POST",
            "/webhooks/shopify/demo",
            "/webhooks/{channel}/{tenant_id}",
            body=raw,
            headers=headers,
            path_params={"channel": "shopify", "tenant_id": "demo"},
        )
        if answer["statusCode"] != 200:
            raise RuntimeError(f"webhook -> {answer['statusCode']}")

    def submit_form(self, token: str) -> None:
        from tests.support.builders import VALID_FORM
        from tests.support.http import csrf_of

        path, route = f"/facturar/{token}", "/facturar/{token}"
        page = self.http("BillingFormFunction", "GET", path, route, path_params={"token": token})
        body = urlencode({**VALID_FORM, "csrf": csrf_of(page["body"])}).encode()
        answer = self.http(
            "BillingFormFunction",
            "POST",
            path,
            route,
            body=body,
            headers={"content-type": "application/x-www-form-urlencoded", "origin": PUBLIC},
            path_params={"token": token},
            base64_body=True,
        )
        if answer["statusCode"] != 200:
            raise RuntimeError(f"form POST -> {answer['statusCode']}")

    def add_folios(self, count: int) -> None:
        self.http(
            "SellerApiFunction",
            "POST",
            "/api/v1/folios",
            "/api/v1/{proxy+}",
            body=json.dumps({"cantidad": count}).encode(),
            headers={"authorization": "Bearer demo-api-key", "content-type": "application/json"},
        )


def _wait(predicate: Any, what: str, timeout: float = 120.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.05)
    import faulthandler

    faulthandler.dump_traceback(all_threads=True)  # where the cloud's threads are, in the log
    raise RuntimeError(f"no llegó a tiempo: {what}")


def _run_order(cloud: Any, driver: Driver, mailbox: Any, order_id: int) -> str:
    """One order through the happy path; returns its execution ARN (a failed execution too:
    the report counts it as a miss, with its cause)."""
    number = f"#{order_id % 100000}"
    driver.webhook(order_id)
    cloud.drain_queues(timeout=60)

    def link() -> str | None:
        for mail in mailbox.messages():
            if number in (mail.subject or "") and not mail.attachments:
                found = re.search(r"/facturar/([A-Za-z0-9_-]{40,})", mail.text or "")
                if found:
                    return found.group(1)
        return None

    driver.submit_form(_wait(link, f"billing email of {number}"))
    sfn = cloud.client("stepfunctions")
    arn = cloud.stack.state_machines["InvoiceLifecycle"].arn
    mine = [
        e["executionArn"]
        for e in sfn.list_executions(stateMachineArn=arn)["executions"]
        if f"-{order_id}-" in e["name"] or e["name"].endswith(f"-{order_id}")
    ]
    execution = _wait(
        lambda: next(
            (a for a in mine if sfn.describe_execution(executionArn=a)["status"] != "RUNNING"),
            None,
        ),
        f"execution of {number}",
    )
    if sfn.describe_execution(executionArn=execution)["status"] == "SUCCEEDED":
        _wait(
            lambda: any(number in (m.subject or "") and m.attachments for m in mailbox.messages()),
            f"invoice email of {number}",
        )
    cloud.drain_queues(timeout=60)  # the ERP queue's message
    cloud.runtime.wait_idle(timeout=30)  # the audit's invocations
    return str(execution)


# ---------------------------------------------------------------------- Step Functions
def execution_profile(sfn: Any, arn: str) -> dict[str, Any]:
    events: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"executionArn": arn, "maxResults": 1000}
    while True:
        page = sfn.get_execution_history(**kwargs)
        events += page["events"]
        if not page.get("nextToken"):
            break
        kwargs["nextToken"] = page["nextToken"]
    entered = [e for e in events if e["type"].endswith("StateEntered")]
    states = Counter(e["stateEnteredEventDetails"]["name"] for e in entered)
    scheduled = Counter()
    integrations = Counter()
    current = None
    for event in events:
        if event["type"].endswith("StateEntered"):
            current = event["stateEnteredEventDetails"]["name"]
        elif event["type"] in ("TaskScheduled", "LambdaFunctionScheduled"):
            scheduled[current] += 1
            details = event.get("taskScheduledEventDetails") or {}
            if details.get("resourceType") in ("dynamodb", "events"):
                integrations[f"{details['resourceType']}:{details.get('resource')}"] += 1
    retries = sum(max(0, n - states[s]) for s, n in scheduled.items())
    failures = [
        f"{e['type']} in {name}: {details.get('error')} {str(details.get('cause'))[:300]}"
        for e, name in _with_states(events)
        for details in [_failure_details(e)]
        if details
    ]
    return {
        "transitions": len(entered) + retries,
        "states": states,
        "retries": retries,
        "integrations": integrations,
        "status": sfn.describe_execution(executionArn=arn)["status"],
        "failures": failures,
    }


def _with_states(events: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], str]]:
    current = ""
    for event in events:
        if event["type"].endswith("StateEntered"):
            current = event["stateEnteredEventDetails"]["name"]
        yield event, current


def _failure_details(event: dict[str, Any]) -> dict[str, Any] | None:
    for key, value in event.items():
        if key.endswith("FailedEventDetails") or key.endswith("TimedOutEventDetails"):
            return dict(value)
    return None


# ---------------------------------------------------------------------- storage
def table_bytes(client: Any, table: str, shape: TableShape) -> int:
    """Billed storage: every item + 100 bytes, and each index copy + 100 bytes."""
    total = 0
    kwargs: dict[str, Any] = {"TableName": table}
    while True:
        page = client.scan(**kwargs)
        for item in page["Items"]:
            total += item_size(item) + 100
            for index in shape.indexes:
                if all(k in item for k in index.keys):
                    total += item_size(shape.projected(index, item)) + 100
        if not page.get("LastEvaluatedKey"):
            return total
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def bucket_bytes(client: Any, bucket: str) -> int:
    total = 0
    kwargs: dict[str, Any] = {"Bucket": bucket}
    while True:
        page = client.list_object_versions(**kwargs)
        total += sum(v["Size"] for v in page.get("Versions", []))
        if not page.get("IsTruncated"):
            return total
        kwargs["KeyMarker"] = page["NextKeyMarker"]
        kwargs["VersionIdMarker"] = page["NextVersionIdMarker"]


def table_shape(client: Any, table: str) -> TableShape:
    described = client.describe_table(TableName=table)["Table"]
    keys = tuple(k["AttributeName"] for k in described["KeySchema"])
    indexes = [
        Index(
            name=g["IndexName"],
            keys=tuple(k["AttributeName"] for k in g["KeySchema"]),
            projection=g["Projection"]["ProjectionType"],
            included=tuple(g["Projection"].get("NonKeyAttributes", [])),
        )
        for g in described.get("GlobalSecondaryIndexes", [])
    ]
    return TableShape(keys, indexes)


# ---------------------------------------------------------------------- the run
def measure(orders: int) -> dict[str, Any]:
    from localcloud import local_cloud_inprocess
    from localcloud.mailbox import Mailbox
    from postventa.cli.local import cloud_hooks

    meter = Meter()
    hooks = cloud_hooks()
    hooks["on_env_change"] = [meter.on_env_change, *hooks["on_env_change"]]
    with (
        instrumented_sessions(meter),
        local_cloud_inprocess(
            TEMPLATE,
            gateway=False,
            parameters={"PublicBaseUrl": PUBLIC, "MailFrom": "facturas@tienda-demo.example"},
            **hooks,
        ) as cloud,
    ):
        table = cloud.stack.tables["Table"]
        bucket = cloud.function_environment()["DOCUMENTS_BUCKET"]
        meter.dynamodb = cloud.client("dynamodb")
        meter.shape[table] = table_shape(meter.dynamodb, table)
        driver = Driver(cloud)
        mailbox = Mailbox()
        driver.add_folios(orders + 1)
        _run_order(cloud, driver, mailbox, FIRST_ORDER + orders)  # warm-up: imports, caches
        table_before = table_bytes(meter.dynamodb, table, meter.shape[table])
        bucket_before = bucket_bytes(cloud.client("s3"), bucket)
        mails_before = len(mailbox.messages())
        driver.api_requests = 0
        started = time.perf_counter()
        meter.active = True
        with counted_output(meter):
            executions = [
                _run_order(cloud, driver, mailbox, FIRST_ORDER + k) for k in range(orders)
            ]
        meter.active = False
        wall = time.perf_counter() - started
        sfn = cloud.client("stepfunctions")
        profiles = [execution_profile(sfn, arn) for arn in executions]
        mails = mailbox.messages()[: len(mailbox.messages()) - mails_before]
        memory = {lid: spec.memory_size for lid, spec in cloud.stack.functions.items()}
        names = {
            spec.name.removeprefix("postventa-"): lid for lid, spec in cloud.stack.functions.items()
        }
        order_item = meter.dynamodb.get_item(
            TableName=table,
            Key=_order_key(meter.shape[table], FIRST_ORDER),
            ConsistentRead=True,
        ).get("Item")
        return {
            "orders": orders,
            "wall": wall,
            "meter": meter,
            "profiles": profiles,
            "mails": mails,
            "memory": memory,
            "names": names,
            "api_requests": driver.api_requests,
            "table_bytes": table_bytes(meter.dynamodb, table, meter.shape[table]) - table_before,
            "bucket_bytes": bucket_bytes(cloud.client("s3"), bucket) - bucket_before,
            "order_item": order_item,
            "shape": meter.shape[table],
        }


def _order_key(shape: TableShape, order_id: int) -> dict[str, Any]:
    from postventa.storage import keys

    values = keys.order_key_attribute_values("demo", "shopify", str(order_id))
    return {k: values[k] for k in shape.keys}


# ---------------------------------------------------------------------- the model
@dataclass
class Line:
    service: str
    usd_per_1000: float  # per 1,000 orders; storage lines: per month the orders are kept
    detail: str
    storage: bool = False


def model(m: dict[str, Any]) -> tuple[list[Line], dict[str, Any]]:
    n = m["orders"]
    meter: Meter = m["meter"]
    per = 1000 / n  # measured totals -> per 1,000 orders
    lines: list[Line] = []
    facts: dict[str, Any] = {}

    # Step Functions
    transitions = sum(p["transitions"] for p in m["profiles"])
    integrations: Counter[str] = Counter()
    for p in m["profiles"]:
        integrations.update(p["integrations"])
    facts["transitions_per_order"] = transitions / n
    lines.append(
        Line(
            "Step Functions",
            transitions * per * price("sfn_transition"),
            f"{transitions / n:.1f} state transitions per order (Standard)",
        )
    )

    # Lambda
    by_function: dict[str, list[float]] = defaultdict(list)
    for name, seconds in meter.runs:
        by_function[m["names"].get(name, name)].append(seconds)
    invocations = sum(len(v) for v in by_function.values())
    gb_s = sum(
        m["memory"][f] / 1024 * sum(math.ceil(s * 1000) / 1000 for s in runs)
        for f, runs in by_function.items()
    )
    gb_s_cpu = sum(
        max(m["memory"][f], 1769) / 1024 * sum(runs) for f, runs in by_function.items()
    )  # all measured time taken as CPU at the function's share of a vCPU (1,769 MB = 1 vCPU)
    facts["lambda"] = by_function
    facts["gb_s_cpu_bound"] = gb_s_cpu / n
    lines.append(
        Line(
            "Lambda",
            (invocations * price("lambda_request") + gb_s * price("lambda_gb_s")) * per,
            f"{invocations / n:.1f} invocations, {gb_s / n * 1000:.0f} GB-ms per order "
            f"(CPU-bound bound: {gb_s_cpu / n * 1000:.0f} GB-ms)",
        )
    )

    # API Gateway
    lines.append(
        Line(
            "API Gateway (HTTP API)",
            m["api_requests"] * per * price("http_api_request"),
            f"{m['api_requests'] / n:.1f} requests per order (webhook, form GET, form POST)",
        )
    )

    # SQS
    calls = meter.calls
    sends = sum(c for (_f, s, o), c in calls.items() if s == "sqs" and o == "SendMessage")
    # The bus's ERP rule puts each InvoiceStamped on the ERP queue (one per invoiced order).
    erp_deliveries = sum(1 for p in m["profiles"] if p["status"] == "SUCCEEDED")
    sqs_requests = (sends + erp_deliveries) * 3  # send + receive + delete per message
    lines.append(
        Line(
            "SQS",
            sqs_requests * per * price("sqs_request"),
            f"{(sends + erp_deliveries) / n:.1f} messages per order x (send, receive, delete)",
        )
    )

    # DynamoDB
    wru = sum(meter.wru.values())
    rru = sum(meter.rru.values())
    sfn_updates = integrations.get("dynamodb:updateItem", 0)
    item = m["order_item"]
    shape: TableShape = m["shape"]
    if item and sfn_updates:
        # RecordBillingData: SET two attributes on the order (the item's gsi1/gsi2 copies move
        # too: ALL projections); sized with the order as it ended (an upper bound).
        lighter = {k: v for k, v in item.items() if k != "billing_data_recorded_at"}
        wru += sfn_updates * (write_units(item_size(item)) + shape.index_writes(lighter, item))
    storage_gb = m["table_bytes"] / n / 1e9
    ddb_requests = wru * price("ddb_wru") + rru * price("ddb_rru")
    ddb_storage = storage_gb * (price("ddb_storage_gb_month") + price("ddb_pitr_gb_month"))
    facts["wru"], facts["rru"] = wru / n, rru / n
    facts["ddb_by_function"] = (meter.wru, meter.rru)
    facts["table_bytes_per_order"] = m["table_bytes"] / n
    lines.append(
        Line(
            "DynamoDB requests",
            ddb_requests * per,
            f"{wru / n:.0f} WRU ({meter.wru_indexes / n:.0f} of them GSI copies) + "
            f"{rru / n:.0f} RRU per order (on-demand)",
        )
    )
    lines.append(
        Line(
            "DynamoDB storage + PITR",
            ddb_storage * 1000,
            f"{m['table_bytes'] / n / 1024:.1f} KB per order (items + index copies + 100 B each)",
            storage=True,
        )
    )

    # S3
    puts = sum(c for (f, s, o), c in calls.items() if s == "s3" and o == "PutObject")
    gets = sum(c for (f, s, o), c in calls.items() if s == "s3" and o == "GetObject")
    s3_gb = m["bucket_bytes"] / n / 1e9
    lines.append(
        Line(
            "S3 requests",
            (puts * price("s3_put") + gets * price("s3_get")) * per,
            f"{puts / n:.1f} PUT + {gets / n:.1f} GET per order",
        )
    )
    lines.append(
        Line(
            "S3 storage (Standard)",
            s3_gb * price("s3_gb_month") * 1000,
            f"{m['bucket_bytes'] / n / 1024:.1f} KB per order (sealed XML, stamped XML, PDF)",
            storage=True,
        )
    )

    # SES
    mails = m["mails"]
    attachment_bytes = sum(math.ceil(a.size / 3) * 4 for mail in mails for a in mail.attachments)
    lines.append(
        Line(
            "SES",
            (len(mails) * price("ses_email") + attachment_bytes / 1e9 * price("ses_attachment_gb"))
            * per,
            f"{len(mails) / n:.1f} emails per order, {attachment_bytes / n / 1024:.0f} KB of "
            "attachments (base64)",
        )
    )

    # EventBridge
    product_events = sum(meter.events.values())
    sfn_events = integrations.get("events:putEvents", 0)
    lines.append(
        Line(
            "EventBridge",
            (product_events + sfn_events) * per * price("eventbridge_event"),
            f"{(product_events + sfn_events) / n:.1f} custom events per order "
            f"({sfn_events / n:.1f} from the state machine)",
        )
    )

    # Secrets Manager
    secret_calls = sum(c for (f, s, o), c in calls.items() if s == "secretsmanager")
    lines.append(
        Line(
            "Secrets Manager",
            secret_calls * per * price("secrets_call"),
            f"{secret_calls / n:.1f} calls per order (an upper bound: in-process the adapters "
            "are rebuilt per invocation, so the channel secret's 5-minute cache never hits)",
        )
    )

    # CloudWatch Logs and X-Ray
    log_bytes = sum(meter.log_bytes.values()) + invocations * PLATFORM_LOG_BYTES
    lines.append(
        Line(
            "CloudWatch Logs",
            log_bytes / 1e9 * price("logs_gb") * per,
            f"{log_bytes / n / 1024:.1f} KB ingested per order",
        )
    )
    lines.append(
        Line(
            "X-Ray",
            invocations * price("xray_trace") * per,
            f"up to {invocations / n:.1f} traces per order (every invocation sampled)",
        )
    )
    facts["calls"] = calls
    return lines, facts


def _mxn(usd_per_1000: float, rate: float = MXN_PER_USD) -> float:
    return usd_per_1000 / 1000 * rate


def run() -> str:
    m = measure(ORDERS)
    lines, facts = model(m)
    per_order = [line for line in lines if not line.storage]
    storage = [line for line in lines if line.storage]
    processing = sum(line.usd_per_1000 for line in per_order)
    monthly = sum(line.usd_per_1000 for line in storage)
    goal = STAMP_MXN * GOAL_SHARE
    out = [__doc__.strip().splitlines()[0], ""]
    out.append(
        f"{m['orders']} orders measured in {m['wall']:.1f} s (in-process cloud, one order at a "
        f"time); MXN/USD assumed {MXN_PER_USD:.2f}; reference: a stamp costs MXN "
        f"{STAMP_MXN:.2f}, the goal is {GOAL_SHARE:.0%} of it = MXN {goal:.4f} per order "
        f"(USD {goal / MXN_PER_USD * 1000:.3f} per 1,000 orders)"
    )
    out.append("")
    out.append("Per order (requests, compute, emails, events), paid once:")
    out.append(f"  {'service':26} {'USD / 1,000':>11} {'MXN / order':>11} {'share':>6}  measured")
    for line in sorted(per_order, key=lambda item: -item.usd_per_1000):
        out.append(
            f"  {line.service:26} {line.usd_per_1000:11.4f} {_mxn(line.usd_per_1000):11.5f} "
            f"{line.usd_per_1000 / processing:6.1%}  {line.detail}"
        )
    out.append(
        f"  {'TOTAL per order':26} {processing:11.4f} {_mxn(processing):11.5f} {1:6.0%}  "
        f"= {_mxn(processing) / STAMP_MXN:.2%} of a stamp: goal "
        f"{'met' if _mxn(processing) <= goal else 'missed'} "
        f"({_mxn(processing) / goal:.1f}x the goal)"
    )
    out.append("")
    out.append("Storage, paid every month the order is kept:")
    for line in storage:
        out.append(
            f"  {line.service:26} {line.usd_per_1000:11.4f} {_mxn(line.usd_per_1000):11.6f} "
            f"per month  {line.detail}"
        )
    kept = processing + monthly * RETENTION_MONTHS
    out.append(
        f"  kept {RETENTION_MONTHS} months (the CFDI's retention, CFF art. 30): USD "
        f"{monthly * RETENTION_MONTHS:.4f} per 1,000 orders; all-in MXN {_mxn(kept):.5f} per "
        f"order = {_mxn(kept) / STAMP_MXN:.2%} of a stamp"
    )
    out.append(
        "  sensitivity (per order, processing only): "
        + ", ".join(
            f"MXN {rate:.2f}/USD -> MXN {_mxn(processing, rate):.5f}" for rate in (17.0, 20.0)
        )
    )
    if m["meter"].hook_errors:
        out.append(
            f"  (metering failed {len(m['meter'].hook_errors)} times, e.g. "
            f"{m['meter'].hook_errors[0]}: those calls are missing above)"
        )
    out.append("")
    out.append(_transitions_report(m["profiles"]))
    out.append("")
    out.append(_lambda_report(facts["lambda"], m["memory"], m["orders"]))
    out.append("")
    out.append(_dynamo_report(facts, m["orders"]))
    out.append("")
    out.append("Prices (us-east-1, list, no free tier; read 2026-11-26):")
    for name, (value, source) in PRICES.items():
        out.append(f"  {name:22} {value:.10g} USD  {source}")
    return "\n".join(out)


def _transitions_report(profiles: list[dict[str, Any]]) -> str:
    states: Counter[str] = Counter()
    for p in profiles:
        states.update(p["states"])
    n = len(profiles)
    statuses = Counter(p["status"] for p in profiles)
    out = [
        f"State transitions per execution (from {n} histories; {dict(statuses)}; retries "
        f"{sum(p['retries'] for p in profiles)}): "
        f"median {statistics.median(p['transitions'] for p in profiles):.0f}",
        "  " + ", ".join(f"{s} {c / n:g}" for s, c in states.items()),
    ]
    for p in profiles:
        if p["status"] != "SUCCEEDED":
            out.append(f"  MISS ({p['status']}): " + " | ".join(p["failures"][:3]))
    return "\n".join(out)


def _lambda_report(by_function: dict[str, list[float]], memory: dict[str, int], n: int) -> str:
    out = [
        "Lambda per order (handler time measured in-process on this machine's CPU):",
        f"  {'function':30} {'MB':>5} {'calls':>6} {'p50 ms':>8} {'GB-ms':>8}",
    ]
    for name, runs in sorted(by_function.items(), key=lambda kv: -sum(kv[1]) * memory[kv[0]]):
        ms = [s * 1000 for s in runs]
        gb_ms = memory[name] / 1024 * sum(ms) / n
        out.append(
            f"  {name:30} {memory[name]:5} {len(runs) / n:6.1f} {statistics.median(ms):8.1f} "
            f"{gb_ms:8.0f}"
        )
    return "\n".join(out)


def _dynamo_report(facts: dict[str, Any], n: int) -> str:
    wru, rru = facts["ddb_by_function"]
    out = [
        "DynamoDB request units per order by function (product calls; the state machine's "
        "own update is added to the total):"
    ]
    for name in sorted(set(wru) | set(rru), key=lambda f: -wru.get(f, 0)):
        out.append(f"  {name:30} {wru.get(name, 0) / n:6.1f} WRU {rru.get(name, 0) / n:6.1f} RRU")
    calls: Counter[tuple[str, str, str]] = facts["calls"]
    ops: Counter[str] = Counter()
    for (_f, service, op), count in calls.items():
        ops[f"{service}.{op}"] += count
    out.append(
        "AWS calls per order: " + ", ".join(f"{k} {v / n:.1f}" for k, v in sorted(ops.items()))
    )
    return "\n".join(out)


if __name__ == "__main__":
    print(run())
