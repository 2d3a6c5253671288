"""The buyer's pages: the self-invoice portal (GET|POST /facturar) and the billing form
(GET|POST /facturar/{token})."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from postventa.bootstrap import bootstrap
from postventa.observability import logger, metrics, redact_errors, tracer
from postventa.services.billing_form import show_form, submit_form
from postventa.services.self_invoice import find_order, lookup_form
from postventa.web.billing_pages import Page, form_page, lookup_page
from postventa.web.http import (
    CSRF_COOKIE,
    HTML,
    csrf_cookie,
    is_same_origin,
    page_headers,
    raw_body,
    request_cookie,
)

app = APIGatewayHttpResolver()


def _page(page: Page) -> Response:
    cookies = []
    if page.csrf_cookie:
        cookies.append(csrf_cookie(page.csrf_cookie, bootstrap().settings.public_base_url))
    return Response(
        status_code=page.status_code,
        content_type=HTML,
        body=page.html,
        headers={**page_headers(), **page.headers},
        cookies=cookies,
    )


def _body() -> str:
    return raw_body(app.current_event.raw_event).decode("utf-8", errors="replace")


@app.get("/facturar")
def lookup() -> Response:
    query = app.current_event.query_string_parameters or {}
    outcome = lookup_form(
        bootstrap(),
        store=query.get("tienda"),
        csrf_cookie=request_cookie(app.current_event.cookies, CSRF_COOKIE),
    )
    return _page(lookup_page(outcome))


@app.post("/facturar")
def find() -> Response:
    adapters = bootstrap()
    event = app.current_event
    outcome = find_order(
        _body(),
        source_ip=event.request_context.http.source_ip,
        csrf_cookie=request_cookie(event.cookies, CSRF_COOKIE),
        same_origin=is_same_origin(event.headers, adapters.settings.public_base_url),
        adapters=adapters,
    )
    return _page(lookup_page(outcome))


@app.get("/facturar/<token>")
def form(token: str) -> Response:
    return _page(form_page(show_form(token, bootstrap()), token))


@app.post("/facturar/<token>")
def submit(token: str) -> Response:
    adapters = bootstrap()
    same_origin = is_same_origin(app.current_event.headers, adapters.settings.public_base_url)
    outcome = submit_form(token, _body(), same_origin=same_origin, adapters=adapters)
    return _page(form_page(outcome, token))


@tracer.capture_lambda_handler
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@redact_errors
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
