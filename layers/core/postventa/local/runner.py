"""`LocalCloud`: moto + provisioning + Lambda runtime + gateway + pollers + scheduler.

    with LocalCloud(template="template.yaml", port=0) as cloud:
        requests.get(cloud.gateway_url + "/facturar")

Two modes: "server" (a ThreadedMotoServer on 127.0.0.1; what `postventa local up` runs; any
process can reach it through AWS_ENDPOINT_URL; each Lambda function runs in its own worker
processes, see `postventa.local.workers`) and "inprocess" (moto.mock_aws; for integration tests,
~4x faster, nothing listens except the optional gateway; handlers run in this process, one at a
time).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
import time
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

from postventa.local import events as local_events
from postventa.local import lambda_runtime
from postventa.local.gateway import Gateway
from postventa.local.lambda_runtime import InvokeResult, LambdaRuntime
from postventa.local.mailbox import Mailbox
from postventa.local.pollers import SqsPoller
from postventa.local.provision import LocalStack, assign_attributes, build_stack, provision
from postventa.local.scheduler import Clock, Scheduler
from postventa.local.template import Template, load_template
from postventa.local.workers import WorkerPools

log = logging.getLogger(__name__)

Seeder = Callable[..., Any]  # seeder(env: dict[str, str]) or seeder()

#: Callables run after provisioning, each with the merged function environment applied to
#: os.environ and passed as a dict. Apps add theirs with `register_seeder`.
SEEDERS: list[Seeder] = []

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


def register_seeder(seeder: Seeder) -> Seeder:
    """Add a seeder run by every LocalCloud start (usable as a decorator)."""
    if seeder not in SEEDERS:
        SEEDERS.append(seeder)
    return seeder


def _call_seeder(seeder: Callable[..., Any], env: dict[str, str]) -> Any:
    """Seeders take the environment dict, or nothing (they can read os.environ, applied)."""
    import inspect

    try:
        params = inspect.signature(seeder).parameters.values()
    except (TypeError, ValueError):
        return seeder(env)
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    varargs = any(p.kind == p.VAR_POSITIONAL for p in params)
    return seeder(env) if positional or varargs else seeder()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


class LocalCloud:
    """The whole embedded cloud for one template. Start/stop it, or use it as a context manager.

    Parameters
    - template: path to the SAM template.
    - port: gateway port (0 = free port; default POSTVENTA_PORT or 3000). None: no gateway.
    - moto_port: moto server port (server mode; default a free port).
    - speedup: schedule clock speed (default POSTVENTA_CLOCK_SPEEDUP or 1).
    - parameters: template parameter overrides (added to the template's
      `Metadata: Postventa::Local: Parameters`); "${Local::GatewayUrl}" becomes the gateway URL.
    - substitutions: state machine DefinitionSubstitutions overrides (e.g. shorter waits), added to
      `Metadata: Postventa::Local: DefinitionSubstitutions`.
    - env: environment variables added to every function (after the template's).
    - seed_demo: also run postventa.services.demo.seed_demo_tenant(env) if that module exists.
    - seeders: extra seeders for this instance (besides the module-level SEEDERS).
    - lambda_workers: server mode, run each function in its own worker processes (default True
      unless POSTVENTA_LAMBDA_WORKERS=0; False runs handlers in this process under one lock, as
      in-process mode does: one at a time, but a `breakpoint()` in a handler works).
    - lambda_concurrency: server mode, most worker processes per function (default
      POSTVENTA_LAMBDA_CONCURRENCY or 3).
    - prewarm: server mode, start one worker per function in the background once ready (cold
      starts otherwise happen on first use, as in Lambda).
    """

    def __init__(
        self,
        template: str | Path = "template.yaml",
        *,
        port: int | None = -1,
        moto_port: int | None = None,
        speedup: float | None = None,
        parameters: Mapping[str, Any] | None = None,
        substitutions: Mapping[str, str] | None = None,
        env: Mapping[str, str] | None = None,
        mode: Literal["server", "inprocess"] = "server",
        pollers: bool = True,
        scheduler: bool = True,
        seed_demo: bool = True,
        seeders: list[Seeder] | None = None,
        stack_name: str = "postventa",
        poll_wait_seconds: int = 1,
        lambda_workers: bool | None = None,
        lambda_concurrency: int | None = None,
        prewarm: bool = True,
    ) -> None:
        self.template_path = Path(template).resolve()
        if port == -1:
            port = int(os.environ.get("POSTVENTA_PORT", "3000"))
        self.port = port
        self.moto_port = moto_port
        self.speedup = (
            speedup if speedup is not None else _env_float("POSTVENTA_CLOCK_SPEEDUP", 1.0)
        )
        self.parameter_overrides = dict(parameters or {})
        self.substitution_overrides = dict(substitutions or {})
        self.env_overrides = dict(env or {})
        self.mode = mode
        self.run_pollers = pollers
        self.run_scheduler = scheduler
        self.seed_demo = seed_demo
        self.extra_seeders = list(seeders or [])
        self.stack_name = stack_name
        self.poll_wait_seconds = poll_wait_seconds
        if lambda_workers is None:
            lambda_workers = os.environ.get("POSTVENTA_LAMBDA_WORKERS", "1") != "0"
        self.lambda_workers = lambda_workers
        self.lambda_concurrency = lambda_concurrency
        self.prewarm = prewarm

        self.template: Template | None = None
        self.stack: LocalStack | None = None
        self.runtime = LambdaRuntime()
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
        self.seed_results: list[Any] = []

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
        self._running = True
        self.started_at = dt.datetime.now(dt.UTC)
        self._set_env(_BASE_ENV)
        if self.mode == "server":
            from moto.server import ThreadedMotoServer

            logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per AWS call

            port = self.moto_port or free_port()
            self._moto_server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
            self._moto_server.start()
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
        self._reset_app_caches()

        # Gateway first (its URL may be a parameter value), then the template.
        if self.port is not None:
            self.mailbox = Mailbox()
            self.gateway = Gateway(
                [],
                self.invoke,
                port=self.port,
                mailbox=self.mailbox,
                fire_schedule=self.fire_schedule,
                health=self.health,
            )
        tpl_meta = load_template(self.template_path, {}, stack_name=self.stack_name).local_metadata
        params = {**(tpl_meta.get("Parameters") or {}), **self.parameter_overrides}
        if self.gateway is not None:
            params = {
                k: str(v).replace(GATEWAY_URL_PLACEHOLDER, self.gateway.url)
                for k, v in params.items()
            }
        subs = {
            **{k: str(v) for k, v in (tpl_meta.get("DefinitionSubstitutions") or {}).items()},
            **self.substitution_overrides,
        }
        self.template = load_template(self.template_path, params, stack_name=self.stack_name)
        queue_base = self.moto_url or f"https://sqs.{self.template.region}.amazonaws.com"
        attributes = assign_attributes(self.template, queue_base)
        self.stack = build_stack(
            self.template,
            attributes,
            substitution_overrides=subs,
            env_overrides=self.env_overrides,
        )
        self.runtime.functions = dict(self.stack.functions)
        lambda_runtime.install(self.runtime)
        self.dispatcher = local_events.TargetDispatcher(self.runtime, self.client)
        local_events.install(self.dispatcher)
        provision(self.stack, self.client)

        if self.gateway is not None:
            from postventa.local.gateway import Router

            self.gateway.router = Router(self.stack.routes)
            self.gateway.start()
        self.scheduler = Scheduler(
            self.stack.schedules,
            self._deliver_sync,
            Clock(self.speedup),
            region=self.template.region,
            account=self.template.account_id,
        )
        self._run_seeders()
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
            )
            self.pollers.append(poller)
            if self.run_pollers:
                poller.start()
        if self.prewarm and self.runtime.workers is not None:
            self.runtime.prewarm(self._prewarm_order())

    def _prewarm_order(self) -> list[str]:
        """HTTP functions first (a person waits on them), then queue consumers, then the rest."""
        assert self.stack is not None
        first = [r.function for r in self.stack.routes]
        first += [s.function for s in self.stack.sqs_sources if s.enabled]
        ordered = list(dict.fromkeys(first + list(self.stack.functions)))
        return [name for name in ordered if name in self.stack.functions]

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
        self.runtime.wait_idle(timeout=5)
        self.runtime.shutdown()  # server mode: every worker process terminated and joined
        if self.dispatcher is not None:
            local_events.uninstall(self.dispatcher)
        lambda_runtime.uninstall(self.runtime)
        if self._moto_server is not None:
            try:  # forget everything, as a fresh process would
                reset = urllib.request.Request(  # noqa: S310 - our own local server
                    f"{self.moto_url}/moto-api/reset", data=b"", method="POST"
                )
                urllib.request.urlopen(reset, timeout=5).close()  # noqa: S310
            finally:
                self._moto_server.stop()
                self._moto_server = None
        if self._mock is not None:
            self._mock.stop()
            self._mock = None
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()
        self._clients.clear()
        self._session = None
        self._reset_app_caches()
        global _active_cloud
        if _active_cloud is self:
            _active_cloud = None

    @staticmethod
    def _reset_app_caches() -> None:
        from postventa.bootstrap import reset

        reset()  # adapters (and their secrets cache) of an earlier cloud must not outlive its moto

    # ------------------------------------------------------------------ operations
    def invoke(self, function: str, event: Any) -> InvokeResult:
        """Invoke a function (logical id, name or ARN) synchronously."""
        return self.runtime.invoke(function, event)

    def _deliver_sync(self, arn: str, payload: Any) -> dict[str, Any]:
        if self.runtime.find(arn) is not None:
            result = self.runtime.invoke(arn, payload)
            return {"target": arn, "errored": result.errored, "payload": result.value()}
        assert self.dispatcher is not None
        self.dispatcher.deliver(arn, payload)
        return {"target": arn}

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
                saved = poller.wait_seconds
                poller.wait_seconds = 0
                try:
                    received += poller.poll_once()
                finally:
                    poller.wait_seconds = saved
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
        seeders = list(SEEDERS) + self.extra_seeders
        if self.seed_demo:
            from postventa.cli.local import seed_local_demo

            if seed_local_demo not in seeders:
                seeders.append(seed_local_demo)
        if not seeders:
            return
        env = self.function_environment()
        with self.runtime.lock:
            saved = {k: os.environ.get(k) for k in env}
            os.environ.update(env)
            self._reset_app_caches()
            try:
                for seeder in seeders:
                    self.seed_results.append(_call_seeder(seeder, dict(env)))
            finally:
                for key, value in saved.items():
                    if value is None:
                        os.environ.pop(key, None)
                    else:
                        os.environ[key] = value
                self._reset_app_caches()

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
            "invocations": self.runtime.invocations,
            "lambda_workers": len(self.runtime.worker_pids()),
        }
