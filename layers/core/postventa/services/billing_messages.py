"""The billing-request message of one order: the tenant's template for the order's channel (or
the channel's default), filled with the order's values and checked against the channel's
limits; and the sample values the seller's previews and checks use."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from postventa.domain.messages import (
    AMAZON_WITH_LINK,
    ChannelRules,
    MessageValues,
    RenderedMessage,
    TemplateBody,
    TemplateRejectedError,
    rules_for,
)
from postventa.domain.orders import Channel, OrderRecord
from postventa.domain.ports import Adapters
from postventa.domain.tenants import Tenant
from postventa.formatting import amount, date_es
from postventa.messaging.templating import default_template, render_message
from postventa.observability import logger

# A token as `BillingLinks.create` makes them (secrets.token_urlsafe(32): 43 characters), so a
# sample link is exactly as long as a real one.
SAMPLE_TOKEN = "Ejemplo" + "0" * 36


def form_url(public_base_url: str, token: str) -> str:
    return f"{public_base_url.rstrip('/')}/facturar/{token}"


def order_values(
    adapters: Adapters,
    record: OrderRecord,
    tenant: Tenant,
    token: str,
    expires_at: int,
    *,
    reminder: bool,
) -> MessageValues:
    order = record.order
    return MessageValues(
        comprador=order.buyer.name or "",
        pedido=order.display_number,
        tienda=tenant.name,
        total=amount(order.total_paid, order.currency),  # "$1,057.10 MXN"
        liga=form_url(adapters.settings.public_base_url, token),
        fecha_limite=date_es(expires_at),
        recordatorio=reminder,
    )


def sample_values(adapters: Adapters, tenant: Tenant, *, reminder: bool = False) -> MessageValues:
    """Values as long as real ones get (a full name, a 16-digit marketplace order, the longest
    month), with the tenant's own name: a template that fits them fits real orders."""
    return MessageValues(
        comprador="María Fernanda González Ruiz",
        pedido="2000009876543210",
        tienda=tenant.name,
        total=amount(Decimal("12345.67"), "MXN"),
        liga=form_url(adapters.settings.public_base_url, SAMPLE_TOKEN),
        fecha_limite="30 de septiembre de 2026",
        recordatorio=reminder,
    )


@dataclass(frozen=True)
class ComposedMessage:
    message: RenderedMessage
    template: str  # propia | predeterminada
    refused: tuple[str, ...] = ()  # codes of why the tenant's own template could not be used


def compose_billing_message(
    adapters: Adapters, record: OrderRecord, tenant: Tenant, values: MessageValues
) -> ComposedMessage:
    """The order's message. A tenant template the channel refuses with this order's values (a
    rule that changed since it was saved, a name too long for the limit) does not stop the buyer
    from being asked: the channel's default is used and the reason goes into the history."""
    channel = record.order.channel.value
    rules = tenant_rules(adapters, tenant.tenant_id, channel)
    body, own = effective_body(adapters, tenant.tenant_id, channel, rules)
    if not own:
        return ComposedMessage(render_message(rules, body, values), "predeterminada")
    try:
        return ComposedMessage(render_message(rules, body, values), "propia")
    except TemplateRejectedError as exc:
        codes = tuple(dict.fromkeys(p.code for p in exc.problems))
        logger.warning("tenant template refused at render", extra={"problems": codes})
        default = render_message(rules, default_template(rules), values)
        return ComposedMessage(default, "predeterminada", codes)


def effective_body(
    adapters: Adapters, tenant_id: str, channel: str, rules: ChannelRules | None = None
) -> tuple[TemplateBody, bool]:
    """The template the channel uses for the tenant now, and whether it is the tenant's own."""
    saved = adapters.message_templates.get(tenant_id, channel)
    if saved is not None:
        return saved.body, True
    return default_template(rules or tenant_rules(adapters, tenant_id, channel)), False


def tenant_rules(adapters: Adapters, tenant_id: str, channel: str) -> ChannelRules:
    """The channel's rules for this tenant: Amazon's messages carry the form's link only when
    the seller chose to (the connection's `include_link`, decision 0016)."""
    if channel == Channel.AMAZON.value:
        connection = adapters.connections.get(tenant_id, channel)
        if connection is not None and connection.settings.get("include_link"):
            return AMAZON_WITH_LINK
    return rules_for(channel)
