"""The product's flows on the embedded cloud from template.yaml: webhook -> queue -> ingest ->
lifecycle -> email -> form -> lifecycle, the deadline, reminders, the audit and the seller API."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.support.builders import VALID_FORM
from tests.support.events import sqs_event
from tests.support.http import wait_for

from .conftest import App, body_json, sample

pytestmark = pytest.mark.integration

ORDER = "5873214500123"


def test_a_paid_order_reaches_the_buyer_and_their_data_completes_the_lifecycle(app: App) -> None:
    assert body_json(app.post_webhook(sample())) == {"ok": True}
    app.drain()

    token = app.link_token()
    [email] = app.emails()
    assert email.to == ["comprador.demo@example.com"]
    assert "Solicita tu factura" in email.subject and "total $1,057.10 MXN" in email.text
    app.wait_status("solicitud_enviada")
    page = app.form_get(token)
    assert page["statusCode"] == 200 and "Taza de barro de Oaxaca" in page["body"]

    done = app.form_post(token, VALID_FORM)
    assert done["statusCode"] == 200 and "Recibimos tus datos" in done["body"]
    [execution] = app.executions()
    assert app.execution_finished(execution["executionArn"]) == "SUCCEEDED"
    record = app.wait_status("facturada")
    assert record.fiscal_data["rfc"] == "EKU9003173C9"

    # The bus's audit rule turned every step into the order's history, in order.
    wanted = [
        "OrderReceived",
        "BillingRequested",
        "BillingDataReceived",
        "FolioReserved",
        "InvoiceStamped",
        "InvoiceEmailed",
    ]
    wait_for(lambda: app.history() == wanted, timeout=20, what=f"history {wanted}")
    # Only the hash of the token is stored; fiscal data never travels through the execution.
    table = app.cloud.stack.tables["Table"]
    dump = json.dumps(app.cloud.client("dynamodb").scan(TableName=table)["Items"])
    assert token not in dump
    history = app.cloud.client("stepfunctions").get_execution_history(
        executionArn=execution["executionArn"]
    )
    assert VALID_FORM["rfc"] not in json.dumps(history, default=str)


def test_a_double_submit_records_the_first_data_and_answers_the_task_once(app: App) -> None:
    app.post_webhook(sample())
    app.drain()
    token = app.link_token()
    first = app.form_post(token, VALID_FORM)
    second = app.form_post(token, {**VALID_FORM, "uso_cfdi": "G01"})
    assert "Recibimos tus datos" in first["body"]
    # The second post is told its data were in already, or (when the stamp was quicker than the
    # second post) that the invoice is ready: either way it is not taken.
    assert "Recibimos tus datos" not in second["body"]
    assert any(t in second["body"] for t in ("Ya habíamos recibido tus datos", "Tu factura está"))
    assert app.order().fiscal_data["uso_cfdi"] == "G03"
    [execution] = app.executions()
    assert app.execution_finished(execution["executionArn"]) == "SUCCEEDED"


def test_a_redelivered_webhook_is_queued_once_and_a_retried_order_starts_nothing_new(
    app: App,
) -> None:
    same = {"x-shopify-event-id": "evt-1", "x-shopify-webhook-id": "wh-1"}
    app.post_webhook(sample(), headers=same)
    app.post_webhook(sample(), headers=same)
    assert len(app.queued()) == 1
    app.post_webhook(sample())  # Shopify's retry with a new event id
    app.post_webhook(sample())
    app.drain()
    assert len(app.executions()) == 1
    wait_for(lambda: len(app.emails()) == 1, what="one email")
    time.sleep(0.3)
    assert len(app.emails()) == 1


def test_a_bad_record_fails_alone_and_the_rest_of_the_batch_is_processed(app: App) -> None:
    app.post_webhook(sample())
    [message] = app.queued()
    broken = dict(message, MessageId="roto", Body='{"tenant_id": "demo"}')
    result = app.call("IngestOrdersFunction", sqs_event([broken, message]))
    assert result == {"batchItemFailures": [{"itemIdentifier": "roto"}]}
    assert app.order() is not None


def test_when_the_deadline_passes_the_order_goes_global_and_the_link_takes_a_late_request(
    app_factory: Any,
) -> None:
    # Long enough for the billing request to go out on a busy machine (the link's time counts
    # from the payment), short enough to wait for.
    app = app_factory(BillingDeadlineSeconds="8")
    app.post_webhook(sample())
    app.drain()
    token = app.link_token()
    [execution] = app.executions()
    assert app.execution_finished(execution["executionArn"]) == "SUCCEEDED"
    assert app.order().status.value == "global"
    wait_for(lambda: "OrderMarkedForGlobalInvoice" in app.history(), what="global in history")
    # No global invoice holds the sale yet: the buyer is told so and invoiced on their own.
    page = app.form_get(token)
    assert page["statusCode"] == 200 and "todavía no se incluye" in page["body"]
    assert app.form_post(token, VALID_FORM)["statusCode"] == 200
    app.wait_status("facturada")


def test_an_order_without_buyer_email_records_why_and_sends_nothing(app: App) -> None:
    body = sample()
    body.pop("email"), body.pop("contact_email"), body["customer"].pop("email")
    app.post_webhook(body)
    app.drain()
    wait_for(lambda: app.order().billing_request_skipped == "sin_email", what="skip noted")
    assert app.emails() == []


def test_the_reminder_schedule_sends_one_reminder_to_a_buyer_who_did_not_answer(
    app_factory: Any,
) -> None:
    app = app_factory(BillingDeadlineSeconds=str(3 * 24 * 3600))
    demo = app.adapters.tenants.get("demo")
    app.adapters.tenants.put(demo.model_copy(update={"reminder_after_seconds": 1}))
    app.post_webhook(sample())
    app.drain()
    first = app.link_token()
    app.wait_status("solicitud_enviada")
    time.sleep(1.1)
    app.run_schedule("Reminders")
    app.run_schedule("Reminders")  # the next day's run sends nothing more
    emails = app.emails()  # newest first, as the mailbox lists them
    assert [e.subject.startswith("Recordatorio") for e in emails] == [True, False]
    second = app.link_token(0)
    assert second != first
    assert app.form_post(second, VALID_FORM)["statusCode"] == 200  # the reminder's link works
    app.wait_status("facturada")


def test_the_seller_api_shows_a_tenant_only_its_own_orders(app: App) -> None:
    from postventa.domain.tenants import Tenant

    app.post_webhook(sample())
    app.drain()
    app.adapters.tenants.put(Tenant(tenant_id="otra", name="Otra Tienda"))
    app.adapters.tenants.put_api_key("otra", "otra-key")
    mine = app.api(f"/api/v1/orders/shopify/{ORDER}")
    assert mine["statusCode"] == 200 and body_json(mine)["order_id"] == ORDER
    assert app.api(f"/api/v1/orders/shopify/{ORDER}", "otra-key")["statusCode"] == 404
    assert body_json(app.api("/api/v1/orders", "otra-key")) == {"orders": []}
    assert len(body_json(app.api("/api/v1/orders"))["orders"]) == 1
    assert app.api("/api/v1/orders", "no-es-clave")["statusCode"] == 401


def test_orders_are_paged_with_a_cursor_that_cannot_reach_another_tenant(app: App) -> None:
    for order_id in (9001, 9002, 9003):
        from postventa.services.demo import sample_orders_paid

        app.post_webhook(sample_orders_paid(order_id))
    app.drain()
    page = app.call(
        "SellerApiFunction",
        _api_event("/api/v1/orders", {"limit": "2"}),
    )
    first = body_json(page)
    assert len(first["orders"]) == 2 and first["next_cursor"]
    rest = body_json(
        app.call(
            "SellerApiFunction", _api_event("/api/v1/orders", {"cursor": first["next_cursor"]})
        )
    )
    assert len(rest["orders"]) == 1
    from postventa.domain.tenants import Tenant

    app.adapters.tenants.put(Tenant(tenant_id="otra", name="Otra"))
    app.adapters.tenants.put_api_key("otra", "otra-key")
    stolen = app.call(
        "SellerApiFunction",
        _api_event("/api/v1/orders", {"cursor": first["next_cursor"]}, key="otra-key"),
    )
    assert stolen["statusCode"] == 400


def _api_event(path: str, query: dict[str, str], key: str = "demo-api-key") -> dict[str, Any]:
    from tests.support.events import http_event

    return http_event(
        "GET",
        path,
        headers={"authorization": f"Bearer {key}"},
        route="/api/v1/{proxy+}",
        query=query,
    )


def test_the_demo_seed_is_idempotent_and_keeps_the_csd_only_in_secrets_manager(app: App) -> None:
    from postventa.services.demo import seed_demo_tenant

    first = seed_demo_tenant(app.adapters)
    second = seed_demo_tenant(app.adapters)
    assert first == second and first.webhook_secret == "demo-secret"
    tenant = app.adapters.tenants.get("demo")
    assert tenant.csd_secret_ref == "postventa/tenants/demo/csd"
    csd = json.loads(
        app.cloud.client("secretsmanager").get_secret_value(SecretId=tenant.csd_secret_ref)[
            "SecretString"
        ]
    )
    assert len(csd["no_certificado"]) == 20
    from postventa.cfdi import seal

    signer = seal.signer_from_credentials(app.adapters.credentials.load_csd(tenant.csd_secret_ref))
    assert signer.rfc == "EKU9003173C9"  # the demo issuer's own generated CSD
    table = app.cloud.stack.tables["Table"]
    assert csd["key"] not in json.dumps(app.cloud.client("dynamodb").scan(TableName=table)["Items"])


def test_when_the_buyer_cannot_be_asked_the_order_stops_in_error_with_the_reason(app: App) -> None:
    # SES refuses every message once the sender is no longer verified: a permanent failure.
    ses = app.cloud.client("ses")
    for identity in ses.list_identities()["Identities"]:
        ses.delete_identity(Identity=identity)
    app.post_webhook(sample())
    app.drain()
    [execution] = app.executions()
    assert app.execution_finished(execution["executionArn"]) == "FAILED"
    record = app.wait_status("error")
    assert record.error_code == "solicitud_no_enviada" and "comprador" in record.error_reason
    wait_for(lambda: "BillingRequestFailed" in app.history(), what="failure in the history")
    view = body_json(app.api(f"/api/v1/orders/shopify/{ORDER}"))
    assert view["status"] == "error" and view["error_reason"] == record.error_reason


def test_the_sweep_restarts_a_lifecycle_that_never_started(app: App) -> None:
    from datetime import UTC, datetime, timedelta

    from postventa.bootstrap import AwsAdapters
    from postventa.services.demo import sample_orders_paid
    from tests.support.fakes import FakeClock
    from tests.support.orders_from import shopify_order

    # An order stored twenty minutes ago whose lifecycle start was lost.
    old = AwsAdapters(
        app.adapters.settings, clock=FakeClock(datetime.now(UTC) - timedelta(minutes=20))
    )
    old.orders.add(shopify_order(sample_orders_paid(9101)))
    [fanned] = app.run_schedule("StuckOrders")
    assert fanned["payload"] == {"job": "stuck_orders", "tenants": 1}
    app.wait_status("solicitud_enviada", "9101")
    wait_for(lambda: len(app.emails()) == 1, what="the billing email, late but sent")


# ------------------------------------------------------------------ the invoice
def _invoiced(app: App, order_id: str = ORDER) -> Any:
    record = app.wait_status("facturada", order_id)
    wait_for(lambda: any(e.attachments for e in app.emails()), timeout=30, what="the invoice email")
    return record


def test_the_buyers_data_ends_as_a_stamped_invoice_emailed_with_its_xml_and_pdf(app: App) -> None:
    from lxml import etree

    app.post_webhook(sample())
    app.drain()
    app.form_post(app.link_token(), VALID_FORM)
    record = _invoiced(app)
    invoice = record.invoice
    [mail] = [e for e in app.emails() if e.attachments]
    assert mail.to == [VALID_FORM["email"]] and "sin validez fiscal" in mail.subject
    xml = next(a for a in mail.attachments if a.filename.endswith(".xml")).data
    root = etree.fromstring(xml)
    assert root.get("Total") == "1057.10"  # what the buyer paid
    tfd = root.find(".//{http://www.sat.gob.mx/TimbreFiscalDigital}TimbreFiscalDigital")
    assert tfd is not None and tfd.get("UUID") == invoice.uuid
    from postventa.cfdi.xsd import validate_document

    validate_document(xml)
    assert app.adapters.folios.account("demo").available == 99
    [execution] = app.executions()
    assert app.execution_finished(execution["executionArn"]) == "SUCCEEDED"
    wanted = ["BillingDataReceived", "FolioReserved", "InvoiceStamped", "InvoiceEmailed"]
    wait_for(lambda: all(w in app.history() for w in wanted), what=f"history has {wanted}")


def test_without_folios_the_order_waits_and_is_invoiced_once_folios_are_added(app: App) -> None:
    folios = app.adapters.folios
    account = folios.account("demo")
    assert account is not None
    demo_table = app.cloud.stack.tables["Table"]
    app.cloud.client("dynamodb").update_item(
        TableName=demo_table,
        Key={"pk": {"S": "T#demo"}, "sk": {"S": "FOLIOS"}},
        UpdateExpression="SET available = :z",
        ExpressionAttributeValues={":z": {"N": "0"}},
    )
    app.post_webhook(sample())
    app.drain()
    app.form_post(app.link_token(), VALID_FORM)
    app.wait_status("sin_folios")
    wait_for(lambda: app.order().waiting_token, what="the order parked for folios")
    added = body_json(app.call("SellerApiFunction", _api_post("/api/v1/folios", {"cantidad": 3})))
    assert added == {"disponibles": 3, "pedidos_reanudados": 1}
    _invoiced(app)
    assert app.adapters.folios.account("demo").available == 2


def test_a_pac_refusing_the_buyers_name_sends_a_correction_link_and_the_fix_is_stamped(
    app: App,
) -> None:
    demo = app.adapters.tenants.get("demo")
    app.adapters.tenants.put(
        demo.model_copy(
            update={"sandbox_faults": {"reject_code": "CFDI40145", "reject_rfcs": ["EKU9003173C9"]}}
        )
    )
    app.post_webhook(sample())
    app.drain()
    app.form_post(app.link_token(), VALID_FORM)
    record = app.wait_status("correccion")
    assert record.correction.field == "nombre"
    correction_mail = wait_for(
        lambda: next((e for e in app.emails() if "Corrige" in e.subject), None),
        what="the correction email",
    )
    token = app.link_token(0)
    page = app.form_get(token)
    assert page["statusCode"] == 200 and record.correction.message in page["body"]
    assert 'value="EKU9003173C9"' in page["body"]  # pre-filled
    app.adapters.tenants.put(demo)  # the buyer's corrected name now matches the register
    assert (
        app.form_post(token, {**VALID_FORM, "nombre": "ESCUELA KEMPER URGATE"})["statusCode"] == 200
    )
    _invoiced(app)
    assert correction_mail.to == [VALID_FORM["email"]]
    assert app.adapters.folios.account("demo").available == 99  # one folio, after the fix


def test_a_pac_outage_is_retried_by_the_state_machine_and_the_same_document_is_stamped(
    app: App,
) -> None:
    """The PAC down at the first attempt: Stamp fails with TransientError, the state's Retry
    (the real ASL, on moto's interpreter) sends the same sealed XML again once the PAC is back;
    one invoice, one folio."""
    from lxml import etree

    demo = app.adapters.tenants.get("demo")
    app.adapters.tenants.put(demo.model_copy(update={"sandbox_faults": {"outage": True}}))
    app.post_webhook(sample())
    app.drain()
    app.form_post(app.link_token(), VALID_FORM)
    sfn = app.cloud.client("stepfunctions")

    def failed_attempts() -> int:
        [execution] = app.executions()
        events = sfn.get_execution_history(executionArn=execution["executionArn"])["events"]
        return sum(
            1
            for e in events
            if e["type"] == "TaskFailed"
            and e["taskFailedEventDetails"]["error"] == "TransientError"
        )

    wait_for(failed_attempts, what="a stamp attempt refused by the PAC's outage")
    record = app.order()
    assert record.status.value == "timbrando" and record.sealed_key and record.invoice is None
    sealed = etree.fromstring(app.adapters.documents.get("demo", record.sealed_key))
    app.adapters.tenants.put(demo)  # the PAC is back
    record = _invoiced(app)
    [mail] = [e for e in app.emails() if e.attachments]
    xml = next(a for a in mail.attachments if a.filename.endswith(".xml")).data
    assert etree.fromstring(xml).get("Sello") == sealed.get("Sello")  # the same document
    assert app.adapters.folios.account("demo").available == 99
    print(f"PAC outage: {failed_attempts()} attempt(s) refused, then stamped")


def _api_post(path: str, body: dict[str, Any], key: str = "demo-api-key") -> dict[str, Any]:
    from tests.support.events import http_event

    return http_event(
        "POST",
        path,
        body=json.dumps(body).encode(),
        headers={"authorization": f"Bearer {key}", "content-type": "application/json"},
        route="/api/v1/{proxy+}",
    )


def test_five_deliveries_and_two_submits_give_one_invoice_one_folio_and_one_invoice_email(
    app: App,
) -> None:
    for _ in range(5):  # Shopify's retries, each with a new event id
        app.post_webhook(sample())
    app.drain()
    token = app.link_token()
    first = app.form_post(token, VALID_FORM)
    second = app.form_post(token, {**VALID_FORM, "uso_cfdi": "G01"})
    assert "Recibimos tus datos" in first["body"]
    assert second["statusCode"] == 200 and "Recibimos" not in second["body"]
    _invoiced(app)
    assert len(app.executions()) == 1
    assert app.adapters.folios.account("demo").available == 99
    time.sleep(0.5)
    invoice_emails = [e for e in app.emails() if e.attachments]
    assert len(invoice_emails) == 1
    assert len([e for e in app.emails() if not e.attachments]) == 1  # one billing request
