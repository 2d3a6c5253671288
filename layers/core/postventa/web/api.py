"""What the JSON APIs' entry points share: the signed-in tenant, JSON answers, typed errors."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from postventa.domain.ports import Adapters
from postventa.errors import PostventaError, TooManyRequestsError
from postventa.web.http import JSON, error_body

NOT_FOUND_BODY = '{"error": "not_found", "message": "Ruta no encontrada."}'


def signed_in(app: APIGatewayHttpResolver, adapters: Adapters) -> str:
    """The tenant whose API key the current request carries (401/429 otherwise)."""
    from postventa.services.seller_api import authenticate

    event = app.current_event
    return authenticate(event.headers, adapters, source_ip=event.request_context.http.source_ip)


def json_response(body: dict[str, Any], status_code: int = 200) -> Response:
    return Response(
        status_code=status_code, content_type=JSON, body=json.dumps(body, ensure_ascii=False)
    )


def error_response(exc: PostventaError) -> Response:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequestsError) else {}
    return Response(
        status_code=exc.status_code, content_type=JSON, body=error_body(exc), headers=headers
    )


def not_found_response() -> Response:
    return Response(status_code=404, content_type=JSON, body=NOT_FOUND_BODY)
