"""Mexico's time zones: the one definition the product uses.

A CFDI's Fecha is the local time of the place of issue (Anexo 20, Guía de llenado, campo Fecha:
"hora local del lugar de expedición", the postal code in LugarExpedicion). c_CodigoPostal gives
every code a "Descripción del Huso Horario" and the "Estímulo Franja Fronteriza" mark; this module
maps each (state, description, mark) to the IANA zone that carries today's rules:

* Ley del Sistema de Horario en los Estados Unidos Mexicanos (DOF 2022-10-28): no daylight saving
  time (horario estacional) anywhere except the northern border, which follows the US calendar
  (second Sunday of March to the first Sunday of November, 02:00): Baja California; Acuña,
  Allende, Guerrero, Hidalgo, Jiménez, Morelos, Nava, Ocampo, Piedras Negras, Villa Unión and
  Zaragoza (Coahuila); Anáhuac (Nuevo León); Nuevo Laredo, Guerrero, Mier, Miguel Alemán,
  Camargo, Gustavo Díaz Ordaz, Reynosa, Río Bravo, Valle Hermoso and Matamoros (Tamaulipas).
* Its reform of 2022-11-30 for Chihuahua: Juárez, Ascensión, Janos, Guadalupe and Praxedis G.
  Guerrero on Mountain time with the US calendar (like El Paso); Ojinaga, Manuel Benavides and
  Coyame del Sotol on Central time with the US calendar; the rest of the state on Central time.

c_CodigoPostal's descriptions predate that reform in Chihuahua (the five western municipalities
are "Tiempo del Centro en Frontera", the three eastern ones "Tiempo del Centro" with border mark
1), so there the law decides; docs/decisions/0007-fiscal-rules.md records the mapping and why.
satcfdi's own table maps "Tiempo del Noroeste" to America/Matamoros and "Tiempo del Pacífico" to
America/La_Paz (Bolivia): it is not used.

Zones come from the system tz database (zoneinfo); an image without one falls back to pytz's
bundled copy. Zone objects here resolve on first use, so importing this module reads no file.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from functools import cache
from typing import Any

from postventa.cfdi import catalogs
from postventa.cfdi.errors import InvoiceBuildError

__all__ = [
    "MEXICO_CITY",
    "UnknownPlaceOfIssueError",
    "iana_zone_name",
    "local_fecha",
    "mexico_city_local",
    "zone",
    "zone_for_codigo_postal",
    "zone_if_known",
]


class UnknownPlaceOfIssueError(InvoiceBuildError):
    """LugarExpedicion is not a code of c_CodigoPostal: its local time is unknown."""

    code = "lugar_expedicion_invalido"


class _Zone(tzinfo):
    """An IANA zone that loads its rules on first use (no file is read at import time)."""

    def __init__(self, name: str) -> None:
        self.name = name

    @property
    def _rules(self) -> Any:
        return _load_rules(self.name)

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return self._rules.utcoffset(dt)

    def dst(self, dt: datetime | None) -> timedelta | None:
        return self._rules.dst(dt)

    def tzname(self, dt: datetime | None) -> str | None:
        return self._rules.tzname(dt)

    def fromutc(self, dt: datetime) -> datetime:
        rules = self._rules
        return rules.fromutc(dt.replace(tzinfo=rules)).replace(tzinfo=self)

    def __repr__(self) -> str:
        return f"zone({self.name!r})"


class _PytzRules(tzinfo):
    """pytz's zone behind the standard tzinfo calls (pytz needs localize() for wall times)."""

    def __init__(self, name: str) -> None:
        import pytz

        self._utc = pytz.utc
        self._zone = pytz.timezone(name)

    def _local(self, dt: datetime | None) -> Any:
        if dt is None:
            raise ValueError("a datetime is needed")
        return self._zone.localize(dt.replace(tzinfo=None), is_dst=dt.fold == 0)

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        offset: timedelta | None = self._local(dt).utcoffset()
        return offset

    def dst(self, dt: datetime | None) -> timedelta | None:
        offset: timedelta | None = self._local(dt).dst()
        return offset

    def tzname(self, dt: datetime | None) -> str | None:
        name: str | None = self._local(dt).tzname()
        return name

    def fromutc(self, dt: datetime) -> datetime:
        local = self._utc.localize(dt.replace(tzinfo=None)).astimezone(self._zone)
        return local.replace(tzinfo=dt.tzinfo)


@cache
def _load_rules(name: str) -> tzinfo:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:
        return _PytzRules(name)


@cache
def zone(name: str) -> tzinfo:
    """The tzinfo of an IANA zone name (one object per name)."""
    return _Zone(name)


MEXICO_CITY = zone("America/Mexico_City")

# "Tiempo del Centro" outside Chihuahua: the same clock since 2022-10-30; the zone of each state
# also gives the right time for dates before the law.
_CENTRO = {
    "CAM": "America/Merida",
    "YUC": "America/Merida",
    "COA": "America/Monterrey",
    "DUR": "America/Monterrey",
    "NLE": "America/Monterrey",
    "TAM": "America/Monterrey",
    "NAY": "America/Bahia_Banderas",  # the catalog's only Centro codes in Nayarit
}


def iana_zone_name(row: catalogs.CodigoPostal) -> str:
    """The IANA zone of a c_CodigoPostal row (its state, time-zone description, border mark)."""
    huso, estado = row.huso, row.estado
    if huso == "Tiempo del Noroeste":  # Baja California: UTC-8, US daylight saving time
        return "America/Tijuana"
    if huso == "Tiempo del Pacífico":  # UTC-7 without DST: Sonora since 1999, the rest since 2022
        return "America/Hermosillo" if estado == "SON" else "America/Mazatlan"
    if huso == "Tiempo del Sureste":  # Quintana Roo: UTC-5
        return "America/Cancun"
    if huso == "Tiempo del Centro en Frontera":
        # Chihuahua's western border: Mountain time with the US calendar since 2022-11-30;
        # Coahuila, Nuevo León and Tamaulipas border: Central time with the US calendar.
        return "America/Ciudad_Juarez" if estado == "CHH" else "America/Matamoros"
    if huso == "Tiempo del Centro":
        if estado == "CHH":  # Ojinaga, Manuel Benavides, Coyame del Sotol carry the border mark
            return "America/Ojinaga" if row.region_fronteriza else "America/Chihuahua"
        return _CENTRO.get(estado, "America/Mexico_City")
    raise ValueError(f"unknown c_CodigoPostal time-zone description: {huso!r}")


@cache
def zone_for_codigo_postal(codigo_postal: str) -> tzinfo:
    """The time zone of a place of issue; UnknownPlaceOfIssueError outside c_CodigoPostal."""
    row = catalogs.datos_codigo_postal(codigo_postal)
    if row is None:
        raise UnknownPlaceOfIssueError(
            f"El lugar de expedición {codigo_postal} no es un código postal del catálogo del SAT "
            "(c_CodigoPostal); no se puede saber su hora local.",
            details={"lugar_expedicion": [codigo_postal]},
        )
    return zone(iana_zone_name(row))


def zone_if_known(codigo_postal: str) -> tzinfo | None:
    """The time zone of a place of issue, or None outside c_CodigoPostal (for checks that
    report an unknown place on their own, such as SAT's matrix rule CFDI40126)."""
    if catalogs.datos_codigo_postal(codigo_postal) is None:
        return None
    return zone_for_codigo_postal(codigo_postal)


def local_fecha(lugar_expedicion: str, moment: datetime | None = None) -> datetime:
    """CFDI Fecha: the naive wall time at LugarExpedicion, to the second. `moment` None is now; a
    naive `moment` is taken as that place's wall time already."""
    tz = zone_for_codigo_postal(lugar_expedicion)
    if moment is None:
        moment = datetime.now(tz=tz)
    elif moment.tzinfo is not None:
        moment = moment.astimezone(tz)
    return moment.replace(tzinfo=None, microsecond=0)


def mexico_city_local(moment: datetime) -> datetime:
    """Aware -> naive Mexico City wall time; a naive datetime is taken as Mexico City's already."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(MEXICO_CITY).replace(tzinfo=None)
