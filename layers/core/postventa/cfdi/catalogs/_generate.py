"""Regenerate the compact SAT catalog files shipped next to this module. Run by hand:

    .venv/bin/python -m postventa.cfdi.catalogs._generate

Descriptions, postal codes and countries come from satcfdi's catalogs.db (SAT catCFDI, CFDI 4.0
namespace). SAT's Física/Moral columns and the c_UsoCFDI "Régimen Fiscal Receptor" column are not
in that db, so they are transcribed below from SAT's catCFDI_V_4 (see README.md) and checked
against the db: every key below must exist there. Nothing here runs in the product.
"""

from __future__ import annotations

import json
import pickle
import sqlite3
from datetime import date
from importlib.metadata import version
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

# SAT catCFDI_V_4, sheet c_RegimenFiscal: clave -> (Física, Moral). Valid since 2022-01-01.
# 609, 628, 629 and 630 exist in catCFDI.xsd (shared with CFDI 3.3) but not in the 4.0 catalog.
REGIMEN_PERSONA: dict[str, tuple[bool, bool]] = {
    "601": (False, True),
    "603": (False, True),
    "605": (True, False),
    "606": (True, False),
    "607": (True, False),
    "608": (True, False),
    "610": (True, True),
    "611": (True, False),
    "612": (True, False),
    "614": (True, False),
    "615": (True, False),
    "616": (True, False),
    "620": (False, True),
    "621": (True, False),
    "622": (False, True),
    "623": (False, True),
    "624": (False, True),
    "625": (True, False),
    "626": (True, True),
}

_EMPRESARIALES = "601, 603, 606, 612, 620, 621, 622, 623, 624, 625, 626"
_DEDUCCIONES_PERSONALES = "605, 606, 608, 611, 612, 614, 607, 615, 625"
_TODOS = (
    "601, 603, 605, 606, 608, 610, 611, 612, 614, 616, 620, 621, 622, 623, 624, 607, 615, 625, 626"
)

# SAT catCFDI_V_4, sheet c_UsoCFDI: clave -> (Física, Moral, "Régimen Fiscal Receptor"), as SAT
# writes the column. "P01 Por definir" is not in the 4.0 catalog (it is in satcfdi's db for 3.3).
USO_MATRIZ: dict[str, tuple[bool, bool, str]] = {
    "G01": (True, True, _EMPRESARIALES),
    "G02": (True, True, "601, 603, 606, 612, 616, 620, 621, 622, 623, 624, 625, 626"),
    "G03": (True, True, _EMPRESARIALES),
    **{f"I0{n}": (True, True, _EMPRESARIALES) for n in range(1, 9)},
    **{f"D{n:02d}": (True, False, _DEDUCCIONES_PERSONALES) for n in range(1, 11)},
    "S01": (True, True, _TODOS),
    "CP01": (True, True, _TODOS),
    "CN01": (True, False, "605"),
}

SOURCE_SAT = (
    "SAT, Anexo 20 CFDI 4.0, catálogo catCFDI_V_4 (hojas c_RegimenFiscal y c_UsoCFDI, "
    "vigentes desde 2022-01-01)"
)


def _db() -> sqlite3.Connection:
    import satcfdi.catalogs  # generator only, never at runtime

    return sqlite3.connect(Path(satcfdi.catalogs.__file__).with_name("catalogs.db"))


def _table(conn: sqlite3.Connection, name: str) -> dict[Any, Any]:
    # The db pickles keys and values; it is the satcfdi package's own file, read by hand.
    rows = conn.execute(f"SELECT key, value FROM {name}").fetchall()  # noqa: S608
    return {pickle.loads(k): pickle.loads(v) for k, v in rows}  # noqa: S301


def _meta(source: str, note: str | None = None) -> dict[str, str]:
    meta = {
        "fuente": source,
        "derivado_de": f"satcfdi {version('satcfdi')} catalogs.db",
        "generado": date.today().isoformat(),
    }
    if note:
        meta["nota"] = note
    return meta


_TRANSCRIBED = (
    "Descripciones de catalogs.db; las columnas Física/Moral y Régimen Fiscal Receptor no están "
    "ahí y se transcriben de catCFDI_V_4 en _generate.py."
)


def build() -> dict[str, Any]:
    conn = _db()
    regimen_desc = _table(conn, "C756_c_RegimenFiscal")
    uso_desc = _table(conn, "C756_c_UsoCFDI")
    cps = _table(conn, "C756_c_CodigoPostal")
    paises = _table(conn, "C756_c_Pais")

    missing = set(REGIMEN_PERSONA) - set(regimen_desc)
    missing |= set(USO_MATRIZ) - set(uso_desc)
    if missing:
        raise SystemExit(f"claves ausentes en catalogs.db: {sorted(missing)}")

    regimenes = {
        clave: {"descripcion": regimen_desc[clave], "fisica": fisica, "moral": moral}
        for clave, (fisica, moral) in REGIMEN_PERSONA.items()
    }
    usos = {}
    for clave, (fisica, moral, column) in USO_MATRIZ.items():
        allowed = [r.strip() for r in column.split(",")]
        unknown = set(allowed) - set(REGIMEN_PERSONA)
        if unknown:
            raise SystemExit(f"{clave}: regímenes desconocidos {unknown}")
        usos[clave] = {
            "descripcion": uso_desc[clave],
            "fisica": fisica,
            "moral": moral,
            "regimenes": sorted(allowed),
        }

    # ~95k codes collapse into a few dozen runs of consecutive codes of the same state.
    runs: list[list[Any]] = []
    for code in sorted(cps):
        number, estado = int(code), cps[code][0]
        if runs and runs[-1][1] == number - 1 and runs[-1][2] == estado:
            runs[-1][1] = number
        else:
            runs.append([number, number, estado])
    rangos = [f"{start:05d}-{end:05d} {estado}" for start, end, estado in runs]

    return {
        "regimenes_fiscales.json": {**_meta(SOURCE_SAT, _TRANSCRIBED), "regimenes": regimenes},
        "usos_cfdi.json": {**_meta(SOURCE_SAT, _TRANSCRIBED), "usos": usos},
        "codigos_postales.json": {
            **_meta("SAT catCFDI c_CodigoPostal"),
            "total": len(cps),
            "rangos": rangos,
        },
        "paises.json": {
            **_meta("SAT catCFDI c_Pais"),
            "paises": dict(sorted(paises.items())),
        },
    }


def main() -> None:
    for name, content in build().items():
        text = json.dumps(content, ensure_ascii=False, indent=1, sort_keys=False) + "\n"
        (HERE / name).write_text(text, encoding="utf-8")
        print(f"{name}: {len(text.encode())} bytes")


if __name__ == "__main__":
    main()
