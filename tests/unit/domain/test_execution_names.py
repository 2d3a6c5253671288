"""One lifecycle per order, ever: execution names are unique by construction."""

from __future__ import annotations

import re

from postventa.domain.orders import OrderRef

_ALLOWED = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


def name(tenant: str, channel: str, order: str) -> str:
    return OrderRef(tenant_id=tenant, channel=channel, order_id=order).execution_name


def test_look_alike_order_ids_of_one_tenant_get_different_names() -> None:
    names = {name("demo", "shopify", o) for o in ("77.1", "77_1", "77:1", "77-1")}
    assert len(names) == 4


def test_look_alike_tenants_do_not_share_an_order() -> None:
    assert name("acme.mx", "shopify", "1") != name("acme_mx", "shopify", "1")
    assert name("a-b", "shopify", "1") != name("a", "b-shopify", "1")


def test_long_ids_that_differ_only_at_the_end_get_different_valid_names() -> None:
    base = "9" * 64
    first, second = (
        name("t" * 64, "mercadolibre", base + "1"),
        name("t" * 64, "mercadolibre", base + "2"),
    )
    assert first != second
    assert _ALLOWED.match(first) and _ALLOWED.match(second)


def test_the_name_stays_readable_and_stable() -> None:
    assert name("demo", "shopify", "5873214500123").startswith("demo-shopify-5873214500123-")
    assert name("demo", "shopify", "1") == name("demo", "shopify", "1")
