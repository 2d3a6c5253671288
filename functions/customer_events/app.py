"""EventBridge target: a buyer's billing data makes or updates their customer record; a stamped
invoice joins that customer's history."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext

from postventa.bootstrap import bootstrap
from postventa.observability import logger, metrics, redact_errors, tracer
from postventa.services.audit import OrderEvent
from postventa.services.customers import on_order_event


@tracer.capture_lambda_handler
@logger.inject_lambda_context(correlation_id_path="id", clear_state=True)
@metrics.log_metrics
@redact_errors
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return on_order_event(parse(event=event, model=OrderEvent), bootstrap())
