"""Amazon's SP-API notifications (ORDER_CHANGE) from our SQS queue: each names the seller and
the order; what is worth fetching goes to the orders queue once."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from postventa.bootstrap import bootstrap
from postventa.observability import logger, metrics, redact_errors, tracer
from postventa.services.webhooks import receive_queued_notification

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    receive_queued_notification("amazon", record.body.encode("utf-8"), bootstrap())


@tracer.capture_lambda_handler
@logger.inject_lambda_context(correlation_id_path="Records[0].messageId", clear_state=True)
@metrics.log_metrics
@redact_errors
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)
