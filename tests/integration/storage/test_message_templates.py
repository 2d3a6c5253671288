"""Sellers' templates round-trip through DynamoDB (moto in-process): one per tenant and channel."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from postventa.aws import reset_clients, resource
from postventa.domain.messages import MessageTemplate, TemplateBody
from postventa.domain.orders import Channel
from postventa.storage.message_templates import DynamoMessageTemplates

pytestmark = pytest.mark.integration


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Iterator[DynamoMessageTemplates]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    reset_clients()
    with mock_aws():
        table: Any = resource("dynamodb").create_table(
            TableName="postventa-test",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
        )
        # The tenant's own record shares the partition: a listing must not pick it up.
        table.put_item(Item={"pk": "T#tienda", "sk": "TENANT", "name": "Tienda"})
        yield DynamoMessageTemplates(table)
    reset_clients()


def template(tenant: str, channel: Channel, **body: str) -> MessageTemplate:
    return MessageTemplate(
        tenant_id=tenant,
        channel=channel,
        updated_at="2026-11-20T16:00:00.000Z",
        body=TemplateBody(**body),
    )


def test_a_template_is_kept_per_tenant_and_channel_and_replaced_by_the_next_save(
    store: DynamoMessageTemplates,
) -> None:
    email = template("tienda", Channel.SHOPIFY, subject="Factura {{ pedido }}", text="{{ liga }}")
    store.put(email)
    store.put(template("tienda", Channel.MERCADOLIBRE, text="Hola: {{ liga }}"))
    store.put(template("otra", Channel.SHOPIFY, subject="Otra", text="{{ liga }}"))
    assert store.get("tienda", "shopify") == email
    assert store.get("tienda", "amazon") is None
    assert [t.channel for t in store.list("tienda")] == [Channel.MERCADOLIBRE, Channel.SHOPIFY]
    store.put(template("tienda", Channel.MERCADOLIBRE, text="Nuevo: {{ liga }}"))
    ml = store.get("tienda", "mercadolibre")
    assert ml is not None and ml.body.text == "Nuevo: {{ liga }}" and ml.body.subject is None


def test_deleting_says_whether_there_was_a_template(store: DynamoMessageTemplates) -> None:
    store.put(template("tienda", Channel.AMAZON, text="Hola"))
    assert store.delete("tienda", "amazon") is True
    assert store.delete("tienda", "amazon") is False
    assert store.get("tienda", "amazon") is None and store.list("tienda") == []
