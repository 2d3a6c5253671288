"""Lifecycle task (lambda:invoke.waitForTaskToken): email the buyer the billing-form link."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from postventa.bootstrap import bootstrap
from postventa.errors import retryable_as_transient
from postventa.observability import logger, metrics, redact_errors, tracer
from postventa.services.billing_request import BillingRequestTask, send_billing_request


@tracer.capture_lambda_handler
@logger.inject_lambda_context(correlation_id_path="order.order_id", clear_state=True)
@metrics.log_metrics
@redact_errors
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    with retryable_as_transient():  # permanent errors: the state machine records `error`
        outcome = send_billing_request(BillingRequestTask.model_validate(event), bootstrap())
    return {"sent": outcome.sent, "reason": outcome.reason}
