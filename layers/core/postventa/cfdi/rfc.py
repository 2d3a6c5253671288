"""RFC (Registro Federal de Contribuyentes): normalization, format, date and SAT check digit.

A format or date problem is an error; a check digit that does not match is only a warning
(`check_digit_mismatch`), because SAT has assigned RFCs that fail its own algorithm.

Pure and dependency-free. The format follows the CFDI 4.0 XSD type t_RFC; the check digit is
SAT's modulo-11 algorithm over the 12 leading characters (a persona moral's 11 are left-padded
with a space), with the character values below.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

__all__ = [
    "RFC_GENERICO_EXTRANJERO",
    "RFC_GENERICO_NACIONAL",
    "TipoPersona",
    "check_digit",
    "check_digit_mismatch",
    "has_valid_check_digit",
    "is_generic",
    "is_valid_rfc",
    "normalize_rfc",
    "rfc_problems",
    "tipo_persona",
]

RFC_GENERICO_NACIONAL = "XAXX010101000"  # público en general
RFC_GENERICO_EXTRANJERO = "XEXX010101000"  # residentes en el extranjero

# SAT's value table for the check digit: the index of each character is its value.
_VALUES = {char: value for value, char in enumerate("0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ Ñ")}

_LETTERS = "A-Z&Ñ"
_RFC_RE = re.compile(
    rf"(?P<letras>[{_LETTERS}]{{3,4}})(?P<fecha>[0-9]{{6}})(?P<homoclave>[A-Z0-9]{{2}}[0-9A])"
)
_SEPARATORS = re.compile(r"[\s\-_.]+")


class TipoPersona(StrEnum):
    FISICA = "fisica"
    MORAL = "moral"

    @property
    def etiqueta(self) -> str:
        return "persona física" if self is TipoPersona.FISICA else "persona moral"

    @property
    def etiqueta_plural(self) -> str:
        return "personas físicas" if self is TipoPersona.FISICA else "personas morales"


def normalize_rfc(value: str | None) -> str:
    """Unicode NFC first (a pasted decomposed Ñ, N + U+0303, is one letter), then uppercase
    without spaces, dashes, dots, underscores or invisible format characters (as people type or
    paste it)."""
    if not value:
        return ""
    text = unicodedata.normalize("NFC", value)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return unicodedata.normalize("NFC", _SEPARATORS.sub("", text).upper())


def tipo_persona(rfc: str) -> TipoPersona | None:
    """Persona type from the length of a normalized RFC: 12 moral, 13 física, else None."""
    if len(rfc) == 12:
        return TipoPersona.MORAL
    if len(rfc) == 13:
        return TipoPersona.FISICA
    return None


def is_generic(rfc: str) -> bool:
    return rfc in (RFC_GENERICO_NACIONAL, RFC_GENERICO_EXTRANJERO)


def check_digit(prefix: str) -> str:
    """Check digit for the first 11 (moral) or 12 (física) characters of an RFC.

    Raises ValueError for another length or a character outside SAT's table.
    """
    if len(prefix) not in (11, 12):
        raise ValueError("the RFC prefix must have 11 or 12 characters")
    padded = prefix.rjust(12)
    try:
        total = sum(_VALUES[char] * (13 - index) for index, char in enumerate(padded))
    except KeyError as exc:
        raise ValueError(f"character not allowed in an RFC: {exc.args[0]!r}") from None
    digit = -total % 11
    return "A" if digit == 10 else str(digit)


def has_valid_check_digit(rfc: str) -> bool:
    """True when the last character of a 12/13-char RFC is the SAT check digit of the rest."""
    if len(rfc) not in (12, 13):
        return False
    try:
        return check_digit(rfc[:-1]) == rfc[-1]
    except ValueError:
        return False


def _valid_date(yymmdd: str) -> bool:
    year, month, day = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    if not 1 <= month <= 12 or day < 1:
        return False
    if month == 2:
        # The century is not in the RFC; 19YY and 20YY are both leap years when YY % 4 == 0.
        return day <= (29 if year % 4 == 0 else 28)
    return day <= (30 if month in (4, 6, 9, 11) else 31)


def rfc_problems(rfc: str) -> list[str]:
    """Spanish messages for every problem of a normalized RFC; empty when it is valid."""
    if not rfc:
        return ["El RFC es obligatorio."]
    if is_generic(rfc):
        return []
    tipo = tipo_persona(rfc)
    if tipo is None:
        return [
            f"El RFC tiene {len(rfc)} caracteres; debe tener 12 (persona moral) "
            "o 13 (persona física)."
        ]
    n_letters = 3 if tipo is TipoPersona.MORAL else 4
    letters, fecha, homoclave = rfc[:n_letters], rfc[n_letters:-3], rfc[-3:]
    problems: list[str] = []
    if not re.fullmatch(f"[{_LETTERS}]+", letters):
        problems.append(
            f"Los primeros {n_letters} caracteres del RFC de {tipo.etiqueta} deben ser letras "
            "(A-Z, Ñ o &)."
        )
    if not re.fullmatch("[0-9]{6}", fecha):
        problems.append(
            f"Los caracteres {n_letters + 1} a {n_letters + 6} del RFC deben ser la fecha en "
            "números (AAMMDD)."
        )
    elif not _valid_date(fecha):
        problems.append(
            f"La fecha del RFC ({fecha}) no es una fecha válida; debe ser AAMMDD, "
            "por ejemplo 900317."
        )
    if not re.fullmatch("[A-Z0-9]{2}", homoclave[:2]):
        problems.append("La homoclave del RFC (antepenúltimo y penúltimo caracteres) no es válida.")
    if homoclave[2] not in "0123456789A":
        problems.append(
            "El último carácter del RFC (dígito verificador) debe ser un número o la letra A."
        )
    return problems


def check_digit_mismatch(rfc: str) -> bool:
    """True for a well-formed RFC whose last character is not SAT's published check digit.

    Not an error: SAT has assigned RFCs that fail the algorithm (python-stdnum's mx.rfc documents
    it) and the PAC judges against SAT's register, so callers warn and let the buyer confirm."""
    return not is_generic(rfc) and not rfc_problems(rfc) and not has_valid_check_digit(rfc)


def is_valid_rfc(rfc: str) -> bool:
    """True for a normalized RFC with valid format, date and check digit (or a generic RFC)."""
    return (
        _RFC_RE.fullmatch(rfc) is not None
        and not rfc_problems(rfc)
        and not check_digit_mismatch(rfc)
    )
