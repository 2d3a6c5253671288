"""The ERP hand-off in the unit tier: the seller's settings, and each bus event becoming one
signed POST, retried with backoff, logged, idempotent per (tenant, event)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from postventa.domain.clock import epoch
from postventa.domain.erp import (
    MAX_ATTEMPTS,
    DeliveryStatus,
    InvalidErpUrlError,
    PostResult,
    retry_delay,
)
from postventa.errors import ConflictError, NotFoundError
from postventa.services import erp
from postventa.services.erp import Forwarded, MalformedErpMessageError, RetryLaterError
from tests.support import builders
from tests.support.builders import VALID_FORM
from tests.support.erp_receiver import verify, verify_headers
from tests.support.events import STAMPED_XML, invoice_cancelled, invoice_stamped
from tests.support.fakes import FakeAdapters

URL = "https://erp.tienda.example/postventa"


def configured(adapters: FakeAdapters, url: str = URL, enabled: bool = True) -> str:
    """Configure the tenant's ERP; returns the signing secret shown once."""
    view, _ = erp.configure("tienda", erp.ErpSettingsBody(url=url, enabled=enabled), adapters)
    return str(view.get("signing_secret") or adapters.erp_endpoints.secrets["tienda"])


@pytest.fixture
def stamped(adapters: FakeAdapters) -> dict[str, Any]:
    """A stamped invoice: the order with the buyer's fiscal data, its XML in the bucket, and
    the InvoiceStamped event."""
    order = builders.order()
    adapters.orders.add(order)
    adapters.orders.note(order.ref, fiscal_data=dict(VALID_FORM))
    event = invoice_stamped()
    adapters.documents.objects[event["detail"]["xml_key"]] = STAMPED_XML
    return event


def forward(adapters: FakeAdapters, event: dict[str, Any] | str, attempt: int = 1) -> Forwarded:
    body = event if isinstance(event, str) else json.dumps(event)
    return erp.forward_message(body, attempt=attempt, receipt_handle="rh-1", adapters=adapters)


def delivery(adapters: FakeAdapters, event: dict[str, Any]) -> Any:
    return adapters.erp_deliveries.get("tienda", event["id"])


# ---------------------------------------------------------------------- settings
def test_the_first_setup_returns_a_secret_once_and_keeps_it_out_of_the_settings(
    adapters: FakeAdapters,
) -> None:
    view, created = erp.configure("tienda", erp.ErpSettingsBody(url=URL), adapters)
    secret = view["signing_secret"]
    assert created and secret.startswith("pverp_") and len(secret) > 40
    assert adapters.erp_endpoints.secrets["tienda"] == secret
    assert secret not in json.dumps(adapters.erp_endpoints.endpoints["tienda"].model_dump())

    again, created = erp.configure(
        "tienda", erp.ErpSettingsBody(url=URL + "/v2", enabled=False), adapters
    )
    assert not created and "signing_secret" not in again
    assert again["url"] == URL + "/v2" and again["enabled"] is False
    assert adapters.erp_endpoints.secrets["tienda"] == secret  # unchanged
    shown = erp.show("tienda", adapters)
    assert "signing_secret" not in shown and shown["url"] == URL + "/v2"


def test_an_http_url_is_refused_in_spanish_and_nothing_is_saved(adapters: FakeAdapters) -> None:
    with pytest.raises(InvalidErpUrlError, match="https"):
        erp.configure("tienda", erp.ErpSettingsBody(url="http://erp.tienda.example/"), adapters)
    assert adapters.erp_endpoints.endpoints == {} and adapters.erp_endpoints.secrets == {}


def test_localhost_is_refused_unless_the_deployment_allows_it(adapters: FakeAdapters) -> None:
    with pytest.raises(InvalidErpUrlError, match="localhost"):
        erp.configure("tienda", erp.ErpSettingsBody(url="http://127.0.0.1:9/erp"), adapters)
    adapters.settings = adapters.settings.model_copy(update={"erp_allow_loopback": True})
    view, _ = erp.configure("tienda", erp.ErpSettingsBody(url="http://127.0.0.1:9/erp"), adapters)
    assert view["url"] == "http://127.0.0.1:9/erp"


def test_showing_rotating_or_testing_an_unconfigured_erp_is_not_found(
    adapters: FakeAdapters,
) -> None:
    for action in (erp.show, erp.rotate_secret, erp.send_test):
        with pytest.raises(NotFoundError, match="no está configurado"):
            action("tienda", adapters)


def test_rotation_shows_a_new_secret_that_signs_from_the_next_post(
    adapters: FakeAdapters,
) -> None:
    old = configured(adapters)
    adapters.clock.advance(minutes=5)
    rotated = erp.rotate_secret("tienda", adapters)
    new = rotated["signing_secret"]
    assert new != old and rotated["secret_rotated_at"] == "2026-11-20T16:05:00.000Z"
    erp.send_test("tienda", adapters)
    [posted] = adapters.erp_poster.posted
    now = epoch(adapters.clock.now())
    args = (posted.headers["X-Postventa-Timestamp"], posted.headers["X-Postventa-Signature"])
    assert verify(new, *args, posted.body, now=now)
    assert not verify(old, *args, posted.body, now=now)


def test_the_test_ping_is_signed_and_reports_what_the_erp_answered(
    adapters: FakeAdapters,
) -> None:
    secret = configured(adapters, enabled=False)  # testing works before switching it on
    answer = erp.send_test("tienda", adapters)
    assert answer["delivered"] is True and answer["status_code"] == 200
    [posted] = adapters.erp_poster.posted
    assert posted.url == URL
    body = json.loads(posted.body)
    assert body["event"] == "ping" and body["tenant_id"] == "tienda"
    assert posted.headers["X-Postventa-Event"] == "ping"
    assert verify_headers(secret, posted.headers, posted.body, now=epoch(adapters.clock.now()))

    adapters.erp_poster.answers = [PostResult(status_code=401, error="El ERP respondió HTTP 401.")]
    refused = erp.send_test("tienda", adapters)
    assert refused["delivered"] is False and refused["status_code"] == 401
    assert "401" in refused["error"]


# ---------------------------------------------------------------------- forwarding
def test_a_stamped_invoice_becomes_one_signed_post_with_totals_receptor_and_xml(
    adapters: FakeAdapters, stamped: dict[str, Any]
) -> None:
    secret = configured(adapters)
    assert forward(adapters, stamped) is Forwarded.DELIVERED

    [posted] = adapters.erp_poster.posted
    assert posted.url == URL
    assert verify_headers(secret, posted.headers, posted.body, now=epoch(adapters.clock.now()))
    assert posted.headers["X-Postventa-Event"] == "invoice.stamped"
    assert posted.headers["X-Postventa-Delivery"] == stamped["id"]
    body = json.loads(posted.body)
    assert body["event"] == "invoice.stamped" and body["delivery_id"] == stamped["id"]
    assert body["order"] == {"channel": "shopify", "order_id": "1001", "order_number": "#1001"}
    invoice = body["invoice"]
    assert (invoice["uuid"], invoice["serie"], invoice["folio"]) == (
        "5A1B3C4D-0000-4000-8000-00000000A001",
        "F",
        "17",
    )
    assert (invoice["total"], invoice["currency"]) == ("599.00", "MXN")
    assert invoice["totals"] == {
        "subtotal": "516.38",
        "descuento": "0.00",
        "total": "599.00",
        "impuestos_trasladados": "82.62",
    }
    assert invoice["receptor"] == {
        "rfc": "EKU9003173C9",
        "nombre": "ESCUELA KEMPER URGATE",
        "regimen_fiscal": "601",
        "codigo_postal": "42501",
        "uso_cfdi": "G03",
    }
    assert "email" not in json.dumps(invoice["receptor"])
    assert base64.b64decode(invoice["xml_base64"]) == STAMPED_XML

    logged = delivery(adapters, stamped)
    assert logged.status is DeliveryStatus.DELIVERED and logged.attempts == 1
    assert logged.last_status_code == 200 and logged.delivered_at == "2026-11-20T16:00:00.000Z"


def test_a_cancelled_invoice_is_posted_with_motivo_and_status(adapters: FakeAdapters) -> None:
    configured(adapters)
    event = invoice_cancelled()
    assert forward(adapters, event) is Forwarded.DELIVERED
    body = json.loads(adapters.erp_poster.posted[0].body)
    assert body["event"] == "invoice.cancelled"
    assert body["invoice"] == {
        "uuid": "5A1B3C4D-0000-4000-8000-00000000A001",
        "motivo": "02",
        "status": "cancelada",
    }


def test_a_tenant_without_an_erp_or_with_it_off_gets_nothing(
    adapters: FakeAdapters, stamped: dict[str, Any]
) -> None:
    assert forward(adapters, stamped) is Forwarded.NOT_CONFIGURED
    configured(adapters, enabled=False)
    assert forward(adapters, stamped) is Forwarded.NOT_CONFIGURED
    assert adapters.erp_poster.posted == [] and adapters.erp_deliveries.records == {}


def test_a_redelivered_message_of_a_delivered_event_does_not_post_again(
    adapters: FakeAdapters, stamped: dict[str, Any]
) -> None:
    configured(adapters)
    assert forward(adapters, stamped) is Forwarded.DELIVERED
    assert forward(adapters, stamped, attempt=2) is Forwarded.ALREADY_SETTLED
    assert len(adapters.erp_poster.posted) == 1
    assert delivery(adapters, stamped).attempts == 1


def test_two_events_of_one_invoice_are_two_deliveries(
    adapters: FakeAdapters, stamped: dict[str, Any]
) -> None:
    configured(adapters)
    forward(adapters, stamped)
    forward(adapters, invoice_cancelled())
    assert len(adapters.erp_poster.posted) == 2


@pytest.mark.parametrize("code", [500, 503, 429, 408])
def test_a_server_error_schedules_a_retry_with_the_backoff_delay(
    adapters: FakeAdapters, stamped: dict[str, Any], code: int
) -> None:
    configured(adapters)
    adapters.erp_poster.answers = [PostResult(status_code=code, error=f"HTTP {code}")]
    with pytest.raises(RetryLaterError) as retry:
        forward(adapters, stamped, attempt=3)
    assert retry.value.seconds == retry_delay(3) == 240
    assert adapters.erp_queue.hidden == [("rh-1", 240)]
    logged = delivery(adapters, stamped)
    assert logged.status is DeliveryStatus.RETRYING and logged.last_status_code == code
    assert logged.next_retry_at == "2026-11-20T16:04:00.000Z" and logged.lease_until is None

    adapters.clock.advance(seconds=240)
    assert forward(adapters, stamped, attempt=4) is Forwarded.DELIVERED
    logged = delivery(adapters, stamped)
    assert logged.status is DeliveryStatus.DELIVERED and logged.attempts == 2
    assert logged.next_retry_at is None and logged.last_error is None


def test_no_answer_at_all_is_retried_too(adapters: FakeAdapters, stamped: dict[str, Any]) -> None:
    configured(adapters)
    adapters.erp_poster.answers = [PostResult(error="El ERP no respondió en 5 s.")]
    with pytest.raises(RetryLaterError):
        forward(adapters, stamped)
    logged = delivery(adapters, stamped)
    assert logged.last_status_code is None and logged.last_error == "El ERP no respondió en 5 s."


@pytest.mark.parametrize("code", [400, 401, 404, 410, 422])
def test_a_client_error_is_recorded_and_never_retried(
    adapters: FakeAdapters, stamped: dict[str, Any], code: int
) -> None:
    configured(adapters)
    adapters.erp_poster.answers = [PostResult(status_code=code, error=f"El ERP respondió {code}")]
    assert forward(adapters, stamped) is Forwarded.REFUSED
    assert adapters.erp_queue.hidden == []
    logged = delivery(adapters, stamped)
    assert logged.status is DeliveryStatus.REFUSED and logged.last_status_code == code
    assert forward(adapters, stamped, attempt=2) is Forwarded.ALREADY_SETTLED
    assert len(adapters.erp_poster.posted) == 1


def test_the_last_failed_attempt_sends_the_message_to_the_dlq(
    adapters: FakeAdapters, stamped: dict[str, Any]
) -> None:
    configured(adapters)
    adapters.erp_poster.answers = [PostResult(status_code=502, error="HTTP 502")]
    with pytest.raises(RetryLaterError) as retry:
        forward(adapters, stamped, attempt=MAX_ATTEMPTS)
    assert retry.value.seconds == 0 and adapters.erp_queue.hidden == [("rh-1", 0)]
    logged = delivery(adapters, stamped)
    assert logged.status is DeliveryStatus.EXHAUSTED and logged.next_retry_at is None
    assert "14 intentos" in (logged.last_error or "")


def test_a_copy_arriving_while_an_attempt_runs_waits_without_posting(
    adapters: FakeAdapters, stamped: dict[str, Any]
) -> None:
    configured(adapters)
    forward_other_copy_started(adapters, stamped)
    with pytest.raises(RetryLaterError) as retry:
        forward(adapters, stamped)
    assert retry.value.seconds == erp.LEASE_SECONDS
    assert adapters.erp_poster.posted == []


def forward_other_copy_started(adapters: FakeAdapters, event: dict[str, Any]) -> None:
    """Another worker opened the delivery and holds its lease (its POST is under way)."""
    from postventa.domain.clock import iso
    from postventa.domain.erp import ErpDelivery

    now = adapters.clock.now()
    opened = adapters.erp_deliveries.open(
        ErpDelivery(
            tenant_id="tienda",
            delivery_id=event["id"],
            event_type=event["detail-type"],
            created_at=iso(now),
            updated_at=iso(now),
        )
    )
    assert adapters.erp_deliveries.claim(opened, now=epoch(now), lease_seconds=60, at=iso(now))


def test_an_xml_key_of_another_tenant_is_never_read_or_posted(adapters: FakeAdapters) -> None:
    configured(adapters)
    adapters.documents.objects["invoices/otra/x.xml"] = STAMPED_XML
    event = invoice_stamped(xml_key="invoices/otra/x.xml")
    with pytest.raises(RetryLaterError):
        forward(adapters, event)
    assert adapters.erp_poster.posted == []
    assert "InvoiceKeyError" in (delivery(adapters, event).last_error or "")


def test_a_missing_signing_secret_is_refused_with_what_to_do(
    adapters: FakeAdapters, stamped: dict[str, Any]
) -> None:
    configured(adapters)
    del adapters.erp_endpoints.secrets["tienda"]
    assert forward(adapters, stamped) is Forwarded.REFUSED
    assert "rotate-secret" in (delivery(adapters, stamped).last_error or "")
    assert adapters.erp_poster.posted == []


def test_turning_the_erp_off_between_attempts_skips_the_delivery(
    adapters: FakeAdapters, stamped: dict[str, Any]
) -> None:
    configured(adapters)
    adapters.erp_poster.answers = [PostResult(status_code=500)]
    with pytest.raises(RetryLaterError):
        forward(adapters, stamped)
    erp.configure("tienda", erp.ErpSettingsBody(url=URL, enabled=False), adapters)
    assert forward(adapters, stamped, attempt=2) is Forwarded.NOT_CONFIGURED
    assert delivery(adapters, stamped).status is DeliveryStatus.SKIPPED
    assert len(adapters.erp_poster.posted) == 1


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        json.dumps({"detail-type": "InvoiceStamped"}),
        json.dumps({"redeliver": {"tenant_id": "tienda"}}),
    ],
)
def test_a_message_that_can_never_be_delivered_is_an_error_for_the_dlq(
    adapters: FakeAdapters, body: str
) -> None:
    with pytest.raises(MalformedErpMessageError):
        forward(adapters, body)


def test_an_event_without_its_fields_is_an_error_naming_them(adapters: FakeAdapters) -> None:
    event = invoice_stamped()
    del event["detail"]["xml_key"]
    with pytest.raises(MalformedErpMessageError, match="xml_key"):
        forward(adapters, event)


def test_other_bus_events_are_ignored(adapters: FakeAdapters) -> None:
    event = invoice_stamped()
    event["detail-type"] = "OrderReceived"
    assert forward(adapters, event) is Forwarded.IGNORED


# ---------------------------------------------------------------------- log and redeliver
def test_the_log_lists_what_the_seller_needs_newest_first(
    adapters: FakeAdapters, stamped: dict[str, Any]
) -> None:
    configured(adapters)
    adapters.erp_poster.answers = [PostResult(status_code=503, error="El ERP respondió HTTP 503.")]
    with pytest.raises(RetryLaterError):
        forward(adapters, stamped)
    adapters.clock.advance(minutes=1)
    forward(adapters, invoice_cancelled())
    listed = erp.list_deliveries("tienda", adapters)["deliveries"]
    assert [d["event_type"] for d in listed] == ["InvoiceCancelled", "InvoiceStamped"]
    retrying = listed[1]
    assert retrying["status"] == "reintentando" and retrying["attempts"] == 1
    assert retrying["last_status_code"] == 503 and retrying["next_retry_at"]
    assert retrying["last_error"] == "El ERP respondió HTTP 503."
    assert retrying["uuid"] == "5A1B3C4D-0000-4000-8000-00000000A001"
    assert listed[0]["status"] == "entregada" and listed[0]["delivered_at"]
    assert not {"event", "lease_until", "tenant_id"} & set(retrying)
    page = erp.list_deliveries("tienda", adapters, limit=1)
    assert len(page["deliveries"]) == 1 and page["next_cursor"]


def test_redeliver_posts_a_delivered_event_once_more_and_old_copies_stay_quiet(
    adapters: FakeAdapters, stamped: dict[str, Any]
) -> None:
    configured(adapters)
    forward(adapters, stamped)
    view = erp.redeliver("tienda", stamped["id"], adapters)
    assert view["status"] == "pendiente" and view["round"] == 1 and view["attempts"] == 0
    [queued] = adapters.erp_queue.sent
    assert json.loads(queued) == {
        "redeliver": {"tenant_id": "tienda", "delivery_id": stamped["id"], "round": 1}
    }
    assert forward(adapters, queued) is Forwarded.DELIVERED
    assert forward(adapters, queued, attempt=2) is Forwarded.ALREADY_SETTLED
    assert forward(adapters, stamped, attempt=5) is Forwarded.STALE  # the bus's copy, round 0
    first, second = adapters.erp_poster.posted
    assert json.loads(first.body) == json.loads(second.body)  # the same body, signed anew
    logged = delivery(adapters, stamped)
    assert logged.status is DeliveryStatus.DELIVERED and logged.round == 1


def test_redelivering_twice_leaves_only_the_newest_request_live(
    adapters: FakeAdapters, stamped: dict[str, Any]
) -> None:
    configured(adapters)
    forward(adapters, stamped)
    erp.redeliver("tienda", stamped["id"], adapters)
    erp.redeliver("tienda", stamped["id"], adapters)
    older, newer = adapters.erp_queue.sent
    assert forward(adapters, older) is Forwarded.STALE
    assert forward(adapters, newer) is Forwarded.DELIVERED
    assert len(adapters.erp_poster.posted) == 2


def test_redeliver_of_an_unknown_or_impossible_id_is_not_found(adapters: FakeAdapters) -> None:
    configured(adapters)
    for delivery_id in ("no-such-delivery", "../../etc", "x" * 65):
        with pytest.raises(NotFoundError, match="Envío no encontrado"):
            erp.redeliver("tienda", delivery_id, adapters)
    assert adapters.erp_queue.sent == []


def test_redeliver_with_the_erp_off_says_to_turn_it_on(
    adapters: FakeAdapters, stamped: dict[str, Any]
) -> None:
    configured(adapters)
    forward(adapters, stamped)
    erp.configure("tienda", erp.ErpSettingsBody(url=URL, enabled=False), adapters)
    with pytest.raises(ConflictError, match="actívalo"):
        erp.redeliver("tienda", stamped["id"], adapters)
    assert adapters.erp_queue.sent == []


def test_another_tenants_delivery_cannot_be_redelivered(
    adapters: FakeAdapters, stamped: dict[str, Any]
) -> None:
    configured(adapters)
    forward(adapters, stamped)
    erp.configure("otra", erp.ErpSettingsBody(url=URL), adapters)
    with pytest.raises(NotFoundError):
        erp.redeliver("otra", stamped["id"], adapters)
