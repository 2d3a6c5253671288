"""Each Lambda function in its own worker processes (server mode), as Lambda runs each function in
its own execution environment.

Parent side (`WorkerPools`): one pool per function, up to `max_workers` processes each, created on
demand when every worker of the function is busy. A worker serves one invocation at a time
(Lambda's concurrency unit), so different functions and concurrent requests run in parallel and
none waits for another's lock. Each worker is a fresh interpreter started with
`subprocess.Popen([python, "-u", "-m", "localcloud.workers", <fd>], env=<exactly the
function's environment>, cwd=<CodeUri>)`: no fork of this multithreaded process, no re-import of
the parent's `__main__` (what multiprocessing's spawn/forkserver contexts do), and nothing of the
parent's environment leaks in. Invocations travel as JSON over a socketpair framed by
`multiprocessing.connection.Connection`; the function's stdout/stderr are the console's.

Lambda semantics kept: cold start on first use (init errors as `Runtime.ImportModuleError` &c.),
warm reuse afterwards, errors as {errorMessage, errorType, stackTrace}, the function timeout
enforced by killing the worker ("Task timed out after N seconds", `Sandbox.Timedout`), a worker
that dies mid-invocation reported as `Runtime.ExitError`. Workers are recycled on the next invoke
after an edit of the function's code directory or of one of its layers.

Child side (`_worker_main`): imports the handler by its real module name with CodeUri first on
sys.path (as Lambda does from /var/task) and its layers' directories after it (Lambda's
/opt/python), answers `{"ready": true}` or the init error, then serves events until its
connection closes.

Only the standard library (and `localcloud.specs`, which is only dataclasses) is imported at module
level: the child must start fast.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
import uuid
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from localcloud.specs import FunctionSpec

log = logging.getLogger("localcloud")

#: Lambda's own limit for the init phase (importing the handler module) is 10 s.
INIT_TIMEOUT_SECONDS = 10.0

#: CPU priority (nice) of workers of functions no one waits on: queue consumers, Step Functions
#: tasks, event targets, schedules. In AWS every execution environment has its own CPU; here
#: they share two cores with moto, so a burst of background work would otherwise delay the
#: answers a client is waiting for. The OS still gives them every cycle nobody else wants.
BACKGROUND_NICE = 10
_LAYER_CHECK_INTERVAL = 1.0  # seconds between scans of a layer's directory for edits
#: The directory holding the `localcloud` package: on a worker's path so that `-m
#: localcloud.workers` starts even where localcloud is not installed.
_PACKAGE_PARENT = str(Path(__file__).resolve().parent.parent)

#: Imported by spare workers before they are given a function: the slow, generic part of a cold
#: start (~2/3 of it for our functions). Only libraries that read no configuration from the
#: environment at import time (boto3 reads it per session/client, powertools per Logger/Metrics;
#: its two import-time reads, AWS_EXECUTION_ENV and AWS_LAMBDA_INITIALIZATION_TYPE, are in the
#: spare's environment with the same values every function has).
PRELOAD = ("boto3", "botocore.session", "botocore.client", "pydantic", "aws_lambda_powertools")

#: Variables of this process that a worker keeps (Lambda sets its own PATH, LANG, ...).
_PASSTHROUGH = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "SYSTEMROOT")


def default_concurrency() -> int:
    """Workers per function unless told otherwise: one more than the cores this process may
    run on. A worker waits on moto for part of every invocation, so one more than the cores keeps
    them busy; more only adds cold starts and memory where the cores are the limit (on two cores,
    six workers per function answered 20 clients more slowly than three)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return cores + 1


# ====================================================================== shared with the child
@dataclass
class LambdaContext:
    """The attributes of the real Lambda context object that handlers and powertools use."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    timeout_seconds: float
    function_version: str = "$LATEST"
    identity: Any = None
    client_context: Any = None
    _started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        elapsed = time.monotonic() - self._started
        return max(0, int((self.timeout_seconds - elapsed) * 1000))


def json_default(value: Any) -> Any:
    """What Lambda's Python runtime (and our handlers' return values) need beyond plain JSON."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return list(value)
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def error_payload(
    exc: BaseException, request_id: str, error_type: str | None = None
) -> dict[str, Any]:
    return {
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_tb(exc.__traceback__),
    }


# ====================================================================== child (the worker)
def _init_error(exc: BaseException, module: str) -> dict[str, Any]:
    if isinstance(exc, SyntaxError):
        kind, message = "Runtime.UserCodeSyntaxError", f"Syntax error in module '{module}': {exc}"
    elif isinstance(exc, ImportError):
        kind, message = "Runtime.ImportModuleError", f"Unable to import module '{module}': {exc}"
    elif isinstance(exc, AttributeError):
        kind, message = "Runtime.HandlerNotFound", str(exc)
    else:
        kind, message = type(exc).__name__, str(exc)
    payload = error_payload(exc, "", kind)
    payload["errorMessage"] = message
    del payload["requestId"]
    return payload


def _worker_main(argv: list[str]) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's; it stops us
    conn = Connection(int(argv[0]))
    import importlib

    for name in PRELOAD:  # while no function is assigned yet (a spare)
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    try:
        config = json.loads(conn.recv_bytes())
    except (EOFError, OSError):  # a spare never used
        return 0
    # From here on the process is the function's: exactly its environment, CodeUri as cwd and
    # first on sys.path (Lambda's /var/task), then the handler module by its real name.
    if config.get("nice"):
        os.nice(config["nice"])
    os.environ.clear()
    os.environ.update(config["env"])
    time.tzset()
    code_dir = config["code_dir"]
    spare_cwd = os.getcwd()
    os.chdir(code_dir)
    if sys.path and sys.path[0] in (spare_cwd, ""):  # `-m` put the spare's cwd there
        del sys.path[0]
    sys.path[0:0] = [code_dir, *config["layers"]]
    module_name, _, func_name = config["handler"].rpartition(".")
    try:
        module = importlib.import_module(module_name)
        handler = getattr(module, func_name)
    except BaseException as exc:
        traceback.print_exception(exc)
        conn.send_bytes(json.dumps({"init_error": _init_error(exc, module_name)}).encode())
        return 1
    conn.send_bytes(b'{"ready": true}')
    while True:
        try:
            message = json.loads(conn.recv_bytes())
        except (EOFError, OSError):  # the parent closed the connection or is gone
            return 0
        request_id = message["request_id"]
        context = LambdaContext(
            function_name=config["function_name"],
            invoked_function_arn=config["arn"],
            memory_limit_in_mb=config["memory_size"],
            aws_request_id=request_id,
            log_group_name=f"/aws/lambda/{config['function_name']}",
            log_stream_name=config["log_stream_name"],
            timeout_seconds=message["timeout"],
        )
        try:
            result = handler(message["event"], context)
            try:
                reply = {"payload": json.dumps(result, default=json_default), "errored": False}
            except (TypeError, ValueError) as exc:
                error = error_payload(exc, request_id, "Runtime.MarshalError")
                reply = {"payload": json.dumps(error), "errored": True}
        except Exception as exc:
            exc.__traceback__ = exc.__traceback__.tb_next if exc.__traceback__ else None
            sys.stderr.write("[ERROR] " + "".join(traceback.format_exception(exc)))
            reply = {"payload": json.dumps(error_payload(exc, request_id)), "errored": True}
        try:
            conn.send_bytes(json.dumps(reply).encode())
        except OSError:
            return 0


# ====================================================================== parent side
@dataclass
class WorkerOutcome:
    payload: str
    errored: bool
    logs: str
    #: The function was at its concurrency limit for as long as the caller could wait: Lambda's
    #: Invoke API answers this with 429 TooManyRequestsException (no function ran).
    throttled: bool = False


class _WorkerGone(Exception):
    """The worker process ended or closed its connection."""


def _python_path(entries: list[str]) -> str:
    """PYTHONPATH for a worker: `entries`, then whatever this process was given."""
    inherited = os.environ.get("PYTHONPATH")
    return os.pathsep.join(entries + ([inherited] if inherited else []))


def _newest_source(root: Path, *, recursive: bool) -> int:
    """Newest modification time (ns) of the .py files in `root`, and below it if `recursive`
    (bytecode caches skipped). os.scandir: this runs before every invocation."""
    newest, pending = 0, [str(root)]
    while pending:
        try:
            entries = os.scandir(pending.pop())
        except OSError:
            continue
        with entries:
            for entry in entries:
                try:
                    if entry.name.endswith(".py") and entry.is_file():
                        newest = max(newest, entry.stat().st_mtime_ns)
                    elif recursive and entry.name != "__pycache__" and entry.is_dir():
                        pending.append(entry.path)
                except OSError:
                    continue
    return newest


class _Spare:
    """A worker process not yet given a function: started, PRELOAD importing or imported."""

    def __init__(self, env: dict[str, str], cwd: str) -> None:
        parent_sock, child_sock = socket.socketpair()
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-u", "-m", "localcloud.workers", str(child_sock.fileno())],
                env=env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                pass_fds=(child_sock.fileno(),),
            )
        except BaseException:
            parent_sock.close()
            raise
        finally:
            child_sock.close()
        self.conn = Connection(parent_sock.detach())

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.close()  # the spare exits on EOF
        if self.proc.poll() is None:
            self.proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(2)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


class _Worker:
    def __init__(
        self,
        fn: FunctionSpec,
        env: dict[str, str],
        fingerprint: tuple[int, int],
        spare: _Spare,
        nice: int = 0,
    ) -> None:
        self.fn = fn
        self.fingerprint = fingerprint
        self.stream = f"{time.strftime('%Y/%m/%d')}/[$LATEST]{uuid.uuid4().hex}"
        self.proc = spare.proc
        self.conn = spare.conn
        self.ready = False
        self.init_error: dict[str, Any] | None = None
        self._ready_lock = threading.Lock()
        self.conn.send_bytes(
            json.dumps(
                {
                    "env": {**env, "AWS_LAMBDA_LOG_STREAM_NAME": self.stream},
                    "handler": fn.handler,
                    "code_dir": str(fn.code_dir),
                    "layers": [str(d) for d in fn.layers],
                    "function_name": fn.name,
                    "arn": fn.arn,
                    "memory_size": fn.memory_size,
                    "log_stream_name": self.stream,
                    "nice": nice,
                }
            ).encode()
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def wait_ready(self, timeout: float) -> dict[str, Any] | None:
        """Wait for the init phase; returns the init error payload, or None once ready."""
        with self._ready_lock:
            if self.ready or self.init_error is not None:
                return self.init_error
            try:
                if not self.conn.poll(timeout):
                    self.init_error = {
                        "errorMessage": f"Init phase timed out after {timeout:.2f} seconds",
                        "errorType": "Runtime.InitTimeout",
                        "stackTrace": [],
                    }
                    return self.init_error
                answer = json.loads(self.conn.recv_bytes())
            except (EOFError, OSError):
                self.init_error = {
                    "errorMessage": f"Runtime exited during init: exit status {self.proc.poll()}",
                    "errorType": "Runtime.ExitError",
                    "stackTrace": [],
                }
                return self.init_error
            if "init_error" in answer:
                self.init_error = answer["init_error"]
                return self.init_error
            self.ready = True
            return None

    def call(self, message: dict[str, Any], timeout: float) -> dict[str, Any] | None:
        """Send one event; the reply, or None on timeout. Raises _WorkerGone."""
        try:
            self.conn.send_bytes(json.dumps(message, default=json_default).encode())
            if not self.conn.poll(timeout):
                return None
            reply: dict[str, Any] = json.loads(self.conn.recv_bytes())
            return reply
        except (EOFError, OSError) as exc:
            raise _WorkerGone(str(exc)) from exc

    def close(self, grace: float = 0.0) -> None:
        """Close the connection (the worker exits on EOF); kill it if it has not after `grace`."""
        with contextlib.suppress(OSError):
            self.conn.close()
        if grace > 0:
            try:
                self.proc.wait(grace)
                return
            except subprocess.TimeoutExpired:
                pass
        self.kill()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL does not fail
            log.warning("el worker %s no terminó", self.proc.pid)
        with contextlib.suppress(OSError):
            self.conn.close()


class _Throttled(Exception):
    pass


@dataclass(eq=False)
class _Claim:
    """A call waiting for a worker of its function; calls are served in arrival order."""

    fingerprint: tuple[int, int]
    ready: threading.Event = field(default_factory=threading.Event)
    worker: _Worker | None = None


class FunctionPool:
    """The workers of one function, one invocation each at a time, at most `limit` of them.

    Scaling follows Lambda's: a call that finds no idle worker starts a new execution environment
    (a worker whose cold start runs in the background) unless the function is at its limit or
    enough workers are already starting for the calls waiting. Waiting calls are served in
    arrival order by whichever worker is free first: the new one once it is ready, or a warm one
    that finished another call sooner (Lambda would hold the call for its new environment; on a
    two-core machine a warm worker is usually free long before a cold start ends). Either way the
    new worker joins the pool.
    """

    def __init__(self, owner: WorkerPools, fn: FunctionSpec) -> None:
        self.owner = owner
        self.fn = fn
        self.limit = owner.limit_for(fn)
        self.workers: set[_Worker] = set()  # every live worker, starting ones included
        self.idle: list[_Worker] = []
        self.claims: deque[_Claim] = deque()
        self.starting = 0
        self.idle_at_stop: list[_Worker] = []
        self.lock = threading.Lock()

    # ------------------------------------------------------------------ calls
    def acquire(self, timeout: float) -> _Worker:
        claim = _Claim(self.owner.fingerprint(self.fn))
        retired: list[_Worker] = []
        try:
            with self.lock:
                if self.owner.stopping:
                    raise _Throttled("la nube local se está deteniendo")
                while self.idle:
                    worker = self.idle.pop()  # the most recently used: the warmest
                    if worker.fingerprint == claim.fingerprint and worker.alive():
                        return worker
                    self.workers.discard(worker)  # edited code, or it died: recycle it
                    retired.append(worker)
                if self.limit == 0:
                    raise _Throttled(f"{self.fn.name}: ReservedConcurrentExecutions es 0")
                self.claims.append(claim)
                self._scale_out_locked(claim.fingerprint)
        finally:
            for worker in retired:
                worker.close()
        if not claim.ready.wait(timeout):
            with self.lock:
                if claim.worker is None:  # not served in the meantime
                    self.claims.remove(claim)
                    raise _Throttled(f"{self.fn.name}: sus {self.limit} workers siguen ocupados")
        if claim.worker is None:  # woken by stop()
            raise _Throttled("la nube local se está deteniendo")
        return claim.worker

    def release(self, worker: _Worker, healthy: bool) -> None:
        with self.lock:
            keep = healthy and not self.owner.stopping and worker.alive()
            if keep:
                retired = self._hand_over_locked(worker)
            else:
                self.workers.discard(worker)
                self._scale_out_locked(self.claims[0].fingerprint if self.claims else None)
                retired = [worker]
        for old in retired:
            old.kill()

    # ------------------------------------------------------------------ scaling
    def _scale_out_locked(self, fingerprint: tuple[int, int] | None) -> None:
        """Start a worker if calls wait that the workers already starting will not serve."""
        if fingerprint is None or self.owner.stopping:
            return
        if len(self.claims) > self.starting and len(self.workers) < self.limit:
            self._start_locked(fingerprint)

    def _start_locked(self, fingerprint: tuple[int, int]) -> _Worker:
        worker = self.owner.start_worker(self.fn, fingerprint)
        self.workers.add(worker)
        self.starting += 1
        threading.Thread(
            target=self._warm_up, args=(worker,), name=f"lambda-init-{self.fn.name}", daemon=True
        ).start()
        return worker

    def _warm_up(self, worker: _Worker) -> None:
        """A new worker's init phase; then it serves the first waiting call, or idles. A failed
        init goes to the first waiting call too: that call reports it, as Lambda does."""
        worker.wait_ready(self.owner.init_timeout)
        with self.lock:
            self.starting -= 1
            if worker.init_error is None and worker.alive() and not self.owner.stopping:
                retired = self._hand_over_locked(worker)
            elif self.claims and not self.owner.stopping:
                self._serve_locked(self.claims.popleft(), worker)
                retired = []
            else:
                self.workers.discard(worker)
                retired = [worker]
        for old in retired:
            old.kill()

    def _hand_over_locked(self, worker: _Worker) -> list[_Worker]:
        """A ready worker to the first waiting call, or to the idle list. Returns the workers to
        stop (one whose code is older than the waiting call's)."""
        if not self.claims:
            self.idle.append(worker)
            return []
        claim = self.claims.popleft()
        if worker.fingerprint < claim.fingerprint:  # the code was edited since it started
            self.workers.discard(worker)
            self.claims.appendleft(claim)
            self._scale_out_locked(claim.fingerprint)
            return [worker]
        self._serve_locked(claim, worker)
        return []

    @staticmethod
    def _serve_locked(claim: _Claim, worker: _Worker) -> None:
        claim.worker = worker
        claim.ready.set()

    # ------------------------------------------------------------------ warm-up and stop
    def prewarm(self) -> _Worker | None:
        """Start one worker if the function has none (its init runs in the background)."""
        with self.lock:
            if self.workers or self.owner.stopping or self.limit == 0:
                return None
            return self._start_locked(self.owner.fingerprint(self.fn))

    def take_all(self) -> list[_Worker]:
        with self.lock:
            workers = list(self.workers)
            self.idle_at_stop = list(self.idle)
            self.workers.clear()
            self.idle.clear()
            for claim in self.claims:
                claim.ready.set()  # no worker: the call ends as throttled
            self.claims.clear()
            return workers


class WorkerPools:
    """Runs invocations in per-function worker processes. Thread-safe."""

    def __init__(
        self,
        base_env: dict[str, str],
        *,
        max_workers: int | None = None,
        init_timeout: float = INIT_TIMEOUT_SECONDS,
        interactive: frozenset[str] = frozenset(),
    ) -> None:
        self.max_workers = max(1, max_workers or default_concurrency())
        #: Functions someone waits on (behind the gateway): their workers keep the normal CPU
        #: priority; every other function's run at BACKGROUND_NICE.
        self.interactive = interactive
        self.base_env = dict(base_env)
        self.init_timeout = init_timeout
        self.stopping = False
        self._pools: dict[str, FunctionPool] = {}
        self._lock = threading.Lock()
        self._layer_mtimes: dict[Path, tuple[float, int]] = {}  # dir -> (checked at, newest)
        self._prewarm_thread: threading.Thread | None = None
        self._spare: _Spare | None = None
        self._spare_lock = threading.Lock()
        atexit.register(self.stop)

    # ------------------------------------------------------------------ spares
    def spare_environment(self) -> dict[str, str]:
        """A spare's environment until it is given a function (then replaced entirely)."""
        env = {k: os.environ[k] for k in _PASSTHROUGH if k in os.environ}
        env["PYTHONPATH"] = _python_path([_PACKAGE_PARENT])
        env["TZ"] = ":UTC"
        env["AWS_EXECUTION_ENV"] = f"AWS_Lambda_python{sys.version_info[0]}.{sys.version_info[1]}"
        env["AWS_LAMBDA_INITIALIZATION_TYPE"] = "on-demand"
        return env

    def take_spare(self) -> _Spare:
        """The waiting spare (its preloading already done or under way), and a new one behind it:
        a cold start then costs only the function's own imports."""
        with self._spare_lock:
            spare = self._spare
            if spare is None or spare.proc.poll() is not None:
                spare = _Spare(self.spare_environment(), _PACKAGE_PARENT)
            self._spare = (
                None if self.stopping else _Spare(self.spare_environment(), _PACKAGE_PARENT)
            )
            return spare

    def start_spare(self) -> None:
        with self._spare_lock:
            if self._spare is None and not self.stopping:
                self._spare = _Spare(self.spare_environment(), _PACKAGE_PARENT)

    # ------------------------------------------------------------------ environment
    def environment_for(self, fn: FunctionSpec) -> dict[str, str]:
        """Exactly what the function's process sees: a few OS basics, the AWS connection (moto,
        dummy credentials, region), the function's resolved environment, Lambda's reserved
        variables. Nothing else of this process."""
        env = self.spare_environment()
        env.update(self.base_env)
        env.update(fn.environment)
        env.update(
            {
                "AWS_LAMBDA_FUNCTION_NAME": fn.name,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_size),
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{fn.name}",
                "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
                "AWS_EXECUTION_ENV": f"AWS_Lambda_{fn.runtime}",
                "LAMBDA_TASK_ROOT": str(fn.code_dir),
                "PYTHONPATH": _python_path([str(d) for d in fn.layers]),
                "_HANDLER": fn.handler,
                # No X-Ray daemon here: with LAMBDA_TASK_ROOT set, a tracing function would load
                # the SDK and print a "discarded" line for every subsegment (SAM local does the
                # same with AWS_SAM_LOCAL, which Powertools also honours).
                "POWERTOOLS_TRACE_DISABLED": "true",
                "AWS_SAM_LOCAL": "true",
            }
        )
        return env

    def niceness_for(self, fn: FunctionSpec) -> int:
        return 0 if fn.logical_id in self.interactive else BACKGROUND_NICE

    def start_worker(self, fn: FunctionSpec, fingerprint: tuple[int, int]) -> _Worker:
        """A spare given the function: its init phase (the handler's import) starts now."""
        env = self.environment_for(fn)
        return _Worker(fn, env, fingerprint, self.take_spare(), self.niceness_for(fn))

    def limit_for(self, fn: FunctionSpec) -> int:
        """Most concurrent invocations (workers) of the function: its reserved concurrency if the
        template sets one, else this machine's per-function limit."""
        if fn.reserved_concurrency is not None:
            return fn.reserved_concurrency
        return self.max_workers

    def fingerprint(self, fn: FunctionSpec) -> tuple[int, int]:
        """Newest mtime of the function's code dir and of its layers (those at most once a
        second: a layer is a whole package tree)."""
        now = time.monotonic()
        layers = 0
        for layer in fn.layers:
            checked, newest = self._layer_mtimes.get(layer, (-_LAYER_CHECK_INTERVAL, 0))
            if now - checked >= _LAYER_CHECK_INTERVAL:
                newest = _newest_source(layer, recursive=True)
                self._layer_mtimes[layer] = (now, newest)
            layers = max(layers, newest)
        return (_newest_source(fn.code_dir, recursive=False), layers)

    def _pool(self, fn: FunctionSpec) -> FunctionPool:
        with self._lock:
            pool = self._pools.get(fn.logical_id)
            if pool is None or pool.fn != fn:
                pool = self._pools[fn.logical_id] = FunctionPool(self, fn)
            return pool

    # ------------------------------------------------------------------ invocation
    def invoke(self, fn: FunctionSpec, event: Any, request_id: str) -> WorkerOutcome:
        pool = self._pool(fn)
        started = time.monotonic()
        try:
            worker = pool.acquire(timeout=fn.timeout + self.init_timeout)
        except _Throttled as exc:
            throttle = _failure(request_id, "TooManyRequestsException", str(exc), started)
            throttle.throttled = True
            return throttle
        healthy = False
        try:
            init_error = worker.wait_ready(self.init_timeout)
            if init_error is not None:
                return _outcome({**init_error, "requestId": request_id}, True, started, request_id)
            invoked = time.monotonic()
            message = {"request_id": request_id, "event": event, "timeout": fn.timeout}
            try:
                reply = worker.call(message, fn.timeout)
            except _WorkerGone:
                status = worker.proc.poll()
                return _failure(
                    request_id,
                    "Runtime.ExitError",
                    f"RequestId: {request_id} Error: Runtime exited with error: "
                    f"exit status {status}",
                    invoked,
                )
            if reply is None:
                log.warning("%s: Task timed out after %.2f seconds", fn.name, float(fn.timeout))
                return _failure(
                    request_id,
                    "Sandbox.Timedout",
                    f"RequestId: {request_id} Error: Task timed out after "
                    f"{float(fn.timeout):.2f} seconds",
                    invoked,
                )
            healthy = True
            return WorkerOutcome(reply["payload"], reply["errored"], _report(request_id, invoked))
        finally:
            pool.release(worker, healthy)

    # ------------------------------------------------------------------ warm-up and stop
    def prewarm(self, functions: list[FunctionSpec]) -> None:
        """Start one worker per function in the background, one cold start at a time."""

        def run() -> None:
            for fn in functions:
                if self.stopping:
                    return
                worker = self._pool(fn).prewarm()
                if worker is not None:
                    worker.wait_ready(self.init_timeout)

        self._prewarm_thread = threading.Thread(target=run, name="lambda-prewarm", daemon=True)
        self._prewarm_thread.start()

    def wait_prewarmed(self, timeout: float) -> bool:
        """Until every function's first worker is ready (see prewarm); False on timeout."""
        thread = self._prewarm_thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def pids_by_function(self) -> dict[str, list[int]]:
        """The worker processes of each function (logical id) that has any."""
        with self._lock:
            pools = dict(self._pools)
        return {name: sorted(w.pid for w in list(pool.workers)) for name, pool in pools.items()}

    def pids(self) -> list[int]:
        """Every worker process, the spare included."""
        with self._lock:
            pools = list(self._pools.values())
        pids = [w.pid for pool in pools for w in list(pool.workers)]
        spare = self._spare
        if spare is not None:
            pids.append(spare.proc.pid)
        return sorted(pids)

    def stop(self, grace: float = 1.0) -> None:
        """Terminate every worker (SIGTERM, SIGKILL after `grace`) and reap it.

        In-flight invocations see the connection close and end as Runtime.ExitError; their
        threads close those connections; idle ones are closed here.
        """
        self.stopping = True
        atexit.unregister(self.stop)
        with self._spare_lock:
            spare, self._spare = self._spare, None
        if spare is not None:
            spare.discard()
        with self._lock:
            pools = list(self._pools.values())
        workers = [w for pool in pools for w in pool.take_all()]
        idle = {id(w) for pool in pools for w in pool.idle_at_stop}
        for worker in workers:
            if worker.alive():
                worker.proc.terminate()
        deadline = time.monotonic() + grace
        for worker in workers:
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.proc.wait(max(0.0, deadline - time.monotonic()))
            if worker.alive():
                worker.proc.kill()
                worker.proc.wait(5)
        if self._prewarm_thread is not None:
            self._prewarm_thread.join(timeout=grace + 1)
        for worker in workers:
            if id(worker) in idle and worker._ready_lock.acquire(blocking=False):
                with contextlib.suppress(OSError):
                    worker.conn.close()
                worker._ready_lock.release()


def _report(request_id: str, started: float) -> str:
    elapsed_ms = (time.monotonic() - started) * 1000
    return f"REPORT RequestId: {request_id}\tDuration: {elapsed_ms:.2f} ms\n"


def _outcome(
    payload: dict[str, Any], errored: bool, started: float, request_id: str
) -> WorkerOutcome:
    return WorkerOutcome(json.dumps(payload), errored, _report(request_id, started))


def _failure(request_id: str, error_type: str, message: str, started: float) -> WorkerOutcome:
    payload = {"errorMessage": message, "errorType": error_type, "requestId": request_id}
    return _outcome(payload, True, started, request_id)


if __name__ == "__main__":
    sys.exit(_worker_main(sys.argv[1:]))
