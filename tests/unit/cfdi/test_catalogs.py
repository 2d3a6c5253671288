"""Shipped SAT catalogs: contents by class of row, and agreement with satcfdi's SQLite."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.resources import files

import pytest

from postventa.cfdi import catalogs
from postventa.cfdi.catalogs import (
    codigo_postal_existe,
    estado_de_codigo_postal,
    paises,
    regimenes_fiscales,
    usos_cfdi,
)

MORALES_ONLY = {"601", "603", "620", "622", "623", "624"}
FISICAS_ONLY = {"605", "606", "607", "608", "611", "612", "614", "615", "616", "621", "625"}
BOTH = {"610", "626"}
EMPRESARIALES = {"601", "603", "606", "612", "620", "621", "622", "623", "624", "625", "626"}
DEDUCCIONES = {"605", "606", "607", "608", "611", "612", "614", "615", "625"}


def allowed_usos(regimen: str) -> set[str]:
    return {u.clave for u in usos_cfdi().values() if regimen in u.regimenes}


class TestRegimenesFiscales:
    def test_exactly_the_cfdi_40_keys(self) -> None:
        assert set(regimenes_fiscales()) == MORALES_ONLY | FISICAS_ONLY | BOTH

    @pytest.mark.parametrize("clave", ["609", "628", "629", "630", "600", "617"])
    def test_keys_outside_cfdi_40_are_absent(self, clave: str) -> None:
        assert clave not in regimenes_fiscales()

    @pytest.mark.parametrize("clave", sorted(MORALES_ONLY))
    def test_morales_only(self, clave: str) -> None:
        row = regimenes_fiscales()[clave]
        assert (row.fisica, row.moral) == (False, True)

    @pytest.mark.parametrize("clave", sorted(FISICAS_ONLY))
    def test_fisicas_only(self, clave: str) -> None:
        row = regimenes_fiscales()[clave]
        assert (row.fisica, row.moral) == (True, False)

    @pytest.mark.parametrize("clave", sorted(BOTH))
    def test_both_persona_types(self, clave: str) -> None:
        row = regimenes_fiscales()[clave]
        assert (row.fisica, row.moral) == (True, True)

    def test_descriptions(self) -> None:
        assert regimenes_fiscales()["616"].descripcion == "Sin obligaciones fiscales"
        assert regimenes_fiscales()["626"].descripcion == "Régimen Simplificado de Confianza"


class TestUsoCfdiMatrix:
    def test_p01_no_longer_exists(self) -> None:
        assert "P01" not in usos_cfdi()

    def test_all_24_cfdi_40_usos(self) -> None:
        expected = {"G01", "G02", "G03", "S01", "CP01", "CN01"}
        expected |= {f"I0{n}" for n in range(1, 9)} | {f"D{n:02d}" for n in range(1, 11)}
        assert set(usos_cfdi()) == expected

    @pytest.mark.parametrize("uso", ["G01", "G03", "I01", "I04", "I08"])
    def test_business_usos_for_empresariales_not_605_616_610(self, uso: str) -> None:
        row = usos_cfdi()[uso]
        assert row.regimenes == EMPRESARIALES
        assert {"605", "616", "610", "608"}.isdisjoint(row.regimenes)
        assert row.fisica and row.moral

    def test_g02_also_allows_616(self) -> None:
        assert usos_cfdi()["G02"].regimenes == EMPRESARIALES | {"616"}

    def test_616_only_allows_sin_efectos_pagos_and_devoluciones(self) -> None:
        assert allowed_usos("616") == {"S01", "CP01", "G02"}

    @pytest.mark.parametrize("uso", [f"D{n:02d}" for n in range(1, 11)])
    def test_deducciones_personales_only_personas_fisicas(self, uso: str) -> None:
        row = usos_cfdi()[uso]
        assert row.regimenes == DEDUCCIONES
        assert row.fisica and not row.moral

    def test_nomina_only_605_fisicas(self) -> None:
        row = usos_cfdi()["CN01"]
        assert row.regimenes == {"605"} and row.fisica and not row.moral

    @pytest.mark.parametrize("uso", ["S01", "CP01"])
    def test_sin_efectos_and_pagos_for_every_regimen(self, uso: str) -> None:
        assert usos_cfdi()[uso].regimenes == set(regimenes_fiscales())

    def test_605_only_deducciones_nomina_and_generic(self) -> None:
        expected = {f"D{n:02d}" for n in range(1, 11)} | {"CN01", "S01", "CP01"}
        assert allowed_usos("605") == expected

    def test_every_matrix_regimen_exists(self) -> None:
        for row in usos_cfdi().values():
            assert row.regimenes <= set(regimenes_fiscales()), row.clave


class TestCodigosPostales:
    @pytest.mark.parametrize("cp", ["06600", "01000", "44100", "64000", "97000", "99999", "00000"])
    def test_catalog_codes_exist(self, cp: str) -> None:
        assert codigo_postal_existe(cp)

    @pytest.mark.parametrize("cp", ["17000", "19999", "00001", "00999", "20640", "54500"])
    def test_codes_outside_the_catalog_do_not_exist(self, cp: str) -> None:
        assert not codigo_postal_existe(cp)

    @pytest.mark.parametrize("cp", ["6600", "066000", "", "0660A", "٠٦٦٠٠", " 06600"])
    def test_malformed_codes_do_not_exist(self, cp: str) -> None:
        assert not codigo_postal_existe(cp)
        assert estado_de_codigo_postal(cp) is None

    @pytest.mark.parametrize(
        ("cp", "estado"),
        [("06600", "CMX"), ("44100", "JAL"), ("64000", "NLE"), ("22000", "BCN"), ("68318", "NAY")],
    )
    def test_state_of_a_code(self, cp: str, estado: str) -> None:
        assert estado_de_codigo_postal(cp) == estado

    def test_bitmap_holds_as_many_codes_as_the_catalog(self) -> None:
        table = catalogs._postal_codes()
        data = json.loads(files(catalogs.__name__).joinpath("codigos_postales.json").read_text())
        assert sum(table.present) == data["total"] == 95749


class TestPaises:
    def test_has_iso_alpha3_keys(self) -> None:
        assert paises()["USA"].startswith("Estados Unidos")
        assert "MEX" in paises()
        assert all(len(k) == 3 for k in paises())


class TestAgainstSatcfdi:
    """The shipped files must say what satcfdi's catalogs.db says (tests may import satcfdi)."""

    def test_postal_codes_equal_satcfdi(self) -> None:
        from satcfdi.catalogs import select_all

        theirs = select_all("C756_c_CodigoPostal")
        ours = {f"{n:05d}" for n, flag in enumerate(catalogs._postal_codes().present) if flag}
        assert ours == set(theirs)
        assert all(estado_de_codigo_postal(cp) == row[0] for cp, row in theirs.items())

    def test_descriptions_equal_satcfdi(self) -> None:
        from satcfdi.catalogs import select_all

        regimen = select_all("C756_c_RegimenFiscal")
        uso = select_all("C756_c_UsoCFDI")
        assert all(regimen[k] == v.descripcion for k, v in regimenes_fiscales().items())
        assert all(uso[k] == v.descripcion for k, v in usos_cfdi().items())
        assert dict(paises()) == select_all("C756_c_Pais")

    def test_generator_reproduces_the_shipped_files(self) -> None:
        from postventa.cfdi.catalogs import _generate

        for name, content in _generate.build().items():
            shipped = json.loads(files(catalogs.__name__).joinpath(name).read_text())
            shipped.pop("generado")
            content.pop("generado")
            assert shipped == content, name


def test_loader_does_not_import_satcfdi() -> None:
    code = (
        "import sys; from postventa.cfdi import catalogs as c; c.codigo_postal_existe('06600');"
        "c.usos_cfdi(); c.regimenes_fiscales(); c.paises();"
        "assert 'satcfdi' not in sys.modules, 'satcfdi imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
