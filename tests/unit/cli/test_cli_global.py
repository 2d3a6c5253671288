"""`postventa global preview|issue`: what a period would take, issuing it now with a progress
bar, twice without issuing twice, and clear messages for a period or tenant that does not exist
(the adapters are the fakes: where the command finds the cloud is `_adapters`)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from postventa.cli import global_invoice as cli
from postventa.cli import main
from tests.support.fakes import FakeAdapters
from tests.support.global_invoices import after_issue_time, global_adapters, pac, sell


@pytest.fixture
def adapters(monkeypatch: pytest.MonkeyPatch) -> FakeAdapters:
    fake = global_adapters()
    monkeypatch.setattr(cli, "_adapters", lambda args: fake)
    return fake


def test_preview_lists_count_total_and_the_first_and_last_order(
    adapters: FakeAdapters, capsys: pytest.CaptureFixture[str]
) -> None:
    sell(adapters, "3", datetime(2026, 11, 2, 15, tzinfo=UTC))
    sell(adapters, "1", datetime(2026, 11, 1, 15, tzinfo=UTC))
    assert main(["global", "preview", "--tenant", "tienda", "--period", "2026-11"]) == 0
    out = capsys.readouterr().out
    assert "Factura global de noviembre de 2026 (2026-11-01.04)" in out
    assert "pedidos por incluir: 2, total $1,198.00 MXN" in out
    assert "primer pedido: #1; último: #3" in out


def test_issue_runs_now_with_a_progress_bar_and_a_second_time_issues_nothing(
    adapters: FakeAdapters, capsys: pytest.CaptureFixture[str]
) -> None:
    sell(adapters, "1", datetime(2026, 11, 2, 15, tzinfo=UTC))
    after_issue_time(adapters)
    assert main(["global", "issue", "--tenant", "tienda", "--period", "2026-11"]) == 0
    captured = capsys.readouterr()
    assert "1 pedidos en 1 CFDI" in captured.out and "UUID" in captured.out
    assert "timbrando CFDI" in captured.err and "1/1" in captured.err
    assert main(["global", "issue", "--tenant", "tienda", "--period", "2026-11"]) == 0
    assert "estado: emitida" in capsys.readouterr().out
    assert pac(adapters).stamps == 1


def test_a_period_or_tenant_that_does_not_exist_is_said_plainly(adapters: FakeAdapters) -> None:
    with pytest.raises(SystemExit, match="No existe la tienda 'otra'"):
        main(["global", "preview", "--tenant", "otra", "--period", "2026-11"])
    with pytest.raises(SystemExit, match="AAAA-MM"):
        main(["global", "preview", "--tenant", "tienda", "--period", "noviembre"])
