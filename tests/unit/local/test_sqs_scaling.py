"""How many batches an SQS event source runs at once (Lambda's scaling: five to start, one more
at a time while polls come back full, back down as the queue empties), and how its pollers give
way while a client waits at the gateway."""

from __future__ import annotations

import threading
from typing import Any

from localcloud.lambda_runtime import InvokeResult
from localcloud.pollers import (
    INITIAL_BATCHES,
    SCALE_UP_INTERVAL_SECONDS,
    BatchScaling,
    SqsPoller,
)
from localcloud.specs import SqsSource


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_an_event_source_starts_with_five_batches_or_its_limit_if_lower() -> None:
    assert BatchScaling(limit=20).start() == INITIAL_BATCHES == 5
    assert BatchScaling(limit=3).start() == 3


def test_full_batches_add_one_batch_at_a_time_at_lambdas_pace_up_to_the_limit() -> None:
    clock = FakeClock()
    scaling = BatchScaling(limit=7, clock=clock)
    scaling.start()
    assert scaling.after_poll(10, batch_size=10) == "add"
    assert scaling.after_poll(10, batch_size=10) == "keep"  # at most 300 more a minute
    clock.now += SCALE_UP_INTERVAL_SECONDS
    assert scaling.after_poll(10, batch_size=10) == "add"
    clock.now += SCALE_UP_INTERVAL_SECONDS
    assert scaling.after_poll(10, batch_size=10) == "keep"  # the limit: 7
    assert scaling.active == 7
    assert scaling.after_poll(4, batch_size=10) == "keep"  # a partial batch: no backlog


def test_empty_polls_scale_back_down_to_the_starting_batches() -> None:
    clock = FakeClock()
    scaling = BatchScaling(limit=7, clock=clock)
    scaling.start()
    scaling.after_poll(10, batch_size=10)
    assert scaling.active == 6
    assert scaling.after_poll(0, batch_size=10) == "stop"
    assert scaling.after_poll(0, batch_size=10) == "keep"
    assert scaling.active == INITIAL_BATCHES


def test_retiring_always_leaves_one_poller() -> None:
    scaling = BatchScaling(limit=2)
    scaling.start()
    assert scaling.retire() is True
    assert scaling.retire() is False
    assert scaling.active == 1


class FakeRuntime:
    """What a poller asks the runtime: is a client waiting at the gateway?"""

    def __init__(self) -> None:
        self.waiting = True
        self.waited: list[float] = []

    def callers_waiting(self) -> bool:
        return self.waiting

    def wait_no_callers(self, timeout: float) -> bool:
        self.waited.append(timeout)
        return False


class FakeSqs:
    def __init__(self) -> None:
        self.received = 0

    def receive_message(self, **kwargs: Any) -> dict[str, Any]:
        self.received += 1
        return {}


SOURCE = SqsSource("Fn", "arn:aws:sqs:us-east-1:123456789012:q", "http://sqs/q")


def _poller(runtime: FakeRuntime, concurrency: int) -> SqsPoller:
    def invoke(name: str, event: Any) -> InvokeResult:
        raise AssertionError("nothing to invoke")

    return SqsPoller(
        SOURCE,
        FakeSqs(),
        invoke,
        region="us-east-1",
        concurrency=concurrency,
        runtime=runtime,  # type: ignore[arg-type]
    )


def test_while_a_client_waits_every_poller_but_one_retires_and_that_one_waits() -> None:
    runtime = FakeRuntime()
    poller = _poller(runtime, concurrency=3)
    poller.scaling.start()
    assert [poller._yield_to_callers() for _ in range(3)] == [True, True, False]
    assert poller.scaling.active == 1
    assert runtime.waited  # the last one waited for the gateway before polling again


def test_with_no_client_waiting_pollers_poll_at_once() -> None:
    runtime = FakeRuntime()
    runtime.waiting = False
    poller = _poller(runtime, concurrency=3)
    poller.scaling.start()
    assert poller._yield_to_callers() is False
    assert runtime.waited == [] and poller.scaling.active == 3


def test_a_poller_thread_stops_when_asked() -> None:
    runtime = FakeRuntime()
    runtime.waiting = False
    poller = _poller(runtime, concurrency=2)
    poller.wait_seconds = 0
    poller.start()
    poller.stop()
    poller.join(timeout=2)
    assert not any(
        t.is_alive() for t in threading.enumerate() if t.name.startswith("sqs-poller-Fn")
    )


def test_the_runtime_knows_while_a_client_waits_on_an_invocation() -> None:
    from localcloud.lambda_runtime import LambdaRuntime

    runtime = LambdaRuntime()
    with runtime.caller_waiting():
        assert runtime.callers_waiting()
        assert runtime.wait_no_callers(0.01) is False
    assert not runtime.callers_waiting()
    assert runtime.wait_no_callers(0.01) is True
    runtime.shutdown()
