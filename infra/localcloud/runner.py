"""`LocalCloud`: moto + provisioning + Lambda runtime + gateway + pollers + scheduler.

    with LocalCloud(template="template.yaml", port=0) as cloud:
        urllib.request.urlopen(cloud.gateway_url + "/hello")

Two modes: "server" (a ThreadedMotoServer on 127.0.0.1; what an operator's `up` command runs; any
process can reach it through AWS_ENDPOINT_URL; each Lambda function runs in its own worker
processes, see `localcloud.workers`) and "inprocess" (moto.mock_aws; for integration tests,
~4x faster, nothing listens except the optional gateway; handlers run in this process, one at a
time).

The cloud knows nothing of the application it runs beyond its template. What the application
must do around it comes in as hooks, plain callables with no arguments:
- `seeders`: run once provisioned, before "ready", in this process, with every function's
  environment merged into os.environ (the names of tables, queues, ...); they call AWS as the
  application does (boto3 reaches moto).
- `on_reset`: forget whatever was cached of the environment and of AWS (clients, settings, secrets
  read): run when the cloud starts and stops, around the seeders, and around an in-process
  invocation whose environment changes the AWS connection.
- `on_env_change`: forget what was read from the environment (cheap; e.g. settings): run around
  every in-process invocation, since each applies its function's environment to os.environ.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import logging
import os
import socket
import sys
import time
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from localcloud import dynamodb as local_dynamodb
from localcloud import events as local_events
from localcloud import lambda_runtime, moto_speedups
from localcloud.authorizers import JwtAuthorizers, aws_local_fetcher
from localcloud.gateway import Gateway
from localcloud.lambda_runtime import Hook, InvokeResult, LambdaRuntime, applied_environment
from localcloud.mailbox import Mailbox
from localcloud.pollers import SqsPoller
from localcloud.provision import LocalStack, assign_attributes, build_stack, provision
from localcloud.scheduler import Clock, Scheduler
from localcloud.template import DEFAULT_STACK_NAME, Template, load_template, read_local_metadata
from localcloud.workers import WorkerPools

log = logging.getLogger(__name__)

DEFAULT_PORT = 3000
#: Server mode's interpreter switch interval (see _start) and collector thresholds (see
#: _tune_garbage_collector).
SWITCH_INTERVAL_SECONDS = 0.001
GC_THRESHOLD = (10_000, 50, 100)
GATEWAY_URL_PLACEHOLDER = "${Local::GatewayUrl}"

_BASE_ENV = {  # dummy credentials: moto accepts anything
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
}


_active_cloud: LocalCloud | None = None  # moto's backends are process-global: one at a time


RESET_TIMEOUT_SECONDS = 120


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def console_logging() -> None:
    """The cloud's own lines go to the operator's console (stderr), not to the root logger: an
    application's JSON logger (Powertools) would stamp them with the context of whichever function
    ran last in this process."""
    root = logging.getLogger("localcloud")
    root.propagate = False
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s local  %(message)s", "%H:%M:%S"))
        root.addHandler(handler)
        root.setLevel(logging.INFO)


class LocalCloud:
    """The whole embedded cloud for one template. Start/stop it, or use it as a context manager.

    Parameters
    - template: path to the SAM template.
    - port: gateway port (0 = a free port; None = no gateway).
    - moto_port: moto server port (server mode; default a free port).
    - speedup: schedule clock speed (1 = real time).
    - parameters: template parameter overrides, added to the template's
      `Metadata: LocalCloud: Parameters`; "${Local::GatewayUrl}" becomes the gateway URL.
    - placeholders: more "${Local::Name}" values for those parameters, given by whoever starts
      the cloud (e.g. the URL of a fake service it started beside it).
    - substitutions: state machine DefinitionSubstitutions overrides (e.g. shorter waits), added to
      `Metadata: LocalCloud: DefinitionSubstitutions`.
    - env: environment variables added to every function (after the template's).
    - seeders, on_reset, on_env_change: the application's hooks (see the module docstring).
    - stack_name: physical names are `<stack>-<LogicalId>` (default the template's
      `Metadata: LocalCloud: StackName`, else "local").
    - lambda_workers: server mode, run each function in its own worker processes (False runs
      handlers in this process under one lock, as in-process mode does: one at a time, but a
      `breakpoint()` in a handler works).
    - lambda_concurrency: server mode, most worker processes per function (a function's
      ReservedConcurrentExecutions wins; default one more than this machine's cores).
    - prewarm: server mode, start one worker per function in the background once ready (cold
      starts otherwise happen on first use, as in Lambda).
    """

    def __init__(
        self,
        template: str | Path = "template.yaml",
        *,
        port: int | None = DEFAULT_PORT,
        moto_port: int | None = None,
        speedup: float = 1.0,
        parameters: Mapping[str, Any] | None = None,
        substitutions: Mapping[str, str] | None = None,
        env: Mapping[str, str] | None = None,
        mode: Literal["server", "inprocess"] = "server",
        pollers: bool = True,
        scheduler: bool = True,
        seeders: Sequence[Hook] = (),
        on_reset: Sequence[Hook] = (),
        on_env_change: Sequence[Hook] = (),
        stack_name: str | None = None,
        poll_wait_seconds: int = 1,
        lambda_workers: bool = True,
        lambda_concurrency: int | None = None,
        prewarm: bool = True,
        placeholders: Mapping[str, str] | None = None,
    ) -> None:
        self.template_path = Path(template).resolve()
        self.placeholders = dict(placeholders or {})
        self.port = port
        self.moto_port = moto_port
        self.speedup = speedup
        self.parameter_overrides = dict(parameters or {})
        self.substitution_overrides = dict(substitutions or {})
        self.env_overrides = dict(env or {})
        self.mode = mode
        self.run_pollers = pollers
        self.run_scheduler = scheduler
        self.seeders = list(seeders)
        self.stack_name = stack_name
        self.poll_wait_seconds = poll_wait_seconds
        self.lambda_workers = lambda_workers
        self.lambda_concurrency = lambda_concurrency
        self.prewarm = prewarm

        self.template: Template | None = None
        self.stack: LocalStack | None = None
        self.runtime = LambdaRuntime(on_env_change=on_env_change, on_reset=on_reset)
        self.mailbox: Mailbox | None = None
        self.gateway: Gateway | None = None
        self.scheduler: Scheduler | None = None
        self.dispatcher: local_events.TargetDispatcher | None = None
        self.pollers: list[SqsPoller] = []
        self.moto_url: str | None = None
        self.started_at: dt.datetime | None = None
        self._moto_server: Any = None
        self._mock: Any = None
        self._saved_env: dict[str, str | None] = {}
        self._clients: dict[str, Any] = {}
        self._session: Any = None
        self._running = False
        self._backends_by_host: dict[str | None, Any] = {}
        self._parsed_definitions: dict[str, Any] = {}
        self._saved_switch_interval: float | None = None
        self._saved_gc_threshold: tuple[int, int, int] | None = None

    # ------------------------------------------------------------------ urls
    @property
    def gateway_url(self) -> str:
        if self.gateway is None:
            raise RuntimeError("el gateway no está corriendo")
        return self.gateway.url

    @property
    def mailbox_url(self) -> str:
        return self.gateway_url + "/_local/mail"

    # ------------------------------------------------------------------ clients
    def client(self, service: str) -> Any:
        """A boto3 client that talks to this cloud's moto."""
        if service not in self._clients:
            if self._session is None:
                import boto3

                self._session = boto3.session.Session(
                    aws_access_key_id=_BASE_ENV["AWS_ACCESS_KEY_ID"],
                    aws_secret_access_key=_BASE_ENV["AWS_SECRET_ACCESS_KEY"],
                    aws_session_token=_BASE_ENV["AWS_SESSION_TOKEN"],
                    region_name=_BASE_ENV["AWS_REGION"],
                )
            kwargs: dict[str, Any] = {}
            if self.moto_url:
                kwargs["endpoint_url"] = self.moto_url
            self._clients[service] = self._session.client(service, **kwargs)
        return self._clients[service]

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> LocalCloud:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> LocalCloud:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _set_env(self, values: Mapping[str, str | None]) -> None:
        for key, value in values.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    def _start(self) -> None:
        global _active_cloud
        if _active_cloud is not None:
            raise RuntimeError("ya hay una nube local corriendo en este proceso")
        _active_cloud = self
        console_logging()
        self._running = True
        self.started_at = dt.datetime.now(dt.UTC)
        self._set_env(_BASE_ENV)
        if self.mode == "server":
            from moto.server import ThreadedMotoServer

            logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per AWS call

            self._backends_by_host = {}
            moto_speedups.BACKEND_FOR_HOST.install(self._backends_by_host)
            port = self.moto_port or free_port()
            self._moto_server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
            self._moto_server.start()
            # This process now answers the gateway, moto and Step Functions from dozens of
            # threads; an answer waits for the interpreter lock each time one of its threads
            # wakes from I/O, up to the switch interval (CPython's default is 5 ms).
            self._saved_switch_interval = sys.getswitchinterval()
            sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
            self.moto_url = f"http://127.0.0.1:{port}"
            self._set_env({"AWS_ENDPOINT_URL": self.moto_url, "MOTO_PORT": str(port)})
            request = urllib.request.Request(  # noqa: S310 - our own local server
                f"{self.moto_url}/moto-api/config",
                data=json.dumps({"stepfunctions": {"execute_state_machine": True}}).encode(),
                headers={"Content-Type": "application/json"},
                method="POST",
            )
            urllib.request.urlopen(request, timeout=5).close()  # noqa: S310
            if self.lambda_workers:
                self.runtime.workers = WorkerPools(
                    {**_BASE_ENV, "AWS_ENDPOINT_URL": self.moto_url},
                    max_workers=self.lambda_concurrency,
                )
        else:
            from moto import mock_aws

            self._set_env({"AWS_ENDPOINT_URL": None})
            self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
            self._mock.start()
        logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
        local_dynamodb.PATCH.install(self)
        for patch in moto_speedups.ALWAYS:
            patch.install(self)
        moto_speedups.ASL_PARSE.install(self._parsed_definitions)
        self.runtime.run_hooks(reset=True)

        # Gateway first (its URL may be a parameter value), then the template.
        if self.port is not None:
            self.mailbox = Mailbox()
            self.gateway = Gateway(
                [],
                self._invoke_for_client,
                port=self.port,
                mailbox=self.mailbox,
                fire_schedule=self.fire_schedule,
                health=self.health,
            )
        local = read_local_metadata(self.template_path)
        params = {**local.parameters, **self.parameter_overrides}
        if self.gateway is not None:
            params = {
                k: str(v).replace(GATEWAY_URL_PLACEHOLDER, self.gateway.url)
                for k, v in params.items()
            }
        for name, value in self.placeholders.items():
            params = {k: str(v).replace(f"${{Local::{name}}}", value) for k, v in params.items()}
        subs = {**local.substitutions, **self.substitution_overrides}
        self.template = load_template(
            self.template_path,
            params,
            stack_name=self.stack_name or local.stack_name or DEFAULT_STACK_NAME,
        )
        queue_base = self.moto_url or f"https://sqs.{self.template.region}.amazonaws.com"
        attributes = assign_attributes(self.template, queue_base)
        self.stack = build_stack(
            self.template,
            attributes,
            substitution_overrides=subs,
            env_overrides=self.env_overrides,
        )
        lambda_runtime.PATCH.install(self.runtime)
        lambda_runtime.STATE_MACHINE_PATCH.install(self.runtime)
        self.dispatcher = local_events.TargetDispatcher(self.runtime, self.client)
        local_events.PATCH.install(self.dispatcher)
        provision(self.stack, self.client)
        self.runtime.functions = dict(self.stack.functions)  # as provisioned (moto's queue URLs)
        if self.runtime.workers is not None:  # someone waits on what the gateway invokes
            self.runtime.workers.interactive = frozenset(r.function for r in self.stack.routes)

        if self.gateway is not None:
            self.gateway.set_routes(self.stack.routes)
            if any(route.authorizer for route in self.stack.routes):
                self.gateway.authorizers = JwtAuthorizers(aws_local_fetcher(self.moto_url))
            self.gateway.start()
        self.scheduler = Scheduler(
            self.stack.schedules,
            self._deliver_sync,
            Clock(self.speedup),
            region=self.template.region,
            account=self.template.account_id,
        )
        self._run_seeders()
        if self.mode == "server":
            self._tune_garbage_collector()
        if self.run_scheduler:
            self.scheduler.start()
        for source in self.stack.sqs_sources:
            if not source.enabled:
                continue
            poller = SqsPoller(
                source,
                self.client("sqs"),
                self.invoke,
                region=self.template.region,
                wait_seconds=self.poll_wait_seconds,
                concurrency=self.runtime.concurrency_limit(source.function),
                runtime=self.runtime,
            )
            self.pollers.append(poller)
            if self.run_pollers:
                poller.start()
        if self.prewarm and self.runtime.workers is not None:
            self.runtime.prewarm(self._prewarm_order())

    def _tune_garbage_collector(self) -> None:
        """This process now serves every function's AWS calls and holds moto's state; CPython's
        full collections walk all of it, every thread stopped: 15 of them, up to 0.7 s each,
        during issue 8's 1,000-order load. What exists once the cloud is up (moto, botocore's
        models, the template) stays for good: frozen out of the collector's walks; and young
        generations are collected per 10,000 allocations instead of 700. Measured on that load:
        8 full collections, the longest 0.38 s. Undone on stop."""
        self._saved_gc_threshold = gc.get_threshold()
        gc.collect()
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLD)

    def _prewarm_order(self) -> list[str]:
        """HTTP functions first (a person waits on them), then queue consumers, then the rest."""
        assert self.stack is not None
        first = [r.function for r in self.stack.routes]
        first += [s.function for s in self.stack.sqs_sources if s.enabled]
        ordered = list(dict.fromkeys(first + list(self.stack.functions)))
        return [name for name in ordered if name in self.stack.functions]

    def _stop_executions(self) -> None:
        """Stop every running state machine execution, as deleting a stack would: moto's
        interpreter threads outlive the cloud, and a waiting execution's next step (a retry, a
        timeout's catch) would otherwise write into whatever cloud runs next in this process
        (the same table and order keys in the next test)."""
        try:
            sfn = self.client("stepfunctions")
            for machine in sfn.list_state_machines().get("stateMachines", []):
                pages = sfn.get_paginator("list_executions").paginate(
                    stateMachineArn=machine["stateMachineArn"], statusFilter="RUNNING"
                )
                for page in pages:
                    for execution in page.get("executions", []):
                        sfn.stop_execution(executionArn=execution["executionArn"])
        except Exception:  # best effort: stopping must finish whatever moto answers
            log.warning("could not stop the running executions", exc_info=True)

    def stop(self) -> None:
        if not self._running:
            return
        self._running = False
        if self.scheduler is not None:
            self.scheduler.stop()
        for poller in self.pollers:
            poller.stop()
        for poller in self.pollers:
            poller.join()
        if self.gateway is not None and self.gateway._thread is not None:
            self.gateway.stop()
        self._stop_executions()
        self.runtime.wait_idle(timeout=5)
        self.runtime.shutdown()  # server mode: every worker process terminated and joined
        if self.dispatcher is not None:
            local_events.PATCH.uninstall(self.dispatcher)
        lambda_runtime.PATCH.uninstall(self.runtime)
        lambda_runtime.STATE_MACHINE_PATCH.uninstall(self.runtime)
        if self.mode == "server":
            moto_speedups.BACKEND_FOR_HOST.uninstall(self._backends_by_host)
        for patch in moto_speedups.ALWAYS:
            patch.uninstall(self)
        moto_speedups.ASL_PARSE.uninstall(self._parsed_definitions)
        if self._moto_server is not None:
            try:  # forget everything, as a fresh process would
                reset = urllib.request.Request(  # noqa: S310 - our own local server
                    f"{self.moto_url}/moto-api/reset", data=b"", method="POST"
                )
                # Resetting takes seconds once the stack holds hundreds of orders (their objects,
                # emails, executions) on a busy machine; a timeout here would leave this process
                # half stopped (environment not restored, no other cloud can start).
                urllib.request.urlopen(reset, timeout=RESET_TIMEOUT_SECONDS).close()  # noqa: S310
            finally:
                self._moto_server.stop()
                self._moto_server = None
        if self._mock is not None:
            self._mock.stop()
            self._mock = None
        local_dynamodb.PATCH.uninstall(self)
        if self._saved_switch_interval is not None:
            sys.setswitchinterval(self._saved_switch_interval)
            self._saved_switch_interval = None
        if self._saved_gc_threshold is not None:
            gc.unfreeze()
            gc.set_threshold(*self._saved_gc_threshold)
            self._saved_gc_threshold = None
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()
        self._clients.clear()
        self._session = None
        self.runtime.run_hooks(reset=True)
        global _active_cloud
        if _active_cloud is self:
            _active_cloud = None

    # ------------------------------------------------------------------ operations
    def invoke(self, function: str, event: Any) -> InvokeResult:
        """Invoke a function (logical id, name or ARN) synchronously."""
        return self.runtime.invoke(function, event)

    def _invoke_for_client(self, function: str, event: Any) -> InvokeResult:
        """A gateway request: its client waits, so background event sources yield meanwhile."""
        with self.runtime.caller_waiting():
            return self.runtime.invoke(function, event)

    def _deliver_sync(self, arn: str, payload: Any) -> dict[str, Any]:
        """A schedule's target (a function of the template) runs now; its result is returned."""
        result = self.runtime.invoke(arn, payload)
        return {"target": arn, "errored": result.errored, "payload": result.value()}

    def fire_schedule(self, rule: str) -> list[Any]:
        """Fire a scheduled rule now (rule name or logical id); Lambda targets run synchronously."""
        if self.scheduler is None:
            raise RuntimeError("la nube local no está corriendo")
        return self.scheduler.fire(rule)

    def drain_queues(self, timeout: float = 15.0) -> bool:
        """Poll every SQS source until its queue is empty (in-flight messages included).

        Meant for tests with background pollers off; returns False on timeout.
        """
        deadline = time.monotonic() + timeout
        sqs = self.client("sqs")
        while time.monotonic() < deadline:
            received = 0
            for poller in self.pollers:
                received += poller.poll_once(wait_seconds=0)
            if received == 0:
                busy = False
                for poller in self.pollers:
                    attrs = sqs.get_queue_attributes(
                        QueueUrl=poller.source.queue_url,
                        AttributeNames=[
                            "ApproximateNumberOfMessages",
                            "ApproximateNumberOfMessagesNotVisible",
                        ],
                    )["Attributes"]
                    if any(int(v) for v in attrs.values()):
                        busy = True
                if not busy and self.runtime.wait_idle(timeout=0.5):
                    return True
                time.sleep(0.05)
        return False

    def function_environment(self) -> dict[str, str]:
        """Every function's environment merged (what seeders and the demo need)."""
        assert self.stack is not None
        merged: dict[str, str] = {}
        for spec in self.stack.functions.values():
            merged.update(spec.environment)
        return merged

    def _run_seeders(self) -> None:
        if not self.seeders:
            return
        with self.runtime.lock:
            try:
                with applied_environment(self.function_environment()):
                    self.runtime.run_hooks(reset=True)
                    for seeder in self.seeders:
                        seeder()
            finally:  # nothing cached under the functions' environment outlives it
                self.runtime.run_hooks(reset=True)

    def health(self) -> dict[str, Any]:
        stack = self.stack
        return {
            "status": "ok" if self._running else "stopping",
            "moto": self.moto_url,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "functions": sorted(stack.functions) if stack else [],
            "queues": dict(stack.queues) if stack else {},
            "schedules": sorted(s.name for s in stack.schedules.values()) if stack else [],
            "routes": [r.route_key for r in stack.routes] if stack else [],
            "user_pools": dict(stack.user_pools) if stack else {},
            "invocations": self.runtime.invocations,
            "lambda_workers": len(self.runtime.worker_pids()),
        }
