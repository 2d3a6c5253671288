"""EventBridge target: every order domain event becomes an entry in the order's history."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext

from postventa.bootstrap import bootstrap
from postventa.observability import logger, metrics, redact_errors, tracer
from postventa.services.audit import OrderEvent, record_order_event


@tracer.capture_lambda_handler
@logger.inject_lambda_context(correlation_id_path="id", clear_state=True)
@metrics.log_metrics
@redact_errors
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    recorded = record_order_event(parse(event=event, model=OrderEvent), bootstrap())
    return {"recorded": recorded}
