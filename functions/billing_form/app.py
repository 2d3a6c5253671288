"""The buyer's billing form: GET /facturar, GET|POST /facturar/{token}."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from postventa.bootstrap import bootstrap
from postventa.observability import logger, metrics, redact_errors, tracer
from postventa.services.billing_form import show_form, submit_form
from postventa.web.billing_pages import Page, form_page, lookup_page
from postventa.web.http import HTML, PAGE_HEADERS, is_same_origin, raw_body

app = APIGatewayHttpResolver()


def _page(page: Page) -> Response:
    return Response(
        status_code=page.status_code, content_type=HTML, body=page.html, headers=PAGE_HEADERS
    )


@app.get("/facturar")
def lookup() -> Response:
    return _page(lookup_page())


@app.get("/facturar/<token>")
def form(token: str) -> Response:
    return _page(form_page(show_form(token, bootstrap()), token))


@app.post("/facturar/<token>")
def submit(token: str) -> Response:
    adapters = bootstrap()
    event = app.current_event
    body = raw_body(event.raw_event).decode("utf-8", errors="replace")
    same_origin = is_same_origin(event.headers, adapters.settings.public_base_url)
    outcome = submit_form(token, body, same_origin=same_origin, adapters=adapters)
    return _page(form_page(outcome, token))


@tracer.capture_lambda_handler
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
@redact_errors
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
