"""Lifecycle task (lambda:invoke.waitForTaskToken): email the buyer the billing-form link."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from postventa.bootstrap import bootstrap
from postventa.errors import TransientError, is_transient
from postventa.observability import logger, metrics, redact_errors, tracer
from postventa.services.billing_request import BillingRequestTask, send_billing_request


@tracer.capture_lambda_handler
@logger.inject_lambda_context(correlation_id_path="order.order_id", clear_state=True)
@metrics.log_metrics
@redact_errors
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        outcome = send_billing_request(BillingRequestTask.model_validate(event), bootstrap())
    except Exception as exc:
        if is_transient(exc):  # the state machine retries TransientError with backoff
            raise TransientError(type(exc).__name__) from exc
        raise  # permanent: the state machine records the order in `error`
    return {"sent": outcome.sent, "reason": outcome.reason}
