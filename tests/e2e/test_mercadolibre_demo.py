"""`postventa demo --channel mercadolibre` against the running embedded cloud and the fake
Mercado Libre, over HTTP only: OAuth through our redirect route, a cart paid, Mercado Libre's
notifications answered fast, the billing message through the action guide, the buyer's form,
the invoice in the pack's fiscal documents."""

from __future__ import annotations

import argparse
import json
from typing import Any

import pytest

from postventa.cli.demo import run_mercadolibre_demo
from tests.support.http import http

pytestmark = pytest.mark.e2e


def test_a_mercado_libre_cart_is_invoiced_end_to_end_with_no_internet(
    cloud: Any, markets: Any
) -> None:
    args = argparse.Namespace(
        url=cloud.gateway_url, markets_url=markets.url, api_key="demo-api-key", timeout=60.0
    )
    order = run_mercadolibre_demo(args)
    assert order["status"] == "facturada" and order["invoice_upload"] == "subida"
    key = order["order_id"]
    docs = http("GET", f"{markets.url}/_fake/mercadolibre/sales/{key}/fiscal_documents").json()
    assert [d["content_type"] for d in docs] == ["application/pdf", "application/xml"]
    # every notification Mercado Libre sent was answered 200
    notified = http("GET", f"{markets.url}/_fake/mercadolibre/notifications").json()
    assert notified and {n["status"] for n in notified} == {200}
    # the channel is listed as connected with the account's nickname
    channels = http(
        "GET",
        cloud.gateway_url + "/api/v1/channels",
        headers={"Authorization": "Bearer demo-api-key"},
    ).json()["channels"]
    ml = next(c for c in channels if c["channel"] == "mercadolibre")
    assert ml["status"] == "conectada" and ml["account_name"] == "TIENDA_DEMO_ML"
    assert "access_token" not in json.dumps(ml)
