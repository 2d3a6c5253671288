"""EventBridge pieces moto does not do: deliver to Lambda / Step Functions targets, and keep
schedule-only rules from matching every event (moto bug)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import threading
import uuid
from collections.abc import Callable
from typing import Any

from postventa.local.lambda_runtime import LambdaRuntime
from postventa.local.patching import MotoPatch

ClientFactory = Callable[[str], Any]


def _iso(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(float(value), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


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
    """Delivers an event to a rule target ARN (Lambda, Step Functions, SQS, event bus)."""

    def __init__(self, runtime: LambdaRuntime, client: ClientFactory) -> None:
        self.runtime = runtime
        self.client = client
        self.delivered: list[tuple[str, Any]] = []
        self._lock = threading.Lock()

    def deliver(self, arn: str, payload: Any) -> None:
        with self._lock:
            self.delivered.append((arn, payload))
        service = arn.split(":")[2] if arn.count(":") >= 5 else ""
        if service == "lambda":
            self.runtime.invoke_async(arn, payload)
        elif service == "states":
            self.runtime.submit(self._start_execution, arn, payload)
        elif service == "sqs":
            name = arn.rsplit(":", 1)[-1]
            sqs = self.client("sqs")
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
            sqs.send_message(QueueUrl=url, MessageBody=json.dumps(payload))
        elif service == "events":
            bus = arn.rsplit("/", 1)[-1]
            self.client("events").put_events(
                Entries=[
                    {
                        "Source": payload.get("source", "local"),
                        "DetailType": payload.get("detail-type", "local"),
                        "Detail": json.dumps(payload.get("detail", {})),
                        "EventBusName": bus,
                    }
                ]
            )
        else:
            raise NotImplementedError(f"destino de regla sin soporte local: {arn}")

    def _start_execution(self, arn: str, payload: Any) -> None:
        self.client("stepfunctions").start_execution(
            stateMachineArn=arn, name=str(uuid.uuid4()), input=json.dumps(payload)
        )


# ---------------------------------------------------------------------- moto patch
_OURS = ("lambda", "states")


def _rule_class() -> type:
    from moto.events.models import Rule

    return Rule


def install(dispatcher: TargetDispatcher) -> None:
    _PATCH.install(dispatcher)


def uninstall(dispatcher: TargetDispatcher | None = None) -> None:
    _PATCH.uninstall(dispatcher)


def _send_to_targets(self: Any, original_event: Any, transform_input: bool = True) -> None:
    if self.scheduled_expression and not self.event_pattern.get_pattern():
        return  # a schedule-only rule never matches events
    if getattr(self, "state", "ENABLED") != "ENABLED":
        return
    if not self.event_pattern.matches_event(original_event):
        return
    dispatcher = _PATCH.owner
    ours = [t for t in self.targets if t["Arn"].split(":")[2] in _OURS]
    if ours and dispatcher is not None:
        event = copy.deepcopy(original_event)
        event.pop("ingestion-time", None)
        event["time"] = _iso(event.get("time"))
        for target in ours:
            dispatcher.deliver(target["Arn"], target_input(target, event))
    rest = [t for t in self.targets if t not in ours]
    if rest:
        shallow = copy.copy(self)
        shallow.targets = rest
        _PATCH.original(shallow, original_event, transform_input)


_PATCH: MotoPatch[TargetDispatcher] = MotoPatch(_rule_class, "send_to_targets", _send_to_targets)
