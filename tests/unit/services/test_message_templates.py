"""The seller's templates: saved only when the channel accepts them (every problem at once),
one per tenant and channel, back to the default on delete, previewed with a sample order."""

from __future__ import annotations

import pytest

from postventa.domain.messages import TemplateBody, TemplateRejectedError
from postventa.errors import NotFoundError
from postventa.services.message_templates import (
    PreviewRequest,
    delete_template,
    get_template,
    list_templates,
    preview_template,
    save_template,
)
from tests.support import builders
from tests.support.fakes import FakeAdapters

ML_TEXT = "Hola {{ comprador }}, gracias por comprar en {{ tienda }}. Tu factura: {{ liga }}"


def test_a_valid_template_is_saved_and_is_what_the_channel_uses(adapters: FakeAdapters) -> None:
    saved = save_template("tienda", "mercadolibre", TemplateBody(text=ML_TEXT), adapters)
    assert saved["custom"] and saved["template"] == {"text": ML_TEXT}
    assert saved["updated_at"] == "2026-11-20T16:00:00.000Z"
    again = get_template("tienda", "mercadolibre", adapters)
    assert again["custom"] and again["template"]["text"] == ML_TEXT
    assert [f["name"] for f in again["fields"]][:6] == [
        "comprador",
        "pedido",
        "tienda",
        "total",
        "liga",
        "fecha_limite",
    ]


def test_a_refused_template_lists_every_problem_and_changes_nothing(
    adapters: FakeAdapters,
) -> None:
    before = get_template("tienda", "mercadolibre", adapters)
    body = TemplateBody(text="{{ nombre }} " + "x" * 300 + " bit.ly/x", subject="Hola")
    with pytest.raises(TemplateRejectedError) as refused:
        save_template("tienda", "mercadolibre", body, adapters)
    assert refused.value.status_code == 422
    assert [p["code"] for p in refused.value.details] == [
        "parte_no_admitida",
        "campo_desconocido",
        "liga_acortada",
        "falta_liga",
    ]
    assert get_template("tienda", "mercadolibre", adapters) == before
    assert adapters.message_templates.templates == {}


def test_a_template_over_the_budget_only_in_the_reminder_is_refused_saying_so(
    adapters: FakeAdapters,
) -> None:
    body = TemplateBody(text="{% if recordatorio %}" + "x" * 245 + "{% endif %}Factura: {{ liga }}")
    with pytest.raises(TemplateRejectedError) as refused:
        save_template("tienda", "mercadolibre", body, adapters)
    [problem] = refused.value.problems
    assert problem.code == "excede_texto_editable"
    assert problem.message.startswith("En el recordatorio: El texto sin la liga tiene 254")


def test_deleting_goes_back_to_the_default_and_a_second_delete_is_a_404(
    adapters: FakeAdapters,
) -> None:
    save_template("tienda", "mercadolibre", TemplateBody(text=ML_TEXT), adapters)
    back = delete_template("tienda", "mercadolibre", adapters)
    assert not back["custom"] and "captura tus datos fiscales" in back["template"]["text"]
    with pytest.raises(NotFoundError):
        delete_template("tienda", "mercadolibre", adapters)


def test_the_listing_shows_the_tenants_channels_with_limits_and_whether_they_send(
    adapters: FakeAdapters,
) -> None:
    adapters.tenants.put(builders.tenant(channels=["shopify", "mercadolibre", "amazon"]))
    save_template("tienda", "mercadolibre", TemplateBody(text=ML_TEXT), adapters)
    listing = list_templates("tienda", adapters)
    by_channel = {t["channel"]: t for t in listing["templates"]}
    assert list(by_channel) == ["mercadolibre", "amazon", "shopify"]
    ml, amazon, shop = by_channel["mercadolibre"], by_channel["amazon"], by_channel["shopify"]
    assert ml["custom"] and not shop["custom"]
    assert ml["limits"]["max_chars"] == {"text": 350} and ml["limits"]["editable_chars"] == 250
    assert "char_limit" in ml["limits"]["source"]
    assert amazon["limits"]["link"] == "forbidden"
    assert shop["limits"]["parts"] == ["subject", "text", "html"] and shop["sending"]
    # Mercado Libre's messenger exists (decision 0016): its messages go out.
    assert ml["sending"] and "sending_note" not in ml
    assert {f["use"] for f in listing["fields"]} >= {"{{ liga }}", "{{ fecha_limite }}"}


def test_templates_belong_to_their_tenant(adapters: FakeAdapters) -> None:
    adapters.tenants.put(builders.tenant("otra"))
    save_template("otra", "shopify", TemplateBody(subject="Otra", text="{{ liga }}"), adapters)
    assert not get_template("tienda", "shopify", adapters)["custom"]
    assert all(not t["custom"] for t in list_templates("tienda", adapters)["templates"])


def test_a_channel_that_does_not_exist_is_a_404(adapters: FakeAdapters) -> None:
    with pytest.raises(NotFoundError):
        get_template("tienda", "ebay", adapters)
    with pytest.raises(NotFoundError):
        save_template("tienda", "ebay", TemplateBody(text="{{ liga }}"), adapters)


def test_a_preview_shows_the_message_with_the_tenants_name_and_counts_against_the_limit(
    adapters: FakeAdapters,
) -> None:
    body = TemplateBody(text="Gracias por comprar en {{ tienda }}. " + "x" * 220 + " {{ liga }}")
    preview = preview_template("tienda", "mercadolibre", PreviewRequest(template=body), adapters)
    assert preview["template_source"] == "enviada" and not preview["valid"]
    assert preview["message"]["text"].startswith("Gracias por comprar en Tienda de Barro. xxx")
    counts = preview["characters"]["text"]
    assert (counts["count"], counts["limit"]) == (343, 350)
    assert (counts["editable_count"], counts["editable_limit"]) == (261, 250)
    assert [p["code"] for p in preview["problems"]] == ["excede_texto_editable"]
    assert preview["sample"]["tienda"] == "Tienda de Barro"


def test_a_preview_without_a_body_shows_the_template_in_use(adapters: FakeAdapters) -> None:
    default = preview_template("tienda", "shopify", PreviewRequest(), adapters)
    assert default["template_source"] == "predeterminada" and default["valid"]
    assert default["message"]["subject"] == "Solicita tu factura del pedido 2000009876543210"
    assert default["characters"]["subject"] == {"count": 47, "limit": 150}
    save_template("tienda", "shopify", TemplateBody(subject="Mía", text="{{ liga }}"), adapters)
    reminder = preview_template("tienda", "shopify", PreviewRequest(recordatorio=True), adapters)
    assert reminder["template_source"] == "propia" and reminder["message"]["subject"] == "Mía"
    assert reminder["sample"]["recordatorio"] is True


def test_a_preview_of_a_template_that_cannot_render_lists_why_and_shows_no_message(
    adapters: FakeAdapters,
) -> None:
    body = TemplateBody(text="{{ comprador.__init__ }} {{ liga }}")
    preview = preview_template("tienda", "amazon", PreviewRequest(template=body), adapters)
    assert preview["message"] is None and preview["characters"] is None
    assert [p["code"] for p in preview["problems"]] == [
        "expresion_no_permitida",
        "liga_prohibida",
    ]
