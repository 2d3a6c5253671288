"""LocalCloud in server mode (what `postventa local up` runs): moto over HTTP on 127.0.0.1,
background pollers, the schedule clock, and the control endpoints the CLI calls."""

from __future__ import annotations

import json
import os
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from localcloud import LocalCloud
from postventa.cli import main

pytestmark = pytest.mark.integration

BASIC = Path(__file__).resolve().parents[2] / "fixtures" / "templates" / "basic" / "template.yaml"


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    # rate(1 minute) at 120x: one tick every 0.5 s of wall time.
    with LocalCloud(BASIC, port=0, speedup=120, substitutions={"WaitSeconds": "0"}) as c:
        yield c


def wait_for(predicate: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    return predicate()


def table_items(cloud: LocalCloud, prefix: str) -> list[dict[str, Any]]:
    items = cloud.client("dynamodb").scan(TableName="local-Table")["Items"]
    return [i for i in items if i["pk"]["S"].startswith(prefix)]


def scheduled_ticks(cloud: LocalCloud) -> list[dict[str, Any]]:
    return [i for i in table_items(cloud, "tick#") if i["detail_type"]["S"] == "Scheduled Event"]


def test_moto_is_reached_over_http_and_the_gateway_serves_routes(cloud: LocalCloud) -> None:
    assert cloud.moto_url is not None and cloud.moto_url.startswith("http://127.0.0.1:")
    assert cloud.stack is not None
    assert cloud.stack.queues["WorkQueue"].startswith(cloud.moto_url)
    with urllib.request.urlopen(cloud.gateway_url + "/hello/ana", timeout=10) as resp:
        assert json.loads(resp.read()) == {"greeting": "hola ana", "kind": "http"}
    with urllib.request.urlopen(cloud.gateway_url + "/_local/health", timeout=10) as resp:
        health = json.loads(resp.read())
    assert health["status"] == "ok" and "WorkerFunction" in health["functions"]


def test_background_poller_consumes_the_queue(cloud: LocalCloud) -> None:
    ident = str(uuid.uuid4())
    cloud.client("sqs").send_message(
        QueueUrl=cloud.stack.queues["WorkQueue"],  # type: ignore[union-attr]
        MessageBody=json.dumps({"id": ident}),
    )
    assert wait_for(lambda: table_items(cloud, f"work#{ident}"))


def test_schedule_fires_by_the_clock_with_speedup(cloud: LocalCloud) -> None:
    assert wait_for(lambda: len(scheduled_ticks(cloud)) >= 2, timeout=10)


def test_cli_fire_reaches_the_running_stack(
    cloud: LocalCloud, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cloud.gateway is not None and cloud.scheduler is not None
    fired_before = len(cloud.scheduler.fired)
    assert (
        main(["local", "fire", "TickFunctionEveryMinute", "--port", str(cloud.gateway.port)]) == 0
    )
    assert "local-TickFunction: ok" in capsys.readouterr().out
    assert len(cloud.scheduler.fired) > fired_before
    assert main(["local", "fire", "NoSuchRule", "--port", str(cloud.gateway.port)]) == 1


def test_state_machine_lambda_invoke_works_through_the_server(cloud: LocalCloud) -> None:
    sfn = cloud.client("stepfunctions")
    run_id = str(uuid.uuid4())
    sfn.start_execution(
        stateMachineArn=cloud.stack.state_machines["Flow"].arn,  # type: ignore[union-attr]
        name=run_id,
        input=json.dumps({"x": 2, "id": run_id}),
    )
    found = wait_for(lambda: table_items(cloud, f"token#{run_id}"), timeout=15)
    assert found, "lambda:invoke.waitForTaskToken did not run through the moto server"


def test_functions_run_in_their_own_worker_process_with_only_their_own_environment(
    cloud: LocalCloud,
) -> None:
    req = urllib.request.Request(cloud.gateway_url + "/echo", data=b'{"a": 1}', method="POST")
    with urllib.request.urlopen(req, timeout=10) as resp:
        doc = json.loads(resp.read())
        assert resp.headers["x-function"] == "local-HttpFunction"
    assert doc["work_queue_url"] == cloud.stack.queues["WorkQueue"]  # type: ignore[union-attr]
    assert doc["public_url"] == cloud.gateway_url
    assert doc["nice"] == 0  # behind the gateway: a client waits on it, normal CPU priority
    assert "WORK_QUEUE_URL" not in os.environ
    assert cloud.runtime.worker_pids()  # served by worker processes, not this one
