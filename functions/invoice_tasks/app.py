"""Lifecycle tasks after the buyer's data: inbox, folios, the correction loop, failures."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from postventa.bootstrap import bootstrap
from postventa.errors import retryable_as_transient
from postventa.observability import logger, metrics, redact_errors, tracer
from postventa.services.invoicing import LifecycleTask, run_task


@tracer.capture_lambda_handler
@logger.inject_lambda_context(correlation_id_path="order.order_id", clear_state=True)
@metrics.log_metrics
@redact_errors
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    with retryable_as_transient():
        return run_task(LifecycleTask.model_validate(event), bootstrap())
