"""POST /webhooks/{channel}/{tenant_id}: verify the channel's signature, queue, answer fast."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from postventa.errors import PostventaError
from postventa.observability import logger, metrics, tracer
from postventa.services.webhooks import receive_webhook
from postventa.web.http import JSON, error_body, raw_body

app = APIGatewayHttpResolver()


@app.post("/webhooks/<channel>/<tenant_id>")
def webhook(channel: str, tenant_id: str) -> dict[str, Any]:
    event = app.current_event
    outcome = receive_webhook(channel, tenant_id, raw_body(event.raw_event), event.headers)
    metrics.add_metric(name=f"Webhook_{outcome.reason}", unit=MetricUnit.Count, value=1)
    return {"ok": True}


@app.exception_handler(PostventaError)
def rejected(exc: PostventaError) -> Response:
    logger.warning("webhook rejected", extra={"error": exc.code, "status": exc.status_code})
    metrics.add_metric(name="WebhookRejected", unit=MetricUnit.Count, value=1)
    return Response(status_code=exc.status_code, content_type=JSON, body=error_body(exc))


@tracer.capture_lambda_handler
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
