"""Receptor name (Nombre) normalization for CFDI 4.0.

SAT matches the Nombre against its register (CFDI40145): uppercase, the denominación or razón
social WITHOUT the capital regime ("S.A. DE C.V."...), single spaces, no trailing dot. The XSD
allows 1-300 characters other than "|".
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from postventa.cfdi.rfc import TipoPersona

__all__ = [
    "NOMBRE_MAX",
    "NOMBRE_PUBLICO_EN_GENERAL",
    "nombre_problems",
    "normalize_nombre",
    "sin_acentos",
    "strip_capital_regime",
]

NOMBRE_MAX = 300
NOMBRE_PUBLICO_EN_GENERAL = "PUBLICO EN GENERAL"

# Abbreviations in capital-regime names, each with its long form. "SC" is sociedad civil or
# sociedad cooperativa; both are regimes, not part of the name.
_ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "SA": ("SOCIEDAD ANONIMA",),
    "SAB": ("SOCIEDAD ANONIMA BURSATIL",),
    "SAPI": ("SOCIEDAD ANONIMA PROMOTORA DE INVERSION",),
    "SAS": ("SOCIEDAD POR ACCIONES SIMPLIFICADA",),
    "CV": ("CAPITAL VARIABLE",),
    "RL": ("RESPONSABILIDAD LIMITADA",),
    "RI": ("RESPONSABILIDAD ILIMITADA",),
    "RS": ("RESPONSABILIDAD SUPLEMENTADA",),
    "SRL": ("SOCIEDAD DE RESPONSABILIDAD LIMITADA",),
    "SC": ("SOCIEDAD CIVIL", "SOCIEDAD COOPERATIVA"),
    "AC": ("ASOCIACION CIVIL",),
    "SPR": ("SOCIEDAD DE PRODUCCION RURAL",),
    "IAP": ("INSTITUCION DE ASISTENCIA PRIVADA",),
    "IBP": ("INSTITUCION DE BENEFICENCIA PRIVADA",),
    "ABP": ("ASOCIACION DE BENEFICENCIA PRIVADA",),
    "SNC": ("SOCIEDAD NACIONAL DE CREDITO",),
    "S": ("SOCIEDAD",),
    "C": ("COMANDITA",),
    "CS": ("COMANDITA SIMPLE",),
    "NC": ("NOMBRE COLECTIVO",),
    "A": ("ACCIONES",),
    "SS": ("SOLIDARIDAD SOCIAL",),
}

# Capital regimes as token sequences; a token is an abbreviation above or a literal word.
_REGIMES = (
    "SA DE CV",
    "SA",
    "SAB DE CV",
    "SAB",
    "SAPI DE CV",
    "SAPI",
    "SAS DE CV",
    "SAS",
    "S DE RL DE CV",
    "S DE RL",
    "SRL DE CV",
    "SRL",
    "SC DE RL DE CV",
    "SC DE RL",
    "SC DE RS",
    "SC DE CV",
    "SC",
    "AC",
    "SPR DE RL DE CV",
    "SPR DE RL",
    "SPR DE RI",
    "SPR DE RS",
    "S EN C POR A",
    "S EN CS",
    "S EN C",
    "S EN NC",
    "S DE SS",
    "SNC",
    "IAP",
    "IBP",
    "ABP",
)

_ACCENTED = {"A": "[AÁ]", "E": "[EÉ]", "I": "[IÍ]", "O": "[OÓ]", "U": "[UÚÜ]"}


def _long_form(words: str) -> str:
    return r"\s+".join("".join(_ACCENTED.get(ch, ch) for ch in word) for word in words.split())


def _token(token: str) -> str:
    if token not in _ABBREVIATIONS:
        return token  # a literal word: DE, EN, POR
    letters = r"\.?\s?".join(token) + r"\.?"
    return "(?:" + "|".join((letters, *map(_long_form, _ABBREVIATIONS[token]))) + ")"


@cache
def _regime_suffix() -> re.Pattern[str]:
    separator = r"(?:(?<=\.)\s*|\s+)"
    alternatives = "|".join(
        separator.join(_token(token) for token in regime.split()) for regime in _REGIMES
    )
    # Lazy base: the earliest start wins, so the longest regime suffix is removed.
    return re.compile(rf"(?P<base>.*?[^\s,;])[\s,;]+(?:{alternatives})[\s.,;]*", re.DOTALL)


_TRAILING = " .,;"
_INVISIBLE = {"Cf"}  # zero-width spaces, BOMs, joiners pasted with the text


def _clean(value: str) -> str:
    text = unicodedata.normalize("NFC", value)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in _INVISIBLE)
    text = unicodedata.normalize("NFC", text.upper())
    return " ".join(text.split()).rstrip(_TRAILING)


def strip_capital_regime(name: str) -> str:
    """Remove capital-regime suffixes ("S.A. DE C.V.", "SOCIEDAD CIVIL"...) from a clean name."""
    pattern = _regime_suffix()
    while True:
        match = pattern.fullmatch(name)
        if match is None:
            return name
        name = match.group("base").rstrip(_TRAILING)


def normalize_nombre(value: str | None, tipo: TipoPersona | None = None) -> str:
    """The Nombre as SAT expects it; the capital regime is removed only for personas morales."""
    if not value:
        return ""
    text = _clean(value)
    if tipo is TipoPersona.MORAL:
        while True:
            stripped = _clean(strip_capital_regime(text))
            if stripped == text:
                break
            text = stripped
    return text


def sin_acentos(text: str) -> str:
    """Drop accents and diaereses but keep Ñ (for comparisons such as PÚBLICO EN GENERAL)."""
    kept: list[str] = []
    for ch in unicodedata.normalize("NFD", text):
        is_mark = unicodedata.category(ch) == "Mn"
        if not is_mark or (ch == "\u0303" and kept and kept[-1] in "Nn"):
            kept.append(ch)
    return unicodedata.normalize("NFC", "".join(kept))


def nombre_problems(nombre: str) -> list[str]:
    """Spanish messages for a normalized Nombre; empty when it fits the CFDI 4.0 XSD."""
    if not nombre:
        return ["El nombre o razón social es obligatorio."]
    problems: list[str] = []
    if len(nombre) > NOMBRE_MAX:
        problems.append(f"El nombre tiene {len(nombre)} caracteres; el máximo es {NOMBRE_MAX}.")
    bad = sorted({ch for ch in nombre if ch == "|" or _is_forbidden(ch)})
    if bad:
        shown = ", ".join(repr(ch) if ch != "|" else "|" for ch in bad)
        problems.append(f"El nombre contiene caracteres no permitidos: {shown}.")
    return problems


def _is_forbidden(ch: str) -> bool:
    # Control characters and lone surrogates cannot travel in an XML attribute.
    return unicodedata.category(ch) in ("Cc", "Cs")
