"""Mercado Libre's post-sale messages (the billing request, the shipping notice) and fiscal
documents, through the product's services against the fake Mercado Libre."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from postventa.domain.invoices import Invoice
from postventa.domain.messages import MessageTemplate, TemplateBody
from postventa.domain.orders import BuyerContact, Channel, Order, OrderLine, OrderRef
from postventa.services.billing_request import BillingRequestTask, send_billing_request
from postventa.services.channel_delivery import publish_invoice
from postventa.services.shipping import ShipmentBody, mark_shipped
from tests.support import builders
from tests.support.fakes import FakeAdapters
from tests.support.marketplaces import ML_USER, Markets, connect_mercadolibre, with_fake_markets

TENANT = "tienda"
PDF = b"%PDF-1.4\n" + b"0" * 2000
XML = b"<cfdi:Comprobante/>"


@pytest.fixture
def adapters() -> FakeAdapters:
    fake = FakeAdapters()
    fake.tenants.put(builders.tenant(TENANT, name="Alfarería Doña Chayo"))
    return fake


@pytest.fixture
def markets(adapters: FakeAdapters) -> Markets:
    markets = with_fake_markets(adapters)
    connect_mercadolibre(adapters, markets, TENANT)
    return markets


def stored_sale(adapters: FakeAdapters, markets: Markets, **kwargs: Any) -> tuple[Order, str]:
    created = markets.fake.mercadolibre.create_sale(
        ML_USER,
        [[{"title": "Cazuela", "quantity": 1, "unit_price": 480.0}]],
        notify=False,
        **kwargs,
    )
    key = created["key"]
    order = Order(
        tenant_id=TENANT,
        channel=Channel.MERCADOLIBRE,
        order_id=key,
        order_number=key,
        paid_at=builders.order().paid_at,
        lines=[OrderLine(sku="CAZ", description="Cazuela", quantity=1, unit_price=Decimal(480))],
        total_paid=Decimal(480),
        payment_method="credit_card",
        buyer=BuyerContact(name="Ana Pérez"),
        channel_refs={"pack_id": key, "shipment_id": str(created["shipment_id"])},
    )
    adapters.orders.add(order)
    return order, key


def task(order: Order) -> BillingRequestTask:
    return BillingRequestTask(task_token="token-1", order=order.ref, deadline_seconds=7 * 86400)


# ---------------------------------------------------------------- the billing request
def test_the_billing_request_goes_as_the_free_text_reason_with_the_link_within_350(
    adapters: FakeAdapters, markets: Markets
) -> None:
    order, key = stored_sale(adapters, markets)
    outcome = send_billing_request(task(order), adapters)
    assert outcome.sent and outcome.reason == "enviado"
    [message] = markets.fake.mercadolibre.sent_messages(key)
    assert message.option_id == "SEND_INVOICE_LINK"  # the reason made for invoice links
    assert len(message.text.encode("utf-16-le")) // 2 <= 350
    assert "https://facturas.example.test/facturar/" in message.text
    assert message.moderation == "clean"
    assert adapters.mailer.sent == []  # never emailed behind Mercado Libre's back


def test_when_the_invoice_reason_is_used_up_the_other_free_text_reason_is_used(
    adapters: FakeAdapters, markets: Markets
) -> None:
    order, key = stored_sale(adapters, markets)
    markets.fake.mercadolibre.caps[(key, "SEND_INVOICE_LINK")] = 0
    assert send_billing_request(task(order), adapters).sent
    [message] = markets.fake.mercadolibre.sent_messages(key)
    assert message.option_id == "OTHER"


def test_with_no_messages_left_the_order_says_why_and_nothing_is_sent(
    adapters: FakeAdapters, markets: Markets
) -> None:
    order, key = stored_sale(adapters, markets)
    for option in ("SEND_INVOICE_LINK", "OTHER"):
        markets.fake.mercadolibre.caps[(key, option)] = 0
    outcome = send_billing_request(task(order), adapters)
    assert not outcome.sent and outcome.reason == "sin_mensajes_disponibles"
    record = adapters.orders.get(order.ref)
    assert record is not None and record.billing_request_skipped == "sin_mensajes_disponibles"
    assert ("BillingRequestNotSent", "sin_mensajes_disponibles") in [
        (t, d.get("reason")) for t, d in adapters.events.published
    ]


def test_a_tenant_template_over_350_with_real_values_gives_way_to_the_default(
    adapters: FakeAdapters, markets: Markets
) -> None:
    order, key = stored_sale(adapters, markets)
    adapters.message_templates.put(
        MessageTemplate(
            tenant_id=TENANT,
            channel=Channel.MERCADOLIBRE,
            updated_at="2026-11-01T00:00:00.000Z",
            body=TemplateBody(text="x" * 300 + " {{ liga }}"),
        )
    )
    assert send_billing_request(task(order), adapters).sent
    [message] = markets.fake.mercadolibre.sent_messages(key)
    assert not message.text.startswith("xxx")  # the channel's default went out


# ---------------------------------------------------------------- fiscal documents
def invoice() -> Invoice:
    return Invoice(
        uuid="5A1B3C4D-0000-4000-8000-00000000A001",
        serie="F",
        folio="17",
        total="480.00",
        currency="MXN",
        xml_key="invoices/tienda/mercadolibre/x/u.xml",
        stamped_at="2026-11-20T16:00:00.000Z",
        pac="sandbox",
        test_stamp=True,
    )


def test_the_stamped_invoice_goes_to_the_packs_fiscal_documents_and_skips_our_email(
    adapters: FakeAdapters, markets: Markets
) -> None:
    order, key = stored_sale(adapters, markets)
    record = adapters.orders.get(order.ref)
    assert record is not None
    published = publish_invoice(record, invoice(), XML, PDF, adapters)
    assert published.uploaded and published.notifies_buyer  # Mercado Libre tells the buyer
    docs = markets.fake.mercadolibre.fiscal_documents[key]
    assert [(d["filename"], d["content_type"]) for d in docs] == [
        ("F17.pdf", "application/pdf"),
        ("F17.xml", "application/xml"),
    ]
    # the step retried: nothing is uploaded twice
    again = adapters.orders.get(order.ref)
    assert again is not None and again.invoice_upload == "subida"
    assert publish_invoice(again, invoice(), XML, PDF, adapters).reason == "ya_subida"
    assert len(markets.fake.mercadolibre.fiscal_documents[key]) == 2


def test_a_pdf_over_one_megabyte_is_not_uploaded_and_the_buyer_gets_the_email(
    adapters: FakeAdapters, markets: Markets
) -> None:
    order, key = stored_sale(adapters, markets)
    record = adapters.orders.get(order.ref)
    assert record is not None
    published = publish_invoice(record, invoice(), XML, b"%PDF" + b"0" * (1024 * 1024), adapters)
    assert not published.uploaded and published.reason == "pdf_demasiado_grande"
    assert not published.notifies_buyer and key not in markets.fake.mercadolibre.fiscal_documents
    after = adapters.orders.get(order.ref)
    assert after is not None and after.invoice_upload == "pdf_demasiado_grande"
    assert not after.invoice_uploaded_at


# ---------------------------------------------------------------- the shipping notice
def shipped() -> ShipmentBody:
    return ShipmentBody(
        carrier="Estafeta",
        tracking_number="7501234567890",
        tracking_url="https://rastreo.estafeta.example/guia/7501234567890",
    )


def test_marking_an_order_shipped_sends_the_carrier_and_tracking_once(
    adapters: FakeAdapters, markets: Markets
) -> None:
    order, key = stored_sale(adapters, markets)
    assert mark_shipped(order.ref, shipped(), adapters) == {"sent": True, "reason": "enviado"}
    [message] = markets.fake.mercadolibre.sent_messages(key)
    assert message.option_id == "OTHER"
    assert "Estafeta" in message.text and "7501234567890" in message.text
    assert "https://rastreo.estafeta.example/guia/7501234567890" in message.text
    assert mark_shipped(order.ref, shipped(), adapters) == {"sent": False, "reason": "ya_enviado"}
    assert len(markets.fake.mercadolibre.sent_messages(key)) == 1


def test_a_shortened_tracking_link_is_refused_before_anything_is_sent() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="acortada"):
        ShipmentBody(carrier="DHL", tracking_number="123", tracking_url="https://bit.ly/abc123")


def test_the_automatic_notice_follows_mercado_libres_shipment_when_the_seller_turned_it_on(
    adapters: FakeAdapters, markets: Markets
) -> None:
    from postventa.channels.base import QueuedWebhook
    from postventa.services.ingest import ingest_message
    from postventa.services.shipping import save_shipping_template
    from postventa.services.webhooks import receive_webhook

    order, key = stored_sale(adapters, markets, custom_shipping=True)
    save_shipping_template(
        TENANT,
        "mercadolibre",
        TemplateBody(
            text="Tu pedido {{ pedido }} va con {{ paqueteria }}: "
            "https://rastreo.paqueteria.example/?guia={{ guia }}"
        ),
        adapters,
    )
    ml = markets.fake.mercadolibre
    shipment_id = int(order.channel_refs["shipment_id"])
    ml.ship(shipment_id, "9001", "Paquetería del Norte")
    import json

    for record in ml.notifications:
        receive_webhook("mercadolibre", None, json.dumps(record["payload"]).encode(), {}, adapters)
    for message in adapters.queue.messages:
        ingest_message(QueuedWebhook.model_validate_json(message), adapters)
    [sent] = ml.sent_messages(key)
    assert sent.text.endswith("https://rastreo.paqueteria.example/?guia=9001")
    assert "Paquetería del Norte" in sent.text


def test_the_panels_switch_turns_the_automatic_notice_off_and_on(
    adapters: FakeAdapters, markets: Markets
) -> None:
    """One switch (the seller's, panel > Mensajes): off after the template was saved sends
    nothing; on without a saved template sends the default notice."""
    import json

    from postventa.channels.base import QueuedWebhook
    from postventa.services import message_switches
    from postventa.services.ingest import ingest_message
    from postventa.services.shipping import save_shipping_template
    from postventa.services.webhooks import receive_webhook

    def ship(order: Any, guia: str) -> None:
        ml = markets.fake.mercadolibre
        ml.notifications.clear()
        adapters.queue.messages.clear()
        ml.ship(int(order.channel_refs["shipment_id"]), guia, "Paquetería del Norte")
        for record in ml.notifications:
            body = json.dumps(record["payload"]).encode()
            receive_webhook("mercadolibre", None, body, {}, adapters)
        for message in adapters.queue.messages:
            ingest_message(QueuedWebhook.model_validate_json(message), adapters)

    def switch(on: bool) -> None:
        message_switches.set_switches(
            TENANT, "mercadolibre", billing_request=True, shipping_notice=on, adapters=adapters
        )

    first, first_key = stored_sale(adapters, markets, custom_shipping=True)
    body = TemplateBody(text="Tu pedido {{ pedido }} va con {{ paqueteria }}, guía {{ guia }}.")
    save_shipping_template(TENANT, "mercadolibre", body, adapters)
    tenant = adapters.tenants.get(TENANT)
    assert tenant is not None and tenant.messaging_for("mercadolibre").shipping_notice
    switch(False)
    ship(first, "7001")
    assert markets.fake.mercadolibre.sent_messages(first_key) == []

    second, second_key = stored_sale(adapters, markets, custom_shipping=True)
    adapters.message_templates.delete(TENANT, "mercadolibre", "shipping_notice")
    switch(True)
    ship(second, "7002")
    [sent] = markets.fake.mercadolibre.sent_messages(second_key)
    assert "7002" in sent.text  # the default notice, with the tracking number


def test_the_shipping_notice_exists_for_mercado_libre_only(adapters: FakeAdapters) -> None:
    from postventa.errors import PostventaError

    shop = builders.order(tenant_id=TENANT)
    adapters.orders.add(shop)
    with pytest.raises(PostventaError, match="Mercado Libre"):
        mark_shipped(
            OrderRef(tenant_id=TENANT, channel="shopify", order_id=shop.order_id),
            shipped(),
            adapters,
        )


def test_billing_info_the_pac_refuses_is_corrected_through_mercado_libres_messaging(
    adapters: FakeAdapters, markets: Markets
) -> None:
    from postventa.domain.invoices import Correction
    from postventa.domain.status import BUYER_DATA_SUBMITTED, FOLIO_RESERVED, PAC_REJECTED_DATA
    from postventa.services.invoicing import ask_for_correction

    order, key = stored_sale(adapters, markets)
    fiscal = {**builders.VALID_FORM, "email": ""}  # Mercado Libre's billing info has no email
    adapters.orders.apply(order.ref, BUYER_DATA_SUBMITTED, extra={"fiscal_data": fiscal})
    adapters.orders.apply(order.ref, FOLIO_RESERVED)
    adapters.orders.apply(
        order.ref,
        PAC_REJECTED_DATA,
        extra={
            "correction": Correction(
                field="nombre", message="El nombre no coincide.", source="pac", round=1
            )
        },
    )
    ask_for_correction(order.ref, "token-2", 3600, adapters)
    [message] = markets.fake.mercadolibre.sent_messages(key)
    assert "/facturar/" in message.text and adapters.mailer.sent == []
    [(link, token)] = adapters.links.created
    assert link.round == 1 and token in message.text
