"""Small SAT catalog facts the validation matrix needs and satcfdi's catalog db does not carry.

satcfdi's SQLite keeps only descriptions (PLATFORM-NOTES): no c_TasaOCuota, no c_TipoFactor rows,
no c_Pais "Formato de Registro de Identidad Tributaria", no c_Aduana, and none of the
c_ClaveProdServ columns "Incluir IVA trasladado" / "Complemento que debe incluir". The rows below
are transcribed from SAT's catCFDI_V_4 (the rows in force in November 2026), cross-checked
against the public transcription in phpcfdi/resources-sat-catalogs (update of 2026-08,
`cfdi_40_reglas_tasa_cuota`, `cfdi_40_tipos_factores`, `cfdi_40_paises`, `cfdi_40_aduanas`).
When SAT publishes a new catCFDI, compare these tables with it and note the date here.
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple


class TasaOCuota(NamedTuple):
    """One row of c_TasaOCuota: a fixed value, or a range [minimo, maximo]."""

    impuesto: str  # c_Impuesto key: 001 ISR, 002 IVA, 003 IEPS
    factor: str  # Tasa / Cuota
    minimo: Decimal | None  # None for a fixed value
    maximo: Decimal  # the fixed value, or the top of the range
    traslado: bool
    retencion: bool


def _fijo(
    impuesto: str, valor: str, *, traslado: bool = True, retencion: bool = False
) -> TasaOCuota:
    return TasaOCuota(impuesto, "Tasa", None, Decimal(valor), traslado, retencion)


# c_TasaOCuota (catCFDI_V_4). IVA 0.080000 is the row "IVA Crédito aplicado del 50%" (estímulo
# de la región fronteriza). The IEPS Cuota range is re-published every January (72.160500 since
# 2026-01-01).
TASAS_O_CUOTAS: tuple[TasaOCuota, ...] = (
    _fijo("002", "0.000000"),
    _fijo("002", "0.160000"),
    _fijo("002", "0.080000"),
    TasaOCuota("002", "Tasa", Decimal("0"), Decimal("0.160000"), False, True),
    *(
        _fijo("003", valor, retencion=True)
        for valor in (
            "0.265000",
            "0.300000",
            "0.530000",
            "0.500000",
            "1.600000",
            "0.304000",
            "0.250000",
            "0.090000",
            "0.080000",
            "0.070000",
            "0.060000",
        )
    ),
    _fijo("003", "0.030000"),
    _fijo("003", "0.000000"),
    TasaOCuota("003", "Cuota", Decimal("0"), Decimal("72.160500"), True, True),
    TasaOCuota("001", "Tasa", Decimal("0"), Decimal("0.350000"), False, True),
)

# The small catalogs whose keys the matrix checks, as SAT's catCFDI.xsd for CFDI 4.0 enumerates
# them (satcfdi's db mixes in keys of older versions, e.g. c_FormaPago 07, 98). A unit test
# compares them with the catCFDI.xsd satcfdi ships.
CATALOGOS: dict[str, frozenset[str]] = {
    "c_FormaPago": frozenset(
        [
            "01",
            "02",
            "03",
            "04",
            "05",
            "06",
            "08",
            "12",
            "13",
            "14",
            "15",
            "17",
            "23",
            "24",
            "25",
            "26",
            "27",
            "28",
            "29",
            "30",
            "31",
            "99",
        ]
    ),
    "c_TipoDeComprobante": frozenset(["I", "E", "T", "N", "P"]),
    "c_Exportacion": frozenset(["01", "02", "03", "04"]),
    "c_MetodoPago": frozenset(["PUE", "PPD"]),
    "c_Periodicidad": frozenset(["01", "02", "03", "04", "05"]),
    "c_Meses": frozenset(f"{m:02d}" for m in range(1, 19)),
    "c_TipoRelacion": frozenset(f"{m:02d}" for m in range(1, 10)),
    "c_ObjetoImp": frozenset(f"{m:02d}" for m in range(1, 9)),
    "c_Impuesto": frozenset(["001", "002", "003"]),
    "c_TipoFactor": frozenset(["Tasa", "Cuota", "Exento"]),
}
TIPOS_FACTOR = CATALOGOS["c_TipoFactor"]

# c_Pais, column "Formato de Registro de Identidad Tributaria": only these countries publish one
# (MEX's is the RFC, and MEX cannot be a ResidenciaFiscal: CFDI40152).
FORMATO_REGISTRO_TRIBUTARIO = {
    "CAN": r"[0-9]{9}",
    "USA": r"[0-9]{9}",
}

# c_Aduana: customs offices (the 2 digits after the year in a NumeroPedimento).
ADUANAS = frozenset(
    (
        "01",
        "02",
        "05",
        "06",
        "07",
        "08",
        "11",
        "12",
        "14",
        "16",
        "17",
        "18",
        "19",
        "20",
        "22",
        "23",
        "24",
        "25",
        "26",
        "27",
        "28",
        "30",
        "31",
        "33",
        "34",
        "37",
        "38",
        "39",
        "40",
        "42",
        "43",
        "44",
        "46",
        "47",
        "48",
        "50",
        "51",
        "52",
        "53",
        "64",
        "65",
        "67",
        "73",
        "75",
        "80",
        "81",
        "82",
        "83",
        "84",
        "85",
    )
)

# c_ClaveProdServ keys whose column "Incluir IVA trasladado" is "Sí": the keys SAT announced with
# the catalog update in force since 2020-01-16 (fuels, and personnel recruitment services). The
# full column is not in satcfdi's db; keys outside this list are checked by the PAC only.
CLAVES_CON_IVA_TRASLADADO = frozenset({"15101514", "15101515", "15111512", "80111700", "80111701"})
