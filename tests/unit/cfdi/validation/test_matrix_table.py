"""The rule table against SAT's published matrix (2024-12-13): every code once, in SAT's order,
each marked offline or PAC-only; the generated docs and the transcribed catalogs in sync."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from postventa.cfdi.validation import MATRIX_RULES, RULES, Kind
from postventa.cfdi.validation._sat_tables import CATALOGOS
from postventa.cfdi.validation.docs import DEFAULT_PATH, counts, render_markdown

ROOT = Path(__file__).resolve().parents[4]
# SAT's list: CFDI40101-CFDI40222, CFDI140223-CFDI140227 and CFDI40999
SAT_CODES = [
    *(f"CFDI40{n}" for n in range(101, 223)),
    *(f"CFDI140{n}" for n in range(223, 228)),
    "CFDI40999",
]
# Decided by SAT's registers (l_RFC, l_LCO, the RFC validator, the l_RFC retention mark)
REGISTER_ONLY = {
    "CFDI40138",
    "CFDI40139",
    "CFDI40142",
    "CFDI40143",
    "CFDI40144",
    "CFDI40145",
    "CFDI40147",
    "CFDI40148",
    "CFDI40187",
    "CFDI40189",
    "CFDI40190",
    "CFDI40192",
    "CFDI40193",
    "CFDI140224",
    "CFDI140225",
}
# Decided by the PAC's own data: the day's FIX rate, the RMF limit, its confirmation keys
PAC_ONLY = {"CFDI40118", "CFDI40120", "CFDI40127", "CFDI40128", "CFDI40129", "CFDI40999"}


def test_every_code_of_sats_matrix_is_in_the_table_once_in_sats_order() -> None:
    assert [rule.code for rule in MATRIX_RULES] == SAT_CODES
    assert len(SAT_CODES) == 128
    assert len({rule.code for rule in RULES}) == len(RULES)


def test_each_code_is_marked_offline_or_pac_only() -> None:
    by_kind = {kind: {r.code for r in MATRIX_RULES if r.kind is kind} for kind in Kind}
    assert by_kind[Kind.REGISTRO] == REGISTER_ONLY
    assert by_kind[Kind.PAC] == PAC_ONLY
    assert len(by_kind[Kind.OFFLINE]) == 107


def test_offline_rules_have_a_check_and_pac_only_rules_none() -> None:
    unchecked = [r.code for r in RULES if r.kind is Kind.OFFLINE and not r.checked]
    assert unchecked == ["CFDI40163"]  # catalog column not available: stated in its limits
    assert all((r.limits or "").startswith("Sin comprobar") for r in RULES if r.code in unchecked)
    assert [r.code for r in RULES if r.kind is not Kind.OFFLINE and r.checked] == []


def test_the_rmf_stamping_rules_follow_the_matrix() -> None:
    rmf = [(r.code, r.kind) for r in RULES if r.origin == "rmf"]
    assert rmf == [
        ("303", Kind.OFFLINE),
        ("304", Kind.REGISTRO),
        ("305", Kind.OFFLINE),
        ("401", Kind.OFFLINE),
        ("402", Kind.REGISTRO),
    ]


def test_every_rule_names_a_field_and_speaks_spanish() -> None:
    for rule in RULES:
        assert rule.field and rule.description and rule.message, rule.code


def test_receptor_rules_name_the_receptor_field_they_refuse() -> None:
    fields = {r.code: r.field for r in RULES}
    assert fields["CFDI40143"] == "Receptor.Rfc"
    assert fields["CFDI40145"] == fields["CFDI40146"] == "Receptor.Nombre"
    assert fields["CFDI40148"] == fields["CFDI40149"] == "Receptor.DomicilioFiscalReceptor"
    assert fields["CFDI40157"] == fields["CFDI40158"] == "Receptor.RegimenFiscalReceptor"
    assert fields["CFDI40160"] == fields["CFDI40161"] == "Receptor.UsoCFDI"


def test_counts_for_the_readme() -> None:
    assert counts() == {
        "matriz": 128,
        "offline": 107,
        "offline_comprobadas": 106,
        "registro": 15,
        "pac": 6,
        "rmf_offline": 3,
    }


def test_generated_markdown_table_is_in_sync_with_the_rules() -> None:
    committed = (ROOT / DEFAULT_PATH).read_text(encoding="utf-8")
    assert committed == render_markdown(), "run: python -m postventa.cfdi.validation.docs"


def test_transcribed_catalog_keys_match_sats_catcfdi_xsd() -> None:
    import satcfdi.transform as transform

    path = Path(transform.SCHEMA_ROOT) / "www.sat.gob.mx/sitio_internet/cfd/catalogos/catCFDI.xsd"
    xs = "{http://www.w3.org/2001/XMLSchema}"
    found: dict[str, frozenset[str]] = {}
    for _, element in etree.iterparse(str(path), tag=f"{xs}simpleType"):
        if element.get("name") in CATALOGOS:
            values = element.iter(f"{xs}enumeration")
            found[element.get("name")] = frozenset(e.get("value") for e in values)
        element.clear()
    assert found == CATALOGOS
