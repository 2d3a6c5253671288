"""What the JSON APIs' entry points share: the signed-in tenant, JSON answers, typed errors."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from postventa.domain.accounts import Permission, Principal
from postventa.domain.ports import Adapters
from postventa.errors import PostventaError, TooManyRequestsError
from postventa.web.http import JSON, error_body

NOT_FOUND_BODY = '{"error": "not_found", "message": "Ruta no encontrada."}'


def principal(app: APIGatewayHttpResolver, adapters: Adapters) -> Principal:
    """Who makes the current request: the gateway's JWT claims (routes that declare the
    authorizer), a person's access token or a tenant's API key (401/429 otherwise)."""
    from postventa.services.accounts import authenticate_api

    event = app.current_event
    jwt = (event.raw_event.get("requestContext", {}).get("authorizer") or {}).get("jwt") or {}
    return authenticate_api(
        dict(event.headers),
        adapters,
        source_ip=event.request_context.http.source_ip,
        claims=jwt.get("claims"),
    )


def signed_in(
    app: APIGatewayHttpResolver, adapters: Adapters, permission: Permission = Permission.SETTINGS
) -> str:
    """The tenant of a request allowed `permission` (by default what only the account's owner
    may do: a route says when staff may too); 401/403/429 otherwise."""
    who = principal(app, adapters)
    who.require(permission)
    return who.tenant_id


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
