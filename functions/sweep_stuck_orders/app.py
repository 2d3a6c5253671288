"""Schedule: orders left in `recibido` get their lifecycle back, or `error` with the reason."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from postventa.bootstrap import bootstrap
from postventa.observability import logger, metrics, redact_errors, tracer
from postventa.services.sweeper import sweep_stuck_orders


@tracer.capture_lambda_handler
@logger.inject_lambda_context(correlation_id_path="id", clear_state=True)
@metrics.log_metrics
@redact_errors
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = sweep_stuck_orders(bootstrap())
    return {"checked": report.checked, "restarted": report.restarted, "flagged": report.flagged}
