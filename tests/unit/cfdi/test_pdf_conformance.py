"""The conformance command (postventa.conformance) on a corpus of our own: it passes what prints
correctly, and fails, saying what is missing, what does not."""

from __future__ import annotations

import io
import json
import shutil
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from postventa.conformance import run
from postventa.conformance.cfdi import check_cfdi, numbers_in
from postventa.conformance.webhooks import check_payload

OURS = Path(__file__).resolve().parents[2] / "fixtures" / "cfdi" / "pdf"


def shopify_order(currency: str, total: str, status: str = "paid") -> dict[str, Any]:
    """A small orders/paid body in Shopify's documented REST shape, written for these tests."""
    return {
        "id": 820982911946154508,
        "name": "#1001",
        "created_at": "2024-05-09T10:00:00-06:00",
        "processed_at": "2024-05-09T10:00:05-06:00",
        "currency": currency,
        "financial_status": status,
        "taxes_included": True,
        "total_price": total,
        "line_items": [
            {"id": 1, "sku": "TAZA", "title": "Taza", "quantity": 2, "price": "100.00"},
        ],
        "shipping_lines": [{"price": "32.00"}],
    }


@pytest.mark.parametrize("name", sorted(p.name for p in OURS.glob("*.xml")))
def test_our_samples_print_everything_their_xml_says(name: str) -> None:
    result = check_cfdi(OURS / name)
    assert result.problems == ()


def test_payment_receipt_lists_its_complement() -> None:
    assert check_cfdi(OURS / "pago20_dos_pagos.xml").complements == ("Pagos",)


def test_a_pdf_that_drops_a_payment_document_or_a_character_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import postventa.cfdi.pdf as pdf

    real = pdf.render_cfdi

    def lossy(cfdi: Any, **kwargs: Any) -> bytes:
        assert cfdi.pagos is not None
        first, *others = cfdi.pagos.pagos
        first = replace(first, documentos=first.documentos[1:])
        pagos = replace(cfdi.pagos, pagos=(first, *others))
        payer = replace(cfdi.receptor, nombre=cfdi.receptor.nombre.replace("Ñ", "N"))
        return real(replace(cfdi, pagos=pagos, receptor=payer), **kwargs)

    monkeypatch.setattr(pdf, "render_cfdi", lossy)
    problems = check_cfdi(OURS / "pago20_dos_pagos.xml").problems
    assert "falta Pagos DoctoRelacionado@IdDocumento «5A7E0000-0000-4000-8000-000000000101»" in (
        problems
    )
    assert "falta Receptor Nombre «UNIVERSIDAD ROBOTICA ESPAÑOLA»" in problems


def test_numbers_are_compared_as_values_whatever_their_format() -> None:
    found = numbers_in("Total MXN $1,234.50 · base $4,500.00, importe -$22.5 · 16%")
    assert {Decimal("1234.5"), Decimal("4500"), Decimal("22.50"), Decimal("16")} <= found


def _payload(tmp_path: Path, body: dict[str, Any]) -> Path:
    path = tmp_path / "order.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


def test_a_paid_mxn_order_normalises_to_what_was_paid(tmp_path: Path) -> None:
    expectation = {
        "channel": "shopify",
        "currency": "MXN",
        "paid_total": "232.00",
        "outcomes": ["normalize"],
    }
    result = check_payload(_payload(tmp_path, shopify_order("MXN", "232.00")), expectation)
    assert (result.outcome, result.ok) == ("normalize", True)
    wrong = check_payload(
        _payload(tmp_path, shopify_order("MXN", "232.00")), {**expectation, "paid_total": "230"}
    )
    assert (wrong.outcome, wrong.ok) == ("normalize", False)
    assert "total_paid 232.00 MXN, pagado 230 MXN" in wrong.reason


def test_a_foreign_currency_order_normalizes_in_its_currency(tmp_path: Path) -> None:
    expectation = {
        "channel": "shopify",
        "currency": "USD",
        "paid_total": "232.00",
        "outcomes": ["normalize", "refuse"],
    }
    result = check_payload(_payload(tmp_path, shopify_order("USD", "232.00")), expectation)
    assert (result.outcome, result.ok) == ("normalize", True)
    assert "232.00 USD" in result.reason  # the rate is ingest's (the FIX of the payment day)
    not_allowed = check_payload(
        _payload(tmp_path, shopify_order("USD", "232.00")), {**expectation, "outcomes": ["x"]}
    )
    assert not not_allowed.ok


def _corpus(tmp_path: Path, paid_total: str) -> Path:
    corpus = tmp_path / "real"
    (corpus / "cfdi").mkdir(parents=True)
    (corpus / "webhooks").mkdir()
    for name in ("pago20_dos_pagos.xml", "ingreso_texto_no_latin1.xml"):
        shutil.copy(OURS / name, corpus / "cfdi" / name)
    (corpus / "webhooks" / "mxn.json").write_text(json.dumps(shopify_order("MXN", "232.00")))
    expected = {
        "_doc": "our own test corpus",
        "mxn.json": {
            "channel": "shopify",
            "currency": "MXN",
            "paid_total": paid_total,
            "outcomes": ["normalize"],
        },
    }
    (corpus / "webhooks" / "expected.json").write_text(json.dumps(expected))
    return corpus


def test_run_prints_a_table_and_exits_0_when_everything_passes(tmp_path: Path) -> None:
    out, progress = io.StringIO(), io.StringIO()
    assert run(_corpus(tmp_path, "232.00"), out, progress) == 0
    table = out.getvalue()
    assert "pago20_dos_pagos.xml" in table and "Pagos" in table
    assert "3 de 3 pasan (2 CFDI, 1 webhooks)" in table
    assert "[3/3] mxn.json" in progress.getvalue()


def test_run_exits_1_and_names_what_fails(tmp_path: Path) -> None:
    out = io.StringIO()
    assert run(_corpus(tmp_path, "999.00"), out, io.StringIO()) == 1
    assert "fallan: mxn.json" in out.getvalue()


def test_run_without_a_corpus_says_where_it_looked(tmp_path: Path) -> None:
    out = io.StringIO()
    assert run(tmp_path / "nada", out, io.StringIO()) == 2
    assert "indica --corpus DIR" in out.getvalue()
