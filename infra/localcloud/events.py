"""EventBridge pieces moto does not do: deliver to Lambda and Step Functions targets, deliver the
whole event envelope (moto's SQS targets lose `account`), and keep schedule-only rules from
matching every event (moto bug).

Every event a target receives from here has the envelope AWS gives it, so parsers such as
Powertools' `EventBridgeModel` accept it: version, id, detail-type, source, account, time (ISO
8601, seconds), region, resources, detail.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import threading
import uuid
from collections.abc import Callable
from typing import Any

from localcloud.lambda_runtime import LambdaRuntime
from localcloud.patching import MotoPatch

ClientFactory = Callable[[str], Any]


def iso_time(value: Any) -> str:
    """EventBridge's `time`: UTC, to the second, with a Z."""
    if isinstance(value, (int, float)):
        value = dt.datetime.fromtimestamp(float(value), dt.UTC)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def envelope(
    *,
    source: str,
    detail_type: str,
    detail: Any,
    account: str,
    region: str,
    time: Any,
    resources: list[str] | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    """An EventBridge event as AWS delivers it to a target."""
    return {
        "version": "0",
        "id": event_id or str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": account,
        "time": iso_time(time),
        "region": region,
        "resources": list(resources or []),
        "detail": detail,
    }


def _json_path(doc: Any, path: str) -> Any:
    """The `$.a.b` subset of JSONPath that EventBridge InputPath uses."""
    if path in ("$", ""):
        return doc
    node = doc
    for part in path.removeprefix("$.").split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def target_input(target: dict[str, Any], event: dict[str, Any]) -> Any:
    """What a target receives: its constant Input, InputPath, InputTransformer or the event."""
    if target.get("Input") is not None:
        return json.loads(target["Input"])
    if target.get("InputPath"):
        return _json_path(event, target["InputPath"])
    transformer = target.get("InputTransformer")
    if transformer:
        from moto.events.models import EventTemplateParser

        text = EventTemplateParser.parse(
            input_template=transformer.get("InputTemplate"),
            input_paths_map=transformer.get("InputPathsMap", {}),
            event=event,  # type: ignore[arg-type]
        )
        try:
            return json.loads(text) if isinstance(text, str) else text
        except ValueError:
            return text
    return event


class TargetDispatcher:
    """Delivers an event to a rule target: Lambda and Step Functions asynchronously (as AWS
    does), SQS by SendMessage."""

    SERVICES = ("lambda", "states", "sqs")

    def __init__(self, runtime: LambdaRuntime, client: ClientFactory) -> None:
        self.runtime = runtime
        self.client = client
        self.delivered: list[tuple[str, Any]] = []
        self._lock = threading.Lock()

    def deliver(self, target: dict[str, Any], payload: Any) -> None:
        arn = target["Arn"]
        with self._lock:
            self.delivered.append((arn, payload))
        service = arn.split(":")[2]
        if service == "lambda":
            self.runtime.invoke_async(arn, payload)
        elif service == "states":
            self.runtime.submit(self._start_execution, arn, payload)
        elif service == "sqs":
            sqs = self.client("sqs")
            url = sqs.get_queue_url(QueueName=arn.rsplit(":", 1)[-1])["QueueUrl"]
            group = (target.get("SqsParameters") or {}).get("MessageGroupId")
            extra = {"MessageGroupId": group} if group else {}
            sqs.send_message(QueueUrl=url, MessageBody=json.dumps(payload), **extra)
        else:
            raise NotImplementedError(f"destino de regla sin soporte local: {arn}")

    def _start_execution(self, arn: str, payload: Any) -> None:
        self.client("stepfunctions").start_execution(
            stateMachineArn=arn, name=str(uuid.uuid4()), input=json.dumps(payload)
        )


# ---------------------------------------------------------------------- moto patch
def _send_to_targets(self: Any, original_event: Any, transform_input: bool = True) -> None:
    if self.scheduled_expression and not self.event_pattern.get_pattern():
        return  # a schedule-only rule never matches events
    if getattr(self, "state", "ENABLED") != "ENABLED":
        return
    if not self.event_pattern.matches_event(original_event):
        return
    dispatcher = PATCH.owner
    ours = [t for t in self.targets if t["Arn"].split(":")[2] in TargetDispatcher.SERVICES]
    if ours and dispatcher is not None:
        event = envelope(
            source=original_event["source"],
            detail_type=original_event["detail-type"],
            detail=original_event["detail"],
            account=original_event.get("account") or self.account_id,
            region=original_event.get("region") or self.region_name,
            time=original_event.get("time") or dt.datetime.now(dt.UTC),
            resources=original_event.get("resources"),
            event_id=original_event.get("id"),
        )
        for target in ours:
            dispatcher.deliver(target, target_input(target, event))
    rest = [t for t in self.targets if dispatcher is None or t not in ours]
    if rest:
        shallow = copy.copy(self)
        shallow.targets = rest
        PATCH.original(shallow, original_event, transform_input)


#: Installed by LocalCloud with its TargetDispatcher as owner.
PATCH: MotoPatch[TargetDispatcher] = MotoPatch(
    "moto.events.models:Rule", "send_to_targets", _send_to_targets
)
