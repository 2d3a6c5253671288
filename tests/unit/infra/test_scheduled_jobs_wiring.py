"""The scheduled jobs' wiring in template.yaml agrees with services/scheduled_jobs.py: every job
has one schedule and every schedule names a job; each queue reaches the worker its jobs need;
a run's lease outlasts the worker; the fiscal worker carries the CFDI layer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from postventa.domain.global_invoices import RUN_LEASE_SECONDS
from postventa.services.scheduled_jobs import JOBS

ROOT = Path(__file__).resolve().parents[3]
WORKERS = {"tenant": "TenantJobsFunction", "fiscal": "FiscalJobsFunction"}
QUEUES = {"tenant": "TenantJobsQueue", "fiscal": "FiscalJobsQueue"}


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    from cfnlint.decode import cfn_yaml

    return dict(cfn_yaml.load(str(ROOT / "template.yaml"))["Resources"])


def test_every_job_has_one_schedule_and_every_schedule_names_a_job(
    resources: dict[str, Any],
) -> None:
    events = resources["ScheduledJobsFunction"]["Properties"]["Events"]
    named = [json.loads(e["Properties"]["Input"])["job"] for e in events.values()]
    assert all(e["Type"] == "Schedule" for e in events.values())
    assert sorted(named) == sorted(JOBS)
    # Nothing else runs on a schedule: every time-driven job fans out per tenant. The one
    # exception is the channel poller (decision 0016): it fans out only to the tenants whose
    # polled channel is connected (an index, not every tenant) onto its own queue, whose
    # messages hold a per-channel lease and the cursor, with the poller's own time budget.
    own_schedule = {"ScheduledJobsFunction", "ChannelPollerFunction"}
    for name, resource in resources.items():
        if name not in own_schedule and resource["Type"] == "AWS::Serverless::Function":
            kinds = {e["Type"] for e in resource["Properties"].get("Events", {}).values()}
            assert "Schedule" not in kinds, name


def test_each_queue_feeds_its_worker_one_tenant_at_a_time(resources: dict[str, Any]) -> None:
    env = resources["ScheduledJobsFunction"]["Properties"]["Environment"]["Variables"]
    for queue, worker in WORKERS.items():
        assert env[f"{queue.upper()}_JOBS_QUEUE_URL"] == {"Ref": QUEUES[queue]}
        props = resources[worker]["Properties"]
        [source] = props["Events"].values()
        assert source["Type"] == "SQS"
        assert source["Properties"]["Queue"] == {"Fn::GetAtt": [QUEUES[queue], "Arn"]}
        assert source["Properties"]["BatchSize"] == 1
        assert source["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        queue_props = resources[QUEUES[queue]]["Properties"]
        assert int(queue_props["VisibilityTimeout"]) >= 6 * int(props["Timeout"])
        assert "RedrivePolicy" in queue_props


def test_the_fiscal_worker_has_the_cfdi_layer_and_a_run_lease_outlasts_it(
    resources: dict[str, Any],
) -> None:
    fiscal = resources["FiscalJobsFunction"]["Properties"]
    assert {"Ref": "CfdiLayer"} in fiscal["Layers"]
    assert int(fiscal["Timeout"]) < RUN_LEASE_SECONDS
    tenant = resources["TenantJobsFunction"]["Properties"]
    assert "Layers" not in tenant  # light jobs stay light


def test_the_seller_api_can_queue_a_cancellation_for_the_fiscal_worker(
    resources: dict[str, Any],
) -> None:
    props = resources["SellerApiFunction"]["Properties"]
    assert props["Environment"]["Variables"]["FISCAL_JOBS_QUEUE_URL"] == {"Ref": "FiscalJobsQueue"}
    queues = [
        p["SQSSendMessagePolicy"]["QueueName"]
        for p in props["Policies"]
        if isinstance(p, dict) and "SQSSendMessagePolicy" in p
    ]
    assert {"Fn::GetAtt": ["FiscalJobsQueue", "QueueName"]} in queues
