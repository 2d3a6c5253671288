"""Entry points of the scheduled jobs and the seller's new routes (cancel, global invoice):
parse, one service call with the fakes `bootstrap()` gives, the outcome as AWS expects it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from postventa.domain.status import BUYER_DATA_SUBMITTED
from postventa.services import invoices, invoicing
from tests.support import builders
from tests.support.builders import VALID_FORM
from tests.support.events import LambdaContext, http_event, load_function, sqs_event
from tests.support.fakes import FakeAdapters


@pytest.fixture
def adapters() -> FakeAdapters:
    fake = FakeAdapters()
    fake.clock.current = datetime.now(UTC)
    fake.tenants.put(builders.invoicing_tenant())
    fake.tenants.put_api_key("tienda", "clave-tienda")
    fake.credentials.put_csd("tienda", builders.issuer_csd().credentials())
    fake.folios.add("tienda", 5)
    return fake


@pytest.fixture
def module(adapters: FakeAdapters) -> Any:
    def load(name: str) -> Any:
        loaded = load_function(name)
        loaded.bootstrap = lambda: adapters
        return loaded

    return load


def messages(*bodies: str) -> dict[str, Any]:
    return sqs_event(
        [
            {"MessageId": f"m{i}", "ReceiptHandle": f"r{i}", "Body": body}
            for i, body in enumerate(bodies)
        ]
    )


def api(method: str, path: str, body: Any = None, key: str = "clave-tienda") -> dict[str, Any]:
    return http_event(
        method,
        path,
        body=json.dumps(body).encode() if body is not None else b"",
        headers={"authorization": f"Bearer {key}", "content-type": "application/json"},
        route="/api/v1/{proxy+}",
    )


def test_a_schedule_queues_its_job_once_per_tenant(module: Any, adapters: FakeAdapters) -> None:
    adapters.tenants.put(builders.tenant("otra"))
    jobs = module("scheduled_jobs")
    result = jobs.handler({"job": "global_invoices"}, LambdaContext())
    assert result == {"job": "global_invoices", "tenants": 2}
    assert [json.loads(b)["tenant_id"] for b in adapters.jobs.take("fiscal")] == [
        "otra",
        "tienda",
    ]


def test_a_tenants_failing_job_fails_only_its_own_message(
    module: Any, adapters: FakeAdapters
) -> None:
    jobs = module("scheduled_jobs")
    good = json.dumps({"job": "reminders", "tenant_id": "tienda"})
    wrong_queue = json.dumps({"job": "global_invoices", "tenant_id": "tienda"})
    result = jobs.tenant_jobs(messages(good, wrong_queue, "no es json"), LambdaContext())
    assert result == {"batchItemFailures": [{"itemIdentifier": "m1"}, {"itemIdentifier": "m2"}]}
    fiscal = jobs.fiscal_jobs(messages(wrong_queue), LambdaContext())
    assert fiscal == {"batchItemFailures": []}


def stamped(adapters: FakeAdapters) -> Any:
    order = builders.order(payment_method="credit_card")
    adapters.orders.add(order)
    adapters.orders.apply(order.ref, BUYER_DATA_SUBMITTED, extra={"fiscal_data": dict(VALID_FORM)})
    invoicing.reserve_folio(order.ref, adapters)
    invoices.stamp(order.ref, adapters)
    return order


def test_the_seller_cancels_an_invoice_and_the_worker_follows_it(
    module: Any, adapters: FakeAdapters
) -> None:
    order = stamped(adapters)
    seller = module("seller_api")
    path = f"/api/v1/orders/shopify/{order.order_id}/cancel"
    response = seller.handler(api("POST", path, {"motivo": "02"}), LambdaContext())
    assert response["statusCode"] == 202
    assert json.loads(response["body"])["cancelacion"]["estado"] == "solicitada"
    [queued] = adapters.jobs.take("fiscal")
    assert json.loads(queued)["job"] == "cancellation"
    module("scheduled_jobs").fiscal_jobs(messages(queued), LambdaContext())
    view = json.loads(
        seller.handler(api("GET", f"/api/v1/orders/shopify/{order.order_id}"), LambdaContext())[
            "body"
        ]
    )
    assert view["status"] == "cancelada" and view["cancellations"][0]["estado"] == "aceptada"
    again = seller.handler(api("POST", path, {"motivo": "02"}), LambdaContext())
    assert again["statusCode"] == 409


@pytest.mark.parametrize(
    "body",
    [{"motivo": "05"}, {"motivo": "02", "extra": 1}, {}],
)
def test_a_cancel_with_a_bad_body_is_a_spanish_400(module: Any, body: Any) -> None:
    response = module("seller_api").handler(
        api("POST", "/api/v1/orders/shopify/1001/cancel", body), LambdaContext()
    )
    assert response["statusCode"] in (400, 422)
    assert json.loads(response["body"])["message"]


def test_another_tenants_order_cannot_be_cancelled(module: Any, adapters: FakeAdapters) -> None:
    stamped(adapters)
    adapters.tenants.put(builders.tenant("otra"))
    adapters.tenants.put_api_key("otra", "clave-otra")
    response = module("seller_api").handler(
        api("POST", "/api/v1/orders/shopify/1001/cancel", {"motivo": "02"}, key="clave-otra"),
        LambdaContext(),
    )
    assert response["statusCode"] == 404


def test_the_seller_sets_the_periodicity_and_reads_its_global_invoices(
    module: Any, adapters: FakeAdapters
) -> None:
    seller = module("seller_api")
    settings = "/api/v1/global-invoice-settings"
    shown = json.loads(seller.handler(api("GET", settings), LambdaContext())["body"])
    assert shown == {"periodicidad": "04", "max_conceptos": None, "dias_solicitud_tardia": None}
    saved = seller.handler(
        api("PUT", settings, {"periodicidad": "02", "max_conceptos": 1000}), LambdaContext()
    )
    assert saved["statusCode"] == 200
    tenant = adapters.tenants.get("tienda")
    assert tenant is not None and tenant.global_invoice.periodicity.value == "02"
    bimonthly = seller.handler(api("PUT", settings, {"periodicidad": "05"}), LambdaContext())
    assert bimonthly["statusCode"] == 400 and "621" in json.loads(bimonthly["body"])["message"]
    listing = seller.handler(api("GET", "/api/v1/global-invoices"), LambdaContext())
    assert json.loads(listing["body"]) == {"facturas_globales": []}
    missing = seller.handler(
        api("GET", "/api/v1/global-invoices/2026-11-01.04/001"), LambdaContext()
    )
    assert missing["statusCode"] == 404
