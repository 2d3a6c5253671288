"""Pytest-friendly helpers: the local cloud on moto.mock_aws, in this process.

    from localcloud.testing import local_cloud_inprocess

    def test_something():
        with local_cloud_inprocess("tests/fixtures/templates/basic/template.yaml") as cloud:
            cloud.invoke("HelloFunction", {"x": 1})
            cloud.drain_queues()
            cloud.fire_schedule("NightlyRule")
            cloud.client("sqs").send_message(...)

Background pollers and the schedule clock are off by default so tests decide when queues are
drained and rules fire; the gateway listens on a free port unless gateway=False. An application's
hooks (seeders, on_reset, on_env_change) pass through to `LocalCloud`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from localcloud.lambda_runtime import Hook
from localcloud.runner import LocalCloud


@contextmanager
def local_cloud_inprocess(
    template: str | Path,
    *,
    gateway: bool = True,
    pollers: bool = False,
    scheduler: bool = False,
    parameters: Mapping[str, Any] | None = None,
    substitutions: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    speedup: float = 1.0,
    seeders: Sequence[Hook] = (),
    on_reset: Sequence[Hook] = (),
    on_env_change: Sequence[Hook] = (),
    stack_name: str | None = None,
    placeholders: Mapping[str, str] | None = None,
) -> Iterator[LocalCloud]:
    """Start mock_aws (Step Functions execution on), provision `template`, install the Lambda
    hook; yield the LocalCloud (invoke / drain_queues / fire_schedule / client)."""
    cloud = LocalCloud(
        template,
        port=0 if gateway else None,
        mode="inprocess",
        pollers=pollers,
        scheduler=scheduler,
        parameters=parameters,
        substitutions=substitutions,
        env=env,
        speedup=speedup,
        seeders=seeders,
        on_reset=on_reset,
        on_env_change=on_env_change,
        stack_name=stack_name,
        poll_wait_seconds=1,
        placeholders=placeholders,
    )
    with cloud:
        yield cloud
