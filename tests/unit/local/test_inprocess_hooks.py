"""In-process invocations apply the function's environment and tell the application through its
hooks, so nothing it cached under one function's environment serves another."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from localcloud.lambda_runtime import LambdaRuntime
from localcloud.specs import FunctionSpec

HANDLER = """
import os

def handler(event, context):
    return {"region": os.environ["AWS_REGION"], "color": os.environ.get("COLOR")}
"""


def _spec(code: Path, logical_id: str, environment: dict[str, str]) -> FunctionSpec:
    return FunctionSpec(
        logical_id=logical_id,
        name=f"stack-{logical_id}",
        arn=f"arn:aws:lambda:us-east-1:123456789012:function:stack-{logical_id}",
        code_dir=code,
        handler="app.handler",
        runtime="python3.11",
        timeout=3,
        memory_size=128,
        environment=environment,
    )


def test_hooks_run_around_every_call_and_reset_only_when_the_aws_connection_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "app.py").write_text(HANDLER)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.delenv("COLOR", raising=False)
    seen: list[tuple[str, str | None, str]] = []

    def hook(kind: str) -> None:
        seen.append((kind, os.environ.get("COLOR"), os.environ["AWS_REGION"]))

    runtime = LambdaRuntime(
        {
            "Plain": _spec(tmp_path, "Plain", {"COLOR": "rojo"}),
            "Elsewhere": _spec(tmp_path, "Elsewhere", {"AWS_REGION": "mx-central-1"}),
        },
        on_env_change=[lambda: hook("env")],
        on_reset=[lambda: hook("reset")],
    )
    try:
        plain = runtime.invoke("Plain", {})
        assert plain.value() == {"region": "us-east-1", "color": "rojo"}
        assert seen == [("env", "rojo", "us-east-1"), ("env", None, "us-east-1")]
        seen.clear()
        elsewhere = runtime.invoke("Elsewhere", {})
        assert elsewhere.value() == {"region": "mx-central-1", "color": None}
        assert seen == [
            ("env", None, "mx-central-1"),
            ("reset", None, "mx-central-1"),  # clients built for us-east-1 must not serve it
            ("env", None, "us-east-1"),
            ("reset", None, "us-east-1"),  # nor the ones it built serve the next call
        ]
        assert os.environ["AWS_REGION"] == "us-east-1" and "COLOR" not in os.environ
    finally:
        runtime.shutdown()
