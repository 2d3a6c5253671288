"""Fixtures shared by the CFDI engine's tests."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def judgements(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The documents SAT's matrix rules actually read (each call of validation._judge), with no
    verdict remembered from earlier tests."""
    from postventa.cfdi import validation

    seen: list[bytes] = []
    judge = validation._judge

    def counting(xml: bytes, element: Any, tz_for_cp: Any) -> Any:
        seen.append(xml)
        return judge(xml, element, tz_for_cp)

    monkeypatch.setattr(validation, "_judge", counting)
    monkeypatch.setattr(validation, "_VERDICTS", type(validation._VERDICTS)())
    return seen
