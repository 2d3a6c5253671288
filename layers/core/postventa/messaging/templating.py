"""Sellers' message templates: Jinja2 in a sandbox, allowed only what a billing message needs.

A template may use its kind's fields (`postventa.domain.messages`: the billing request's FIELDS,
the shipping notice's SHIPPING_FIELDS), `{% if %}` on them and a few
text filters; anything else (attribute or item access, calls, loops, `{% set %}`, includes,
unknown fields or filters) is refused with a Spanish reason naming it, when the template is saved
and again when it renders. The sandbox (SandboxedEnvironment, no globals, StrictUndefined) is the
second wall behind that allow-list; HTML parts render with autoescape.
"""

from __future__ import annotations

import difflib
import functools
import html as html_lib
from pathlib import Path
from typing import Any

from postventa.domain.messages import (
    ALLOWED_FILTERS,
    BILLING_REQUEST,
    PART_NAMES,
    ChannelRules,
    MessageValues,
    Part,
    RenderedMessage,
    ShippingValues,
    TemplateBody,
    TemplateKind,
    TemplateProblem,
    TemplateRejectedError,
    literal_problems,
    rendered_problems,
    unsafe_html_problems,
)

TEMPLATES = Path(__file__).parent / "templates"


def _allowed_hint(kind: TemplateKind) -> str:
    return (
        f"Solo se pueden usar los campos ({kind.field_list()}), {{% if %}} sobre ellos y los "
        "filtros " + ", ".join(sorted(ALLOWED_FILTERS)) + "."
    )


# Constructs a template may contain; each other node type is refused by name.
_ALLOWED_NODES = frozenset(
    {
        "Template",
        "Output",
        "TemplateData",
        "Name",
        "Const",
        "If",
        "Filter",
        "Not",
        "And",
        "Or",
        "Compare",
        "Operand",
        "CondExpr",
        "Concat",
    }
)
_CONSTRUCTS = {
    "Getattr": "el acceso a atributos («.»)",
    "Getitem": "el acceso por índice («[ ]»)",
    "Call": "las llamadas a funciones",
    "For": "{% for %}",
    "Assign": "{% set %}",
    "AssignBlock": "{% set %}",
    "Macro": "{% macro %}",
    "CallBlock": "{% call %}",
    "Include": "{% include %}",
    "Extends": "{% extends %}",
    "Import": "{% import %}",
    "FromImport": "{% from … import %}",
    "Block": "{% block %}",
    "FilterBlock": "{% filter %}",
    "With": "{% with %}",
    "Test": "las pruebas «is …»",
}


@functools.cache
def _environment(autoescape: bool) -> Any:
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.clear()  # no range, dict, lipsum, cycler, namespace: only the fields exist
    return env


def _problem(part: Part, code: str, message: str) -> TemplateProblem:
    return TemplateProblem(part=part, code=code, message=message)


def _walk(node: Any) -> Any:
    yield node
    for child in node.iter_child_nodes():
        yield from _walk(child)


def _described(node: Any) -> str:
    kind = type(node).__name__
    if kind == "Getattr" and type(node.node).__name__ == "Name":
        return f"«{{{{ {node.node.name}.{node.attr} }}}}»"
    return _CONSTRUCTS.get(kind, f"la construcción «{kind}»")


def _source_problems(
    part: Part, source: str, template: TemplateKind = BILLING_REQUEST
) -> tuple[list[TemplateProblem], set[str], str]:
    """Problems of one part's source; also the fields it uses and its literal text."""
    import jinja2

    fields = template.fields

    where = PART_NAMES[part]
    try:
        tree = _environment(part is Part.HTML).parse(source)
    except jinja2.TemplateSyntaxError as exc:
        message = (
            f"{where.capitalize()} tiene un error de sintaxis en la línea {exc.lineno}: revisa "
            "que cada «{{» cierre con «}}», cada «{%» con «%}» y cada {% if %} con su {% endif %}."
        )
        return [_problem(part, "sintaxis", message)], set(), ""
    except RecursionError:  # thousands of nested parentheses or `not`s: refused, not a crash
        message = f"{where.capitalize()} anida expresiones demasiado hondo."
        return [_problem(part, "sintaxis", message)], set(), ""
    problems: list[TemplateProblem] = []
    used: set[str] = set()
    literal: list[str] = []
    refused: set[str] = set()
    for node in _walk(tree):
        kind = type(node).__name__
        if kind == "TemplateData":
            literal.append(node.data)
        elif kind == "Name":
            if node.ctx != "load":
                continue  # a loop's or a {% set %}'s own name: its construct is refused
            if node.name in fields:
                used.add(node.name)
            elif node.name not in refused:
                refused.add(node.name)
                near = difflib.get_close_matches(node.name, list(fields), n=1)
                hint = f" ¿Quisiste decir {{{{ {near[0]} }}}}?" if near else ""
                problems.append(
                    _problem(
                        part,
                        "campo_desconocido",
                        f"{where.capitalize()} usa el campo «{node.name}» (línea "
                        f"{node.lineno}), que no existe.{hint} Campos: {template.field_list()}.",
                    )
                )
        elif kind == "Filter":
            bad_args = node.dyn_args is not None or node.dyn_kwargs is not None
            args = [*node.args, *(kw.value for kw in node.kwargs)]
            if node.name not in ALLOWED_FILTERS:
                problems.append(
                    _problem(
                        part,
                        "filtro_no_permitido",
                        f"{where.capitalize()} usa el filtro «{node.name}» (línea "
                        f"{node.lineno}) y ese filtro no está permitido. {_allowed_hint(template)}",
                    )
                )
            elif bad_args or any(type(a).__name__ != "Const" for a in args):
                problems.append(
                    _problem(
                        part,
                        "expresion_no_permitida",
                        f"{where.capitalize()} pasa al filtro «{node.name}» (línea "
                        f"{node.lineno}) algo que no es un valor fijo.",
                    )
                )
        elif kind not in _ALLOWED_NODES:
            what = _described(node)
            if what not in refused:
                refused.add(what)
                problems.append(
                    _problem(
                        part,
                        "expresion_no_permitida",
                        f"{where.capitalize()} usa {what} (línea {node.lineno}) y eso no está "
                        f"permitido. {_allowed_hint(template)}",
                    )
                )
    return problems, used, " ".join(literal)


def template_problems(
    rules: ChannelRules, body: TemplateBody, kind: TemplateKind = BILLING_REQUEST
) -> list[TemplateProblem]:
    """Everything wrong with a template's source for a channel (nothing is rendered)."""
    link = kind.link_field
    problems: list[TemplateProblem] = []
    for part in Part:
        source = body.part(part)
        if part not in rules.parts:
            if source is not None:
                problems.append(
                    _problem(
                        part,
                        "parte_no_admitida",
                        f"{rules.label} no admite {PART_NAMES[part]}: el mensaje es "
                        + ("solo texto." if rules.parts == (Part.TEXT,) else "otro.")
                        + f" Quita {PART_NAMES[part]}.",
                    )
                )
            continue
        if source is None or not source.strip():
            if part in rules.required:
                problems.append(
                    _problem(part, "parte_faltante", f"Falta {PART_NAMES[part]} del mensaje.")
                )
            continue
        found, used, literal = _source_problems(part, source, kind)
        problems.extend(found)
        problems.extend(literal_problems(rules, part, literal))
        if part is Part.HTML:
            problems.extend(unsafe_html_problems(literal))
        if part is Part.SUBJECT:
            continue
        unreadable = any(p.code == "sintaxis" for p in found)
        if rules.link == "required" and link not in used and not unreadable:
            problems.append(
                _problem(
                    part,
                    "falta_liga",
                    f"{PART_NAMES[part].capitalize()} debe llevar {{{{ {link} }}}}: sin ella el "
                    + (
                        "comprador no llega al formulario de facturación."
                        if kind is BILLING_REQUEST
                        else "comprador no puede rastrear su paquete."
                    ),
                )
            )
        if rules.link == "forbidden" and link in used:
            problems.append(
                _problem(
                    part,
                    "liga_prohibida",
                    f"{rules.label} no permite ligas a páginas fuera de {rules.label} en los "
                    "mensajes al comprador: quita {{ liga }} y pide en el mensaje que el "
                    "comprador responda con sus datos fiscales.",
                )
            )
    return problems


def _render_part(part: Part, source: str, values: MessageValues | ShippingValues) -> str:
    """One part with the values; runtime refusals (the sandbox, a comparison of a text with a
    number) become TemplateRejectedError."""
    import jinja2

    try:
        template = _environment(part is Part.HTML).from_string(source)
        return str(template.render(values.as_context())).strip()
    except (jinja2.TemplateError, TypeError, ValueError, RecursionError) as exc:
        reason = (
            "intenta algo que el entorno seguro no permite"
            if isinstance(exc, jinja2.exceptions.SecurityError)
            else "no se pudo llenar con los datos del pedido"
        )
        raise TemplateRejectedError(
            [_problem(part, "error_al_llenar", f"{PART_NAMES[part].capitalize()} {reason}.")]
        ) from None


def html_from_text(text: str, link: str) -> str:
    """The HTML alternative of a text-only email: escaped paragraphs, the link clickable."""
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    escaped_link = html_lib.escape(link)
    body = "\n".join(
        "<p>"
        + html_lib.escape(p.strip())
        .replace("\n", "<br>\n")
        .replace(escaped_link, f'<a href="{escaped_link}">{escaped_link}</a>')
        + "</p>"
        for p in paragraphs
    )
    return (
        '<!doctype html>\n<html lang="es">\n<head><meta charset="utf-8"></head>\n'
        '<body style="font-family: Arial, sans-serif; color: #1f2933; line-height: 1.5;">\n'
        f"{body}\n</body>\n</html>"
    )


def render_outcome(
    rules: ChannelRules,
    body: TemplateBody,
    values: MessageValues | ShippingValues,
    *,
    budget: bool = True,
    kind: TemplateKind = BILLING_REQUEST,
) -> tuple[RenderedMessage | None, list[TemplateProblem]]:
    """The message for `values` (None when its source cannot be rendered) and every problem,
    the channel's limits included: a preview shows a message over its limit with the reason."""
    problems = template_problems(rules, body, kind)
    if problems:
        return None, problems
    try:
        text = _render_part(Part.TEXT, body.text, values)
        subject = html = None
        if Part.SUBJECT in rules.parts and body.subject is not None:
            subject = _render_part(Part.SUBJECT, body.subject, values)
        if Part.HTML in rules.parts:
            html = (
                _render_part(Part.HTML, body.html, values)
                if body.html
                else html_from_text(text, values.link)
            )
    except TemplateRejectedError as exc:
        return None, exc.problems
    message = RenderedMessage(text=text, subject=subject, html=html)
    return message, rendered_problems(rules, message, values.link, budget=budget)


def render_message(
    rules: ChannelRules,
    body: TemplateBody,
    values: MessageValues | ShippingValues,
    *,
    budget: bool = False,
    kind: TemplateKind = BILLING_REQUEST,
) -> RenderedMessage:
    """The message for `values`, or TemplateRejectedError with every problem. At send time
    (`budget` False) only the channel's hard limits count; saving and previewing also check the
    editable-text budget with sample values."""
    message, problems = render_outcome(rules, body, values, budget=budget, kind=kind)
    if problems or message is None:
        raise TemplateRejectedError(problems)
    return message


def _default_source(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8").rstrip("\n")


def default_template(rules: ChannelRules) -> TemplateBody:
    """The Spanish template a channel uses while the seller has none of their own."""
    return _default_for(rules.delivery, rules.link)


@functools.cache
def _default_for(delivery: str, link: str) -> TemplateBody:
    if delivery == "correo":
        return TemplateBody(
            subject=_default_source("billing_request.subject.j2"),
            text=_default_source("billing_request.txt.j2"),
            html=_default_source("billing_request.html.j2"),
        )
    if link == "forbidden":
        return TemplateBody(text=_default_source("billing_request.no_link.txt.j2"))
    return TemplateBody(text=_default_source("billing_request.marketplace.txt.j2"))


def default_shipping_template() -> TemplateBody:
    """The Spanish shipping notice while the seller has none of their own."""
    return TemplateBody(text=_default_source("shipping_notice.marketplace.txt.j2"))
