"""Channels without notifications (Liverpool): the schedule fans out one poll per tenant onto
the poll queue; each queued poll reads that tenant's new orders (services/polling.py)."""

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
from postventa.services.polling import PollRequest, fan_out, poll_tenant

processor = BatchProcessor(event_type=EventType.SQS)
_context: list[LambdaContext] = []


def _remaining() -> float:
    return _context[-1].get_remaining_time_in_millis() / 1000 if _context else 300.0


def record_handler(record: SQSRecord) -> None:
    poll_tenant(PollRequest.model_validate_json(record.body), bootstrap(), _remaining)


@tracer.capture_lambda_handler
@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@redact_errors
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "Records" not in event:  # the schedule
        adapters = bootstrap()
        return {"requests": fan_out(adapters, adapters.poll_queue.send)}
    _context[:] = [context]
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)
