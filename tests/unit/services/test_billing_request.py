"""SendBillingRequest: one email with a personal link, the order marked as asked."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from postventa.domain.clock import epoch
from postventa.domain.messages import MessageTemplate, TemplateBody
from postventa.domain.orders import Channel
from postventa.domain.status import OrderStatus
from postventa.errors import NotFoundError
from postventa.services.billing_request import BillingRequestTask, send_billing_request
from tests.support import builders
from tests.support.fakes import FakeAdapters, FakeMarketplaceMessenger

DAY = 24 * 3600


def task(order_id: str = "1001", deadline: int = 7 * DAY) -> BillingRequestTask:
    return BillingRequestTask.model_validate(
        {
            "task_token": "token-de-tarea",
            "order": {"tenant_id": "tienda", "channel": "shopify", "order_id": order_id},
            "deadline_seconds": deadline,
        }
    )


def test_the_buyer_gets_one_email_whose_link_opens_the_order(adapters: FakeAdapters) -> None:
    adapters.orders.add(builders.order())
    outcome = send_billing_request(task(), adapters)
    assert outcome.sent and outcome.reason == "enviado"
    [email] = adapters.mailer.sent
    assert email.to == "comprador@example.com"
    assert "#1001" in email.subject
    match = re.search(r"https://facturas\.example\.test/facturar/([A-Za-z0-9_-]{40,})", email.text)
    assert match, email.text
    link = adapters.links.find(match.group(1))
    assert link is not None and link.task_token == "token-de-tarea"
    assert "$599.00 MXN" in email.text and "Tienda de Barro" in email.text
    record = adapters.orders.get(builders.order().ref)
    assert record is not None and record.status is OrderStatus.BILLING_REQUESTED
    assert adapters.events.types() == ["BillingRequested"]


def test_the_link_lives_the_tenants_deadline_counted_from_the_payment(
    adapters: FakeAdapters,
) -> None:
    tenant = adapters.tenants.get("tienda")
    assert tenant is not None
    adapters.tenants.put(tenant.model_copy(update={"billing_deadline_seconds": 2 * DAY}))
    paid = adapters.clock.now() - timedelta(hours=30)
    adapters.orders.add(builders.order(paid_at=paid))
    send_billing_request(task(deadline=2 * DAY), adapters)
    [(link, _token)] = adapters.links.created
    assert link.expires_at == epoch(paid) + 2 * DAY  # 18 hours from now, not 48


def test_an_order_paid_longer_ago_than_the_deadline_gets_no_link(adapters: FakeAdapters) -> None:
    # The sample Shopify order was paid in June 2025; seen now, its time is long over.
    adapters.orders.add(builders.order(paid_at=datetime(2025, 6, 12, 17, 2, 36, tzinfo=UTC)))
    outcome = send_billing_request(task(), adapters)
    assert not outcome.sent and outcome.reason == "plazo_vencido"
    assert adapters.mailer.sent == [] and adapters.links.created == []
    record = adapters.orders.get(builders.order().ref)
    assert record is not None and record.billing_request_skipped == "plazo_vencido"
    assert record.status is OrderStatus.RECEIVED  # the lifecycle's deadline moves it on


def test_a_link_never_lives_more_than_seven_days(adapters: FakeAdapters) -> None:
    tenant = adapters.tenants.get("tienda")
    assert tenant is not None
    adapters.tenants.put(tenant.model_copy(update={"billing_deadline_seconds": 30 * DAY}))
    adapters.orders.add(builders.order())
    send_billing_request(task(deadline=30 * DAY), adapters)
    [(link, _token)] = adapters.links.created
    assert link.expires_at == epoch(adapters.clock.now()) + 7 * DAY


def test_the_link_ends_with_the_lifecycles_wait_and_the_sales_global_period(
    adapters: FakeAdapters,
) -> None:
    from postventa.domain.global_periods import global_period_end

    adapters.orders.add(builders.order())
    send_billing_request(task(deadline=3600), adapters)  # the deployment caps the wait at 1 h
    [(link, _token)] = adapters.links.created
    assert link.expires_at == epoch(adapters.clock.now()) + 3600
    late_month = adapters.clock.now().replace(day=30, hour=12)  # paid hours before the close
    adapters.clock.current = late_month
    adapters.orders.add(builders.order("1002", paid_at=late_month))
    send_billing_request(task("1002"), adapters)
    [_, (link, _token)] = adapters.links.created
    tenant = adapters.tenants.get("tienda")
    assert tenant is not None
    assert link.expires_at == epoch(global_period_end(tenant, late_month))


def test_an_order_without_email_is_noted_and_nothing_is_sent(adapters: FakeAdapters) -> None:
    adapters.orders.add(builders.order(email=None))
    outcome = send_billing_request(task(), adapters)
    assert not outcome.sent and outcome.reason == "sin_email"
    assert adapters.mailer.sent == [] and adapters.links.created == []
    record = adapters.orders.get(builders.order().ref)
    assert record is not None and record.billing_request_skipped == "sin_email"
    assert record.status is OrderStatus.RECEIVED


def test_an_unknown_order_is_an_error_the_state_machine_sees(adapters: FakeAdapters) -> None:
    with pytest.raises(NotFoundError):
        send_billing_request(task("no-existe"), adapters)


# ---------------------------------------------------------------- the tenant's message
def save(adapters: FakeAdapters, channel: str, **body: str) -> None:
    from postventa.services.message_templates import save_template

    save_template("tienda", channel, TemplateBody(**body), adapters)


def test_the_tenants_own_template_for_the_channel_is_what_the_buyer_gets(
    adapters: FakeAdapters,
) -> None:
    save(
        adapters,
        "shopify",
        subject="{{ tienda }}: tu factura del pedido {{ pedido }}",
        text="¡Hola {{ comprador }}! Pide tu factura de {{ total }} aquí: {{ liga }} "
        "(vence el {{ fecha_limite }}).",
    )
    adapters.orders.add(builders.order())
    send_billing_request(task(), adapters)
    [email] = adapters.mailer.sent
    assert email.subject == "Tienda de Barro: tu factura del pedido #1001"
    assert email.text.startswith("¡Hola Ana López! Pide tu factura de $599.00 MXN aquí: https://")
    assert "(vence el 27 de noviembre de 2026)." in email.text
    assert email.html.count("<a href=") == 1  # made from the text
    [(kind, detail)] = adapters.events.published
    assert kind == "BillingRequested" and detail["plantilla"] == "propia"


def test_a_marketplace_order_without_a_messenger_is_not_emailed_and_says_why() -> None:
    # Even with an address on the order: a marketplace's buyers are reached through it.
    adapters = FakeAdapters(register_marketplaces=False)
    adapters.tenants.put(builders.tenant())
    ml = builders.order(channel=Channel.MERCADOLIBRE, email="comprador@example.com")
    adapters.orders.add(ml)
    outcome = send_billing_request(ml_task(), adapters)
    assert not outcome.sent and outcome.reason == "canal_sin_mensajeria"
    assert adapters.mailer.sent == [] and adapters.links.created == []
    record = adapters.orders.get(ml.ref)
    assert record is not None and record.billing_request_skipped == "canal_sin_mensajeria"
    assert record.status is OrderStatus.RECEIVED


def test_a_marketplace_order_whose_channel_is_not_connected_is_not_emailed_and_says_why(
    adapters: FakeAdapters,
) -> None:
    ml = builders.order(channel=Channel.MERCADOLIBRE, email="comprador@example.com")
    adapters.orders.add(ml)
    outcome = send_billing_request(ml_task(), adapters)
    assert not outcome.sent and outcome.reason == "canal_desconectado"
    assert adapters.mailer.sent == [] and adapters.links.created == []
    record = adapters.orders.get(ml.ref)
    assert record is not None and record.billing_request_skipped == "canal_desconectado"


def test_a_marketplace_messenger_gets_the_channels_text_with_the_link_within_350(
    adapters: FakeAdapters,
) -> None:
    marketplace = FakeMarketplaceMessenger()
    adapters.messenger.register(Channel.MERCADOLIBRE, marketplace)
    ml = builders.order(channel=Channel.MERCADOLIBRE, email=None)
    adapters.orders.add(ml)
    assert send_billing_request(ml_task(), adapters).sent
    [(order, message)] = marketplace.sent
    assert order.ref == ml.ref and adapters.mailer.sent == []
    assert message.subject is None and message.html is None
    assert len(message.text) <= 350 and "Tienda de Barro" in message.text
    [(_link, token)] = adapters.links.created
    assert message.text.endswith(f"/facturar/{token}")


def test_a_saved_template_the_channel_now_refuses_gives_way_to_the_default_and_the_history_says_so(
    adapters: FakeAdapters,
) -> None:
    # Stored before a rule existed (never through save, which would refuse it).
    adapters.message_templates.put(
        MessageTemplate(
            tenant_id="tienda",
            channel=Channel.SHOPIFY,
            updated_at="2026-01-01T00:00:00.000Z",
            body=TemplateBody(subject="Hola {{ cliente }}", text="{{ liga }}"),
        )
    )
    adapters.orders.add(builders.order())
    assert send_billing_request(task(), adapters).sent
    [email] = adapters.mailer.sent
    assert email.subject == "Solicita tu factura del pedido #1001"
    [(_kind, detail)] = adapters.events.published
    assert detail["plantilla"] == "predeterminada"
    assert detail["plantilla_rechazada"] == ["campo_desconocido"]


def test_another_tenants_template_is_never_used(adapters: FakeAdapters) -> None:
    adapters.tenants.put(builders.tenant("otra", name="Otra Tienda"))
    from postventa.services.message_templates import save_template

    save_template(
        "otra", "shopify", TemplateBody(subject="OTRA {{ pedido }}", text="{{ liga }}"), adapters
    )
    adapters.orders.add(builders.order())
    send_billing_request(task(), adapters)
    assert adapters.mailer.sent[0].subject == "Solicita tu factura del pedido #1001"


def ml_task() -> BillingRequestTask:
    return BillingRequestTask.model_validate(
        {
            "task_token": "token-de-tarea",
            "order": {"tenant_id": "tienda", "channel": "mercadolibre", "order_id": "1001"},
            "deadline_seconds": 7 * DAY,
        }
    )
