"""Seller API under /api/v1: the tenant comes from the credential (a tenant's API key or a
person's access token), never from the path; /api/v1/cuenta is for people only (API Gateway's
JWT authorizer checks their token before this function runs)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from postventa.bootstrap import bootstrap
from postventa.domain.accounts import Permission, Principal
from postventa.domain.messages import TemplateBody
from postventa.domain.ports import Adapters
from postventa.errors import PostventaError, UnauthorizedError
from postventa.observability import logger, metrics, redact_errors, tracer
from postventa.services import (
    accounts,
    cancellations,
    erp,
    global_invoice_api,
    message_templates,
    seller_api,
)
from postventa.web import api
from postventa.web.http import json_model, query_model, raw_body

app = APIGatewayHttpResolver()


def _principal() -> tuple[Adapters, Principal]:
    """The adapters and who makes the request (the gateway's JWT claims, a token or a key)."""
    adapters = bootstrap()
    return adapters, api.principal(app, adapters)


def _signed_in(permission: Permission = Permission.SETTINGS) -> tuple[Adapters, str]:
    """The adapters and the tenant of a request allowed `permission` (by default what only the
    account's owner may do: a route says when staff may too)."""
    adapters = bootstrap()
    return adapters, api.signed_in(app, adapters, permission)


def _person() -> tuple[Adapters, Principal]:
    """A person, as API Gateway's JWT authorizer vouched (the /api/v1/cuenta routes)."""
    if not (app.current_event.raw_event.get("requestContext", {}).get("authorizer") or {}):
        raise UnauthorizedError("Esta ruta es para personas: usa tu token de acceso.")
    return _principal()


@app.get("/api/v1/orders")
def list_orders() -> dict[str, Any]:
    adapters, tenant_id = _signed_in(Permission.ORDERS)
    query = query_model(seller_api.OrdersQuery, app.current_event.query_string_parameters)
    return seller_api.list_orders(
        tenant_id, adapters, limit=query.limit, cursor=query.cursor, status=query.status
    )


@app.get("/api/v1/rejected-webhooks")
def list_rejected() -> dict[str, Any]:
    adapters, tenant_id = _signed_in(Permission.ORDERS)
    query = query_model(seller_api.PageQuery, app.current_event.query_string_parameters)
    return seller_api.list_rejected(tenant_id, adapters, limit=query.limit)


@app.get("/api/v1/orders/<channel>/<order_id>")
def get_order(channel: str, order_id: str) -> dict[str, Any]:
    adapters, tenant_id = _signed_in(Permission.ORDERS)
    return seller_api.get_order(tenant_id, channel, order_id, adapters)


@app.post("/api/v1/orders/<channel>/<order_id>/retry")
def retry(channel: str, order_id: str) -> dict[str, Any]:
    adapters, tenant_id = _signed_in(Permission.ORDERS)
    return seller_api.retry_order(seller_api.order_ref(tenant_id, channel, order_id), adapters)


@app.post("/api/v1/orders/<channel>/<order_id>/approve")
def approve(channel: str, order_id: str) -> dict[str, Any]:
    adapters, tenant_id = _signed_in(Permission.ORDERS)
    return seller_api.approve(seller_api.order_ref(tenant_id, channel, order_id), adapters)


@app.post("/api/v1/orders/<channel>/<order_id>/reject")
def reject(channel: str, order_id: str) -> dict[str, Any]:
    adapters, tenant_id = _signed_in(Permission.ORDERS)
    body = json_model(seller_api.RejectBody, raw_body(app.current_event.raw_event))
    return seller_api.reject(seller_api.order_ref(tenant_id, channel, order_id), body, adapters)


@app.post("/api/v1/orders/<channel>/<order_id>/resend")
def resend(channel: str, order_id: str) -> dict[str, Any]:
    adapters, tenant_id = _signed_in(Permission.ORDERS)
    ref = seller_api.order_ref(tenant_id, channel, order_id)
    return seller_api.resend_invoice(ref, adapters)


@app.get("/api/v1/folios")
def folios() -> dict[str, Any]:
    adapters, tenant_id = _signed_in(Permission.ORDERS)
    return seller_api.folios(tenant_id, adapters)


@app.post("/api/v1/folios")
def add_folios() -> dict[str, Any]:
    adapters, tenant_id = _signed_in()
    body = json_model(seller_api.FoliosBody, raw_body(app.current_event.raw_event))
    return seller_api.add_folios(tenant_id, body, adapters)


@app.get("/api/v1/message-templates")
def list_message_templates() -> dict[str, Any]:
    adapters, tenant_id = _signed_in(Permission.MESSAGES)
    return message_templates.list_templates(tenant_id, adapters)


@app.get("/api/v1/message-templates/<channel>")
def get_message_template(channel: str) -> dict[str, Any]:
    adapters, tenant_id = _signed_in(Permission.MESSAGES)
    return message_templates.get_template(tenant_id, channel, adapters)


@app.put("/api/v1/message-templates/<channel>")
def save_message_template(channel: str) -> dict[str, Any]:
    adapters, tenant_id = _signed_in(Permission.MESSAGES)
    body = message_templates.parse_json_body(TemplateBody, app.current_event.decoded_body)
    return message_templates.save_template(tenant_id, channel, body, adapters)


@app.delete("/api/v1/message-templates/<channel>")
def delete_message_template(channel: str) -> dict[str, Any]:
    adapters, tenant_id = _signed_in(Permission.MESSAGES)
    return message_templates.delete_template(tenant_id, channel, adapters)


@app.post("/api/v1/message-templates/<channel>/preview")
def preview_message_template(channel: str) -> dict[str, Any]:
    adapters, tenant_id = _signed_in(Permission.MESSAGES)
    request = message_templates.parse_json_body(
        message_templates.PreviewRequest, app.current_event.decoded_body
    )
    return message_templates.preview_template(tenant_id, channel, request, adapters)


# ---------------------------------------------------------------- cancellations, global invoice
@app.post("/api/v1/orders/<channel>/<order_id>/cancel")
def cancel(channel: str, order_id: str) -> Response:
    adapters, tenant_id = _signed_in()
    body = json_model(cancellations.CancelBody, raw_body(app.current_event.raw_event))
    ref = seller_api.order_ref(tenant_id, channel, order_id)
    return api.json_response(cancellations.request_cancellation(ref, body, adapters), 202)


@app.get("/api/v1/global-invoice-settings")
def global_invoice_settings() -> dict[str, Any]:
    adapters, tenant_id = _signed_in()
    return global_invoice_api.show_settings(tenant_id, adapters)


@app.put("/api/v1/global-invoice-settings")
def save_global_invoice_settings() -> dict[str, Any]:
    adapters, tenant_id = _signed_in()
    body = json_model(global_invoice_api.SettingsBody, raw_body(app.current_event.raw_event))
    return global_invoice_api.save_settings(tenant_id, body, adapters)


@app.get("/api/v1/global-invoices")
def list_global_invoices() -> dict[str, Any]:
    adapters, tenant_id = _signed_in()
    query = query_model(global_invoice_api.RunsQuery, app.current_event.query_string_parameters)
    return global_invoice_api.list_runs(tenant_id, adapters, limit=query.limit, cursor=query.cursor)


@app.get("/api/v1/global-invoices/<period>/<seq>")
def get_global_invoice(period: str, seq: str) -> dict[str, Any]:
    adapters, tenant_id = _signed_in()
    return global_invoice_api.get_run(tenant_id, period, seq, adapters)


# ---------------------------------------------------------------- the seller's ERP
@app.get("/api/v1/erp")
def show_erp() -> dict[str, Any]:
    adapters, tenant_id = _signed_in()
    return erp.show(tenant_id, adapters)


@app.put("/api/v1/erp")
def configure_erp() -> Response:
    adapters, tenant_id = _signed_in()
    body = json_model(erp.ErpSettingsBody, raw_body(app.current_event.raw_event))
    view, created = erp.configure(tenant_id, body, adapters)
    return api.json_response(view, 201 if created else 200)


@app.post("/api/v1/erp/rotate-secret")
def rotate_erp_secret() -> dict[str, Any]:
    adapters, tenant_id = _signed_in(Permission.CREDENTIALS)
    return erp.rotate_secret(tenant_id, adapters)


@app.post("/api/v1/erp/test")
def test_erp() -> dict[str, Any]:
    adapters, tenant_id = _signed_in()
    return erp.send_test(tenant_id, adapters)


@app.get("/api/v1/erp/deliveries")
def list_erp_deliveries() -> dict[str, Any]:
    adapters, tenant_id = _signed_in()
    query = query_model(erp.DeliveriesQuery, app.current_event.query_string_parameters)
    return erp.list_deliveries(tenant_id, adapters, limit=query.limit, cursor=query.cursor)


@app.post("/api/v1/erp/deliveries/<delivery_id>/redeliver")
def redeliver_to_erp(delivery_id: str) -> Response:
    adapters, tenant_id = _signed_in()
    return api.json_response(erp.redeliver(tenant_id, delivery_id, adapters), 202)


# ---------------------------------------------------------------- the account (people only)
@app.get("/api/v1/cuenta/yo")
def who_am_i() -> dict[str, Any]:
    _, principal = _person()
    return accounts.who_am_i(principal)


@app.get("/api/v1/cuenta/usuarios")
def list_users() -> dict[str, Any]:
    adapters, principal = _person()
    return accounts.list_users(principal, adapters)


@app.post("/api/v1/cuenta/usuarios")
def invite_user() -> Response:
    adapters, principal = _person()
    body = json_model(accounts.InviteBody, raw_body(app.current_event.raw_event))
    return api.json_response(accounts.invite_user(principal, body, adapters), 201)


@app.post("/api/v1/cuenta/usuarios/<user_id>/desactivar")
def deactivate_user(user_id: str) -> dict[str, Any]:
    adapters, principal = _person()
    return accounts.set_user_active(principal, user_id, False, adapters)


@app.post("/api/v1/cuenta/usuarios/<user_id>/activar")
def activate_user(user_id: str) -> dict[str, Any]:
    adapters, principal = _person()
    return accounts.set_user_active(principal, user_id, True, adapters)


@app.get("/api/v1/cuenta/claves")
def list_api_keys() -> dict[str, Any]:
    adapters, principal = _person()
    return accounts.list_api_keys(principal, adapters)


@app.post("/api/v1/cuenta/claves")
def create_api_key() -> Response:
    adapters, principal = _person()
    body = json_model(accounts.ApiKeyBody, raw_body(app.current_event.raw_event))
    return api.json_response(accounts.create_api_key(principal, body, adapters), 201)


@app.delete("/api/v1/cuenta/claves/<key_id>")
def revoke_api_key(key_id: str) -> dict[str, Any]:
    adapters, principal = _person()
    return accounts.revoke_api_key(principal, key_id, adapters)


@app.exception_handler(PostventaError)
def failed(exc: PostventaError) -> Response:
    logger.info("seller api error", extra={"error": exc.code})
    return api.error_response(exc)


@app.not_found
def not_found(exc: Exception) -> Response:
    return api.not_found_response()


@tracer.capture_lambda_handler
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@redact_errors
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
