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
