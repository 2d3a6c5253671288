"""Run Lambda handlers for every invoke path: in worker processes (server mode) or in this process.

moto's `LambdaFunction._invoke_lambda` (which needs Docker) is replaced once; Lambda Invoke,
Step Functions `lambda:invoke` and the local gateway/pollers/schedules all land in
`LambdaRuntime.invoke`.

- With `workers` set (server mode, `LocalCloud(mode="server")`): each function runs in its own
  worker processes started with exactly its environment (`localcloud.workers`), concurrently
  with the others, with its timeout enforced, as Lambda runs each function in its own execution
  environment.
- Without (in-process mode, for tests on moto's mock_aws, which a child process cannot reach):
  each function's handler module is imported from its CodeUri under a unique module name, and the
  function's own environment variables are applied around the call under a process-wide lock (so
  functions never see each other's variables); one handler at a time. Code that caches what it
  read from the environment is told through the hooks: `on_env_change` around every call,
  `on_reset` too when the call's environment changes the AWS connection (endpoint, region, keys).
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from localcloud.patching import MotoPatch
from localcloud.specs import FunctionSpec
from localcloud.workers import LambdaContext, WorkerPools, error_payload
from localcloud.workers import json_default as _json_default

Hook = Callable[[], object]
#: Handler modules are imported under this prefix + logical id (every function has an app.py).
MODULE_PREFIX = "localcloud_fn_"

__all__ = [
    "PATCH",
    "InvokeResult",
    "LambdaContext",
    "LambdaRuntime",
    "LocalRuntimeBusyError",
    "WorkerPools",
]


class LocalRuntimeBusyError(Exception):
    """Another invocation held the runtime lock for longer than this function's timeout."""


@dataclass
class InvokeResult:
    payload: str  # JSON text as Lambda returns it
    errored: bool
    logs: str
    throttled: bool = False  # no function ran: the function was at its concurrency limit

    def value(self) -> Any:
        return json.loads(self.payload) if self.payload else None


@dataclass
class _LoadedHandler:
    module: ModuleType
    func: Any
    mtime: float
    private_modules: dict[str, ModuleType]


class LambdaRuntime:
    """Imports and calls the handlers of the stack's functions."""

    def __init__(
        self,
        functions: dict[str, FunctionSpec] | None = None,
        *,
        workers: WorkerPools | None = None,
        on_env_change: Sequence[Hook] = (),
        on_reset: Sequence[Hook] = (),
    ) -> None:
        self.functions: dict[str, FunctionSpec] = dict(functions or {})
        #: Per-function worker processes (server mode); None runs handlers in this process.
        self.workers = workers
        self.on_env_change = list(on_env_change)
        self.on_reset = list(on_reset)
        self.lock = threading.RLock()  # held around every in-process call (env is per function)
        self._count_lock = threading.Lock()
        self._loaded: dict[str, _LoadedHandler] = {}
        self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="lambda-async")
        self._pending: set[Future[Any]] = set()
        self._pending_lock = threading.Lock()
        self.invocations = 0
        self._waiting_callers = 0  # invocations a client is waiting on (the gateway's)
        self._callers_gone = threading.Condition()

    # ------------------------------------------------------------------ lookup
    def find(self, name: str) -> FunctionSpec | None:
        if name in self.functions:
            return self.functions[name]
        for spec in self.functions.values():
            if name in (spec.name, spec.arn) or name.startswith(spec.arn + ":"):
                return spec
        return None

    def spec(self, name: str) -> FunctionSpec:
        found = self.find(name)
        if found is None:
            raise KeyError(f"función desconocida: {name}")
        return found

    # ------------------------------------------------------------------ invocation
    def invoke(self, name: str, event: Any) -> InvokeResult:
        """Call the function's handler with `event`; errors come back as Lambda does."""
        spec = self.spec(name)
        request_id = str(uuid.uuid4())
        if self.workers is not None:
            with self._count_lock:
                self.invocations += 1
            out = self.workers.invoke(spec, event, request_id)
            return InvokeResult(out.payload, out.errored, out.logs, out.throttled)
        context = LambdaContext(
            function_name=spec.name,
            invoked_function_arn=spec.arn,
            memory_limit_in_mb=spec.memory_size,
            aws_request_id=request_id,
            log_group_name=f"/aws/lambda/{spec.name}",
            log_stream_name=f"local/{request_id}",
            timeout_seconds=spec.timeout,
        )
        started = time.monotonic()
        if not self.lock.acquire(timeout=max(spec.timeout, 1)):
            return _error_result(
                LocalRuntimeBusyError(
                    f"{spec.name}: otra invocación ocupó el runtime más de {spec.timeout} s"
                ),
                request_id,
            )
        try:
            self.invocations += 1
            with self._function_environment(spec), self._module_scope(spec):
                try:
                    handler = self._handler(spec)
                    result = handler(event, context)
                    payload = json.dumps(result, default=_json_default)
                    errored = False
                except Exception as exc:
                    return _error_result(exc, request_id)
        finally:
            self.lock.release()
        elapsed_ms = (time.monotonic() - started) * 1000
        logs = f"REPORT RequestId: {request_id}\tDuration: {elapsed_ms:.2f} ms\n"
        return InvokeResult(payload, errored, logs)

    # ------------------------------------------------------------------ who waits
    @contextmanager
    def caller_waiting(self) -> Iterator[None]:
        """Around an invocation whose caller waits for the answer (a request at the gateway)."""
        with self._callers_gone:
            self._waiting_callers += 1
        try:
            yield
        finally:
            with self._callers_gone:
                self._waiting_callers -= 1
                if not self._waiting_callers:
                    self._callers_gone.notify_all()

    def callers_waiting(self) -> bool:
        return self._waiting_callers > 0

    def wait_no_callers(self, timeout: float) -> bool:
        """Until no caller waits on an invocation, at most `timeout` seconds; True if none."""
        with self._callers_gone:
            return self._callers_gone.wait_for(lambda: not self._waiting_callers, timeout)

    def invoke_async(self, name: str, event: Any) -> Future[Any]:
        """Invoke like an asynchronous (Event) invocation; `wait_idle` waits for these."""
        return self.submit(self.invoke, name, event)

    def submit(self, func: Any, *args: Any) -> Future[Any]:
        """Run `func` in the background; `wait_idle` waits for it."""
        future = self._executor.submit(func, *args)
        with self._pending_lock:
            self._pending.add(future)
        future.add_done_callback(self._forget)
        return future

    def _forget(self, future: Future[Any]) -> None:
        with self._pending_lock:
            self._pending.discard(future)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._pending_lock:
                if not self._pending:
                    return True
            time.sleep(0.01)
        return False

    def prewarm(self, names: list[str] | None = None) -> None:
        """Server mode: start one worker per function in the background (no-op in-process)."""
        if self.workers is None:
            return
        specs = [self.spec(n) for n in names] if names is not None else self.functions.values()
        self.workers.prewarm(list(specs))

    def concurrency_limit(self, name: str) -> int:
        """How many invocations of the function can run at once here (one in this process)."""
        if self.workers is None:
            return 1
        return self.workers.limit_for(self.spec(name))

    def worker_pids(self) -> list[int]:
        return self.workers.pids() if self.workers is not None else []

    def worker_pids_by_function(self) -> dict[str, list[int]]:
        return self.workers.pids_by_function() if self.workers is not None else {}

    def wait_prewarmed(self, timeout: float = 60.0) -> bool:
        """Server mode: until every function's first worker has started (see prewarm)."""
        return self.workers.wait_prewarmed(timeout) if self.workers is not None else True

    def shutdown(self) -> None:
        """Stop the worker processes (in-flight invocations end as Runtime.ExitError), then the
        background executor."""
        if self.workers is not None:
            self.workers.stop()
        self._executor.shutdown(wait=True, cancel_futures=True)

    # ------------------------------------------------------------------ environment
    def run_hooks(self, *, reset: bool) -> None:
        """Tell code that caches what it read from the environment (and from AWS, with reset)."""
        for hook in self.on_env_change + (self.on_reset if reset else []):
            hook()

    @contextmanager
    def _function_environment(self, spec: FunctionSpec) -> Iterator[None]:
        env = dict(spec.environment)
        env.update(
            {
                "AWS_LAMBDA_FUNCTION_NAME": spec.name,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_size),
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
                "_HANDLER": spec.handler,
                # As in the workers (workers.py): no X-Ray daemon here. In this process a tracing
                # handler would also patch botocore for every thread, and moto's Step Functions
                # thread would then read the tracer's variables while another handler's
                # environment is swapped in (a KeyError the execution saw as States.Runtime).
                "POWERTOOLS_TRACE_DISABLED": "true",
            }
        )
        reconnect = _changes_aws_connection(env)
        try:
            with applied_environment(env):
                self.run_hooks(reset=reconnect)
                yield
        finally:
            self.run_hooks(reset=reconnect)

    # ------------------------------------------------------------------ handler import
    def _handler(self, spec: FunctionSpec) -> Any:
        func_name = spec.handler.rpartition(".")[2]
        file = spec.code_file
        mtime = file.stat().st_mtime
        loaded = self._loaded.get(spec.logical_id)
        if loaded is None or loaded.mtime != mtime:  # first call, or the file was edited
            for name in list(loaded.private_modules if loaded else ()):
                sys.modules.pop(name, None)
            unique = f"{MODULE_PREFIX}{spec.logical_id}"
            module_spec = importlib.util.spec_from_file_location(unique, file)
            if module_spec is None or module_spec.loader is None:
                raise ImportError(f"no se puede importar {file}")
            module = importlib.util.module_from_spec(module_spec)
            sys.modules[unique] = module
            module_spec.loader.exec_module(module)
            loaded = _LoadedHandler(module, getattr(module, func_name), mtime, {})
            self._loaded[spec.logical_id] = loaded
        return loaded.func

    @contextmanager
    def _module_scope(self, spec: FunctionSpec) -> Iterator[None]:
        """Put the function's code dir, its layers and its own sibling modules in place.

        Every function has an `app.py` and may have siblings with common names; sibling modules
        are kept per function and taken out of sys.modules between calls. Modules of the layers
        stay loaded, shared by every function, as the virtualenv's packages are.
        """
        code_dir = str(spec.code_dir)
        loaded = self._loaded.get(spec.logical_id)
        if loaded:
            sys.modules.update(loaded.private_modules)
        before = set(sys.modules) - set(loaded.private_modules if loaded else ())
        added = [code_dir, *(str(d) for d in spec.layers)]
        sys.path[0:0] = added
        try:
            yield
        finally:
            for entry in added:
                with suppress(ValueError):
                    sys.path.remove(entry)
            loaded = self._loaded.get(spec.logical_id)
            prefix = code_dir + os.sep
            for name, module in list(sys.modules.items()):
                if name in before:
                    continue
                file = getattr(module, "__file__", None)
                if file and file.startswith(prefix) and not name.startswith(MODULE_PREFIX):
                    if loaded is not None:
                        loaded.private_modules[name] = module
                    del sys.modules[name]


def _changes_aws_connection(env: dict[str, str]) -> bool:
    """Whether applying `env` changes what boto3 clients connect to (endpoint, region, keys).

    Settings differ per function and are re-read on every call (cheap); clients are rebuilt only
    when a function's own environment sets AWS_* connection variables, which costs ~50 ms each.
    """
    return any(
        key.startswith("AWS_") and not key.startswith("AWS_LAMBDA_") and os.environ.get(key) != val
        for key, val in env.items()
    )


@contextmanager
def applied_environment(env: Mapping[str, str]) -> Iterator[None]:
    """`env` set in os.environ for the block, then every variable as it was."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def _error_result(exc: BaseException, request_id: str) -> InvokeResult:
    payload = error_payload(exc, request_id)
    logs = "".join(traceback.format_exception(exc))
    sys.stderr.write(f"[local lambda] {logs}")
    return InvokeResult(json.dumps(payload), True, logs)


# ---------------------------------------------------------------------- the moto hook
def _moto_invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
    runtime = PATCH.owner
    if runtime is None or runtime.find(self.function_name) is None:
        return PATCH.original(self, event)
    if isinstance(event, (str, bytes)):
        event = json.loads(event) if event else {}
    result = runtime.invoke(self.function_name, {} if event is None else event)
    if result.throttled:  # the Invoke API's own error, which callers such as Step Functions retry
        raise _throttling_error(json.loads(result.payload)["errorMessage"])
    return result.payload, result.errored, result.logs


def _throttling_error(message: str) -> Exception:
    """Lambda's 429 TooManyRequestsException, as moto's Lambda API would raise it."""
    from moto.awslambda.exceptions import LambdaClientError

    error = LambdaClientError("TooManyRequestsException", message)
    error.code = 429
    return error


def _state_machine_invoke(parameters: dict[str, Any], region: str, state_credentials: Any) -> Any:
    """Step Functions' `lambda:invoke` task, straight to the runtime.

    moto's interpreter builds a new boto3 client for every Lambda task and calls the Invoke API
    over HTTP on its own server, which lands in `_moto_invoke_lambda` anyway: the same call
    without a client build and an HTTP round trip per task. It answers as the Invoke API does
    (StatusCode, ExecutedVersion, FunctionError on a function error, the payload, LogResult
    when asked for), and a throttle as its 429 TooManyRequestsException, which the state's Retry
    sees as Lambda.TooManyRequestsException.
    """
    runtime = STATE_MACHINE_PATCH.owner
    name = str(parameters.get("FunctionName", ""))
    synchronous = parameters.get("InvocationType", "RequestResponse") == "RequestResponse"
    if runtime is None or not synchronous or runtime.find(name) is None:
        return STATE_MACHINE_PATCH.original(parameters, region, state_credentials)
    payload = parameters.get("Payload")
    result = runtime.invoke(name, json.loads(payload) if payload else {})
    if result.throttled:
        from botocore.exceptions import ClientError

        error: Any = {
            "Error": {
                "Code": "TooManyRequestsException",
                "Message": json.loads(result.payload)["errorMessage"],
            },
            "ResponseMetadata": {"HTTPStatusCode": 429, "RequestId": str(uuid.uuid4())},
        }
        raise ClientError(error, "Invoke")
    try:
        value: Any = json.loads(result.payload)
    except ValueError:
        value = result.payload
    response: dict[str, Any] = {"StatusCode": 200, "ExecutedVersion": "$LATEST", "Payload": value}
    if result.errored:
        response["FunctionError"] = "Unhandled"
    if parameters.get("LogType") == "Tail":
        response["LogResult"] = base64.b64encode(result.logs.encode()[-4096:]).decode()
    return response


#: Installed by LocalCloud with its LambdaRuntime as owner.
PATCH: MotoPatch[LambdaRuntime] = MotoPatch(
    "moto.awslambda.models:LambdaFunction", "_invoke_lambda", _moto_invoke_lambda
)
STATE_MACHINE_PATCH: MotoPatch[LambdaRuntime] = MotoPatch(
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils",
    "_invoke_lambda_function",
    _state_machine_invoke,
)
