"""ERP queue consumer: each stamped or cancelled invoice (an order's, or a CFDI of the global
invoice) POSTed to the seller's ERP, signed.

A record whose attempt failed is reported as a batch item failure after its visibility was set
to the next attempt's delay (services/erp.py), so SQS brings it back then; after the last
attempt it goes to the DLQ."""

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
from postventa.services.erp import forward_message

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    forward_message(
        record.body,
        attempt=int(record.attributes.approximate_receive_count),
        receipt_handle=record.receipt_handle,
        adapters=bootstrap(),
    )


@tracer.capture_lambda_handler
@logger.inject_lambda_context(correlation_id_path="Records[0].messageId", clear_state=True)
@metrics.log_metrics
@redact_errors
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)
