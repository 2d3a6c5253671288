"""Scheduled jobs that scale with the number of tenants.

One EventBridge schedule per job invokes ScheduledJobsFunction with `{"job": name}`; it lists the
tenants and queues one message per tenant on the job's queue: `tenant` for light jobs
(TenantJobsFunction), `fiscal` for jobs that seal, stamp or cancel (FiscalJobsFunction, with the
CFDI layer). Each message runs one tenant's job, so a tenant's failure is its own message's
(retried by SQS, then kept in the queue's DLQ), never the other tenants', and work spreads over
as many workers as there are messages. Every job is idempotent: a message delivered twice or a
schedule fired twice changes nothing more.

Adding a job (folio expiry, review requests, channel polling when those land): a function here,
an entry in JOBS, and a Schedule event with its name on ScheduledJobsFunction in template.yaml
(tests/unit/infra checks each schedule names a job of JOBS).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from postventa.domain.ports import Adapters
from postventa.observability import logger

Queue = Literal["tenant", "fiscal"]


@dataclass(frozen=True)
class Job:
    queue: Queue
    run: Callable[[str, Adapters], dict[str, Any]]  # (tenant_id, adapters) -> report


def _reminders(tenant_id: str, adapters: Adapters) -> dict[str, Any]:
    from postventa.services.reminders import send_due_reminders

    return asdict(send_due_reminders(adapters, tenant_id))


def _stuck_orders(tenant_id: str, adapters: Adapters) -> dict[str, Any]:
    from postventa.services.sweeper import sweep_stuck_orders

    return asdict(sweep_stuck_orders(adapters, tenant_id))


def _global_invoices(tenant_id: str, adapters: Adapters) -> dict[str, Any]:
    from postventa.services.global_invoices import run_for_tenant

    return asdict(run_for_tenant(tenant_id, adapters))


def _cancellations(tenant_id: str, adapters: Adapters) -> dict[str, Any]:
    from postventa.services.cancellations import check_tenant

    return check_tenant(tenant_id, adapters)


def _late_requests(tenant_id: str, adapters: Adapters) -> dict[str, Any]:
    from postventa.services.late_requests import reissue_for_tenant

    return asdict(reissue_for_tenant(tenant_id, adapters))


JOBS: dict[str, Job] = {
    "reminders": Job("tenant", _reminders),  # daily: one reminder per unanswered link
    "stuck_orders": Job("tenant", _stuck_orders),  # every 15 minutes
    "global_invoices": Job("fiscal", _global_invoices),  # hourly: periods whose global is due
    "cancellations": Job("fiscal", _cancellations),  # hourly: cancellations not final yet
    "late_requests": Job("fiscal", _late_requests),  # daily: the day's late requests, batched
}
# One cancellation the seller just asked for (queued by the seller API, not by a schedule).
ONE_CANCELLATION = "cancellation"


class UnknownJobError(ValueError):
    """A schedule or message names a job that does not exist (a deployment mistake)."""


class ScheduledEvent(BaseModel):
    """What each schedule gives ScheduledJobsFunction (the rule's Input)."""

    job: str


class JobMessage(BaseModel):
    """One tenant's job, as queued."""

    model_config = ConfigDict(extra="forbid")

    job: str
    tenant_id: str = Field(min_length=1)
    uuid: str | None = None  # the `cancellation` job's invoice


def fan_out(job: str, adapters: Adapters) -> dict[str, Any]:
    """Queue the job once per tenant on its queue."""
    if job not in JOBS:
        raise UnknownJobError(f"unknown scheduled job {job!r}")
    tenant_ids = adapters.tenants.list_ids()
    bodies = [json.dumps({"job": job, "tenant_id": t}) for t in tenant_ids]
    adapters.jobs.send(JOBS[job].queue, bodies)
    logger.info("scheduled job fanned out", extra={"job": job, "tenants": len(bodies)})
    return {"job": job, "tenants": len(bodies)}


def run_job(message: JobMessage, queue: Queue, adapters: Adapters) -> dict[str, Any]:
    """Run one tenant's job; a message on the wrong worker's queue is refused (it would run
    without the layer it needs)."""
    if message.job == ONE_CANCELLATION and queue == "fiscal" and message.uuid:
        from postventa.services.cancellations import process

        done = process(message.tenant_id, message.uuid, adapters)
        return {"job": message.job, "state": done.state.value if done else None}
    job = JOBS.get(message.job)
    if job is None or job.queue != queue:
        raise UnknownJobError(f"job {message.job!r} does not run on the {queue} queue")
    report = job.run(message.tenant_id, adapters)
    logger.info("tenant job done", extra={"job": message.job})
    return {"job": message.job, **report}
