"""What the local runtime learns from the template: functions, routes, queue sources, rules,
state machines. Plain dataclasses on the standard library only (worker processes import this)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class FunctionSpec:
    """One Lambda function as the runtime runs it (environment resolved, layers as directories)."""

    logical_id: str
    name: str
    arn: str
    code_dir: Path
    handler: str
    runtime: str
    timeout: int
    memory_size: int
    environment: dict[str, str]
    #: Directories the function's layers put on its import path (Lambda's /opt/python), in the
    #: template's order.
    layers: tuple[Path, ...] = ()
    #: ReservedConcurrentExecutions: at most this many invocations at once (0: none run).
    reserved_concurrency: int | None = None

    @property
    def code_file(self) -> Path:
        module_path = self.handler.rpartition(".")[0]
        return self.code_dir / (module_path.replace(".", "/") + ".py")


@dataclass(frozen=True)
class JwtAuthorizerSpec:
    """An HTTP API's JWT authorizer (SAM `Auth.Authorizers.<name>.JwtConfiguration`)."""

    name: str
    issuer: str
    audience: tuple[str, ...]
    #: Where the token is: "$request.header.<Name>" or "$request.querystring.<name>".
    identity_source: str = "$request.header.Authorization"


#: API Gateway's account-level throttle per Region (its quotas page): what a route gets for a
#: value neither its RouteSettings nor the API's DefaultRouteSettings give.
ACCOUNT_BURST_LIMIT = 5000
ACCOUNT_RATE_LIMIT = 10000.0


@dataclass(frozen=True)
class Throttle:
    """API Gateway route throttling: a token bucket of `burst` tokens refilled at `rate` tokens a
    second; a request takes one token or is answered 429."""

    burst: int = ACCOUNT_BURST_LIMIT
    rate: float = ACCOUNT_RATE_LIMIT


@dataclass
class HttpRoute:
    method: str  # upper case or "ANY"
    path: str  # "/a/{b}", "/{proxy+}" or "$default"
    function: str  # logical id
    #: The route's JWT authorizer (None: the route is open, `Authorizer: NONE` or no Auth).
    authorizer: JwtAuthorizerSpec | None = None
    #: AuthorizationScopes: the token must carry at least one of them (empty: no scope needed).
    scopes: tuple[str, ...] = ()
    throttle: Throttle = Throttle()  # from the API's DefaultRouteSettings / RouteSettings
    api: str = ""  # the HTTP API's Ref (its id)

    @property
    def route_key(self) -> str:
        return "$default" if self.path == "$default" else f"{self.method} {self.path}"


@dataclass
class SqsSource:
    function: str
    queue_arn: str
    queue_url: str
    batch_size: int = 10
    report_batch_item_failures: bool = False
    enabled: bool = True
    maximum_concurrency: int | None = None  # ScalingConfig.MaximumConcurrency


@dataclass
class RuleTarget:
    arn: str
    id: str
    input: str | None = None
    input_path: str | None = None


@dataclass
class ScheduleSpec:
    logical_id: str
    name: str
    arn: str
    expression: str
    event_bus: str
    targets: list[RuleTarget]
    enabled: bool = True


@dataclass
class PatternRuleSpec:
    logical_id: str
    name: str
    pattern: Any
    event_bus: str
    targets: list[RuleTarget]


@dataclass
class StateMachineSpec:
    logical_id: str
    name: str
    arn: str
    definition: str
