"""Default time zone of a LugarExpedicion postal code, for the matrix's clock rules.

Fecha is the local time where the CFDI is issued (Anexo 20, Guía de llenado: "debe corresponder
con la hora local donde se expide el comprobante"). c_CodigoPostal names a zone per code but
satcfdi turns "Tiempo del Noroeste" into America/Matamoros and "Tiempo del Pacífico" into
America/La_Paz (Bolivia), hours off for Baja California, Sonora, Sinaloa, Nayarit and Baja
California Sur (PLATFORM-NOTES). This lookup maps SAT's zone names to IANA zones with today's
rules; `validate_document` takes any `tz_for_cp` callable, so the engine's own CP -> IANA mapping
replaces it without touching the rules.
"""

from __future__ import annotations

from datetime import tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

MEXICO_CITY = "America/Mexico_City"

# SAT's zone name in c_CodigoPostal -> IANA zone (no DST in Mexico since the 2022 reform, except
# the northern border strip, which follows the United States)
_ZONE_BY_NAME = {
    "Tiempo del Centro": MEXICO_CITY,
    "Tiempo del Sureste": "America/Cancun",  # Quintana Roo, UTC-5
    "Tiempo del Pacífico": "America/Mazatlan",  # BCS, Sinaloa, Nayarit: UTC-7
    "Tiempo del Noroeste": "America/Tijuana",  # Baja California: UTC-8, US daylight saving
    "Tiempo del Centro en Frontera": "America/Matamoros",  # UTC-6 with US daylight saving
}
# Where the state or the municipality says more than the zone name
_ZONE_BY_STATE = {"SON": "America/Hermosillo"}  # Sonora: UTC-7 all year, listed as Pacífico
_ZONE_BY_MUNICIPIO = {("CHH", "037"): "America/Ciudad_Juarez"}  # UTC-7 with US daylight saving


@lru_cache(maxsize=4096)
def default_tz_for_cp(codigo_postal: str) -> tzinfo:
    """IANA zone of a c_CodigoPostal code; Mexico City for a code not in the catalog (the
    catalog rule CFDI40126 reports such a LugarExpedicion on its own)."""
    from satcfdi.catalogs import select

    row = select("C756_c_CodigoPostal", codigo_postal)
    if not row:
        return ZoneInfo(MEXICO_CITY)
    estado, municipio, zone_name = row[0], row[1], row[4]
    name = (
        _ZONE_BY_MUNICIPIO.get((estado, municipio))
        or _ZONE_BY_STATE.get(estado)
        or _ZONE_BY_NAME.get(zone_name, MEXICO_CITY)
    )
    return ZoneInfo(name)
