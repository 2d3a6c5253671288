"""The product path on moto: webhook -> queue -> ingest -> lifecycle -> email -> form."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

import pytest

from .conftest import PUBLIC, Cloud, http_event

pytestmark = pytest.mark.integration

VALID_FORM = {
    "rfc": "EKU9003173C9",
    "nombre": "ESCUELA KEMPER URGATE",
    "regimen_fiscal": "601",
    "codigo_postal": "42501",
    "uso_cfdi": "G03",
    "email": "compras@kemper.example",
}


def post_webhook(
    cloud: Cloud,
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
    event = http_event(
        "POST",
        f"/webhooks/{channel}/{tenant}",
        body=raw,
        headers=hdrs,
        route="/webhooks/{channel}/{tenant_id}",
        path_params={"channel": channel, "tenant_id": tenant},
    )
    response: dict[str, Any] = cloud.call("webhooks", event)
    return response


def ingest_all(cloud: Cloud) -> dict[str, Any]:
    messages = cloud.queued()
    assert messages
    result: dict[str, Any] = cloud.call("ingest_orders", cloud.sqs_event(messages))
    return result


def sample() -> dict[str, Any]:
    from postventa.services.demo import sample_orders_paid

    return sample_orders_paid()


def link_token(cloud: Cloud, index: int = -1) -> str:
    emails = cloud.wait_for(cloud.sent_emails)
    text = emails[index].text
    match = re.search(re.escape(PUBLIC) + r"/facturar/([A-Za-z0-9_-]{40,})", text)
    assert match, text
    return match.group(1)


def form_get(cloud: Cloud, token: str) -> dict[str, Any]:
    event = http_event(
        "GET", f"/facturar/{token}", route="/facturar/{token}", path_params={"token": token}
    )
    response: dict[str, Any] = cloud.call("billing_form", event)
    return response


def form_post(
    cloud: Cloud, token: str, data: dict[str, str], origin: str | None = PUBLIC
) -> dict[str, Any]:
    headers = {"content-type": "application/x-www-form-urlencoded"}
    if origin:
        headers["origin"] = origin
    event = http_event(
        "POST",
        f"/facturar/{token}",
        body=urlencode(data).encode(),
        headers=headers,
        route="/facturar/{token}",
        path_params={"token": token},
        base64_body=True,
    )
    response: dict[str, Any] = cloud.call("billing_form", event)
    return response


def order_item(cloud: Cloud, order_id: str = "5873214500123") -> dict[str, Any]:
    from postventa.storage.orders import get_order

    stored = get_order("demo", "shopify", order_id)
    assert stored is not None
    return stored.item


# ------------------------------------------------------------------ webhook


def test_valid_signed_orders_paid_webhook_queues_exactly_one_message(cloud: Cloud) -> None:
    response = post_webhook(cloud, sample())
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"ok": True}
    messages = cloud.queued()
    assert len(messages) == 1
    queued = json.loads(messages[0]["Body"])
    assert queued["tenant_id"] == "demo" and queued["channel"] == "shopify"
    assert json.loads(queued["body"])["id"] == 5873214500123


def test_other_shopify_topics_are_acknowledged_and_ignored(cloud: Cloud) -> None:
    response = post_webhook(cloud, sample(), topic="orders/create")
    assert response["statusCode"] == 200
    assert cloud.queued() == []


def test_redelivered_webhook_with_the_same_event_id_is_queued_once(cloud: Cloud) -> None:
    headers = {"x-shopify-event-id": "evt-1", "x-shopify-webhook-id": "wh-1"}
    assert post_webhook(cloud, sample(), headers=headers)["statusCode"] == 200
    assert post_webhook(cloud, sample(), headers=headers)["statusCode"] == 200
    assert len(cloud.queued()) == 1


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"secret": "wrong-secret"}, 401),
        ({"headers": {"x-shopify-hmac-sha256": ""}}, 401),
        ({"tenant": "nobody"}, 404),
        ({"channel": "tiendita"}, 404),
    ],
    ids=["wrong-signature", "missing-signature", "unknown-tenant", "unknown-channel"],
)
def test_bad_webhooks_get_a_spanish_4xx_and_nothing_is_queued(
    cloud: Cloud, kwargs: dict[str, Any], status: int
) -> None:
    response = post_webhook(cloud, sample(), **kwargs)
    assert response["statusCode"] == status
    body = json.loads(response["body"])
    assert body["message"] and body["error"] != "ok"
    assert cloud.queued() == []


def test_signed_but_malformed_json_is_rejected_and_nothing_is_queued(cloud: Cloud) -> None:
    from postventa.channels.base import sign_base64_hmac

    raw = b'{"id": 1, "line_items": ['
    response = post_webhook(
        cloud,
        raw,
        headers={
            "x-shopify-topic": "orders/paid",
            "x-shopify-hmac-sha256": sign_base64_hmac(raw, "demo-secret"),
        },
    )
    assert response["statusCode"] == 400
    assert "JSON" in json.loads(response["body"])["message"]
    assert cloud.queued() == []


def test_oversized_body_is_rejected_before_anything_else(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    from postventa.settings import reset_settings

    monkeypatch.setenv("MAX_WEBHOOK_BODY_BYTES", "1000")
    reset_settings()
    response = post_webhook(cloud, sample())
    assert response["statusCode"] == 413
    assert cloud.queued() == []


# ------------------------------------------------------------------ ingest + lifecycle


def test_ingest_stores_the_order_announces_it_and_starts_one_lifecycle(cloud: Cloud) -> None:
    post_webhook(cloud, sample())
    assert ingest_all(cloud) == {"batchItemFailures": []}
    item = order_item(cloud)
    assert item["order"]["total_paid"] == "1057.10"
    assert item["order_number"] == "#2001"
    executions = cloud.executions()
    assert [e["name"] for e in executions] == ["demo-shopify-5873214500123"]
    events = cloud.wait_for(cloud.events)
    assert "OrderReceived" in {e["detail-type"] for e in events}


def test_second_delivery_of_the_same_order_starts_nothing_new(cloud: Cloud) -> None:
    post_webhook(cloud, sample())
    ingest_all(cloud)
    post_webhook(cloud, sample())  # Shopify retry with a new event id
    assert ingest_all(cloud) == {"batchItemFailures": []}
    assert len(cloud.executions()) == 1


def test_a_bad_record_fails_alone_and_the_rest_of_the_batch_is_processed(cloud: Cloud) -> None:
    post_webhook(cloud, sample())
    messages = cloud.queued()
    broken = dict(messages[0], MessageId="broken", Body='{"tenant_id": "demo"}')
    result = cloud.call("ingest_orders", cloud.sqs_event([broken, messages[0]]))
    assert result == {"batchItemFailures": [{"itemIdentifier": "broken"}]}
    assert order_item(cloud)["status"] in ("recibido", "solicitud_enviada")


def test_lifecycle_emails_the_buyer_a_personal_link_and_marks_the_order(cloud: Cloud) -> None:
    post_webhook(cloud, sample())
    ingest_all(cloud)
    token = link_token(cloud)
    email = cloud.sent_emails()[-1]
    assert email.to == ["comprador.demo@example.com"]
    assert email.html and "/facturar/" in email.html
    assert "Solicita tu factura" in email.subject
    assert "total $1,057.10 MXN" in email.text and "$1,057.10 MXN" in email.html
    item = cloud.wait_for(lambda: (i := order_item(cloud))["status"] == "solicitud_enviada" and i)
    assert item["status"] == "solicitud_enviada"
    # Only the hash of the token is stored.
    dump = json.dumps(cloud.ddb.scan(TableName="postventa-test")["Items"])
    assert token not in dump


# ------------------------------------------------------------------ billing form


def test_form_page_shows_the_order_and_the_fiscal_fields(cloud: Cloud) -> None:
    post_webhook(cloud, sample())
    ingest_all(cloud)
    page = form_get(cloud, link_token(cloud))
    assert page["statusCode"] == 200
    assert page["headers"]["Content-Type"].startswith("text/html")
    html = page["body"]
    assert "Taza de barro de Oaxaca" in html and "$1,057.10 MXN" in html
    assert "1057.10" not in html
    for field in ("rfc", "nombre", "regimen_fiscal", "codigo_postal", "uso_cfdi", "email"):
        assert f'name="{field}"' in html
    assert '<option value="601">' in html


def test_form_with_errors_is_shown_again_with_messages_and_values_kept(cloud: Cloud) -> None:
    post_webhook(cloud, sample())
    ingest_all(cloud)
    token = link_token(cloud)
    bad = {**VALID_FORM, "rfc": "EKU9003173C8", "codigo_postal": "123"}
    page = form_post(cloud, token, bad)
    assert page["statusCode"] == 422
    html = page["body"]
    assert "dígito verificador" in html
    assert "5 dígitos" in html
    assert 'value="ESCUELA KEMPER URGATE"' in html
    assert order_item(cloud)["status"] == "solicitud_enviada"


def test_valid_form_completes_the_task_and_the_lifecycle_succeeds(cloud: Cloud) -> None:
    post_webhook(cloud, sample())
    ingest_all(cloud)
    token = link_token(cloud)
    page = form_post(cloud, token, VALID_FORM)
    assert page["statusCode"] == 200 and "Recibimos tus datos" in page["body"]
    assert "Ya habíamos" not in page["body"]
    assert f"<dd>{sample()['name']}</dd>" in page["body"]
    assert "<dd>co*****@kemper.example</dd>" in page["body"]  # masked: anyone with the link
    assert VALID_FORM["email"] not in page["body"]
    execution = cloud.executions()[0]["executionArn"]
    cloud.wait_for(lambda: cloud.execution_status(execution) != "RUNNING")
    assert cloud.execution_status(execution) == "SUCCEEDED"
    item = order_item(cloud)
    assert item["status"] == "datos_recibidos"
    assert item["fiscal_data"]["rfc"] == "EKU9003173C9"
    assert item["lifecycle_step"] == "datos_recibidos"
    kinds = {e["detail-type"] for e in cloud.wait_for(cloud.events)}
    assert {"OrderReceived", "BillingRequested", "BillingDataReceived"} <= kinds


def test_double_submit_sends_the_data_once(cloud: Cloud) -> None:
    post_webhook(cloud, sample())
    ingest_all(cloud)
    token = link_token(cloud)
    first = form_post(cloud, token, VALID_FORM)
    second = form_post(cloud, token, {**VALID_FORM, "uso_cfdi": "G01"})
    assert first["statusCode"] == second["statusCode"] == 200
    assert "Recibimos tus datos" in first["body"]
    assert "Ya habíamos recibido tus datos" in second["body"]
    later = form_get(cloud, token)  # the emailed link, opened again
    assert later["statusCode"] == 200 and "Ya habíamos recibido tus datos" in later["body"]
    assert f"<dd>{sample()['name']}</dd>" in later["body"]
    assert "<dd>co*****@kemper.example</dd>" in later["body"]  # the first submission's address
    assert 'name="rfc"' not in later["body"]
    assert order_item(cloud)["fiscal_data"]["uso_cfdi"] == "G03"
    execution = cloud.executions()[0]["executionArn"]
    cloud.wait_for(lambda: cloud.execution_status(execution) != "RUNNING")
    history = cloud.sfn.get_execution_history(executionArn=execution)["events"]
    assert sum(e["type"] == "TaskSucceeded" for e in history) == 1 + 2  # callback + 2 tasks


def test_cross_site_post_is_rejected(cloud: Cloud) -> None:
    post_webhook(cloud, sample())
    ingest_all(cloud)
    page = form_post(cloud, link_token(cloud), VALID_FORM, origin="https://evil.example")
    assert page["statusCode"] == 403
    assert order_item(cloud)["status"] == "solicitud_enviada"


def test_unknown_token_gets_a_friendly_404_page(cloud: Cloud) -> None:
    page = form_get(cloud, "x" * 43)
    assert page["statusCode"] == 404
    assert "No encontramos este enlace" in page["body"]


def test_deadline_sends_the_order_to_the_global_invoice_and_the_link_expires(
    short_deadline_cloud: Cloud,
) -> None:
    cloud = short_deadline_cloud
    post_webhook(cloud, sample())
    ingest_all(cloud)
    token = link_token(cloud)
    execution = cloud.executions()[0]["executionArn"]
    cloud.wait_for(lambda: cloud.execution_status(execution) != "RUNNING")
    assert cloud.execution_status(execution) == "SUCCEEDED"
    assert order_item(cloud)["status"] == "global"
    page = form_get(cloud, token)
    assert page["statusCode"] == 410
    assert "venció" in page["body"]
    assert form_post(cloud, token, VALID_FORM)["statusCode"] == 410


def test_order_without_buyer_email_records_why_and_sends_nothing(cloud: Cloud) -> None:
    body = sample()
    body.pop("email"), body.pop("contact_email"), body["customer"].pop("email")
    post_webhook(cloud, body)
    ingest_all(cloud)
    item = cloud.wait_for(lambda: (i := order_item(cloud)).get("billing_request_skipped") and i)
    assert item["billing_request_skipped"] == "sin_email"
    assert cloud.sent_emails() == []


# ------------------------------------------------------------------ tenants, seller API, audit


def test_one_tenant_cannot_read_another_tenants_order(cloud: Cloud) -> None:
    from postventa.storage import orders
    from postventa.storage.tenants import Tenant, put_api_key, put_tenant

    post_webhook(cloud, sample())
    ingest_all(cloud)
    put_tenant(Tenant(tenant_id="otra", name="Otra Tienda"))
    put_api_key("otra", "otra-key")
    assert orders.get_order("otra", "shopify", "5873214500123") is None
    assert orders.list_orders("otra") == []

    def api(path: str, key: str) -> dict[str, Any]:
        event = http_event(
            "GET", path, headers={"authorization": f"Bearer {key}"}, route="/api/v1/{proxy+}"
        )
        response: dict[str, Any] = cloud.call("seller_api", event)
        return response

    mine = api("/api/v1/orders/shopify/5873214500123", "demo-api-key")
    assert mine["statusCode"] == 200
    assert json.loads(mine["body"])["order_id"] == "5873214500123"
    theirs = api("/api/v1/orders/shopify/5873214500123", "otra-key")
    assert theirs["statusCode"] == 404
    assert json.loads(api("/api/v1/orders", "otra-key")["body"]) == {"orders": []}
    assert len(json.loads(api("/api/v1/orders", "demo-api-key")["body"])["orders"]) == 1
    assert api("/api/v1/orders", "not-a-key")["statusCode"] == 401


def test_audit_writes_bus_events_into_the_order_history(cloud: Cloud) -> None:
    from postventa.storage.orders import order_history

    post_webhook(cloud, sample())
    ingest_all(cloud)
    for tapped in cloud.wait_for(cloud.events):
        # moto's SQS targets drop the envelope's `account`; AWS (and localcloud) deliver it
        event = {**tapped, "account": "123456789012"}
        cloud.call("audit", event)
        cloud.call("audit", event)  # EventBridge may deliver twice
    history = order_history("demo", "shopify", "5873214500123")
    assert [h["event_type"] for h in history].count("OrderReceived") == 1


def test_reminder_goes_once_to_buyers_who_did_not_answer(cloud: Cloud) -> None:
    import time

    from postventa.services.reminders import send_due_reminders

    post_webhook(cloud, sample())
    ingest_all(cloud)
    first_token = link_token(cloud)
    cloud.wait_for(lambda: order_item(cloud)["status"] == "solicitud_enviada")
    later = int(time.time()) + 3 * 24 * 3600
    assert send_due_reminders(now=later).sent == 0  # link has less than a day left (1 h)
    assert send_due_reminders(now=int(time.time())).sent == 0  # not due yet
    assert link_token(cloud) == first_token


def test_demo_seed_is_idempotent_and_stores_a_test_csd_outside_dynamodb(cloud: Cloud) -> None:
    import boto3

    from postventa.services.demo import seed_demo_tenant
    from postventa.storage.tenants import get_tenant

    first = seed_demo_tenant()
    second = seed_demo_tenant()
    assert first == second and first.webhook_secret == "demo-secret"
    tenant = get_tenant("demo")
    assert tenant is not None and tenant.csd_secret_ref == "postventa/tenants/demo/csd"
    csd = json.loads(
        boto3.client("secretsmanager").get_secret_value(SecretId=tenant.csd_secret_ref)[
            "SecretString"
        ]
    )
    assert len(csd["no_certificado"]) == 20
    assert csd["key"] not in json.dumps(cloud.ddb.scan(TableName="postventa-test")["Items"])
