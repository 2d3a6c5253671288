"""What the panel's entry point shares between routes: the session cookie, form bodies (also
multipart uploads), redirects and page responses with the panel's security headers."""

from __future__ import annotations

import email.parser
import email.policy
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.shared.cookies import Cookie, SameSite

from postventa.errors import BadRequestError, PayloadTooLargeError
from postventa.web.http import HTML
from postventa.web.panel import PanelPage

COOKIE = "pv_sesion"
COOKIE_PATH = "/panel"

PANEL_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; "
        "img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}

MAX_FORM_FIELDS = 2_000  # a mass update posts one checkbox per customer on the page
MAX_UPLOAD_BYTES = 4 * 1024 * 1024  # a CSD (.cer + .key) or a product-keys CSV


def session_cookie(event_cookies: list[str] | None) -> str | None:
    """The session cookie's value from payload 2.0's `cookies` ("name=value" each)."""
    for cookie in event_cookies or []:
        name, _, value = cookie.partition("=")
        if name.strip() == COOKIE:
            return value.strip()
    return None


def set_session(value: str, max_age: int, *, secure: bool) -> Cookie:
    """HttpOnly (no script reads it), SameSite=Lax (no other site posts with it), Secure where
    the panel is served over https, scoped to /panel."""
    return Cookie(
        COOKIE,
        value,
        path=COOKIE_PATH,
        secure=secure,
        http_only=True,
        max_age=max_age,
        same_site=SameSite.LAX_MODE,
    )


def clear_session(*, secure: bool) -> Cookie:
    return set_session("", 0, secure=secure)


def html(page: PanelPage, cookies: list[Cookie] | None = None) -> Response:
    return Response(
        status_code=page.status_code,
        content_type=HTML,
        body=page.html,
        headers=dict(PANEL_HEADERS),
        cookies=cookies or [],
    )


def json_response(doc: Any, status: int = 200) -> Response:
    import json

    return Response(
        status_code=status,
        content_type="application/json",
        body=json.dumps(doc, ensure_ascii=False),
        headers=dict(PANEL_HEADERS),
    )


def redirect(location: str, cookies: list[Cookie] | None = None) -> Response:
    """303: the browser follows with a GET (after a post, a reload does not post again)."""
    headers = {**PANEL_HEADERS, "Location": location}
    return Response(status_code=303, body="", headers=headers, cookies=cookies or [])


def safe_next(path: str | None) -> str:
    """Where to go after signing in: only a path of the panel itself (never another site)."""
    if not path:
        return "/panel/pedidos"
    parts = urlsplit(path)
    if parts.scheme or parts.netloc or not parts.path.startswith("/panel/") or "\\" in path:
        return "/panel/pedidos"
    return parts.path + (f"?{parts.query}" if parts.query else "")


def sign_in_location(next_path: str, notice: str = "") -> str:
    location = "/panel/entrar?siguiente=" + quote(next_path, safe="/")
    return location + (f"&aviso={notice}" if notice else "")


class Form:
    """A posted form's fields: the first value of each, or all of them."""

    def __init__(
        self, fields: Mapping[str, list[str]], uploads: Mapping[str, Upload] | None = None
    ):
        self._fields = fields
        self.uploads = dict(uploads or {})

    def get(self, name: str, default: str = "") -> str:
        values = self._fields.get(name)
        return values[0] if values else default

    def all(self, name: str) -> list[str]:
        return list(self._fields.get(name, []))

    def checked(self, name: str) -> bool:
        return name in self._fields

    def pairs(self) -> list[tuple[str, str]]:
        return [(k, v) for k, values in self._fields.items() for v in values]

    def as_dict(self) -> dict[str, str]:
        return {k: v[0] for k, v in self._fields.items() if v}


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str
    data: bytes


def parse_form(body: bytes, content_type: str) -> Form:
    """An urlencoded or multipart/form-data body; 400 for what no page of ours sends."""
    if len(body) > MAX_UPLOAD_BYTES:
        raise PayloadTooLargeError("El archivo es demasiado grande (máximo 4 MB).")
    kind = content_type.split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        return _multipart(body, content_type)
    try:
        fields = parse_qs(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=False,
            max_num_fields=MAX_FORM_FIELDS,
        )
    except (UnicodeDecodeError, ValueError):
        raise BadRequestError("No pudimos leer el formulario.") from None
    return Form(fields)


def _multipart(body: bytes, content_type: str) -> Form:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message: Any = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise BadRequestError("No pudimos leer el formulario.")
    fields: dict[str, list[str]] = {}
    uploads: dict[str, Upload] = {}
    parts = list(message.iter_parts())
    if len(parts) > MAX_FORM_FIELDS:
        raise BadRequestError("El formulario trae demasiados campos.")
    for part in parts:
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        data = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None:
            uploads[str(name)] = Upload(str(filename), part.get_content_type(), bytes(data))
        else:
            try:
                fields.setdefault(str(name), []).append(bytes(data).decode("utf-8"))
            except UnicodeDecodeError:
                raise BadRequestError("No pudimos leer el formulario.") from None
    return Form(fields, uploads)


_STATIC_TYPES = {"css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8"}


def static_file(name: str) -> Response:
    """The panel's stylesheet and script (cached an hour; the panel works without the script)."""
    kind = name.rpartition(".")[2]
    if kind not in _STATIC_TYPES or "/" in name or name.startswith("."):
        return Response(status_code=404, content_type="text/plain", body="no encontrado")
    resource = files("postventa.web").joinpath("static", name)
    if not resource.is_file():
        return Response(status_code=404, content_type="text/plain", body="no encontrado")
    return Response(
        status_code=200,
        content_type=_STATIC_TYPES[kind],
        body=resource.read_text(encoding="utf-8"),
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )
