"""`postventa local up`: the operator's POSTVENTA_* settings become the local cloud's arguments
(localcloud itself reads no product variable), and the product's hooks are what it is given."""

from __future__ import annotations

import pytest

from postventa.cli import build_parser
from postventa.cli.local import cloud_hooks


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({}, (3000, 1.0, None, True)),  # port 3000, real time, worker processes (the cloud's)
        (
            {
                "PORT": "3917",
                "CLOCK_SPEEDUP": "60",
                "LAMBDA_CONCURRENCY": "4",
                "LAMBDA_WORKERS": "0",
            },
            (3917, 60.0, 4, False),
        ),
    ],
)
def test_up_takes_its_defaults_from_the_postventa_variables(
    monkeypatch: pytest.MonkeyPatch,
    variables: dict[str, str],
    expected: tuple[int, float, int | None, bool],
) -> None:
    for name in ("PORT", "CLOCK_SPEEDUP", "LAMBDA_CONCURRENCY", "LAMBDA_WORKERS"):
        monkeypatch.delenv(f"POSTVENTA_{name}", raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(f"POSTVENTA_{name}", value)
    args = build_parser().parse_args(["local", "up"])
    assert (args.port, args.speedup, args.lambda_concurrency, args.lambda_workers) == expected


def test_a_bad_variable_is_a_usage_error_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("POSTVENTA_CLOCK_SPEEDUP", "rápido")
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["local", "up"])
    assert exit_info.value.code == 2
    assert "--speedup" in capsys.readouterr().err


def test_hooks_seed_the_demo_tenant_first_then_the_given_seeders() -> None:
    from postventa import bootstrap
    from postventa.cli.local import seed_local_demo

    def extra() -> None:
        return None

    assert cloud_hooks(extra)["seeders"] == [seed_local_demo, extra]
    assert cloud_hooks()["on_reset"] == [bootstrap.reset]
    assert cloud_hooks(extra, demo=False)["seeders"] == [extra]
