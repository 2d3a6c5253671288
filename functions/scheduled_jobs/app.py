"""Scheduled jobs (services/scheduled_jobs.py), three entry points of one code directory:

- `handler` (ScheduledJobsFunction): every schedule queues its job once per tenant;
- `tenant_jobs` (TenantJobsFunction): light jobs, one tenant per message;
- `fiscal_jobs` (FiscalJobsFunction, CFDI layer): jobs that seal, stamp or cancel, and the
  cancellations sellers ask for.

The workers report partial batch failures: one tenant's failure is only its own message's.
"""

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
from postventa.services.scheduled_jobs import JobMessage, Queue, ScheduledEvent, fan_out, run_job

processor = BatchProcessor(event_type=EventType.SQS)


@tracer.capture_lambda_handler
@logger.inject_lambda_context(correlation_id_path="job", clear_state=True)
@metrics.log_metrics
@redact_errors
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return fan_out(ScheduledEvent.model_validate(event).job, bootstrap())


def _worker(queue: Queue, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    def record_handler(record: SQSRecord) -> None:
        run_job(JobMessage.model_validate_json(record.body), queue, bootstrap())

    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)


@tracer.capture_lambda_handler
@logger.inject_lambda_context(correlation_id_path="Records[0].messageId", clear_state=True)
@metrics.log_metrics
@redact_errors
def tenant_jobs(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return _worker("tenant", event, context)


@tracer.capture_lambda_handler
@logger.inject_lambda_context(correlation_id_path="Records[0].messageId", clear_state=True)
@metrics.log_metrics
@redact_errors
def fiscal_jobs(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return _worker("fiscal", event, context)
