"""The local cloud on moto in-process, against a small template with tiny handlers."""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel

from localcloud import LocalCloud
from localcloud.testing import local_cloud_inprocess

pytestmark = pytest.mark.integration

BASIC_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "templates" / "basic"
BASIC = BASIC_DIR / "template.yaml"


class Hooks:
    """What the cloud told the application: its seeder's view, how often caches were dropped."""

    def __init__(self) -> None:
        self.seeded_table: str | None = None
        self.env_changes = 0
        self.resets = 0

    def seed(self) -> None:
        import boto3

        self.seeded_table = os.environ["TABLE_NAME"]  # the functions' environment is applied
        boto3.resource("dynamodb").Table(self.seeded_table).put_item(Item={"pk": "seeded#1"})

    def env_changed(self) -> None:
        self.env_changes += 1

    def reset(self) -> None:
        self.resets += 1


HOOKS = Hooks()


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    with local_cloud_inprocess(
        BASIC,
        substitutions={"WaitSeconds": "0"},
        seeders=[HOOKS.seed],
        on_env_change=[HOOKS.env_changed],
        on_reset=[HOOKS.reset],
    ) as c:
        yield c


def http(
    cloud: LocalCloud, method: str, path: str, body: bytes | None = None
) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(cloud.gateway_url + path, data=body, method=method)
    if body is not None:
        req.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, dict(resp.headers.items()), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers.items()), err.read()


def item(cloud: LocalCloud, pk: str) -> dict[str, Any] | None:
    table = cloud.stack.tables["Table"]  # type: ignore[union-attr]
    found = cloud.client("dynamodb").get_item(TableName=table, Key={"pk": {"S": pk}})
    return found.get("Item")


def scan(cloud: LocalCloud, prefix: str) -> list[dict[str, Any]]:
    table = cloud.stack.tables["Table"]  # type: ignore[union-attr]
    items = cloud.client("dynamodb").scan(TableName=table)["Items"]
    return [i for i in items if i["pk"]["S"].startswith(prefix)]


def send(cloud: LocalCloud, queue: str, body: dict[str, Any]) -> None:
    url = cloud.stack.queues[queue]  # type: ignore[union-attr]
    cloud.client("sqs").send_message(QueueUrl=url, MessageBody=json.dumps(body))


def dlq_bodies(cloud: LocalCloud) -> list[dict[str, Any]]:
    url = cloud.stack.queues["WorkDLQ"]  # type: ignore[union-attr]
    msgs = (
        cloud.client("sqs")
        .receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
        .get("Messages", [])
    )
    return [json.loads(m["Body"]) for m in msgs]


# ---------------------------------------------------------------------- provisioning
def test_provisioning_creates_every_resource_of_the_template(cloud: LocalCloud) -> None:
    queues = cloud.client("sqs").list_queues()["QueueUrls"]
    assert sorted(u.rsplit("/", 1)[-1] for u in queues) == [
        "basic-test-work-dlq",
        "local-WorkQueue",
    ]  # ProdOnlyQueue's condition is false
    attrs = cloud.client("sqs").get_queue_attributes(
        QueueUrl=cloud.stack.queues["WorkQueue"], AttributeNames=["All"]
    )["Attributes"]
    assert attrs["VisibilityTimeout"] == "1"
    assert json.loads(attrs["RedrivePolicy"]) == {
        "deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:basic-test-work-dlq",
        "maxReceiveCount": 2,
    }
    ddb = cloud.client("dynamodb")
    table = ddb.describe_table(TableName="local-Table")["Table"]
    assert [g["IndexName"] for g in table["GlobalSecondaryIndexes"]] == ["gsi1"]
    ttl = ddb.describe_time_to_live(TableName="local-Table")["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expires_at"
    assert "local-bucket" in [b["Name"] for b in cloud.client("s3").list_buckets()["Buckets"]]
    buses = [b["Name"] for b in cloud.client("events").list_event_buses()["EventBuses"]]
    assert "basic-test" in buses
    functions = {f["FunctionName"] for f in cloud.client("lambda").list_functions()["Functions"]}
    assert functions == {f"local-{n}Function" for n in ("Http", "Worker", "Tick", "Task", "Mail")}
    machines = cloud.client("stepfunctions").list_state_machines()["stateMachines"]
    assert [m["name"] for m in machines] == ["local-Flow"]
    sched = cloud.client("events").describe_rule(Name="local-TickFunctionEveryMinute")
    assert sched["ScheduleExpression"] == "rate(1 minute)"


def test_seeders_run_once_provisioned_with_the_functions_environment(cloud: LocalCloud) -> None:
    assert HOOKS.seeded_table == "local-Table"
    assert item(cloud, "seeded#1") is not None
    assert "TABLE_NAME" not in os.environ  # applied for the seeders only


# ---------------------------------------------------------------------- lambda
def test_each_in_process_call_tells_the_application_its_environment_changed(
    cloud: LocalCloud,
) -> None:
    env_changes, resets = HOOKS.env_changes, HOOKS.resets
    assert not cloud.invoke("TaskFunction", {"mode": "double", "x": 1}).errored
    assert HOOKS.env_changes == env_changes + 2  # applied, then restored
    assert HOOKS.resets == resets  # same AWS connection: clients stay


def test_a_functions_layer_is_importable_during_its_call_only(cloud: LocalCloud) -> None:
    result = cloud.invoke("TaskFunction", {"mode": "layer"})
    assert (result.errored, result.value()) == (False, {"greeting": "hola desde la capa"})
    assert str(BASIC_DIR / "task_layer") not in sys.path


def test_functions_run_in_process_with_only_their_own_environment(cloud: LocalCloud) -> None:
    status, headers, body = http(cloud, "POST", "/echo", b'{"a": 1}')
    assert status == 201
    doc = json.loads(body)
    assert doc["work_queue_url"] == cloud.stack.queues["WorkQueue"]  # type: ignore[union-attr]
    assert doc["public_url"] == cloud.gateway_url  # Metadata LocalCloud parameter
    assert 0 < doc["remaining_ms"] <= 10_000
    assert headers["x-function"] == "local-HttpFunction"
    assert "WORK_QUEUE_URL" not in os.environ
    task = cloud.invoke("TaskFunction", {"mode": "double", "x": 4})
    assert (task.errored, task.value()) == (False, {"doubled": 8})


def test_lambda_invoke_api_reports_handler_errors(cloud: LocalCloud) -> None:
    resp = cloud.client("lambda").invoke(
        FunctionName="local-TaskFunction", Payload=json.dumps({"mode": "nope"})
    )
    assert resp["FunctionError"] == "Handled"
    error = json.loads(resp["Payload"].read())
    assert error["errorType"] == "ValueError" and "nope" in error["errorMessage"]
    assert error["stackTrace"]


# ---------------------------------------------------------------------- gateway
def test_unmapped_route_is_404(cloud: LocalCloud) -> None:
    status, _, body = http(cloud, "GET", "/nowhere")
    assert (status, json.loads(body)) == (404, {"message": "Not Found"})
    status, _, _ = http(cloud, "DELETE", "/hello/ana")  # path exists, method does not
    assert status == 404


def test_raising_handler_is_502(cloud: LocalCloud) -> None:
    status, _, body = http(cloud, "GET", "/boom")
    assert (status, json.loads(body)) == (502, {"message": "Internal Server Error"})


def test_path_parameters_reach_the_handler(cloud: LocalCloud) -> None:
    status, headers, body = http(cloud, "GET", "/hello/Mar%C3%ADa")
    assert status == 200 and headers["content-type"] == "application/json"
    assert json.loads(body) == {"greeting": "hola María", "kind": "http"}
    status, _, body = http(cloud, "PUT", "/files/a/b.txt", b"{}")
    assert json.loads(body)["event"]["pathParameters"] == {"proxy": "a/b.txt"}


def test_oversized_body_is_413(cloud: LocalCloud) -> None:
    assert cloud.gateway is not None
    saved = cloud.gateway.max_body_bytes
    cloud.gateway.max_body_bytes = 1000
    try:
        status, _, _ = http(cloud, "POST", "/echo", b"x" * 1001)
    finally:
        cloud.gateway.max_body_bytes = saved
    assert status == 413


# ---------------------------------------------------------------------- SQS
def test_partial_batch_failure_redelivers_only_the_failed_record(cloud: LocalCloud) -> None:
    ok_id, flaky_id = f"ok-{uuid.uuid4()}", f"flaky-{uuid.uuid4()}"
    send(cloud, "WorkQueue", {"id": ok_id})
    send(cloud, "WorkQueue", {"id": flaky_id, "fail_times": 1})
    assert cloud.drain_queues(timeout=15)
    assert item(cloud, f"work#{ok_id}")["attempts"] == {"N": "1"}  # type: ignore[index]
    assert item(cloud, f"work#{flaky_id}")["attempts"] == {"N": "2"}  # type: ignore[index]
    assert all(b["id"] not in (ok_id, flaky_id) for b in dlq_bodies(cloud))


def test_poison_message_reaches_the_dlq_after_max_receive_count(cloud: LocalCloud) -> None:
    poison = f"poison-{uuid.uuid4()}"
    send(cloud, "WorkQueue", {"id": poison, "fail_times": 99})
    assert cloud.drain_queues(timeout=15)
    assert item(cloud, f"work#{poison}")["attempts"] == {"N": "2"}  # type: ignore[index]
    assert {"id": poison, "fail_times": 99} in dlq_bodies(cloud)


# ---------------------------------------------------------------------- events and schedules
def test_schedule_fires_on_demand_with_a_scheduled_event(cloud: LocalCloud) -> None:
    before = len(scan(cloud, "tick#"))
    (result,) = cloud.fire_schedule("TickFunctionEveryMinute")
    assert result["errored"] is False
    ticks = [json.loads(i["event"]["S"]) for i in scan(cloud, "tick#")]
    assert len(ticks) == before + 1
    scheduled = [t for t in ticks if t["detail-type"] == "Scheduled Event"]
    assert scheduled and scheduled[-1]["source"] == "aws.events"
    assert scheduled[-1]["resources"] == [
        "arn:aws:events:us-east-1:123456789012:rule/local-TickFunctionEveryMinute"
    ]


def test_eventbridge_pattern_rule_invokes_its_lambda_target(cloud: LocalCloud) -> None:
    events = cloud.client("events")
    marker = str(uuid.uuid4())
    events.put_events(
        Entries=[
            {
                "Source": "test.app",
                "DetailType": "OrderPlaced",
                "Detail": json.dumps({"marker": marker}),
                "EventBusName": "basic-test",
            },
            {  # does not match the pattern
                "Source": "test.other",
                "DetailType": "OrderPlaced",
                "Detail": json.dumps({"marker": marker}),
                "EventBusName": "basic-test",
            },
            {  # default bus: the schedule-only rule must not take it (moto bug)
                "Source": "test.app",
                "DetailType": "OrderPlaced",
                "Detail": json.dumps({"marker": marker}),
            },
        ]
    )
    assert cloud.runtime.wait_idle(timeout=10)
    hits = [json.loads(i["event"]["S"]) for i in scan(cloud, "tick#") if marker in i["event"]["S"]]
    assert len(hits) == 1
    assert hits[0]["source"] == "test.app" and hits[0]["detail"] == {"marker": marker}
    parsed = EventBridgeModel.model_validate(hits[0])  # the envelope AWS delivers, in full
    assert (parsed.account, parsed.region) == ("123456789012", "us-east-1")
    assert parsed.detail_type == "OrderPlaced" and parsed.version == "0"


def test_an_sqs_target_receives_the_whole_eventbridge_envelope(cloud: LocalCloud) -> None:
    sqs, events = cloud.client("sqs"), cloud.client("events")
    url = sqs.create_queue(QueueName="event-tap")["QueueUrl"]
    events.put_rule(
        Name="tap", EventBusName="basic-test", EventPattern=json.dumps({"source": ["test.tap"]})
    )
    events.put_targets(
        Rule="tap",
        EventBusName="basic-test",
        Targets=[{"Id": "q", "Arn": "arn:aws:sqs:us-east-1:123456789012:event-tap"}],
    )
    events.put_events(
        Entries=[
            {
                "Source": "test.tap",
                "DetailType": "Tapped",
                "Detail": json.dumps({"n": 1}),
                "EventBusName": "basic-test",
            }
        ]
    )
    (message,) = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    parsed = EventBridgeModel.model_validate_json(message["Body"])
    assert (parsed.account, parsed.detail_type, parsed.detail) == (
        "123456789012",
        "Tapped",
        {"n": 1},
    )


# ---------------------------------------------------------------------- step functions
def test_state_machine_runs_lambda_invoke_and_wait_for_task_token(cloud: LocalCloud) -> None:
    sfn = cloud.client("stepfunctions")
    run_id = str(uuid.uuid4())
    execution = sfn.start_execution(
        stateMachineArn=cloud.stack.state_machines["Flow"].arn,  # type: ignore[union-attr]
        name=run_id,
        input=json.dumps({"x": 21, "id": run_id}),
    )["executionArn"]
    token = None
    deadline = time.monotonic() + 15
    while token is None and time.monotonic() < deadline:
        found = item(cloud, f"token#{run_id}")
        token = found["token"]["S"] if found else None
        time.sleep(0.05)
    assert token, "the waitForTaskToken task never stored its token"
    assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"
    sfn.send_task_success(taskToken=token, output=json.dumps({"approved": True}))
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            break
        time.sleep(0.05)
    assert described["status"] == "SUCCEEDED"
    output = json.loads(described["output"])
    assert output["double"] == {"doubled": 42}
    assert output["approval"] == {"approved": True}


# ---------------------------------------------------------------------- mailbox
def test_email_sent_through_ses_appears_in_the_mailbox(cloud: LocalCloud) -> None:
    subject = f"Factura {uuid.uuid4()}"
    result = cloud.invoke("MailFunction", {"subject": subject, "to": "ana@example.com"})
    assert not result.errored
    status, _, body = http(cloud, "GET", "/_local/mail.json")
    assert status == 200
    mails = json.loads(body)
    raw = next(m for m in mails if m["subject"] == subject)
    assert raw["to"] == ["ana@example.com"] and raw["from"] == "avisos@example.com"
    assert raw["text"].startswith("Hola") and "<b>tu factura</b>" in raw["html"]
    assert raw["attachments"] == [
        {"filename": "factura.pdf", "content_type": "application/pdf", "size": 13}
    ]
    assert any(m["subject"] == "Aviso simple" and m["text"] == "texto plano" for m in mails)
    assert mails.index(raw) > mails.index(next(m for m in mails if m["subject"] == "Aviso simple"))
    status, headers, page = http(cloud, "GET", "/_local/mail")
    assert status == 200 and subject in page.decode()
    status, headers, pdf = http(cloud, "GET", f"/_local/mail/{raw['id']}/attachments/0")
    assert (status, pdf) == (200, b"%PDF-1.4 fake")
    assert headers["content-type"] == "application/pdf"
    status, _, html = http(cloud, "GET", f"/_local/mail/{raw['id']}/html")
    assert status == 200 and b"<b>tu factura</b>" in html
