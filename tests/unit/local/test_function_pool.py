"""How one function's workers scale (localcloud.workers.FunctionPool), with fake workers whose
init phase the test ends: a call that finds no idle worker starts one, is served by whichever is
free first, calls are served in arrival order, the function's limit holds, a failed init reaches
the call that waited for it, and an edited function gets new workers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from localcloud.specs import FunctionSpec
from localcloud.workers import FunctionPool, _Throttled

FN = FunctionSpec(
    logical_id="Fn",
    name="local-Fn",
    arn="arn:aws:lambda:us-east-1:123456789012:function:local-Fn",
    code_dir=Path("."),
    handler="app.handler",
    runtime="python3.11",
    timeout=3,
    memory_size=128,
    environment={},
)


class FakeWorker:
    def __init__(self, number: int, fingerprint: tuple[int, int]) -> None:
        self.number = number
        self.pid = number
        self.fingerprint = fingerprint
        self.init_error: dict[str, Any] | None = None
        self.initialized = threading.Event()
        self.stopped = False

    def finish_init(self, error: dict[str, Any] | None = None) -> None:
        self.init_error = error
        self.initialized.set()

    def wait_ready(self, timeout: float) -> dict[str, Any] | None:
        self.initialized.wait(timeout)
        return self.init_error

    def alive(self) -> bool:
        return not self.stopped

    def kill(self) -> None:
        self.stopped = True

    def close(self, grace: float = 0.0) -> None:
        self.stopped = True


class FakeOwner:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.stopping = False
        self.init_timeout = 5.0
        self.code_version = (1, 1)
        self.started: list[FakeWorker] = []

    def limit_for(self, fn: FunctionSpec) -> int:
        return self.limit

    def fingerprint(self, fn: FunctionSpec) -> tuple[int, int]:
        return self.code_version

    def start_worker(self, fn: FunctionSpec, fingerprint: tuple[int, int]) -> FakeWorker:
        worker = FakeWorker(len(self.started) + 1, fingerprint)
        self.started.append(worker)
        return worker


def eventually(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 2
    while not check():
        assert time.monotonic() < deadline, "no llegó a tiempo"
        time.sleep(0.002)


@pytest.fixture
def calls() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(8) as pool:
        yield pool


def pool_of(limit: int) -> tuple[FunctionPool, FakeOwner]:
    owner = FakeOwner(limit)
    return FunctionPool(owner, FN), owner  # type: ignore[arg-type]


def call(pool: FunctionPool, calls: ThreadPoolExecutor, timeout: float = 2.0) -> Future[Any]:
    """An invocation that waits for a worker; wait until it is queued or served."""
    waiting_before = len(pool.claims)
    future = calls.submit(pool.acquire, timeout)
    eventually(lambda: future.done() or len(pool.claims) > waiting_before)
    with pool.lock:  # its turn in the pool's critical section is over (a worker was started)
        return future


def warm(pool: FunctionPool, owner: FakeOwner, calls: ThreadPoolExecutor) -> FakeWorker:
    """A worker started by a first call, ready, and back in the pool."""
    first = call(pool, calls)
    owner.started[-1].finish_init()
    worker = first.result(timeout=2)
    pool.release(worker, healthy=True)
    return worker  # type: ignore[no-any-return]


def test_the_first_call_starts_a_worker_and_is_served_once_it_is_ready(
    calls: ThreadPoolExecutor,
) -> None:
    pool, owner = pool_of(limit=3)
    first = call(pool, calls)
    assert len(owner.started) == 1 and not first.done()  # its cold start
    owner.started[0].finish_init()
    assert first.result(timeout=2) is owner.started[0]


def test_a_waiting_call_takes_a_warm_worker_freed_before_its_new_one_is_ready(
    calls: ThreadPoolExecutor,
) -> None:
    pool, owner = pool_of(limit=3)
    warm_worker = warm(pool, owner, calls)
    busy = pool.acquire(timeout=1)
    second = call(pool, calls)  # finds no idle worker: a second one starts
    assert len(owner.started) == 2 and not second.done()
    pool.release(busy, healthy=True)
    assert second.result(timeout=2) is warm_worker  # the cold start did not hold it
    owner.started[1].finish_init()
    eventually(lambda: owner.started[1] in pool.idle)  # the new worker joins the pool


def test_waiting_calls_are_served_in_arrival_order(calls: ThreadPoolExecutor) -> None:
    pool, owner = pool_of(limit=1)
    warm(pool, owner, calls)
    held = pool.acquire(timeout=1)
    order: list[str] = []
    futures = []
    for name in ("b", "c", "d"):
        future = call(pool, calls)
        future.add_done_callback(lambda _f, name=name: order.append(name))
        futures.append(future)
    worker = held
    for future in futures:
        pool.release(worker, healthy=True)
        worker = future.result(timeout=2)
    assert order == ["b", "c", "d"]
    assert len(owner.started) == 1  # the limit: one worker, reused


def test_only_as_many_workers_start_as_calls_wait_for(calls: ThreadPoolExecutor) -> None:
    pool, owner = pool_of(limit=10)
    warm(pool, owner, calls)
    busy = pool.acquire(timeout=1)
    second, third = call(pool, calls), call(pool, calls)
    assert len(owner.started) == 3  # one new worker per waiting call
    pool.release(busy, healthy=True)  # serves the second call
    assert second.result(timeout=2) is busy
    fourth = call(pool, calls)
    # Two workers are still starting for two waiting calls: no fourth start.
    assert len(owner.started) == 3
    for worker in owner.started[1:]:
        worker.finish_init()
    assert {third.result(timeout=2), fourth.result(timeout=2)} == set(owner.started[1:])


def test_a_failed_init_reaches_the_call_that_waited_for_it(calls: ThreadPoolExecutor) -> None:
    pool, owner = pool_of(limit=2)
    first = call(pool, calls)
    error = {"errorType": "Runtime.ImportModuleError", "errorMessage": "no module"}
    owner.started[0].finish_init(error)
    worker = first.result(timeout=2)
    assert worker.init_error == error
    pool.release(worker, healthy=False)
    assert worker.stopped and not pool.workers


def test_a_call_that_waits_longer_than_it_may_is_throttled(calls: ThreadPoolExecutor) -> None:
    pool, owner = pool_of(limit=1)
    warm(pool, owner, calls)
    pool.acquire(timeout=1)
    with pytest.raises(_Throttled):
        pool.acquire(timeout=0.05)
    assert not pool.claims  # it no longer waits


def test_a_reserved_concurrency_of_zero_throttles_every_call() -> None:
    pool, owner = pool_of(limit=0)
    with pytest.raises(_Throttled, match="ReservedConcurrentExecutions"):
        pool.acquire(timeout=1)
    assert owner.started == []


def test_an_edited_function_gets_a_new_worker_and_the_old_one_stops(
    calls: ThreadPoolExecutor,
) -> None:
    pool, owner = pool_of(limit=2)
    old = warm(pool, owner, calls)
    owner.code_version = (2, 1)
    edited = call(pool, calls)
    eventually(lambda: old.stopped)
    assert len(owner.started) == 2
    owner.started[1].finish_init()
    assert edited.result(timeout=2) is owner.started[1]


def test_stopping_ends_waiting_calls(calls: ThreadPoolExecutor) -> None:
    pool, owner = pool_of(limit=1)
    warm(pool, owner, calls)
    pool.acquire(timeout=1)
    waiting = call(pool, calls)
    owner.stopping = True
    pool.take_all()
    with pytest.raises(_Throttled):
        waiting.result(timeout=2)
