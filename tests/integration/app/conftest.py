"""The product on the embedded local cloud in-process (moto.mock_aws), provisioned from
template.yaml itself: the same tables, queues, bus, rules, schedules and state machine as AWS, and
every Lambda invoke path (Step Functions, EventBridge, the queue pollers) running our handlers
in this process. Tests decide when queues are drained and schedules fire.

Service behaviour is tested in the unit tier with fakes (tests/unit/services); this tier checks
the flows across real adapters, the real ASL and the template's wiring.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.support.events import http_event
from tests.support.http import csrf_of, wait_for

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = ROOT / "template.yaml"
PUBLIC = "https://facturas.example.test"


class App:
    """The running product: call its functions as API Gateway would, read what it did;
    `markets` are the fake marketplaces its channel clients reach over HTTP."""

    def __init__(self, cloud: Any, markets: Any = None) -> None:
        self.cloud = cloud
        self.markets = markets

    # ---------------------------------------------------------------- invoking
    def call(self, function: str, event: dict[str, Any]) -> Any:
        result = self.cloud.invoke(function, event)
        assert not result.errored, result.payload
        return result.value()

    def post_webhook(
        self,
        body: dict[str, Any] | bytes,
        *,
        tenant: str = "demo",
        channel: str = "shopify",
        topic: str = "orders/paid",
        secret: str = "demo-secret",
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        from postventa.services.demo import shopify_webhook_request

        if isinstance(body, bytes):
            raw, hdrs = body, {}
        else:
            raw, hdrs = shopify_webhook_request(body, secret, topic=topic)
        hdrs.update(headers or {})
        if channel == "mercadolibre":  # our application's one notifications URL
            event = http_event(
                "POST",
                "/webhooks/mercadolibre",
                body=raw,
                headers=hdrs,
                route="/webhooks/{channel}",
                path_params={"channel": channel},
            )
        else:
            event = http_event(
                "POST",
                f"/webhooks/{channel}/{tenant}",
                body=raw,
                headers=hdrs,
                route="/webhooks/{channel}/{tenant_id}",
                path_params={"channel": channel, "tenant_id": tenant},
            )
        response: dict[str, Any] = self.call("WebhooksFunction", event)
        return response

    def form_get(self, token: str) -> dict[str, Any]:
        event = http_event(
            "GET", f"/facturar/{token}", route="/facturar/{token}", path_params={"token": token}
        )
        response: dict[str, Any] = self.call("BillingFormFunction", event)
        return response

    def form_post(
        self, token: str, data: dict[str, str], origin: str | None = PUBLIC
    ) -> dict[str, Any]:
        """Post as the buyer's browser does: with the csrf token of the page it just showed."""
        page = self.form_get(token)["body"]
        csrf = csrf_of(page) if 'name="csrf"' in page else ""
        headers = {"content-type": "application/x-www-form-urlencoded"}
        if origin:
            headers["origin"] = origin
        event = http_event(
            "POST",
            f"/facturar/{token}",
            body=urlencode({**data, "csrf": csrf}).encode(),
            headers=headers,
            route="/facturar/{token}",
            path_params={"token": token},
            base64_body=True,
        )
        response: dict[str, Any] = self.call("BillingFormFunction", event)
        return response

    def api(
        self, path: str, key: str = "demo-api-key", *, method: str = "GET", body: Any = None
    ) -> dict[str, Any]:
        # The routes as API Gateway maps them (the most specific first): channels and the
        # shipment of an order are ChannelsApiFunction's, the rest the seller API's.
        channels = path.startswith("/api/v1/channels") or path.endswith("/shipment")
        event = http_event(
            method,
            path,
            body=json.dumps(body).encode() if body is not None else b"",
            headers={"authorization": f"Bearer {key}", "content-type": "application/json"},
            route="/api/v1/channels/{proxy+}" if channels else "/api/v1/{proxy+}",
        )
        response: dict[str, Any] = self.call(
            "ChannelsApiFunction" if channels else "SellerApiFunction", event
        )
        return response

    def oauth_return(self, url: str) -> dict[str, Any]:
        """The seller's browser back from Mercado Libre at our redirect route."""
        from urllib.parse import parse_qs, urlsplit

        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        event = http_event("GET", "/oauth/mercadolibre", route="/oauth/mercadolibre", query=query)
        response: dict[str, Any] = self.call("ChannelsApiFunction", event)
        return response

    def record(self, channel: str, order_id: str, tenant: str = "demo") -> Any:
        from postventa.domain.orders import OrderRef

        return self.adapters.orders.get(
            OrderRef(tenant_id=tenant, channel=channel, order_id=order_id)
        )

    def drain(self, timeout: float = 20) -> None:
        """Let the queue pollers run until every queue is empty and every function idle."""
        assert self.cloud.drain_queues(timeout=timeout), "queues did not drain"

    def run_schedule(self, event: str, timeout: float = 60) -> list[Any]:
        """Fire one of ScheduledJobsFunction's schedules (its event name, e.g. "Reminders") and
        let the workers run the job for every tenant."""
        [rule] = [r for r in self.cloud.stack.schedules if r == f"ScheduledJobsFunction{event}"]
        results: list[Any] = self.cloud.fire_schedule(rule)
        self.drain(timeout)
        return results

    # ---------------------------------------------------------------- reading state
    @property
    def adapters(self) -> Any:
        """The product's own adapters on this cloud (what a function would build)."""
        from postventa.bootstrap import build_adapters

        return build_adapters(self.cloud.function_environment())

    def order(self, order_id: str = "5873214500123", tenant: str = "demo") -> Any:
        from postventa.domain.orders import OrderRef

        return self.adapters.orders.get(
            OrderRef(tenant_id=tenant, channel="shopify", order_id=order_id)
        )

    def wait_status(self, status: str, order_id: str = "5873214500123") -> Any:
        return wait_for(
            lambda: (o := self.order(order_id)) is not None and o.status.value == status and o,
            timeout=60,
            what=f"order {order_id} in {status}",
        )

    def queued(self, queue: str = "OrdersQueue") -> list[dict[str, Any]]:
        """Take every message off a queue (tests that look before ingest runs)."""
        sqs, url = self.cloud.client("sqs"), self.cloud.stack.queues[queue]
        out: list[dict[str, Any]] = []
        while got := sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0
        ).get("Messages", []):
            for message in got:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            out.extend(got)
        return out

    def executions(self) -> list[dict[str, Any]]:
        arn = self.cloud.stack.state_machines["InvoiceLifecycle"].arn
        return list(
            self.cloud.client("stepfunctions").list_executions(stateMachineArn=arn)["executions"]
        )

    def execution_finished(self, arn: str) -> str:
        sfn = self.cloud.client("stepfunctions")
        status = str(
            wait_for(
                lambda: (
                    (s := sfn.describe_execution(executionArn=arn)["status"]) != "RUNNING" and s
                ),
                timeout=60,
                what="execution to finish",
            )
        )
        if status != "SUCCEEDED":  # what failed, in the test's output when it was not expected
            for event in sfn.get_execution_history(executionArn=arn)["events"]:
                details = {k: v for k, v in event.items() if k.endswith("FailedEventDetails")}
                if details:
                    print("execution failure:", event["type"], details)
        return status

    def emails(self) -> list[Any]:
        """What SES sent, parsed as a mail client would (subject, to, text, html, files)."""
        from localcloud.mailbox import Mailbox

        return list(Mailbox().messages())

    def link_token(self, index: int = 0) -> str:
        """The form link in an email (0: the newest; the mailbox lists newest first)."""
        emails = wait_for(self.emails, timeout=60, what="the billing email")
        match = re.search(re.escape(PUBLIC) + r"/facturar/([A-Za-z0-9_-]{40,})", emails[index].text)
        assert match, emails[index].text
        return match.group(1)

    def history(self, order_id: str = "5873214500123") -> list[str]:
        from postventa.domain.orders import OrderRef

        ref = OrderRef(tenant_id="demo", channel="shopify", order_id=order_id)
        return [h.event_type for h in self.adapters.orders.history(ref)]


def _seed() -> None:
    from postventa.bootstrap import bootstrap
    from postventa.services.demo import seed_demo_tenant
    from tests.support.builders import issuer_csd

    seed_demo_tenant(bootstrap(), csd=issuer_csd())  # one generated CSD for the whole session


@pytest.fixture
def app_factory() -> Iterator[Callable[..., App]]:
    """Start the product from the template; `substitutions` shorten the state machine's waits.
    The fake marketplaces run beside it (the template's local metadata points the channels' base
    URLs at them); Mercado Libre's notifications reach the webhooks function in process and
    Amazon's go to the cloud's SQS queue."""
    from localcloud import local_cloud_inprocess
    from postventa.cli.local import (
        cloud_hooks,
        seed_channel_apps,
        start_fake_marketplaces,
        wire_fake_marketplaces,
    )

    stack: list[Any] = []
    fakes: list[Any] = []

    def start(**substitutions: str) -> App:
        fake = start_fake_marketplaces(0)
        fakes.append(fake)
        context = local_cloud_inprocess(
            TEMPLATE,
            gateway=False,
            parameters={"PublicBaseUrl": PUBLIC, "MailFrom": "facturas@tienda-demo.example"},
            substitutions={"BillingDeadlineSeconds": "3600", **substitutions},
            placeholders={"FakeMarketsUrl": fake.url},
            **cloud_hooks(_seed, seed_channel_apps, demo=False),
        )
        stack.append(context)
        app = App(context.__enter__(), fake)
        wire_fake_marketplaces(fake, app.cloud)

        def notify(url: str, payload: dict[str, Any]) -> int:
            response = app.post_webhook(json.dumps(payload).encode(), channel="mercadolibre")
            return int(response["statusCode"])

        fake.mercadolibre.notify_hook = notify
        return app

    yield start
    for context in reversed(stack):
        context.__exit__(None, None, None)
    for fake in fakes:
        fake.stop()


@pytest.fixture
def app(app_factory: Callable[..., App]) -> App:
    return app_factory()


def sample(**changes: Any) -> dict[str, Any]:
    from postventa.services.demo import sample_orders_paid

    return {**sample_orders_paid(), **changes}


def body_json(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])
