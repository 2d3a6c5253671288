"""Billing-request messages: the fields a seller may write, what each channel accepts, and the
checks on a rendered message (docs/decisions/0012-message-templates.md).

The rules are data (`CHANNEL_RULES`) so the seller API can show them and every check reads the
same numbers: Mercado Libre's free-text post-sale message holds 350 characters with the link
(the action guide's `char_limit`), so the text around the link gets 250; Amazon's messaging texts
hold 2,000 and carry no links to pages outside Amazon; a store's email has a subject of at most
150 characters on one line. Rendering (Jinja2 in a sandbox): `postventa.messaging.templating`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from postventa.domain.orders import Channel
from postventa.errors import PostventaError

# What a seller may write between {{ }}: name -> what it becomes (Spanish, shown by the API).
FIELDS: dict[str, str] = {
    "comprador": "Nombre del comprador como lo da el canal (puede venir vacío).",
    "pedido": "Número del pedido que ve el comprador.",
    "tienda": "Nombre de tu tienda.",
    "total": "Total pagado, p. ej. $1,057.10 MXN.",
    "liga": "Liga personal del comprador al formulario de facturación.",
    "fecha_limite": "Día en que vence la liga, p. ej. 27 de noviembre de 2026.",
    "recordatorio": (
        "Verdadero solo en el recordatorio; úsalo como "
        "{% if recordatorio %}…{% else %}…{% endif %}."
    ),
}
LINK_FIELD = "liga"

# Filters a template may apply to a field; none can reach an attribute or grow a text unbounded.
ALLOWED_FILTERS = frozenset({"upper", "lower", "title", "capitalize", "trim", "truncate"})


class Part(StrEnum):
    SUBJECT = "subject"
    TEXT = "text"
    HTML = "html"


PART_NAMES = {Part.SUBJECT: "el asunto", Part.TEXT: "el texto", Part.HTML: "el HTML"}

# Longest source a part may have (storage guard: one DynamoDB item stays far below 400 KB).
MAX_SOURCE_CHARS = {Part.SUBJECT: 300, Part.TEXT: 5_000, Part.HTML: 50_000}


class ChannelRules(BaseModel):
    """What one channel's billing-request message may be."""

    model_config = ConfigDict(frozen=True)

    channel: Channel
    label: str
    delivery: Literal["correo", "mensajeria"]
    parts: tuple[Part, ...]
    required: tuple[Part, ...]
    max_chars: dict[Part, int]
    editable_chars: int | None = Field(
        None, description="characters of the text around the link (the link not counted)"
    )
    link: Literal["required", "forbidden", "optional"]
    other_links: bool = Field(description="whether the text may carry links besides {{ liga }}")
    plain_text: bool = Field(description="the text is shown as typed: no HTML tags")
    email_addresses: bool = True
    source: str = Field(description="where the numbers come from")


_EMAIL_RULES: dict[str, Any] = {
    "delivery": "correo",
    "parts": (Part.SUBJECT, Part.TEXT, Part.HTML),
    "required": (Part.SUBJECT, Part.TEXT),
    # 150: long subjects are cut by mail clients (RFC 5322 recommends lines of 78 characters);
    # text and HTML only guard against a runaway template.
    "max_chars": {Part.SUBJECT: 150, Part.TEXT: 10_000, Part.HTML: 100_000},
    "link": "required",
    "other_links": True,
    "plain_text": False,
    "source": "Correo (SES): asunto de una línea, de 150 caracteres como máximo.",
}
# A marketplace's own messaging: plain text, no links of the seller's.
_MARKETPLACE_TEXT = {
    "delivery": "mensajeria",
    "parts": (Part.TEXT,),
    "required": (Part.TEXT,),
    "other_links": False,
    "plain_text": True,
}
_MERCADO_RULES = {
    **_MARKETPLACE_TEXT,
    "max_chars": {Part.TEXT: 350},
    "editable_chars": 250,
    "link": "required",
    "source": (
        "Mercado Libre, mensajería posventa: el motivo de texto libre (action guide, "
        "SEND_INVOICE_LINK u OTHER) admite 350 caracteres (char_limit) y modera las ligas "
        "acortadas; la liga ocupa unos 100, así que el texto editable es de 250."
    ),
}
_AMAZON_RULES = {
    **_MARKETPLACE_TEXT,
    "max_chars": {Part.TEXT: 2_000},
    "link": "forbidden",
    "email_addresses": False,
    "source": (
        "Amazon SP-API Messaging: textos de 1 a 2,000 caracteres, sin HTML ni correos; "
        "las ligas a páginas fuera de Amazon se reportan como prohibidas."
    ),
}
_LIVERPOOL_RULES = {
    **_MARKETPLACE_TEXT,
    "max_chars": {Part.TEXT: 2_000},
    "link": "required",
    "source": (
        "Liverpool (marketplace estilo Mirakl): sin límite documentado que hayamos podido "
        "confirmar; aplicamos 2,000 caracteres de texto simple."
    ),
}
_CHANNELS: dict[Channel, tuple[str, dict[str, Any]]] = {
    Channel.SHOPIFY: ("Shopify", _EMAIL_RULES),
    Channel.WOOCOMMERCE: ("WooCommerce", _EMAIL_RULES),
    Channel.PRESTASHOP: ("PrestaShop", _EMAIL_RULES),
    Channel.MERCADOLIBRE: ("Mercado Libre", _MERCADO_RULES),
    Channel.MERCADOSHOPS: ("Mercado Shops", _MERCADO_RULES),
    Channel.AMAZON: ("Amazon", _AMAZON_RULES),
    Channel.LIVERPOOL: ("Liverpool", _LIVERPOOL_RULES),
}
CHANNEL_RULES: dict[Channel, ChannelRules] = {
    channel: ChannelRules(channel=channel, label=label, **rules)
    for channel, (label, rules) in _CHANNELS.items()
}


def rules_for(channel: Channel | str) -> ChannelRules:
    return CHANNEL_RULES[Channel(channel)]


# Amazon when the seller chose to include the form's link (a per-tenant option: Amazon reports
# links to pages outside Amazon as forbidden, so it is off unless the seller takes that risk).
AMAZON_WITH_LINK = CHANNEL_RULES[Channel.AMAZON].model_copy(
    update={
        "link": "required",
        "source": CHANNEL_RULES[Channel.AMAZON].source
        + " La tienda eligió incluir la liga al formulario bajo su responsabilidad.",
    }
)

# The shipping notice goes out under the action guide's OTHER reason: free text, 350 characters.
# Its link is the carrier's: `{{ liga_rastreo }}` when the seller gave one, or the carrier's
# tracking page written in the template with `{{ guia }}` (Mercado Libre's shipment has the
# tracking number but no link). Shortened links stay refused.
SHIPPING_RULES: dict[Channel, ChannelRules] = {
    channel: CHANNEL_RULES[channel].model_copy(
        update={
            "editable_chars": None,
            "link": "optional",
            "other_links": True,
            "source": (
                "Mercado Libre, mensajería posventa: el motivo OTHER admite 350 caracteres "
                "(char_limit); la liga de rastreo es la de tu paquetería."
            ),
        }
    )
    for channel in (Channel.MERCADOLIBRE, Channel.MERCADOSHOPS)
}


class TemplateBody(BaseModel):
    """What a seller writes for one channel: the parts that channel has."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    subject: str | None = Field(None, max_length=MAX_SOURCE_CHARS[Part.SUBJECT])
    text: str = Field(max_length=MAX_SOURCE_CHARS[Part.TEXT])
    html: str | None = Field(None, max_length=MAX_SOURCE_CHARS[Part.HTML])

    def part(self, part: Part) -> str | None:
        value: str | None = getattr(self, part.value)
        return value


class MessageTemplate(BaseModel):
    """A tenant's saved template for one channel."""

    tenant_id: str
    channel: Channel
    body: TemplateBody
    updated_at: str


class TemplateProblem(BaseModel):
    """One reason a template is refused, for the seller (Spanish)."""

    model_config = ConfigDict(frozen=True)

    part: Part
    code: str
    message: str


class TemplateRejectedError(PostventaError):
    """A template the channel does not accept; `problems` lists every reason."""

    status_code = 422
    code = "plantilla_invalida"

    def __init__(self, problems: list[TemplateProblem]) -> None:
        self.problems = problems
        summary = "La plantilla no se puede usar: " + " ".join(p.message for p in problems)
        super().__init__(summary, details=[p.model_dump(mode="json") for p in problems])


@dataclass(frozen=True)
class TemplateKind:
    """A kind of message a seller may write: its fields and the field holding its link."""

    name: str
    fields: dict[str, str]
    link_field: str

    def field_list(self) -> str:
        return ", ".join("{{ " + name + " }}" for name in self.fields)


BILLING_REQUEST = TemplateKind("billing_request", FIELDS, LINK_FIELD)

# The custom shipping notice (DOMAIN.md: Mercado Libre only, for sellers who ship with their own
# carrier): carrier, tracking number and the carrier's tracking link.
SHIPPING_FIELDS: dict[str, str] = {
    "comprador": FIELDS["comprador"],
    "pedido": FIELDS["pedido"],
    "tienda": FIELDS["tienda"],
    "paqueteria": "Paquetería con que enviaste el pedido, p. ej. Estafeta.",
    "guia": "Número de guía de la paquetería.",
    "liga_rastreo": "Liga de rastreo de la paquetería.",
}
SHIPPING_NOTICE = TemplateKind("shipping_notice", SHIPPING_FIELDS, "liga_rastreo")


@dataclass(frozen=True)
class ShippingValues:
    """The values of SHIPPING_FIELDS for one notice."""

    comprador: str
    pedido: str
    tienda: str
    paqueteria: str
    guia: str
    liga_rastreo: str

    @property
    def link(self) -> str:
        return self.liga_rastreo

    def as_context(self) -> dict[str, str | bool]:
        return {name: getattr(self, name) for name in SHIPPING_FIELDS}


@dataclass(frozen=True)
class MessageValues:
    """The values of FIELDS for one message."""

    comprador: str
    pedido: str
    tienda: str
    total: str
    liga: str
    fecha_limite: str
    recordatorio: bool = False

    @property
    def link(self) -> str:
        return self.liga

    def as_context(self) -> dict[str, str | bool]:
        return {name: getattr(self, name) for name in FIELDS}


@dataclass(frozen=True)
class RenderedMessage:
    """A message ready for a messenger: `subject` and `html` only where the channel has them."""

    text: str
    subject: str | None = None
    html: str | None = None


def marketplace_length(text: str) -> int:
    """Characters as a marketplace counts them: UTF-16 code units (their services run on the
    JVM, where an emoji counts 2), so a message we accept is never over their limit."""
    return len(text.encode("utf-16-le")) // 2


def text_length(rules: ChannelRules, text: str) -> int:
    return marketplace_length(text) if rules.delivery == "mensajeria" else len(text)


# A link as a person or a marketplace's moderation sees one: a scheme or "www.", or a bare
# domain with a path ("bit.ly/abc").
URL = re.compile(
    r"(?i)\b(?:https?://|www\.)[^\s<>\"']+|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.[a-z]{2,}/[^\s<>\"']*"
)
EMAIL_ADDRESS = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
# URL shorteners Mercado Libre moderates (developers' "Mensajes bloqueados" page) and others in
# wide use; a billing link never goes through one, it is ours.
SHORTENERS = frozenset(
    {
        "bit.ly",
        "bitly.com",
        "bl.ink",
        "rebrand.ly",
        "t2m.io",
        "tinyurl.com",
        "zpr.io",
        "goo.gl",
        "ow.ly",
        "is.gd",
        "cutt.ly",
        "shorturl.at",
        "t.co",
        "buff.ly",
        "tiny.cc",
        "rb.gy",
        "s.id",
    }
)


def link_host(url: str) -> str:
    text = re.sub(r"(?i)^https?://", "", url)
    host = re.split(r"[/?#:]", text, maxsplit=1)[0].lower()
    return host.removeprefix("www.")


def is_shortener(url: str) -> bool:
    host = link_host(url)
    return any(host == s or host.endswith("." + s) for s in SHORTENERS)


def literal_problems(rules: ChannelRules, part: Part, literal: str) -> list[TemplateProblem]:
    """Problems in what the seller typed (outside the fields): links, tags, addresses."""
    problems: list[TemplateProblem] = []
    where = PART_NAMES[part]
    for url in dict.fromkeys(URL.findall(literal)):
        if is_shortener(url):
            problems.append(
                TemplateProblem(
                    part=part,
                    code="liga_acortada",
                    message=(
                        f"{where.capitalize()} lleva «{url}», una liga acortada: esconden su "
                        "destino, Mercado Libre bloquea los mensajes que las llevan y los filtros "
                        "de correo desconfían de ellas. La liga al formulario es {{ liga }}."
                    ),
                )
            )
        elif not rules.other_links and part is not Part.HTML:
            problems.append(
                TemplateProblem(
                    part=part,
                    code="otra_liga",
                    message=(
                        f"{where.capitalize()} lleva la liga «{url}»: en {rules.label} el "
                        "mensaje no puede llevar otras ligas"
                        + (" que {{ liga }}." if rules.link == "required" else ".")
                    ),
                )
            )
    tags = list(dict.fromkeys(HTML_TAG.findall(literal)))
    if rules.plain_text and part is Part.TEXT and tags:
        problems.append(
            TemplateProblem(
                part=part,
                code="html_en_texto",
                message=(
                    f"{rules.label} muestra el mensaje como texto simple: quita "
                    + ", ".join(f"«{tag}»" for tag in tags)
                    + "."
                ),
            )
        )
    if not rules.email_addresses:
        for address in dict.fromkeys(EMAIL_ADDRESS.findall(literal)):
            problems.append(
                TemplateProblem(
                    part=part,
                    code="correo_en_texto",
                    message=(
                        f"{rules.label} no permite direcciones de correo en el mensaje: quita "
                        f"«{address}»."
                    ),
                )
            )
    if part is Part.SUBJECT and ("\n" in literal or "\r" in literal):
        problems.append(
            TemplateProblem(
                part=part,
                code="asunto_con_saltos",
                message="El asunto debe ir en una sola línea: quita los saltos de línea.",
            )
        )
    return problems


def rendered_problems(
    rules: ChannelRules, message: RenderedMessage, link: str, *, budget: bool
) -> list[TemplateProblem]:
    """Limits on the rendered message. `budget` also checks the editable text (the text around
    the link): done when saving and previewing, with sample values; at send time only the
    channel's hard limit counts."""
    problems: list[TemplateProblem] = []
    for part in rules.parts:
        value = getattr(message, part.value)
        if value is None:
            continue
        length = text_length(rules, value)
        limit = rules.max_chars[part]
        if length > limit:
            extra = " con la liga" if part is Part.TEXT and rules.link == "required" else ""
            problems.append(
                TemplateProblem(
                    part=part,
                    code="excede_limite",
                    message=(
                        f"{PART_NAMES[part].capitalize()} tiene {length} caracteres{extra} y "
                        f"{rules.label} admite {limit}."
                    ),
                )
            )
    if budget and rules.editable_chars is not None:
        editable = editable_length(rules, message.text, link)
        if editable > rules.editable_chars:
            problems.append(
                TemplateProblem(
                    part=Part.TEXT,
                    code="excede_texto_editable",
                    message=(
                        f"El texto sin la liga tiene {editable} caracteres; en {rules.label} "
                        f"caben {rules.editable_chars} (la liga ocupa hasta "
                        f"{rules.max_chars[Part.TEXT] - rules.editable_chars})."
                    ),
                )
            )
    return problems


def editable_length(rules: ChannelRules, text: str, link: str) -> int:
    """The text's length without the link (each time it appears)."""
    return text_length(rules, text.replace(link, "")) if link else text_length(rules, text)


# Mail clients drop (or flag as dangerous) what runs code or posts data; a seller's HTML must not
# make their billing email look like phishing.
_UNSAFE_HTML = re.compile(
    r"(?i)<\s*(script|iframe|object|embed|form|base)\b|\bhttp-equiv\s*=|\son[a-z]+\s*=|javascript:"
)


def unsafe_html_problems(html: str) -> list[TemplateProblem]:
    found = dict.fromkeys(m.group(0).strip() for m in _UNSAFE_HTML.finditer(html))
    return [
        TemplateProblem(
            part=Part.HTML,
            code="html_inseguro",
            message=(
                f"El HTML lleva «{item}»: los correos no pueden llevar scripts, formularios ni "
                "eventos (los clientes de correo los bloquean o marcan el correo como peligroso)."
            ),
        )
        for item in found
    ]
