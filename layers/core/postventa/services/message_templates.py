"""The seller's billing-request templates (seller API): list, read, save, delete and preview.

Saving checks the template against its channel with sample values as long as real ones get,
for the first message and for the reminder; every problem comes back at once, in Spanish.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from postventa.domain.clock import iso
from postventa.domain.messages import (
    FIELDS,
    ChannelRules,
    MessageTemplate,
    MessageValues,
    Part,
    RenderedMessage,
    TemplateBody,
    TemplateProblem,
    TemplateRejectedError,
    editable_length,
    rules_for,
    text_length,
)
from postventa.domain.orders import Channel
from postventa.domain.ports import Adapters
from postventa.domain.tenants import Tenant
from postventa.errors import BadRequestError, NotFoundError
from postventa.messaging.templating import default_template, render_outcome
from postventa.services.billing_messages import effective_body, sample_values, tenant_rules


class PreviewRequest(BaseModel):
    """POST .../preview: a template to try (or none: the one in use) and which message."""

    model_config = ConfigDict(extra="forbid")

    template: TemplateBody | None = None
    recordatorio: bool = False


def _channel(channel: str) -> Channel:
    try:
        return Channel(channel)
    except ValueError:
        raise NotFoundError("Canal no soportado.") from None


def _tenant(tenant_id: str, adapters: Adapters) -> Tenant:
    tenant = adapters.tenants.get(tenant_id)
    if tenant is None:
        raise NotFoundError("Tienda no encontrada.")
    return tenant


_PYDANTIC_MESSAGES = {
    "missing": "Falta «{loc}».",
    "string_too_long": "«{loc}» admite {max_length} caracteres como máximo.",
    "extra_forbidden": "«{loc}» no es parte de la plantilla (partes: subject, text, html).",
    "string_type": "«{loc}» debe ser texto.",
    "bool_type": "«{loc}» debe ser true o false.",
    "model_type": "«{loc}» debe ser un objeto JSON.",
}


_M = TypeVar("_M", bound=BaseModel)


def parse_json_body(model: type[_M], raw: str | None) -> _M:
    """The request body as `model`: 400 when it is not JSON, 422 naming each wrong part."""
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        raise BadRequestError("El cuerpo de la solicitud no es JSON válido.") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = ".".join(str(p) for p in error["loc"]) or "cuerpo"
            last = str(error["loc"][-1]) if error["loc"] else ""
            part = Part(last) if last in Part._value2member_map_ else Part.TEXT
            template = _PYDANTIC_MESSAGES.get(error["type"], "«{loc}» no es válido.")
            context = error.get("ctx") or {}
            problems.append(
                TemplateProblem(
                    part=part, code="cuerpo_invalido", message=template.format(loc=loc, **context)
                )
            )
        raise TemplateRejectedError(problems) from None


def _limits(rules: ChannelRules) -> dict[str, Any]:
    return {
        "parts": [p.value for p in rules.parts],
        "required": [p.value for p in rules.required],
        "max_chars": {p.value: n for p, n in rules.max_chars.items()},
        "editable_chars": rules.editable_chars,
        "link": rules.link,
        "other_links": rules.other_links,
        "plain_text": rules.plain_text,
        "source": rules.source,
    }


def _view(
    adapters: Adapters, channel: Channel, body: TemplateBody, saved: MessageTemplate | None
) -> dict[str, Any]:
    rules = rules_for(channel)
    view: dict[str, Any] = {
        "channel": channel.value,
        "label": rules.label,
        "delivery": rules.delivery,
        "custom": saved is not None,
        "template": body.model_dump(exclude_none=True),
        "limits": _limits(rules),
        "sending": adapters.messenger.delivers(channel.value),
    }
    if saved is not None:
        view["updated_at"] = saved.updated_at
    if not view["sending"]:
        view["sending_note"] = (
            f"Aún no enviamos mensajes por {rules.label}: la plantilla queda lista para cuando "
            "llegue la integración; mientras, los pedidos de este canal van a la factura global "
            "al vencer el plazo."
        )
    return view


def _fields() -> list[dict[str, str]]:
    return [
        {"name": name, "use": "{{ " + name + " }}", "description": d} for name, d in FIELDS.items()
    ]


def list_templates(tenant_id: str, adapters: Adapters) -> dict[str, Any]:
    """The template of each of the tenant's channels (declared, connected, or with a template of
    its own; its own or the default), with limits."""
    tenant = _tenant(tenant_id, adapters)
    saved = {t.channel: t for t in adapters.message_templates.list(tenant_id)}
    connected = {c.channel.value for c in adapters.connections.of_tenant(tenant_id) if c.usable}
    if Channel.MERCADOLIBRE.value in connected:  # one account, both marketplaces
        connected.add(Channel.MERCADOSHOPS.value)
    used = set(tenant.channels) | connected
    channels = [c for c in Channel if c.value in used or c in saved]
    templates = []
    for channel in channels or list(Channel):
        own = saved.get(channel)
        body = own.body if own else default_template(rules_for(channel))
        templates.append(_view(adapters, channel, body, own))
    return {"fields": _fields(), "templates": templates}


def get_template(tenant_id: str, channel: str, adapters: Adapters) -> dict[str, Any]:
    known = _channel(channel)
    _tenant(tenant_id, adapters)
    saved = adapters.message_templates.get(tenant_id, known.value)
    body = saved.body if saved else default_template(rules_for(known))
    return {**_view(adapters, known, body, saved), "fields": _fields()}


def check_template(
    adapters: Adapters, tenant: Tenant, channel: Channel, body: TemplateBody
) -> list[TemplateProblem]:
    """Every problem of `body` on `channel`: its source, then the first message and the reminder
    rendered with sample values (the reminder's own problems say so)."""
    rules = tenant_rules(adapters, tenant.tenant_id, channel.value)
    problems: list[TemplateProblem] = []
    for reminder in (False, True):
        _, found = render_outcome(rules, body, sample_values(adapters, tenant, reminder=reminder))
        for problem in found:
            if problem in problems:
                continue  # the same in both messages
            if reminder:
                problem = problem.model_copy(
                    update={"message": "En el recordatorio: " + problem.message}
                )
            if problem not in problems:
                problems.append(problem)
    return problems


def save_template(
    tenant_id: str, channel: str, body: TemplateBody, adapters: Adapters
) -> dict[str, Any]:
    known = _channel(channel)
    tenant = _tenant(tenant_id, adapters)
    problems = check_template(adapters, tenant, known, body)
    if problems:
        raise TemplateRejectedError(problems)
    saved = MessageTemplate(
        tenant_id=tenant_id, channel=known, body=body, updated_at=iso(adapters.clock.now())
    )
    adapters.message_templates.put(saved)
    return _view(adapters, known, body, saved)


def delete_template(tenant_id: str, channel: str, adapters: Adapters) -> dict[str, Any]:
    """Back to the channel's default (deleting a template that does not exist is a 404)."""
    known = _channel(channel)
    _tenant(tenant_id, adapters)
    if not adapters.message_templates.delete(tenant_id, known.value):
        raise NotFoundError("No tienes una plantilla propia para este canal.")
    return _view(adapters, known, default_template(rules_for(known)), None)


def _counts(rules: ChannelRules, message: RenderedMessage, values: MessageValues) -> dict[str, Any]:
    counts: dict[str, Any] = {}
    for part in rules.parts:
        value = getattr(message, part.value)
        if value is None:
            continue
        entry: dict[str, Any] = {"count": text_length(rules, value), "limit": rules.max_chars[part]}
        if part is Part.TEXT and rules.editable_chars is not None:
            entry["editable_count"] = editable_length(rules, value, values.liga)
            entry["editable_limit"] = rules.editable_chars
        counts[part.value] = entry
    return counts


def preview_template(
    tenant_id: str, channel: str, request: PreviewRequest, adapters: Adapters
) -> dict[str, Any]:
    """The message as a buyer would get it, with a sample order and the tenant's name, its
    character counts against the channel's limits, and every problem (also when it is over a
    limit, so the seller sees by how much)."""
    known = _channel(channel)
    tenant = _tenant(tenant_id, adapters)
    rules = tenant_rules(adapters, tenant_id, known.value)
    if request.template is not None:
        body, source = request.template, "enviada"
    else:
        body, own = effective_body(adapters, tenant_id, known.value)
        source = "propia" if own else "predeterminada"
    values = sample_values(adapters, tenant, reminder=request.recordatorio)
    message, _ = render_outcome(rules, body, values)
    problems = check_template(adapters, tenant, known, body)
    preview: dict[str, Any] = {
        "channel": known.value,
        "template_source": source,
        "valid": not problems,
        "problems": [p.model_dump(mode="json") for p in problems],
        "sample": values.as_context(),
        "message": None,
        "characters": None,
    }
    if message is not None:
        rendered = {k: v for k, v in vars(message).items() if v is not None}
        preview["message"] = rendered
        preview["characters"] = _counts(rules, message, values)
    return preview
