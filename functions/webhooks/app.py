"""POST /webhooks/{channel}/{tenant_id}: verify the channel's signature, queue, answer fast.
POST /webhooks/{channel}: a marketplace's application-wide notifications (Mercado Libre), whose
account names the tenant.

API Gateway routes exactly one route here, so the handler reads the path parameters itself rather
than loading Powertools' HTTP resolver: this is the latency-critical ack path (Mercado Libre retries
anything slower than 500 ms) and the resolver's import is a sixth of its cold start.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from postventa.bootstrap import bootstrap
from postventa.errors import PostventaError
from postventa.observability import logger, metrics, redact_errors, tracer
from postventa.services.webhooks import receive_webhook
from postventa.web.http import JSON, error_body, raw_body

_ACK = '{"ok": true}'


@tracer.capture_lambda_handler
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@redact_errors
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    params = event.get("pathParameters") or {}
    try:
        outcome = receive_webhook(
            params.get("channel", ""), params.get("tenant_id"), raw_body(event),
            event.get("headers") or {}, bootstrap(),
        )  # fmt: skip
    except PostventaError as exc:
        logger.warning("webhook rejected", extra={"error": exc.code, "status": exc.status_code})
        metrics.add_metric(name="WebhookRejected", unit=MetricUnit.Count, value=1)
        return _response(exc.status_code, error_body(exc))
    metrics.add_metric(name=f"Webhook_{outcome.reason}", unit=MetricUnit.Count, value=1)
    return _response(200, _ACK)


def _response(status: int, body: str) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": JSON}, "body": body}
