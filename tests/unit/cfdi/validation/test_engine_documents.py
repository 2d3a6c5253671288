"""The project's own invoices pass every offline rule of SAT's matrix."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.parametrize(
    "name",
    [
        "ingreso",
        "usd",
        "global",
        "global621",
        "traslado",
        "extranjero",
        "retenciones",
        "exento",
        "terceros",
        "partes",
    ],
)
def test_document_passes_every_offline_rule(kit: Any, name: str) -> None:
    assert kit.codes(kit.bases[name]) == []
