"""The walking skeleton through every real hop on the embedded cloud:

Shopify orders/paid webhook -> HTTP gateway -> webhooks function -> SQS -> poller -> ingest function
-> DynamoDB + Step Functions execution (moto's interpreter on the real ASL) -> lambda task with a
task token -> SES -> mailbox; then the buyer opens the emailed link and submits fiscal data ->
SendTaskSuccess -> the execution finishes and the order shows the data.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest

from tests.support.http import http, post_form, wait_for

from .conftest import SHORT_DEADLINE_SECONDS, SHORT_DEADLINE_TENANT

pytestmark = pytest.mark.e2e

VALID_FISCAL_DATA = {
    "rfc": "EKU9003173C9",
    "nombre": "Escuela Kemper Urgate S.A. de C.V.",
    "regimen_fiscal": "601",
    "codigo_postal": "42501",
    "uso_cfdi": "G03",
    "email": "compras@kemper.example",
}


def _post_paid_order(
    cloud: Any, order_id: int, *, tenant: str = "demo", secret: str = "demo-secret"
):
    from postventa.services.demo import sample_orders_paid, shopify_webhook_request

    body = sample_orders_paid(order_id)
    raw, headers = shopify_webhook_request(body, secret)
    started = time.perf_counter()
    resp = http("POST", f"{cloud.gateway_url}/webhooks/shopify/{tenant}", raw, headers)
    return resp, time.perf_counter() - started, body, raw, headers


def _mail_for_order(mailbox, number: str) -> list[dict[str, Any]]:
    return [m for m in mailbox() if number in (m.get("subject") or "") + (m.get("text") or "")]


def _seller(cloud: Any, path: str, key: str = "demo-api-key") -> Any:
    return http("GET", cloud.gateway_url + path, headers={"Authorization": f"Bearer {key}"})


def _executions(cloud: Any) -> list[dict[str, Any]]:
    sfn = cloud.client("stepfunctions")
    machines = sfn.list_state_machines()["stateMachines"]
    out: list[dict[str, Any]] = []
    for machine in machines:
        out += sfn.list_executions(stateMachineArn=machine["stateMachineArn"])["executions"]
    return out


def test_paid_order_reaches_the_buyer_as_a_form_link_and_the_form_completes_the_lifecycle(
    cloud, mailbox
) -> None:
    order_id = 5550001
    resp, _, body, _, _ = _post_paid_order(cloud, order_id)
    assert resp.status == 200, resp.body
    number = body["name"]

    mail = wait_for(lambda: _mail_for_order(mailbox, number), 60, "correo con el enlace")
    assert len(mail) == 1
    assert mail[0]["to"] == [body["email"]] or body["email"] in json.dumps(mail[0]["to"])
    link = re.search(r"https?://[^\s\"'<>]+/facturar/([A-Za-z0-9_-]{20,})", mail[0]["text"])
    assert link, mail[0]["text"]
    form_url = f"{cloud.gateway_url}/facturar/{link.group(1)}"

    page = http("GET", form_url)
    assert page.status == 200
    assert "text/html" in page.headers.get("Content-Type", page.headers.get("content-type", ""))
    assert number in page.text and 'name="rfc"' in page.text

    order_path = f"/api/v1/orders/shopify/{order_id}"
    assert _seller(cloud, order_path).json()["status"] == "solicitud_enviada"

    bad = post_form(form_url, page.text, {**VALID_FISCAL_DATA, "rfc": "EKU9003173C8"})
    assert bad.status == 422
    assert "dígito verificador" in bad.text
    assert "Escuela Kemper" in bad.text or "ESCUELA KEMPER" in bad.text  # values kept

    ok = post_form(form_url, bad.text, VALID_FISCAL_DATA)
    assert ok.status == 200, ok.text

    def finished() -> Any:
        done = [
            e
            for e in _executions(cloud)
            if str(order_id) in e["name"] and e["status"] in ("SUCCEEDED", "FAILED")
        ]
        return done

    execution = wait_for(finished, 60, "fin de la ejecución")[0]
    assert execution["status"] == "SUCCEEDED"
    order = _seller(cloud, order_path).json()
    assert order["status"] == "facturada"
    assert order["fiscal_data"]["rfc"] == "EKU9003173C9"
    assert order["fiscal_data"]["nombre"] == "ESCUELA KEMPER URGATE"
    invoice = order["invoice"]
    assert invoice["total"] == body["total_price"] and invoice["test_stamp"] is True

    # The buyer's second email: the invoice, its XML and PDF attached.
    def invoice_mail() -> Any:
        return [m for m in _mail_for_order(mailbox, number) if m["attachments"]]

    [mail] = wait_for(invoice_mail, 60, "el correo con la factura")
    assert mail["to"] == [VALID_FISCAL_DATA["email"]]
    assert sorted(a["content_type"] for a in mail["attachments"]) == [
        "application/pdf",
        "application/xml",
    ]
    xml_link = order["invoice"]["descargas"]["xml"]
    downloaded = http("GET", xml_link)
    assert downloaded.status == 200 and invoice["uuid"].encode() in downloaded.body

    # The buyer's own link now shows the invoice and its files.
    status_page = http("GET", form_url)
    assert "Tu factura está lista" in status_page.text
    pdf_link = re.search(r'href="([^"]+)">Descargar PDF</a>', status_page.text)
    assert pdf_link, status_page.text
    pdf = http("GET", pdf_link.group(1).replace("&amp;", "&"))
    assert pdf.status == 200 and pdf.body.startswith(b"%PDF")

    again = http("GET", form_url)
    assert again.status == 200 and 'name="rfc"' not in again.text  # no second submission


def test_a_second_delivery_of_the_same_webhook_starts_nothing_new(cloud, mailbox) -> None:
    order_id = 5550002
    first, _, body, raw, headers = _post_paid_order(cloud, order_id)
    assert first.status == 200
    wait_for(lambda: _mail_for_order(mailbox, body["name"]), 60, "primer correo")
    second = http("POST", f"{cloud.gateway_url}/webhooks/shopify/demo", raw, headers)
    assert second.status == 200
    cloud.drain_queues()
    time.sleep(1.0)
    runs = [e for e in _executions(cloud) if f"-shopify-{order_id}-" in e["name"]]
    assert len(runs) == 1
    assert len(_mail_for_order(mailbox, body["name"])) == 1


@pytest.mark.parametrize(
    ("path", "mutate", "expected"),
    [
        (
            "/webhooks/shopify/demo",
            lambda raw, h: (raw, {**h, "x-shopify-hmac-sha256": "AAAA"}),
            401,
        ),
        (
            "/webhooks/shopify/demo",
            lambda raw, h: (raw, {k: v for k, v in h.items() if "hmac" not in k}),
            401,
        ),
        ("/webhooks/shopify/nadie", lambda raw, h: (raw, h), 404),
        ("/webhooks/tianguis/demo", lambda raw, h: (raw, h), 404),
        ("/webhooks/shopify/demo", lambda raw, h: (raw + b"}", h), 401),
    ],
    ids=["wrong-signature", "missing-signature", "unknown-tenant", "unknown-channel", "tampered"],
)
def test_bad_webhooks_get_a_4xx_json_error_and_nothing_is_queued_or_stored(
    cloud, path, mutate, expected
) -> None:
    from postventa.services.demo import sample_orders_paid, shopify_webhook_request

    order_id = 5559000 + expected + len(path)
    raw, headers = shopify_webhook_request(sample_orders_paid(order_id), "demo-secret")
    raw, headers = mutate(raw, headers)
    resp = http("POST", cloud.gateway_url + path, raw, headers)
    assert resp.status == expected
    assert resp.json()["message"]  # a Spanish sentence for a person
    cloud.drain_queues()
    assert _seller(cloud, f"/api/v1/orders/shopify/{order_id}").status == 404
    assert not [e for e in _executions(cloud) if f"-shopify-{order_id}-" in e["name"]]


def test_malformed_json_with_a_valid_signature_is_rejected_without_queueing(cloud) -> None:
    from postventa.channels.base import sign_base64_hmac

    raw = b'{"id": 5558001, "line_items": ['
    headers = {
        "content-type": "application/json",
        "x-shopify-topic": "orders/paid",
        "x-shopify-hmac-sha256": sign_base64_hmac(raw, "demo-secret"),
    }
    resp = http("POST", f"{cloud.gateway_url}/webhooks/shopify/demo", raw, headers)
    assert resp.status == 400
    cloud.drain_queues()
    assert _seller(cloud, "/api/v1/orders/shopify/5558001").status == 404


def test_an_oversized_webhook_is_refused(cloud) -> None:
    from postventa.channels.base import sign_base64_hmac

    raw = b'{"pad": "' + b"x" * (300 * 1024) + b'"}'
    headers = {
        "x-shopify-topic": "orders/paid",
        "x-shopify-hmac-sha256": sign_base64_hmac(raw, "demo-secret"),
    }
    resp = http("POST", f"{cloud.gateway_url}/webhooks/shopify/demo", raw, headers)
    assert resp.status == 413


def test_unmapped_route_is_404_like_api_gateway(cloud) -> None:
    assert http("GET", cloud.gateway_url + "/no/existe").status == 404


def test_seller_api_needs_a_key_and_never_shows_another_tenants_orders(cloud) -> None:
    assert http("GET", cloud.gateway_url + "/api/v1/orders").status == 401
    listing = _seller(cloud, "/api/v1/orders").json()
    assert all(o["tenant_id"] == "demo" for o in listing["orders"])


def test_when_the_buyer_never_answers_the_order_goes_to_the_global_invoice(cloud, mailbox) -> None:
    order_id = 5550003
    resp, _, body, _, _ = _post_paid_order(
        cloud, order_id, tenant=SHORT_DEADLINE_TENANT, secret="corto-secret"
    )
    assert resp.status == 200
    wait_for(lambda: _mail_for_order(mailbox, body["name"]), 60, "correo con el enlace")

    def ended() -> Any:
        return [
            e
            for e in _executions(cloud)
            if e["name"].startswith(SHORT_DEADLINE_TENANT) and e["status"] != "RUNNING"
        ]

    run = wait_for(ended, SHORT_DEADLINE_SECONDS + 30, "vencimiento del plazo")[0]
    assert run["status"] == "SUCCEEDED"
    order = _seller(cloud, f"/api/v1/orders/shopify/{order_id}", key="corto-api-key").json()
    assert order["status"] == "global"
    # and the demo tenant's key cannot see it
    assert _seller(cloud, f"/api/v1/orders/shopify/{order_id}").status == 404
