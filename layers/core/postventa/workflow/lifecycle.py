"""The invoice lifecycle on Step Functions: starting one execution per order, answering tasks."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from postventa.domain.orders import OrderRef
from postventa.domain.ports import TaskClosedError
from postventa.domain.status import BILLING_REQUEST_FAILED, DEADLINE_PASSED
from postventa.storage import keys


def execution_input(
    ref: OrderRef, deadline_seconds: int, *, with_data: bool = False
) -> dict[str, Any]:
    """What the state machine needs: the order's reference and key, and the tenant's deadline.
    Only references travel: personal data stays in DynamoDB, out of execution history."""
    return {
        "order": ref.model_dump(),
        "order_key": keys.order_key_attribute_values(ref.tenant_id, ref.channel, ref.order_id),
        # Status index keys the state machine writes with its own DynamoDB updates.
        "global_status_index": keys.status_index_pk(ref.tenant_id, DEADLINE_PASSED.target.value),
        "error_status_index": keys.status_index_pk(
            ref.tenant_id, BILLING_REQUEST_FAILED.target.value
        ),
        "tenant_deadline_seconds": int(deadline_seconds),
        # "invoice": the buyer's data is in (a retry), skip asking for it.
        "start_at": "invoice" if with_data else "request",
    }


class StepFunctionsLifecycle:
    def __init__(self, client: Any, state_machine_arn: Callable[[], str]) -> None:
        self._client = client
        self._arn = state_machine_arn  # asked for when starting: the form only answers tasks

    def start(
        self, ref: OrderRef, deadline_seconds: int, *, attempt: int = 0, with_data: bool = False
    ) -> bool:
        try:
            self._client.start_execution(
                stateMachineArn=self._arn(),
                name=ref.execution_name_for(attempt),
                input=json.dumps(execution_input(ref, deadline_seconds, with_data=with_data)),
            )
        except self._client.exceptions.ExecutionAlreadyExists:
            return False
        return True

    def complete_task(self, task_token: str, output: Mapping[str, Any]) -> None:
        errors = self._client.exceptions
        try:
            self._client.send_task_success(
                taskToken=task_token, output=json.dumps(dict(output), default=str)
            )
        except (errors.TaskTimedOut, errors.TaskDoesNotExist, errors.InvalidToken) as exc:
            raise TaskClosedError(str(exc)) from exc

    def status(self, ref: OrderRef, attempt: int = 0) -> str | None:
        machine = self._arn()
        name = ref.execution_name_for(attempt)
        arn = machine.replace(":stateMachine:", ":execution:", 1) + f":{name}"
        try:
            return str(self._client.describe_execution(executionArn=arn)["status"])
        except self._client.exceptions.ExecutionDoesNotExist:
            return None
