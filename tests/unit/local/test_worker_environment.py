"""What a worker process's environment is made of (no process is started here)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from localcloud.specs import FunctionSpec
from localcloud.workers import WorkerPools

FN = FunctionSpec(
    logical_id="AFunction",
    name="stack-AFunction",
    arn="arn:aws:lambda:us-east-1:123456789012:function:stack-AFunction",
    code_dir=Path("/code/a"),
    handler="app.handler",
    runtime="python3.11",
    timeout=7,
    memory_size=256,
    environment={"TABLE_NAME": "t", "AWS_ENDPOINT_URL_SES": "http://ses", "_HANDLER": "evil.x"},
    layers=(Path("/layers/core"), Path("/layers/extra/python")),
)


@pytest.fixture
def pools() -> Iterator[WorkerPools]:
    pools = WorkerPools({"AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_REGION": "us-east-1"})
    yield pools
    pools.stop()


def test_worker_environment_is_base_then_function_then_lambda_reserved(
    pools: WorkerPools, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOMETHING_OF_THE_PARENT", "x")
    monkeypatch.delenv("PYTHONPATH", raising=False)
    env = pools.environment_for(FN)
    assert "SOMETHING_OF_THE_PARENT" not in env
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:1"
    assert (env["TABLE_NAME"], env["AWS_ENDPOINT_URL_SES"]) == ("t", "http://ses")
    assert env["_HANDLER"] == "app.handler"  # reserved: the function cannot override it
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "stack-AFunction"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["LAMBDA_TASK_ROOT"] == "/code/a"
    assert env["TZ"] == ":UTC"
    # the function's layers, in the template's order, as Lambda's /opt/python
    assert env["PYTHONPATH"] == "/layers/core:/layers/extra/python"
