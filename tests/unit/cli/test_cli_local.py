"""`postventa local up`: the operator's POSTVENTA_* settings become the local cloud's arguments
(localcloud itself reads no product variable), and the product's hooks are what it is given."""

from __future__ import annotations

import pytest

from postventa.cli import build_parser
from postventa.cli.local import cloud_hooks


def test_up_takes_its_defaults_from_the_postventa_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POSTVENTA_PORT", "3917")
    monkeypatch.setenv("POSTVENTA_CLOCK_SPEEDUP", "60")
    monkeypatch.setenv("POSTVENTA_LAMBDA_CONCURRENCY", "4")
    monkeypatch.setenv("POSTVENTA_LAMBDA_WORKERS", "0")
    args = build_parser().parse_args(["local", "up"])
    assert (args.port, args.speedup, args.lambda_concurrency, args.lambda_workers) == (
        3917,
        60.0,
        4,
        False,
    )


def test_up_without_variables_uses_port_3000_real_time_and_worker_processes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("PORT", "CLOCK_SPEEDUP", "LAMBDA_CONCURRENCY", "LAMBDA_WORKERS"):
        monkeypatch.delenv(f"POSTVENTA_{name}", raising=False)
    args = build_parser().parse_args(["local", "up"])
    assert (args.port, args.speedup, args.lambda_concurrency, args.lambda_workers) == (
        3000,
        1.0,
        3,
        True,
    )


def test_a_bad_variable_is_a_usage_error_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("POSTVENTA_CLOCK_SPEEDUP", "rápido")
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["local", "up"])
    assert exit_info.value.code == 2
    assert "--speedup" in capsys.readouterr().err


def test_hooks_seed_the_demo_tenant_first_then_the_given_seeders() -> None:
    from postventa.services.demo import seed_demo_tenant

    def extra() -> None:
        return None

    assert cloud_hooks(extra)["seeders"] == [seed_demo_tenant, extra]
    assert cloud_hooks(extra, demo=False)["seeders"] == [extra]
