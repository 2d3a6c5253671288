"""moto in-process: the table, queues, bus, SES sender and the real lifecycle ASL, per test.

The state machine's `lambda:invoke` runs functions/send_billing_request in this process (moto's
Docker-based invoke is replaced), so webhook -> queue -> ingest -> Step Functions -> email ->
form -> SendTaskSuccess runs through the real handlers and the real ASL file.
"""

from __future__ import annotations

import base64
import importlib.util
import io
import json
import time
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
ASL = ROOT / "infra" / "statemachines" / "invoice_lifecycle.asl.json"
BUS = "postventa-test"
PUBLIC = "https://facturas.example.test"


def load_handler(name: str) -> ModuleType:
    """Import functions/<name>/app.py under a unique module name (every function has an app.py)."""
    spec = importlib.util.spec_from_file_location(
        f"fn_{name}_{uuid.uuid4().hex}", ROOT / "functions" / name / "app.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class FakeContext:
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
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) event as the gateway builds it."""
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
    if body:
        event["body"] = base64.b64encode(body).decode() if base64_body else body.decode("utf-8")
    return event


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", "def handler(event, context):\n    return {}\n")
    return buf.getvalue()


def _table_definition() -> dict[str, Any]:
    from cfnlint.decode import cfn_yaml

    props = cfn_yaml.load(str(ROOT / "template.yaml"))["Resources"]["Table"]["Properties"]
    return {
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "GlobalSecondaryIndexes": props["GlobalSecondaryIndexes"],
        "BillingMode": "PAY_PER_REQUEST",
    }


class Cloud:
    """Handles to the mocked resources plus helpers the tests share."""

    def __init__(self, queue_url: str, tap_url: str, machine_arn: str) -> None:
        import boto3

        self.sqs = boto3.client("sqs")
        self.sfn = boto3.client("stepfunctions")
        self.ddb = boto3.client("dynamodb")
        self.queue_url = queue_url
        self.tap_url = tap_url
        self.machine_arn = machine_arn
        self.handlers: dict[str, ModuleType] = {}

    def handler(self, name: str) -> ModuleType:
        if name not in self.handlers:
            self.handlers[name] = load_handler(name)
        return self.handlers[name]

    def call(self, name: str, event: dict[str, Any]) -> Any:
        return self.handler(name).handler(event, FakeContext(function_name=name))

    def queued(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        while True:
            got = self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0
            ).get("Messages", [])
            if not got:
                return out
            for m in got:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])
            out.extend(got)

    def events(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        while True:
            got = self.sqs.receive_message(QueueUrl=self.tap_url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not got:
                return out
            for m in got:
                self.sqs.delete_message(QueueUrl=self.tap_url, ReceiptHandle=m["ReceiptHandle"])
                out.append(json.loads(m["Body"]))

    def sqs_event(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
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
                    "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:orders",
                    "awsRegion": "us-east-1",
                }
                for m in messages
            ]
        }

    def executions(self) -> list[dict[str, Any]]:
        return list(self.sfn.list_executions(stateMachineArn=self.machine_arn)["executions"])

    def wait_for(self, predicate: Any, timeout: float = 15.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError("condition not reached in time")

    def execution_status(self, arn: str) -> str:
        return str(self.sfn.describe_execution(executionArn=arn)["status"])

    def sent_emails(self) -> list[Any]:
        """What SES received, parsed as a mail client would (subject, to, text, html, files)."""
        import datetime as dt

        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ses.models import ses_backends

        from localcloud.mailbox import parse_mime

        sent = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
        now = dt.datetime.now(dt.UTC)
        return [parse_mime(str(m.id), m.raw_data, now) for m in sent]


def _cloud(monkeypatch: pytest.MonkeyPatch, max_deadline_seconds: int) -> Iterator[Cloud]:
    import boto3
    from moto import mock_aws
    from moto.awslambda.models import LambdaFunction

    from postventa.aws import reset_clients
    from postventa.channels.registry import reset_adapters
    from postventa.settings import reset_settings
    from postventa.storage.secrets import clear_cache

    monkeypatch.setenv("TABLE_NAME", "postventa-test")
    monkeypatch.setenv("EVENT_BUS_NAME", BUS)
    monkeypatch.setenv("PUBLIC_BASE_URL", PUBLIC)
    monkeypatch.setenv("MAIL_FROM", "facturas@tienda-demo.example")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)

    billing_request = load_handler("send_billing_request")

    def invoke_in_process(self: Any, event: Any = None) -> tuple[str, bool, str]:
        payload = json.loads(event) if isinstance(event, str) else event
        try:
            result = billing_request.handler(payload, FakeContext(function_name=self.function_name))
        except Exception as exc:
            return json.dumps({"errorMessage": str(exc), "errorType": type(exc).__name__}), True, ""
        return json.dumps(result), False, ""

    monkeypatch.setattr(LambdaFunction, "_invoke_lambda", invoke_in_process)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        reset_settings(), reset_clients(), clear_cache(), reset_adapters()
        ddb = boto3.client("dynamodb")
        ddb.create_table(TableName="postventa-test", **_table_definition())
        sqs = boto3.client("sqs")
        dlq = sqs.create_queue(QueueName="orders-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])
        queue_url = sqs.create_queue(
            QueueName="orders",
            Attributes={
                "RedrivePolicy": json.dumps(
                    {"deadLetterTargetArn": dlq_arn["Attributes"]["QueueArn"], "maxReceiveCount": 5}
                )
            },
        )["QueueUrl"]
        monkeypatch.setenv("ORDERS_QUEUE_URL", queue_url)
        tap = sqs.create_queue(QueueName="events-tap")["QueueUrl"]
        tap_arn = sqs.get_queue_attributes(QueueUrl=tap, AttributeNames=["QueueArn"])
        events = boto3.client("events")
        events.create_event_bus(Name=BUS)
        events.put_rule(
            Name="tap", EventBusName=BUS, EventPattern=json.dumps({"source": ["postventa"]})
        )
        events.put_targets(
            Rule="tap",
            EventBusName=BUS,
            Targets=[{"Id": "tap", "Arn": tap_arn["Attributes"]["QueueArn"]}],
        )
        role = boto3.client("iam").create_role(
            RoleName="lambda-role", AssumeRolePolicyDocument="{}"
        )["Role"]["Arn"]
        function_arn = boto3.client("lambda").create_function(
            FunctionName="send-billing-request",
            Runtime="python3.11",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": _zip()},
        )["FunctionArn"]
        definition = ASL.read_text(encoding="utf-8")
        for key, value in {
            "SendBillingRequestFunctionArn": function_arn,
            "TableName": "postventa-test",
            "EventBusName": BUS,
            "BillingDeadlineSeconds": str(max_deadline_seconds),
        }.items():
            definition = definition.replace("${" + key + "}", value)
        machine = boto3.client("stepfunctions").create_state_machine(
            name="invoice-lifecycle", definition=definition, roleArn=role
        )["stateMachineArn"]
        monkeypatch.setenv("LIFECYCLE_STATE_MACHINE_ARN", machine)
        reset_settings()

        from postventa.services.demo import seed_demo_tenant

        seed_demo_tenant(with_csd=False)  # key generation is tested once, not per test
        yield Cloud(queue_url, tap, machine)
    reset_settings(), reset_clients(), clear_cache(), reset_adapters()


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[Cloud]:
    yield from _cloud(monkeypatch, max_deadline_seconds=3600)


@pytest.fixture
def short_deadline_cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[Cloud]:
    """The lifecycle's deadline shortened to 2 s (as the local run shortens it)."""
    yield from _cloud(monkeypatch, max_deadline_seconds=2)
