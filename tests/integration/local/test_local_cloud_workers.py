"""Server mode runs each Lambda function in its own worker processes (localcloud.workers):
concurrency across and within functions, exact per-function environments, Lambda's timeout and
init errors, recycling on edit, synchronous Lambda-to-Lambda calls, and no process left after stop.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from localcloud import LocalCloud
from localcloud.workers import BACKGROUND_NICE

pytestmark = pytest.mark.integration

WORKERS = Path(__file__).resolve().parents[2] / "fixtures" / "templates" / "workers"
PARENT_ONLY = "LOCALCLOUD_TEST_PARENT_ONLY"


@pytest.fixture(scope="module")
def code(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the template, so a test can edit a handler."""
    target = tmp_path_factory.mktemp("workers") / "workers"
    shutil.copytree(WORKERS, target)
    return target


@pytest.fixture(scope="module")
def cloud(code: Path) -> Iterator[LocalCloud]:
    os.environ[PARENT_ONLY] = "leak"
    try:
        with LocalCloud(
            code / "template.yaml",
            port=0,
            pollers=False,
            scheduler=False,
            prewarm=False,
            lambda_concurrency=2,
        ) as c:
            yield c
    finally:
        os.environ.pop(PARENT_ONLY, None)


def ok(cloud: LocalCloud, function: str, event: dict[str, Any]) -> dict[str, Any]:
    result = cloud.invoke(function, event)
    assert not result.errored, result.payload
    value: dict[str, Any] = result.value()
    return value


def concurrently(cloud: LocalCloud, calls: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    with ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(ok, cloud, fn, event) for fn, event in calls]
        return [f.result() for f in futures]


def test_slow_handlers_of_different_functions_overlap_in_time(cloud: LocalCloud) -> None:
    ok(cloud, "SlowAFunction", {})  # cold starts are not what this measures
    ok(cloud, "SlowBFunction", {})
    a, b = concurrently(
        cloud, [("SlowAFunction", {"sleep": 0.5}), ("SlowBFunction", {"sleep": 0.5})]
    )
    assert a["pid"] != b["pid"] != os.getpid()
    assert max(a["started"], b["started"]) < min(a["ended"], b["ended"])  # both ran at once
    assert max(a["ended"], b["ended"]) - min(a["started"], b["started"]) < 0.9


def test_concurrent_invocations_of_one_function_get_separate_workers(cloud: LocalCloud) -> None:
    calls = [("SlowAFunction", {"sleep": 0.3}), ("SlowAFunction", {"sleep": 0.3})]
    concurrently(cloud, calls)  # the second worker's cold start happens here
    first, second = concurrently(cloud, calls)
    assert first["pid"] != second["pid"]
    assert max(first["started"], second["started"]) < min(first["ended"], second["ended"])
    warm = {ok(cloud, "SlowAFunction", {})["pid"] for _ in range(4)}
    assert warm <= {first["pid"], second["pid"]}  # warm workers are reused, at most 2


def test_a_function_sees_exactly_its_own_environment(cloud: LocalCloud, code: Path) -> None:
    a = ok(cloud, "SlowAFunction", {})
    env = a["env"]
    assert (env["ONLY_A"], env["SHARED"]) == ("a", "everyone")
    assert "ONLY_B" not in env and "TARGET" not in env  # other functions' variables
    assert PARENT_ONLY not in env and "MOTO_PORT" not in env  # nothing of the parent process
    assert env["AWS_ENDPOINT_URL"] == cloud.moto_url
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "local-SlowAFunction"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "128"
    assert env["AWS_ACCOUNT_ID_ENDPOINT_MODE"] == "disabled"
    assert env["LAMBDA_TASK_ROOT"] == a["cwd"] == str(code / "fn_slow")
    assert env["POWERTOOLS_TRACE_DISABLED"] == "true"  # no X-Ray daemon locally
    assert 0 < a["remaining_ms"] <= 10_000
    b = ok(cloud, "SlowBFunction", {})["env"]
    assert b["ONLY_B"] == "b" and "ONLY_A" not in b
    assert "ONLY_A" not in os.environ  # and the parent never saw them


def test_a_timed_out_handler_returns_the_lambda_timeout_error_and_the_next_call_works(
    cloud: LocalCloud,
) -> None:
    before = ok(cloud, "ShortTimeoutFunction", {})["pid"]
    result = cloud.invoke("ShortTimeoutFunction", {"sleep": 3})
    assert result.errored
    error = result.value()
    assert error["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in error["errorMessage"]
    after = ok(cloud, "ShortTimeoutFunction", {})
    assert after["pid"] != before  # the timed-out worker was killed and replaced
    with pytest.raises(ProcessLookupError):
        os.kill(before, 0)


def test_an_unimportable_handler_is_a_lambda_init_error(cloud: LocalCloud) -> None:
    result = cloud.invoke("BrokenFunction", {})
    assert result.errored
    error = result.value()
    assert error["errorType"] == "Runtime.ImportModuleError"
    assert "a_module_that_does_not_exist" in error["errorMessage"]


def test_a_synchronous_lambda_to_lambda_call_through_the_api_completes(cloud: LocalCloud) -> None:
    assert ok(cloud, "CallerFunction", {}) == {
        "status": 200,
        "answered_by": "local-SlowBFunction",
    }


def test_errors_keep_lambdas_shape_through_the_invoke_api(cloud: LocalCloud) -> None:
    resp = cloud.client("lambda").invoke(
        FunctionName="local-SlowAFunction", Payload=json.dumps({"sleep": "no es número"})
    )
    assert resp["FunctionError"] == "Handled"
    error = json.loads(resp["Payload"].read())
    assert error["errorType"] == "TypeError"
    assert any("app.py" in line for line in error["stackTrace"])
    assert not any("workers.py" in line for line in error["stackTrace"])  # user frames only


def test_an_edited_handler_is_recycled_on_the_next_invoke(cloud: LocalCloud, code: Path) -> None:
    before = ok(cloud, "SlowBFunction", {})
    assert before["version"] == 1
    handler = code / "fn_slow" / "app.py"
    handler.write_text(handler.read_text().replace("VERSION = 1", "VERSION = 2"))
    stamp = time.time() + 1  # a later mtime even on coarse file systems
    os.utime(handler, (stamp, stamp))
    after = ok(cloud, "SlowBFunction", {})
    assert after["version"] == 2 and after["pid"] != before["pid"]


def test_a_layer_is_on_the_functions_path_and_an_edit_of_it_recycles_the_worker(
    cloud: LocalCloud, code: Path
) -> None:
    layer = code / "shared_layer" / "python"
    before = ok(cloud, "SlowAFunction", {})
    assert before["layer_word"] == "uno"  # imported from the layer, as from /opt/python
    assert before["env"]["PYTHONPATH"].split(os.pathsep)[0] == str(layer)
    module = layer / "shared_words.py"
    module.write_text(module.read_text().replace('"uno"', '"dos"'))
    stamp = time.time() + 1
    os.utime(module, (stamp, stamp))
    deadline = time.monotonic() + 5  # layers are scanned for edits at most once a second
    after = ok(cloud, "SlowAFunction", {})
    while after["layer_word"] != "dos" and time.monotonic() < deadline:
        time.sleep(0.2)
        after = ok(cloud, "SlowAFunction", {})
    assert after["layer_word"] == "dos" and after["pid"] != before["pid"]


def test_workers_of_functions_no_client_waits_on_run_at_background_priority(
    cloud: LocalCloud,
) -> None:
    assert ok(cloud, "SlowAFunction", {})["nice"] == BACKGROUND_NICE  # no route: no one waits


def test_a_function_at_its_reserved_concurrency_is_throttled_as_the_invoke_api_does(
    cloud: LocalCloud,
) -> None:
    client = boto3.client(
        "lambda",
        endpoint_url=cloud.moto_url,
        config=Config(retries={"total_max_attempts": 1}),  # see the throttle, not a retry
    )
    with pytest.raises(ClientError) as raised:
        client.invoke(FunctionName="local-ThrottledFunction", Payload=b"{}")
    assert raised.value.response["Error"]["Code"] == "TooManyRequestsException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429


def test_a_state_machine_task_sees_a_throttle_as_lambda_too_many_requests(
    cloud: LocalCloud,
) -> None:
    sfn = cloud.client("stepfunctions")
    execution = sfn.start_execution(
        stateMachineArn=cloud.stack.state_machines["ThrottleFlow"].arn,  # type: ignore[union-attr]
        input="{}",
    )["executionArn"]
    deadline = time.monotonic() + 10
    described = sfn.describe_execution(executionArn=execution)
    while described["status"] == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.05)
        described = sfn.describe_execution(executionArn=execution)
    assert described["status"] == "SUCCEEDED"
    # The error a Retry on Lambda.TooManyRequestsException matches (the product's ASL has one).
    assert json.loads(described["output"])["error"]["Error"] == "Lambda.TooManyRequestsException"


# Last in this module on purpose: it stops the module's cloud.
def test_stop_terminates_every_worker_process(cloud: LocalCloud) -> None:
    ok(cloud, "SlowAFunction", {})
    pids = cloud.runtime.worker_pids()
    assert pids and cloud.health()["lambda_workers"] == len(pids)
    cloud.stop()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert cloud.runtime.worker_pids() == []
