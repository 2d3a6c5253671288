"""Lambda events as AWS builds them: API Gateway HTTP API (payload 2.0), SQS, and a context."""

from __future__ import annotations

import base64
import importlib.util
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"


@dataclass
class LambdaContext:
    function_name: str = "test"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:test"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def http_event(
    method: str,
    path: str,
    *,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    route: str | None = None,
    path_params: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    base64_body: bool = False,
    cookies: list[str] | None = None,
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) event as the gateway builds it (the Cookie header
    arrives as the `cookies` list, "name=value" each)."""
    hdrs = {k.lower(): v for k, v in (headers or {}).items()}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": f"{method} {route or path}",
        "rawPath": path,
        "rawQueryString": "&".join(f"{k}={v}" for k, v in (query or {}).items()),
        "headers": hdrs,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api",
            "domainName": "facturas.example.test",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "1.2.3.4"},
            "requestId": str(uuid.uuid4()),
            "routeKey": f"{method} {route or path}",
            "stage": "$default",
            "timeEpoch": int(time.time() * 1000),
        },
        "isBase64Encoded": base64_body,
    }
    if query:
        event["queryStringParameters"] = query
    if path_params:
        event["pathParameters"] = path_params
    if cookies:
        event["cookies"] = cookies
    if body:
        event["body"] = base64.b64encode(body).decode() if base64_body else body.decode("utf-8")
    return event


def sqs_event(
    messages: list[dict[str, Any]], queue_arn: str = "arn:aws:sqs:us-east-1:123456789012:orders"
) -> dict[str, Any]:
    """An SQS event source's batch, from messages as ReceiveMessage returns them."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "us-east-1",
            }
            for m in messages
        ]
    }


def load_function(name: str) -> ModuleType:
    """Import functions/<name>/app.py under a unique module name (every function has an app.py)."""
    spec = importlib.util.spec_from_file_location(
        f"fn_{name}_{uuid.uuid4().hex}", FUNCTIONS / name / "app.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def eventbridge_event(
    detail_type: str, detail: dict[str, Any], *, event_id: str | None = None
) -> dict[str, Any]:
    """A bus event as an EventBridge rule delivers it to its target (the whole envelope)."""
    return {
        "version": "0",
        "id": event_id or str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": "postventa",
        "account": "123456789012",
        "time": "2026-11-20T16:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    }


def invoice_stamped(
    *,
    tenant_id: str = "tienda",
    order_id: str = "1001",
    uuid_: str = "5A1B3C4D-0000-4000-8000-00000000A001",
    xml_key: str | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    """InvoiceStamped as the lifecycle publishes it (the contract in decision 0014)."""
    return eventbridge_event(
        "InvoiceStamped",
        {
            "tenant_id": tenant_id,
            "channel": "shopify",
            "order_id": order_id,
            "occurred_at": "2026-11-20T16:00:00.123Z",
            "uuid": uuid_,
            "serie": "F",
            "folio": "17",
            "total": "599.00",
            "currency": "MXN",
            "xml_key": xml_key or f"invoices/{tenant_id}/2026/11/{uuid_}.xml",
        },
        event_id=event_id,
    )


def invoice_cancelled(
    *, tenant_id: str = "tienda", uuid_: str = "5A1B3C4D-0000-4000-8000-00000000A001"
) -> dict[str, Any]:
    return eventbridge_event(
        "InvoiceCancelled",
        {
            "tenant_id": tenant_id,
            "channel": "shopify",
            "order_id": "1001",
            "occurred_at": "2026-11-21T10:00:00.000Z",
            "uuid": uuid_,
            "motivo": "02",
            "status": "cancelada",
        },
    )


GLOBAL_RUN = "2026-11-01.04#001"
GLOBAL_UUID = "5A1B3C4D-0000-4000-8000-00000000C001"


def global_invoice_stamped(
    *,
    tenant_id: str = "tienda",
    run_id: str = GLOBAL_RUN,
    index: int = 0,
    xml_key: str | None = None,
) -> dict[str, Any]:
    """GlobalInvoiceStamped as the global invoice job publishes it (decision 0015): no order."""
    period, _, seq = run_id.partition("#")
    return eventbridge_event(
        "GlobalInvoiceStamped",
        {
            "tenant_id": tenant_id,
            "occurred_at": "2026-12-01T08:00:00.000Z",
            "run_id": run_id,
            "period": period,
            "index": index,
            "uuid": GLOBAL_UUID,
            "serie": "G",
            "folio": 3,
            "total": "1198.00",
            "orders": 2,
            "xml_key": xml_key or f"invoices/{tenant_id}/global/{period}/{seq}/{GLOBAL_UUID}.xml",
        },
    )


def global_invoice_cancelled(
    *, tenant_id: str = "tienda", run_id: str = GLOBAL_RUN
) -> dict[str, Any]:
    """GlobalInvoiceCancelled as the cancellations service publishes it: no order."""
    return eventbridge_event(
        "GlobalInvoiceCancelled",
        {
            "tenant_id": tenant_id,
            "occurred_at": "2026-12-04T20:00:00.000Z",
            "run_id": run_id,
            "period": run_id.partition("#")[0],
            "index": 0,
            "uuid": GLOBAL_UUID,
            "motivo": "04",
            "status": "aceptada",
        },
    )


#: A stamped CFDI 4.0's outline with our own values (amounts as the ERP reads them).
STAMPED_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/4" Version="4.0" Serie="F" '
    b'Folio="17" SubTotal="516.38" Descuento="0.00" Moneda="MXN" Total="599.00" '
    b'TipoDeComprobante="I"><cfdi:Emisor Rfc="EKU9003173C9" Nombre="ESCUELA KEMPER URGATE" '
    b'RegimenFiscal="601"/><cfdi:Impuestos TotalImpuestosTrasladados="82.62"/>'
    b"</cfdi:Comprobante>"
)
