"""Buyer emails: jinja2 templates (Spanish, text + html) sent through SES."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from postventa.aws import client
from postventa.settings import get_settings

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


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str


def render_email(name: str, subject: str, to: str, context: dict[str, Any]) -> Email:
    env = _env()
    return Email(
        to=to,
        subject=subject,
        text=env.get_template(f"{name}.txt.j2").render(**context),
        html=env.get_template(f"{name}.html.j2").render(**context),
    )


def send_email(email: Email) -> str:
    """Send through SES; returns the SES message id."""
    response = client("ses").send_email(
        Source=get_settings().mail_from,
        Destination={"ToAddresses": [email.to]},
        Message={
            "Subject": {"Data": email.subject, "Charset": "UTF-8"},
            "Body": {
                "Text": {"Data": email.text, "Charset": "UTF-8"},
                "Html": {"Data": email.html, "Charset": "UTF-8"},
            },
        },
    )
    return str(response["MessageId"])
