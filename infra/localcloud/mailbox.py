"""Local mailbox: every email sent through SES (v1/v2, simple or raw MIME), readable over HTTP.

moto keeps sent messages in its SES backend (`sent_messages`); the gateway process is the moto
process, so the backend is read directly and raw MIME is parsed here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email
import email.policy
import email.utils
import re
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from localcloud.template import ACCOUNT_ID, REGION


@dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class MailMessage:
    id: str
    subject: str
    to: list[str]
    sender: str
    date: dt.datetime
    text: str | None = None
    html: str | None = None
    attachments: list[Attachment] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "subject": self.subject,
            "to": self.to,
            "from": self.sender,
            "date": self.date.isoformat(),
            "text": self.text,
            "html": self.html,
            "attachments": [
                {"filename": a.filename, "content_type": a.content_type, "size": a.size}
                for a in self.attachments
            ],
        }


def parse_mime(message_id: str, raw: str | bytes, seen_at: dt.datetime) -> MailMessage:
    """Subject, addresses, text/html bodies and attachments of a raw MIME message."""
    data = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else raw
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    to = [
        addr for _, addr in email.utils.getaddresses(msg.get_all("To", []) + msg.get_all("Cc", []))
    ]
    date = seen_at
    if msg["Date"]:
        with contextlib.suppress(TypeError, ValueError):
            date = email.utils.parsedate_to_datetime(str(msg["Date"]))
    out = MailMessage(message_id, str(msg["Subject"] or ""), to, str(msg["From"] or ""), date)
    for part in msg.walk():
        if part.is_multipart():
            continue
        disposition = part.get_content_disposition()
        filename = part.get_filename()
        ctype = part.get_content_type()
        if disposition == "attachment" or (filename and disposition != "inline"):
            out.attachments.append(Attachment(filename or "adjunto", ctype, _bytes(part)))
        elif ctype == "text/plain" and out.text is None:
            out.text = part.get_content()
        elif ctype == "text/html" and out.html is None:
            out.html = part.get_content()
        elif filename:
            out.attachments.append(Attachment(filename, ctype, _bytes(part)))
    return out


def _bytes(part: Any) -> bytes:
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _looks_like_html(body: str) -> bool:
    lowered = body.lstrip().lower()
    return lowered.startswith(("<!doctype", "<html")) or "</" in lowered


class Mailbox:
    """Reads moto's SES backend; remembers when each message was first seen."""

    def __init__(self, account_id: str = ACCOUNT_ID, region: str = REGION) -> None:
        self.account_id = account_id
        self.region = region
        self._seen: dict[str, dt.datetime] = {}
        self._parsed: dict[str, MailMessage] = {}
        self._lock = threading.Lock()

    def _backend(self) -> Any:
        from moto.ses.models import ses_backends

        return ses_backends[self.account_id][self.region]

    def messages(self) -> list[MailMessage]:
        """Every sent message, newest first."""
        with self._lock:
            out = []
            for raw in list(self._backend().sent_messages):
                mid = str(raw.id)
                if mid not in self._parsed:
                    seen = self._seen.setdefault(mid, dt.datetime.now(dt.UTC))
                    self._parsed[mid] = self._convert(raw, seen)
                out.append(self._parsed[mid])
        out.reverse()
        return out

    def get(self, message_id: str) -> MailMessage | None:
        return next((m for m in self.messages() if m.id == message_id), None)

    def _convert(self, raw: Any, seen: dt.datetime) -> MailMessage:
        if hasattr(raw, "raw_data"):
            msg = parse_mime(str(raw.id), raw.raw_data, seen)
            if not msg.to:
                msg.to = list(raw.destinations or [])
            if not msg.sender:
                msg.sender = str(raw.source or "")
            return msg
        destinations = getattr(raw, "destinations", {}) or {}
        to: list[str] = []
        if isinstance(destinations, dict):
            for key in ("ToAddresses", "CcAddresses", "BccAddresses"):
                to.extend(destinations.get(key) or [])
        body = str(getattr(raw, "body", "") or "")
        msg = MailMessage(
            str(raw.id), str(getattr(raw, "subject", "") or ""), to, str(raw.source), seen
        )
        if _looks_like_html(body):
            msg.html = body
        else:
            msg.text = body
        return msg


_PAGE = """<!doctype html>
<html lang="es"><head><meta charset="utf-8"><title>Buzón local</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}
article{border:1px solid #ccc;border-radius:6px;padding:1rem;margin:1rem 0}
pre{white-space:pre-wrap;background:#f6f6f6;padding:.5rem}</style></head>
<body><h1>Buzón local</h1>
<p>{{ messages|length }} correo(s) enviados por SES en esta sesión (se pierden al detener).</p>
{% for m in messages %}<article>
<h2>{{ m.subject or "(sin asunto)" }}</h2>
<p><b>Para:</b> {{ m.to|join(", ") }} &middot; <b>De:</b> {{ m.sender }}
&middot; <b>Fecha:</b> {{ m.date.strftime("%Y-%m-%d %H:%M:%S %Z") }}</p>
{% if m.html %}<p><a href="/_local/mail/{{ m.id }}/html">Ver versión HTML</a></p>{% endif %}
{% if m.text %}<pre>{{ m.text | linkify }}</pre>{% endif %}
{% if m.attachments %}<ul>{% for a in m.attachments %}
<li><a href="/_local/mail/{{ m.id }}/attachments/{{ loop.index0 }}">{{ a.filename }}</a>
({{ a.content_type }}, {{ a.size }} bytes)</li>{% endfor %}</ul>{% endif %}
</article>{% else %}<p>Aún no hay correos.</p>{% endfor %}
</body></html>"""


def render_page(messages: list[MailMessage]) -> str:
    import jinja2

    env = jinja2.Environment(autoescape=True)
    env.filters["linkify"] = linkify
    return env.from_string(_PAGE).render(messages=messages)


_URL = re.compile(r"https?://[^\s<>\"']+")


def linkify(text: str) -> Any:
    """Escape the text, then make its http(s) links clickable (the form link in a buyer email)."""
    from markupsafe import Markup, escape

    out, last = [], 0
    for match in _URL.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(Markup('<a href="{0}">{0}</a>').format(match.group(0)))  # format escapes
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)
