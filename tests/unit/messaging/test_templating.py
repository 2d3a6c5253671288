"""Sellers' message templates: only the fields, only what each channel accepts, refused with a
Spanish reason naming the problem; the defaults fit every channel."""

from __future__ import annotations

import pytest

from postventa.domain.messages import (
    MessageValues,
    Part,
    TemplateBody,
    TemplateRejectedError,
    marketplace_length,
    rules_for,
)
from postventa.domain.orders import Channel
from postventa.messaging.templating import (
    _render_part,
    default_template,
    render_message,
    render_outcome,
    template_problems,
)

LINK = "https://facturas.example.test/facturar/" + "A" * 43


def values(**changes: object) -> MessageValues:
    base: dict[str, object] = {
        "comprador": "María Fernanda González Ruiz",
        "pedido": "2000009876543210",
        "tienda": "Tienda de Barro",
        "total": "$12,345.67 MXN",
        "liga": LINK,
        "fecha_limite": "30 de septiembre de 2026",
    }
    base.update(changes)
    return MessageValues(**base)  # type: ignore[arg-type]


def codes(channel: str, body: TemplateBody) -> list[str]:
    return [p.code for p in template_problems(rules_for(channel), body)]


def messages(channel: str, body: TemplateBody) -> str:
    return " | ".join(p.message for p in template_problems(rules_for(channel), body))


@pytest.mark.parametrize("channel", list(Channel))
@pytest.mark.parametrize("reminder", [False, True])
def test_every_channels_default_fits_its_own_rules_with_long_real_values(
    channel: Channel, reminder: bool
) -> None:
    rules = rules_for(channel)
    message, problems = render_outcome(
        rules, default_template(rules), values(recordatorio=reminder)
    )
    assert problems == [] and message is not None
    assert "2000009876543210" in message.text
    assert (LINK in message.text) is (rules.link == "required")


def test_the_email_default_is_todays_email_with_the_new_fields() -> None:
    rules = rules_for(Channel.SHOPIFY)
    first = render_message(rules, default_template(rules), values(comprador="<script>x</script>"))
    assert first.subject == "Solicita tu factura del pedido 2000009876543210"
    assert "vence el 30 de septiembre de 2026" in first.text
    assert "total $12,345.67 MXN)" in first.text and LINK in first.text
    assert first.html is not None and f'href="{LINK}"' in first.html
    assert "<script>" not in first.html and "&lt;script&gt;x&lt;/script&gt;" in first.html
    assert "<script>x</script>" in first.text  # plain text is not HTML: shown as typed
    reminder = render_message(rules, default_template(rules), values(recordatorio=True))
    assert reminder.subject == "Recordatorio: solicita tu factura del pedido 2000009876543210"
    assert "Te recordamos que aún puedes solicitar tu factura." in reminder.text


def test_an_unknown_field_is_refused_by_name_with_the_closest_field_suggested() -> None:
    body = TemplateBody(subject="Pedido {{ Pedido }}", text="Hola {{ nombre }} {{ liga }}")
    found = template_problems(rules_for("shopify"), body)
    assert [(p.part, p.code) for p in found] == [
        (Part.SUBJECT, "campo_desconocido"),
        (Part.TEXT, "campo_desconocido"),
    ]
    assert "«Pedido»" in found[0].message and "¿Quisiste decir {{ pedido }}?" in found[0].message
    assert "«nombre»" in found[1].message and "{{ comprador }}" in found[1].message


@pytest.mark.parametrize(
    ("source", "named"),
    [
        ("{{ comprador.__class__ }}", "{{ comprador.__class__ }}"),
        ("{{ comprador.upper() }}", "llamadas a funciones"),
        ("{{ tienda['x'] }}", "acceso por índice"),
        ("{% for c in comprador %}{{ c }}{% endfor %}", "{% for %}"),
        ("{% set x = 1 %}", "{% set %}"),
        ("{% include 'otra' %}", "{% include %}"),
        ("{% macro m() %}{% endmacro %}", "{% macro %}"),
        ("{{ comprador is string }}", "pruebas"),
        ("{{ total * 100000 }}", "Mul"),
        ("{{ cycler }}", "«cycler»"),
        ("{{ range(9) }}", "«range»"),
        ("{{ comprador|safe }}", "filtro «safe»"),
        ("{{ comprador|attr('__class__') }}", "filtro «attr»"),
        ("{{ comprador|truncate(tienda) }}", "no es un valor fijo"),
    ],
)
def test_anything_beyond_the_fields_is_refused_naming_it(source: str, named: str) -> None:
    text = messages("shopify", TemplateBody(subject="Factura", text=source + " {{ liga }}"))
    assert named in text, text


def test_the_sandbox_refuses_unsafe_access_even_behind_the_allow_list() -> None:
    with pytest.raises(TemplateRejectedError) as refused:
        _render_part(Part.TEXT, "{{ comprador.__class__.__mro__ }}", values())
    assert refused.value.problems[0].code == "error_al_llenar"
    assert "entorno seguro" in refused.value.problems[0].message


def test_a_syntax_error_names_the_part_and_line() -> None:
    text = messages("shopify", TemplateBody(subject="Hola", text="{{ liga }}\n{% if comprador %}"))
    assert "El texto tiene un error de sintaxis en la línea 2" in text


def test_mercado_libre_takes_350_characters_with_the_link_and_250_around_it() -> None:
    rules = rules_for(Channel.MERCADOLIBRE)
    fits = TemplateBody(text="x" * 250 + "{{ liga }}")
    assert render_message(rules, fits, values(), budget=True).text.endswith(LINK)
    over_budget = TemplateBody(text="x" * 251 + "{{ liga }}")
    with pytest.raises(TemplateRejectedError) as refused:
        render_message(rules, over_budget, values(), budget=True)
    assert [p.code for p in refused.value.problems] == ["excede_texto_editable"]
    assert "251 caracteres" in refused.value.message and "caben 250" in refused.value.message
    # At send time only Mercado Libre's own 350 count: 251 + the link (82) still goes out.
    assert render_message(rules, over_budget, values()).text.endswith(LINK)
    too_long = TemplateBody(text="x" * 300 + "{{ liga }}")
    with pytest.raises(TemplateRejectedError) as refused:
        render_message(rules, too_long, values())
    assert [p.code for p in refused.value.problems] == ["excede_limite"]
    assert "382 caracteres con la liga y Mercado Libre admite 350" in refused.value.message


def test_an_emoji_counts_as_two_characters_as_the_marketplaces_count_it() -> None:
    assert marketplace_length("¡Gracias! 🎉") == 12
    assert len("¡Gracias! 🎉") == 11


def test_mercado_libre_messages_are_plain_text_with_our_link_and_no_other() -> None:
    body = TemplateBody(
        subject="Factura",
        html="<p>{{ liga }}</p>",
        text="<b>Hola</b> factura en bit.ly/abc123 o en https://mitienda.mx/f",
    )
    found = template_problems(rules_for(Channel.MERCADOSHOPS), body)
    assert [p.code for p in found] == [
        "parte_no_admitida",
        "liga_acortada",
        "otra_liga",
        "html_en_texto",
        "falta_liga",
        "parte_no_admitida",
    ]
    text = " ".join(p.message for p in found)
    assert "«bit.ly/abc123», una liga acortada" in text
    assert "«https://mitienda.mx/f»" in text and "«<b>», «</b>»" in text
    assert "Mercado Shops no admite el asunto" in text


def test_a_shortened_link_is_refused_in_an_email_too() -> None:
    body = TemplateBody(subject="Factura", text="Más en https://tinyurl.com/xyz {{ liga }}")
    assert codes("woocommerce", body) == ["liga_acortada"]


def test_amazon_refuses_the_link_field_with_the_reason() -> None:
    body = TemplateBody(text="Hola {{ comprador }}, factura aquí: {{ liga }} o a ventas@tienda.mx")
    found = template_problems(rules_for(Channel.AMAZON), body)
    assert [p.code for p in found] == ["correo_en_texto", "liga_prohibida"]
    assert "Amazon no permite ligas a páginas fuera de Amazon" in found[1].message
    assert "quita {{ liga }}" in found[1].message


def test_an_email_subject_is_one_line_of_at_most_150_characters() -> None:
    two_lines = TemplateBody(subject="Tu factura\n{{ pedido }}", text="{{ liga }}")
    assert codes("shopify", two_lines) == ["asunto_con_saltos"]
    long = TemplateBody(subject="Factura " * 18 + "{{ pedido }}", text="{{ liga }}")
    with pytest.raises(TemplateRejectedError) as refused:
        render_message(rules_for("shopify"), long, values())
    assert "El asunto tiene 160 caracteres y Shopify admite 150." in refused.value.message


def test_an_email_needs_a_subject_and_the_link_in_every_body() -> None:
    body = TemplateBody(text="Hola", html="<p>Hola</p>")
    assert codes("prestashop", body) == ["parte_faltante", "falta_liga", "falta_liga"]


def test_an_email_without_html_gets_one_made_from_its_text_with_the_link_clickable() -> None:
    body = TemplateBody(
        subject="Factura {{ pedido }}", text="Hola {{ comprador }} & co:\n\nPide aquí {{ liga }}"
    )
    message = render_message(rules_for("shopify"), body, values(comprador="<Ana>"))
    assert message.html is not None
    assert "<p>Hola &lt;Ana&gt; &amp; co:</p>" in message.html
    assert f'<a href="{LINK}">{LINK}</a>' in message.html


def test_html_that_runs_code_or_posts_data_is_refused() -> None:
    body = TemplateBody(
        subject="Factura",
        text="{{ liga }}",
        html='<a href="{{ liga }}" onclick="robar()">x</a><script>y</script><form></form>',
    )
    found = template_problems(rules_for("shopify"), body)
    assert [p.code for p in found] == ["html_inseguro"] * 3
    assert "«onclick=»" in found[0].message


def test_a_template_that_compares_a_text_with_a_number_is_refused_when_it_renders() -> None:
    body = TemplateBody(subject="F", text="{% if total > 5 %}x{% endif %}{{ liga }}")
    assert codes("shopify", body) == []
    with pytest.raises(TemplateRejectedError) as refused:
        render_message(rules_for("shopify"), body, values())
    assert "no se pudo llenar con los datos del pedido" in refused.value.message


def test_a_template_nested_thousands_deep_is_refused_not_a_crash() -> None:
    deep = "{{ " + "(" * 2400 + "comprador" + ")" * 2400 + " }}{{ liga }}"
    found = template_problems(rules_for("shopify"), TemplateBody(subject="F", text=deep))
    assert [(p.code, p.message) for p in found] == [
        ("sintaxis", "El texto anida expresiones demasiado hondo.")
    ]
