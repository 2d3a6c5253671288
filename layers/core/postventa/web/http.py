"""Small HTTP helpers the API entry points share (raw body, error JSON, page responses)."""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ValidationError

from postventa.errors import BadRequestError, PostventaError

if TYPE_CHECKING:
    from aws_lambda_powertools.shared.cookies import Cookie

_M = TypeVar("_M", bound=BaseModel)

HTML = "text/html; charset=utf-8"
JSON = "application/json"


def page_headers() -> dict[str, str]:
    """Headers of every HTML page: never cached or framed; only our own inline scripts (by
    hash) and styles; forms post only to us. A new dict each call (callers add to it)."""
    return dict(_page_headers())


@functools.cache
def _page_headers() -> tuple[tuple[str, str], ...]:
    from postventa.web.pages import script_hashes

    headers = {
        "Cache-Control": "no-store",
        "Content-Security-Policy": (
            f"default-src 'none'; script-src {' '.join(script_hashes())}; "
            "style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; "
            "base-uri 'none'"
        ),
        # same-origin, not no-referrer: under no-referrer browsers post our own form with
        # `Origin: null`. Requests to other sites still carry no Referer (the token stays ours).
        "Referrer-Policy": "same-origin",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
    }
    return tuple(headers.items())


# The self-invoice portal's anti-forgery token (double submit: the cookie and the form's field).
CSRF_COOKIE = "postventa_csrf"
_CSRF_COOKIE_SECONDS = 2 * 3600


def csrf_cookie(value: str, public_base_url: str) -> Cookie:
    """The portal's token as a cookie only our pages send back: SameSite=Strict (never on a
    request from another site), HttpOnly, scoped to /facturar, Secure on an https site."""
    from aws_lambda_powertools.shared.cookies import Cookie, SameSite

    return Cookie(
        name=CSRF_COOKIE,
        value=value,
        path="/facturar",
        secure=public_base_url.lower().startswith("https://"),
        http_only=True,
        max_age=_CSRF_COOKIE_SECONDS,
        same_site=SameSite.STRICT_MODE,
    )


def request_cookie(cookies: Iterable[str], name: str) -> str | None:
    """A cookie's value from API Gateway's `cookies` list ("name=value" each)."""
    for cookie in cookies:
        key, sep, value = cookie.strip().partition("=")
        if sep and key == name:
            return value
    return None


def raw_body(event: Mapping[str, Any]) -> bytes:
    """The request body exactly as sent (signatures are computed over these bytes)."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return base64.b64decode(body)
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


def error_body(exc: PostventaError) -> str:
    return json.dumps(exc.to_dict(), ensure_ascii=False)


def is_same_origin(headers: Mapping[str, str], public_base_url: str) -> bool:
    """Reject cross-site form posts: the Origin, or without one the Referer, must be ours.

    Browsers send Origin on every POST; a post with neither header did not come from a page,
    and one whose Referer is another site came from that site."""
    lowered = {k.lower(): v for k, v in headers.items()}
    if lowered.get("sec-fetch-site") == "cross-site":
        return False
    allowed = {urlsplit(public_base_url).netloc.lower(), lowered.get("host", "").lower()} - {""}
    origin = lowered.get("origin")
    if origin == "null":
        # A browser set to send no referrer (a privacy setting or extension) posts our own form
        # with `Origin: null`; Sec-Fetch-Site, which page scripts cannot set, says it is ours.
        return lowered.get("sec-fetch-site") == "same-origin"
    if origin:
        return urlsplit(origin).netloc.lower() in allowed
    referer = lowered.get("referer")
    return bool(referer) and urlsplit(referer).netloc.lower() in allowed


def query_model(model: type[_M], params: Mapping[str, str] | None) -> _M:
    """The query string as `model`, or a 400 naming each bad parameter (never a 5xx)."""
    try:
        return model.model_validate(dict(params or {}))
    except ValidationError as exc:
        fields = sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]})
        raise BadRequestError(
            "Parámetros de consulta no válidos: " + ", ".join(fields or ["consulta"]) + ".",
            details={"parametros": fields},
        ) from None


def json_model(model: type[_M], body: bytes) -> _M:
    """A JSON request body as `model`, or a 400 naming each bad field (never a 5xx)."""
    try:
        return model.model_validate_json(body or b"{}")
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise BadRequestError("El cuerpo de la petición no es JSON válido.") from None
        fields = sorted({".".join(map(str, e["loc"])) for e in exc.errors() if e["loc"]})
        raise BadRequestError(
            "Campos no válidos: " + ", ".join(fields or ["cuerpo"]) + ".",
            details={"campos": fields},
        ) from None
