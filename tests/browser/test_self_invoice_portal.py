"""A buyer who lost the emailed link finds the order in the self-invoice portal (/facturar) by
store, order number and exact total, in a real Chromium on the whole product running locally."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from .conftest import DESKTOP, PHONE, PaidOrder, open_page, page_width, shot

pytestmark = pytest.mark.browser


def _find(page: Any, store: str, number: str, total: str) -> Any:
    page.get_by_label("Tienda donde compraste").select_option(store)
    page.get_by_label("Número de pedido").fill(number)
    page.get_by_label("Total pagado").fill(total)
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Buscar mi pedido").click()
    page.wait_for_load_state("load")
    return posted.value


def test_a_buyer_without_the_link_finds_the_order_and_lands_on_its_form(
    paid_order: PaidOrder, cloud: Any, pages: Any, screenshots: Path
) -> None:
    page = pages(PHONE)
    response = open_page(page, cloud.gateway_url + "/facturar")
    assert response.status == 200
    assert page.get_by_role("heading", level=1).inner_text() == "Factura tu compra"
    assert page_width(page) <= PHONE["width"]
    shot(page, screenshots, "11-portal-phone")

    total = f"{Decimal(paid_order.total):,.2f}"  # "1,057.10", as a receipt shows it
    posted = _find(page, "demo", paid_order.number.lstrip("#"), total)
    assert posted.status == 303
    assert page.url.startswith(cloud.gateway_url + "/facturar/")
    assert page.url != paid_order.link  # a fresh link to the same form
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading == f"Factura de tu pedido {paid_order.number}"
    assert page.locator("#rfc").is_editable()
    shot(page, screenshots, "12-portal-found-form-phone")
    assert page.problems == []


def test_a_wrong_total_gets_the_same_answer_as_an_order_that_does_not_exist(
    paid_order: PaidOrder, cloud: Any, pages: Any, screenshots: Path
) -> None:
    page = pages(DESKTOP)
    open_page(page, cloud.gateway_url + "/facturar")
    off_by_a_cent = str(Decimal(paid_order.total) - Decimal("0.01"))
    wrong_total = _find(page, "demo", paid_order.number, off_by_a_cent)
    wrong_text = page.locator("main").inner_text()
    shot(page, screenshots, "13-portal-not-found-desktop")
    assert (
        page.get_by_role("alert").inner_text().startswith("No encontramos un pedido con esos datos")
    )
    assert page.get_by_label("Total pagado").input_value() == off_by_a_cent  # kept

    unknown_number = "#99" + paid_order.number.lstrip("#")
    no_order = _find(page, "demo", unknown_number, paid_order.total)
    no_order_text = page.locator("main").inner_text()
    assert wrong_total.status == no_order.status == 404
    assert wrong_text == no_order_text  # the same page: the typed values are not in its text
    assert page.url == cloud.gateway_url + "/facturar#errores"
    assert page.problems == []
