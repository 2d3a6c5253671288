"""Starting the invoice lifecycle and answering its task tokens."""

from __future__ import annotations

import json
from typing import Any

from postventa.aws import client
from postventa.domain.orders import Order, OrderStatus
from postventa.settings import get_settings
from postventa.storage import keys


class TaskClosedError(Exception):
    """The lifecycle no longer waits for this token (deadline passed, or already answered)."""


def execution_input(order: Order, deadline_seconds: int) -> dict[str, Any]:
    """What the state machine needs: the order's reference and key, and the tenant's deadline."""
    return {
        "order": {
            "tenant_id": order.tenant_id,
            "channel": order.channel.value,
            "order_id": order.order_id,
        },
        "order_key": keys.order_key_attribute_values(
            order.tenant_id, order.channel.value, order.order_id
        ),
        "global_status_index": keys.status_index_pk(order.tenant_id, OrderStatus.GLOBAL.value),
        "tenant_deadline_seconds": int(deadline_seconds),
    }


def start_lifecycle(order: Order, deadline_seconds: int) -> bool:
    """Start the order's one execution; False when it already exists (redelivered webhook)."""
    sfn = client("stepfunctions")
    try:
        sfn.start_execution(
            stateMachineArn=get_settings().lifecycle_state_machine_arn,
            name=order.execution_name,
            input=json.dumps(execution_input(order, deadline_seconds)),
        )
    except sfn.exceptions.ExecutionAlreadyExists:
        return False
    return True


def complete_task(task_token: str, output: dict[str, Any]) -> None:
    sfn = client("stepfunctions")
    try:
        sfn.send_task_success(taskToken=task_token, output=json.dumps(output, default=str))
    except (sfn.exceptions.TaskTimedOut, sfn.exceptions.TaskDoesNotExist) as exc:
        raise TaskClosedError(str(exc)) from exc
    except sfn.exceptions.InvalidToken as exc:
        raise TaskClosedError(str(exc)) from exc
