"""Buyer emails: jinja2 templates (Spanish, text + html) sent through SES as raw MIME.

Raw MIME (multipart/alternative, plus attachments when there are any) rather than SES's simple
form: invoices travel as XML + PDF attachments, and every client, SES's simple API included,
gets exactly the same message.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from postventa.domain.ports import Email

TEMPLATES = Path(__file__).parent / "templates"


@functools.cache
def _env() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2")),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def to_mime(email: Email, sender: str) -> bytes:
    """The RFC 5322 bytes of `email`: text and html alternatives, then attachments."""
    from email.message import EmailMessage
    from email.policy import SMTP
    from email.utils import formatdate, make_msgid

    msg = EmailMessage(policy=SMTP)
    msg["From"] = sender
    msg["To"] = email.to
    msg["Subject"] = email.subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    msg.set_content(email.text)
    msg.add_alternative(email.html, subtype="html")
    for item in email.attachments:
        maintype, _, subtype = item.content_type.partition("/")
        msg.add_attachment(
            item.data, maintype=maintype, subtype=subtype or "octet-stream", filename=item.filename
        )
    return msg.as_bytes()


def header_text(value: str) -> str:
    """A header value on one line: a line break or other control character in a channel's data
    (an order name with CR/LF) must not make the email impossible to send, nor add headers."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in value).split())


def render_email(name: str, subject: str, to: str, context: dict[str, Any]) -> Email:
    env = _env()
    return Email(
        to=to,
        subject=header_text(subject),
        text=env.get_template(f"{name}.txt.j2").render(**context),
        html=env.get_template(f"{name}.html.j2").render(**context),
    )


class SesMailer:
    """Sends through SES as raw MIME from the template's verified sender address."""

    def __init__(self, client: Any, sender: str) -> None:
        self._client = client
        self._sender = sender

    def send(self, email: Email) -> str:
        response = self._client.send_raw_email(
            Source=self._sender,
            Destinations=[email.to],
            RawMessage={"Data": to_mime(email, self._sender)},
        )
        return str(response["MessageId"])
