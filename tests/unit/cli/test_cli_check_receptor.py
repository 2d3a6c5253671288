"""`postventa cfdi check-receptor`: JSON out, exit 0 valid / 1 invalid, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from postventa.cli import main

VALID_MORAL = [
    "cfdi",
    "check-receptor",
    "--rfc",
    "eku9003173c9",
    "--nombre",
    "Escuela Kemper Urgate, S.A. de C.V.",
    "--regimen",
    "601",
    "--cp",
    "42501",
    "--uso",
    "G03",
]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code = main(argv)
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_valid_receptor_exits_0_with_normalized_data(capsys: pytest.CaptureFixture[str]) -> None:
    code, body = run([*VALID_MORAL, "--email", "Ana@Example.com"], capsys)
    assert code == 0
    assert body["valido"] is True and body["errores"] == {}
    assert body["receptor"]["rfc"] == "EKU9003173C9"
    assert body["receptor"]["nombre"] == "ESCUELA KEMPER URGATE"
    assert body["receptor"]["email"] == "Ana@example.com"
    assert body["receptor"]["tipo_persona"] == "moral"


def test_invalid_receptor_exits_1_with_spanish_messages(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "cfdi",
        "check-receptor",
        "--rfc",
        "CACX7605101P8",
        "--nombre",
        "Xóchitl",
        "--regimen",
        "616",
        "--cp",
        "06600",
        "--uso",
        "G03",
    ]
    code, body = run(argv, capsys)
    assert code == 1
    assert body["valido"] is False
    assert body["errores"]["uso_cfdi"][0].startswith(
        "El uso G03 no está permitido para el régimen 616 (Sin obligaciones fiscales)."
    )
    assert body["receptor"]["nombre"] == "XÓCHITL"


def test_a_wrong_check_digit_is_reported_under_rfc_with_its_code_until_confirmed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    wrong_digit = [a if a != "eku9003173c9" else "EKU9003173C8" for a in VALID_MORAL]
    code, body = run(wrong_digit, capsys)
    assert code == 1
    assert body["valido"] is False and body["errores"] == {}
    assert body["requiere_confirmacion"] is True
    [warning] = body["advertencias"]["rfc"]
    assert warning["codigo"] == "rfc_digito_verificador" and warning["confirmada"] is False

    code, body = run([*wrong_digit, "--confirmar-rfc"], capsys)
    assert code == 0
    assert body["valido"] is True and body["requiere_confirmacion"] is False
    assert body["advertencias"]["rfc"][0]["confirmada"] is True
    assert body["receptor"]["rfc"] == "EKU9003173C8"


def test_output_keeps_accents_unescaped(capsys: pytest.CaptureFixture[str]) -> None:
    main(["cfdi", "check-receptor", "--rfc", "X"])
    out = capsys.readouterr().out
    assert "física" in out and "\\u00ed" not in out


def test_missing_options_are_reported_not_crashed(capsys: pytest.CaptureFixture[str]) -> None:
    code, body = run(["cfdi", "check-receptor"], capsys)
    assert code == 1
    assert set(body["errores"]) == {"rfc", "nombre", "regimen_fiscal", "codigo_postal", "uso_cfdi"}


def test_global_flag_builds_publico_en_general(capsys: pytest.CaptureFixture[str]) -> None:
    code, body = run(["cfdi", "check-receptor", "--global", "--lugar-expedicion", "06600"], capsys)
    assert code == 0
    assert body["receptor"]["rfc"] == "XAXX010101000"
    assert body["receptor"]["nombre"] == "PUBLICO EN GENERAL"
    assert (body["receptor"]["regimen_fiscal"], body["receptor"]["uso_cfdi"]) == ("616", "S01")


def test_xaxx_without_global_is_rejected(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "cfdi",
        "check-receptor",
        "--rfc",
        "XAXX010101000",
        "--nombre",
        "PUBLICO EN GENERAL",
        "--regimen",
        "616",
        "--uso",
        "S01",
        "--lugar-expedicion",
        "06600",
    ]
    code, body = run(argv, capsys)
    assert code == 1 and list(body["errores"]) == ["rfc"]


def test_group_without_subcommand_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cfdi"]) == 2
    assert "check-receptor" in capsys.readouterr().out


@pytest.mark.parametrize(
    "extra",
    [
        [b"--rfc", b"\xff\xfe"],
        [b"--nombre", b"A|B\x01", b"--cp", b"\xc3\xb1"],
        [b"--email", b"@@@", b"--uso", b"\xe2\x80\x8b"],
    ],
)
def test_hostile_bytes_in_a_real_process_never_traceback(extra: list[bytes]) -> None:
    code = "import sys; from postventa.cli import main; sys.exit(main())"
    argv = [sys.executable.encode(), b"-c", code.encode(), b"cfdi", b"check-receptor", *extra]
    proc = subprocess.run(
        argv, capture_output=True, env={"PYTHONIOENCODING": "ascii", "LC_ALL": "C"}, check=False
    )
    assert proc.returncode == 1, proc.stderr
    assert b"Traceback" not in proc.stderr
    assert json.loads(proc.stdout.decode("utf-8"))["valido"] is False
