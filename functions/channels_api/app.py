"""Connecting a seller's channels (/api/v1/channels, API key) and Mercado Libre's OAuth return
route (/oauth/mercadolibre, no key: the signed state names the tenant). Decision 0016."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from postventa.bootstrap import bootstrap
from postventa.domain.accounts import Permission
from postventa.domain.messages import TemplateBody
from postventa.domain.ports import Adapters
from postventa.errors import PostventaError
from postventa.observability import logger, metrics, redact_errors, tracer
from postventa.services import connections, seller_api, shipping
from postventa.services.message_templates import parse_json_body
from postventa.web.api import error_response, json_response, not_found_response, signed_in
from postventa.web.channel_pages import oauth_page
from postventa.web.http import HTML, json_model, page_headers, raw_body

app = APIGatewayHttpResolver()


def _signed_in(permission: Permission = Permission.SETTINGS) -> tuple[Adapters, str]:
    """Connections and credentials are the owner's (an API key has the owner's rights); staff
    may see the list, edit the shipping message and mark orders shipped."""
    adapters = bootstrap()
    return adapters, signed_in(app, adapters, permission)


@app.get("/api/v1/channels")
def list_channels() -> dict[str, Any]:
    adapters, tenant_id = _signed_in(Permission.ORDERS)
    return connections.list_connections(tenant_id, adapters)


@app.get("/api/v1/channels/<channel>")
def show_channel(channel: str) -> dict[str, Any]:
    adapters, tenant_id = _signed_in(Permission.ORDERS)
    return connections.show_connection(tenant_id, channel, adapters)


@app.put("/api/v1/channels/<channel>")
def connect_channel(channel: str) -> Response:
    adapters, tenant_id = _signed_in()
    body = json_model(connections.ConnectBody, raw_body(app.current_event.raw_event))
    view, created = connections.connect(tenant_id, channel, body, adapters)
    return json_response(view, 201 if created else 200)


@app.delete("/api/v1/channels/<channel>")
def disconnect_channel(channel: str) -> dict[str, Any]:
    adapters, tenant_id = _signed_in()
    return connections.disconnect(tenant_id, channel, adapters)


@app.post("/api/v1/channels/<channel>/authorize")
def authorize_channel(channel: str) -> dict[str, Any]:
    adapters, tenant_id = _signed_in()
    return connections.authorize(tenant_id, channel, adapters)


@app.post("/api/v1/channels/<channel>/test")
def test_channel(channel: str) -> dict[str, Any]:
    adapters, tenant_id = _signed_in()
    return connections.test_connection(tenant_id, channel, adapters)


@app.get("/api/v1/channels/<channel>/shipping-message")
def show_shipping_message(channel: str) -> dict[str, Any]:
    adapters, tenant_id = _signed_in(Permission.MESSAGES)
    return shipping.show_shipping_template(tenant_id, channel, adapters)


@app.put("/api/v1/channels/<channel>/shipping-message")
def save_shipping_message(channel: str) -> dict[str, Any]:
    adapters, tenant_id = _signed_in(Permission.MESSAGES)
    body = parse_json_body(TemplateBody, app.current_event.decoded_body)
    return shipping.save_shipping_template(tenant_id, channel, body, adapters)


@app.delete("/api/v1/channels/<channel>/shipping-message")
def delete_shipping_message(channel: str) -> dict[str, Any]:
    adapters, tenant_id = _signed_in(Permission.MESSAGES)
    return shipping.delete_shipping_template(tenant_id, channel, adapters)


@app.post("/api/v1/orders/<channel>/<order_id>/shipment")
def mark_shipped(channel: str, order_id: str) -> dict[str, Any]:
    adapters, tenant_id = _signed_in(Permission.ORDERS)
    shipping.require_channel(channel)
    body = json_model(shipping.ShipmentBody, raw_body(app.current_event.raw_event))
    return shipping.mark_shipped(seller_api.order_ref(tenant_id, channel, order_id), body, adapters)


@app.get("/oauth/mercadolibre")
def oauth_return() -> Response:
    query = app.current_event.query_string_parameters or {}
    outcome = connections.complete_oauth(
        query.get("code"), query.get("state"), query.get("error"), bootstrap()
    )
    page = oauth_page(outcome)
    return Response(
        status_code=page.status_code, content_type=HTML, body=page.html, headers=page_headers()
    )


@app.exception_handler(PostventaError)
def _postventa_error(exc: PostventaError) -> Response:
    logger.info("request refused", extra={"error": exc.code, "status": exc.status_code})
    return error_response(exc)


@app.not_found
def _not_found(exc: Exception) -> Response:
    return not_found_response()


@tracer.capture_lambda_handler
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@redact_errors
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
